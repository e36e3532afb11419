/**
 * Outputs the twin run answers with recognisable values, so the view can record which output a
 * value unknown at preview is computed from.
 */

/**
 * Recognisable values for the outputs other resources' inputs are most often computed from:
 * the ID (Hetzner IDs are numbers, so programs convert them) and an IPv4 primary IP's address.
 * Numbered in registration order, so every plan of the same program answers the same values.
 * Outputs that programs parse (public keys, IPv6 networks) stay unknown.
 */
export function tracedOutputs(type: string, inputs: Record<string, unknown>, n: number): Record<string, string> {
  const out: Record<string, string> = { id: String(TRACE_ID_BASE + n) };
  if (type === "hcloud:index/primaryIp:PrimaryIp" && inputs.type === "ipv4")
    out.ipAddress = `198.18.${Math.floor(n / 150) % 250}.${100 + (n % 150)}`; // 3-digit last octet: no trace address is a prefix of another
  return out;
}

/** IDs 7 100 000 001 …: ten digits, far above what the program writes itself. */
const TRACE_ID_BASE = 7_100_000_000;
