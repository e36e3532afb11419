/**
 * Which `NAME=value` entries (container environments) hold secrets by their name. Used to
 * require Pulumi secrets for them and to keep their values out of every message.
 */

/** Names of entries that hold secrets; paths, files and public keys are not. */
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|_PASS$|_KEY$|_KEY_BASE$|_SALT$)/;
const NOT_SECRET = /(PUBLIC|_FILE$|_PATH$|_DIR$)/;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name);
}

/** `NAME=value` with a secret-looking name becomes `NAME=…`; anything else is returned as is. */
export function redactSecretEntry(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const eq = v.indexOf("=");
  return eq > 0 && looksSecret(v.slice(0, eq)) ? `${v.slice(0, eq)}=…` : v;
}
