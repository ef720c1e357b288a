/**
 * Hiding the credentials a URL may carry in its user info, wherever such URLs are shown (logs,
 * error messages, `config print`): `nats://u:p@h` → `nats://u:***@h`. For the NATS schemes a
 * lone user is an auth token (`nats://s3cret@h`, as the NATS clients read it), so it is hidden
 * whole: `nats://***@h`. Elsewhere a lone user is a name, kept.
 */

/** What a hidden credential is shown as. */
export const MASKED = "***";

/** A URL's scheme and user info: `scheme://user[:password]@`. */
const USER_INFO = /\b([a-z][a-z0-9+.-]*):\/\/([^\s:/@,]*)(?::([^\s/@,]*))?@/gi;
const TOKEN_SCHEMES = new Set(["nats", "tls", "ws", "wss"]);

/** `text` with the password (or, for NATS URLs, the token) of every URL in it hidden. */
export function maskUrlCredentials(text: string): string {
  if (!text.includes("@")) return text;
  return text.replace(USER_INFO, (match, scheme: string, user: string, password?: string) => {
    if (password !== undefined) return `${scheme}://${user}:${MASKED}@`;
    if (user !== "" && TOKEN_SCHEMES.has(scheme.toLowerCase())) return `${scheme}://${MASKED}@`;
    return match;
  });
}
