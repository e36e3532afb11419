/**
 * The names a mail stack exports for the stacks that send through it (read back with a
 * pulumi.StackReference) and for `coop dns`. Changing one breaks the stacks that read it, so
 * they live here, apart from the code, and without importing the Pulumi SDK.
 */
/** Who sends through the mail server with an account of its own: the web services and the alerts. */
export type SenderService = "mastodon" | "nextcloud" | "alerts";

export const MAIL_OUTPUTS = {
  host: "mailHost",
  port: "smtpPort",
  username: (s: SenderService) => `smtp${capital(s)}Username`,
  password: (s: SenderService) => `smtp${capital(s)}Password`,
  mailboxPasswords: "mailboxPasswords",
  dkimRecord: "mailDkimRecord",
} as const;

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
