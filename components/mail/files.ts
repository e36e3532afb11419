/**
 * The files the Mail component writes into docker-mailserver's config directory
 * (/tmp/docker-mailserver, a named volume): accounts, aliases, relay credentials and the Rspamd
 * DKIM signing setup. Pure functions of their inputs, so tests can check them with the tools
 * that read them (doveadm for the account hashes).
 *
 * Every managed file is always written, with only its header when unused, so removing a feature
 * from the spec also removes its content from the volume instead of leaving a stale copy behind.
 * (The header also keeps the file non-empty: the Docker provider refuses empty uploads. DMS skips
 * comment lines in all of these files.)
 */
import { sha512Crypt, SALT_RE } from "./sha512-crypt";

/** docker-mailserver's config directory; the changedetector watches the files in it. */
export const DMS_CONFIG_DIR = "/tmp/docker-mailserver";
export const DKIM_SELECTOR = "mail";
export const DKIM_KEY_BITS = 2048;

/** First line of every file written here; must not look like an account (DMS counts lines with "@…|"). */
export const FILE_HEADER = "# Written by coop-infra on every deploy from the stack spec; changes made here are overwritten.\n";

export const MAIL_FILES = {
  accounts: `${DMS_CONFIG_DIR}/postfix-accounts.cf`,
  virtual: `${DMS_CONFIG_DIR}/postfix-virtual.cf`,
  relayPasswords: `${DMS_CONFIG_DIR}/postfix-sasl-password.cf`,
  dkimSigning: `${DMS_CONFIG_DIR}/rspamd/override.d/dkim_signing.conf`,
} as const;

/**
 * Where the DKIM private key goes: the layout docker-mailserver's own `setup config dkim` uses
 * for Rspamd (`rspamd/dkim/<type>-<bits>-<selector>-<domain>.private.txt`). DMS makes that
 * directory owned by Rspamd's user at every start, so the key can be uploaded as root.
 */
export function dkimKeyPath(domain: string, selector = DKIM_SELECTOR): string {
  return `${DMS_CONFIG_DIR}/rspamd/dkim/rsa-${DKIM_KEY_BITS}-${selector}-${domain}.private.txt`;
}

export interface MailAccount {
  /** Full address, e.g. ada@example.coop. */
  readonly address: string;
  readonly password: string;
  /** 1-16 characters of [./0-9A-Za-z]; generated once and kept in state. */
  readonly salt: string;
}

/** One postfix-accounts.cf line: `address|{SHA512-CRYPT}$6$salt$hash`. */
export function accountLine(account: MailAccount): string {
  if (!/^[^\s|@]+@[^\s|@]+$/.test(account.address)) throw new Error(`accountLine: '${account.address}' is not a mail address`);
  if (!SALT_RE.test(account.salt)) throw new Error(`accountLine: the salt for ${account.address} is not 1-16 characters of [./0-9A-Za-z]`);
  if (account.password.length === 0) throw new Error(`accountLine: the password for ${account.address} is empty`);
  return `${account.address}|{SHA512-CRYPT}${sha512Crypt(account.password, account.salt)}`;
}

/** postfix-accounts.cf: one line per account, sorted by address so the file is stable. */
export function renderAccounts(accounts: readonly MailAccount[]): string {
  const seen = new Set<string>();
  for (const a of accounts) {
    if (seen.has(a.address)) throw new Error(`renderAccounts: ${a.address} is listed twice`);
    seen.add(a.address);
  }
  return (
    FILE_HEADER +
    [...accounts]
      .sort((a, b) => cmp(a.address, b.address))
      .map((a) => `${accountLine(a)}\n`)
      .join("")
  );
}

export interface MailAlias {
  readonly from: string;
  readonly to: string;
}

/** postfix-virtual.cf: `alias@domain target@domain`, sorted. */
export function renderVirtual(aliases: readonly MailAlias[]): string {
  return (
    FILE_HEADER +
    [...aliases]
      .sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to))
      .map((a) => `${a.from} ${a.to}\n`)
      .join("")
  );
}

export interface RelayCredentials {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** The relay as Postfix names it: brackets skip the MX lookup, as DMS's DEFAULT_RELAY_HOST expects. */
export function relayHostEntry(host: string, port: number): string {
  return `[${host}]:${port}`;
}

/**
 * postfix-sasl-password.cf, keyed by the relay host so every sender (also bounces, whose sender
 * is empty) authenticates at the relay. The password lives in this file, not in the container's
 * environment, where `docker inspect` and DMS's debug log would show it.
 */
export function renderRelayPasswords(relay: RelayCredentials | undefined): string {
  if (!relay) return FILE_HEADER;
  if (/[\s:]/.test(relay.username) || relay.username.length === 0) {
    throw new Error("the relay user name must be non-empty and contain no spaces or colons (Postfix reads 'user:password')");
  }
  if (/[\r\n]/.test(relay.password) || relay.password.length === 0) {
    throw new Error("the relay password (config secret mailRelayPassword) must be non-empty and on one line");
  }
  return `${FILE_HEADER}${relayHostEntry(relay.host, relay.port)} ${relay.username}:${relay.password}\n`;
}

/**
 * Rspamd's dkim_signing module: sign mail that authenticated users (members, Mastodon,
 * Nextcloud) send for the domain with the key at dkimKeyPath(). The options are those of the
 * Rspamd dkim_signing documentation; check_pubkey makes Rspamd refuse to sign while the DNS
 * record does not match the key, which shows up in the logs instead of as failing DKIM checks.
 */
export function renderDkimSigning(domain: string, selector = DKIM_SELECTOR): string {
  return [
    FILE_HEADER.trimEnd(),
    "enabled = true;",
    "sign_authenticated = true;",
    "sign_local = false;",
    "try_fallback = false;",
    'use_domain = "header";',
    "use_redis = false;",
    "use_esld = true;",
    "allow_username_mismatch = true;",
    "check_pubkey = true;",
    "domain {",
    `  ${domain} {`,
    `    path = "${dkimKeyPath(domain, selector)}";`,
    `    selector = "${selector}";`,
    "  }",
    "}",
    "",
  ].join("\n");
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
