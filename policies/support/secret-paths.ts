/**
 * Which paths of a raw (wire-encoded) input hold secrets, so messages never echo them.
 * Secretness may be lifted to a whole list or object; everything under a secret counts as one.
 */
import { isWireSecret } from "../view";

export function secretPathTest(raw: Record<string, unknown> | undefined): (path: string) => boolean {
  const secrets = new Set<string>();
  const walk = (v: unknown, path: string) => {
    if (isWireSecret(v)) {
      secrets.add(path);
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  if (raw) walk(raw, "");
  if (secrets.size === 0) return () => false;
  return (path) => {
    for (const s of secrets) if (path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`) || s === "") return true;
    return false;
  };
}
