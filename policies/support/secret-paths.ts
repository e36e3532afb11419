/**
 * Which paths of a raw (wire-encoded) input hold secrets, so messages never echo them.
 * A path counts as secret when a secret sits at it, above it (secretness may be lifted to a
 * whole list or object) or anywhere below it (a compound value holding a secret, such as a
 * list of labels with one secret value, must not be printed either).
 */
import { isWireSecret } from "../../plan/view";

export function secretPathTest(raw: Record<string, unknown> | undefined): (path: string) => boolean {
  const secrets = new Set<string>();
  const walk = (v: unknown, path: string) => {
    if (isWireSecret(v)) {
      secrets.add(path);
      return;
    }
    if (Array.isArray(v))
      v.forEach((x, i) => {
        walk(x, `${path}[${i}]`);
      });
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  if (raw) walk(raw, "");
  if (secrets.size === 0) return () => false;
  return (path) => {
    for (const s of secrets) if (s === "" || path === "" || within(path, s) || within(s, path)) return true;
    return false;
  };
}

/** Whether `inner` is `outer` or a path below it (`outer.key…` or `outer[i]…`). */
function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}
