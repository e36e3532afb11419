/**
 * A person's short name: the admin who logs in (host.admins), the member who signs
 * (members.yaml), the comment in authorized_keys. One syntax, so a member is the same name
 * everywhere; also the syntax of roles.
 */
export const SHORT_NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;
