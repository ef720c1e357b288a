/**
 * Hiding the credentials a URL may carry, wherever such URLs are shown (logs, error messages,
 * `config print`, `config check`):
 *
 * - in the user info: `nats://u:p@h` → `nats://u:***@h`. For the NATS schemes a lone user is an
 *   auth token (`nats://s3cret@h`, as the NATS clients read it), so it is hidden whole:
 *   `nats://***@h`. Elsewhere a lone user is a name, kept.
 * - in the query or fragment: the value of every parameter whose name looks like a credential
 *   (`?api_key=s3cret&region=eu` → `?api_key=***&region=eu`; see {@link isSecretParamName}).
 *   Other parameters stay visible: they are what one needs to tell two endpoints apart.
 */

/** What a hidden credential is shown as. */
export const MASKED = "***";

/**
 * A URL's scheme and user info: `scheme://user[:password]@`. The user info runs to the last `@`
 * of the authority, as URL parsers read it, so a password holding `@` or `,` is hidden whole
 * (`nats://u:p@ss@h`, `nats://u:pa,ss@h`). The authority ends at whitespace, `/`, `?`, `#`, a
 * quote, `<`, `>` or a backslash (a JSON escape), or at a comma that starts the next URL of a
 * list (`nats://a:b@h1,nats://c:d@h2`). A `/` in a password must be percent-encoded: URL parsers
 * end the authority there too.
 */
const USER_INFO =
  /\b([a-z][a-z0-9+.-]{0,31}):\/\/((?:[^\s/?#"'<>\\,]|,(?![a-z][a-z0-9+.-]{0,31}:\/\/))*)@/gi;
const TOKEN_SCHEMES = new Set(["nats", "tls", "ws", "wss"]);

/**
 * The start of a query or fragment parameter: `name=` after `?`, `&`, `;` or `#`. Matched
 * anywhere in the text, not only after `scheme://`, so a bare request path (`/v1/x?token=…`) is
 * covered too. Only the name is matched: the value of a parameter that is kept is scanned again,
 * so `?next=https://h/?token=t` hides `t`.
 */
const PARAM_NAME = /[?&;#]([^\s"'<>\\=?&;#,/]+)=/g;
/**
 * Where a parameter's value ends in running text, a JSON string (a log line) or a list of URLs:
 * whitespace, a quote, a backslash (a JSON escape), `<`/`>`, a comma, or the next parameter.
 */
const VALUE_END = /[\s"'<>\\&;#,]/g;

/**
 * Parameter names that carry a credential, case-insensitive: anything naming a password (`pwd`
 * too), token,
 * secret, credential, auth or API/private/access/signing key (`access_token`, `X-Amz-Security-Token`,
 * `client_secret`, `x-api-key`, `X-Amz-Credential`), a signature (`X-Amz-Signature`,
 * `X-Goog-Signature`), a session, and the short names `key` (Google API keys), `sig` (Azure SAS)
 * and `jwt`. Like the config's secret keys, a name that merely contains one of these words
 * (`author`) is masked too: a hidden harmless value costs less than a shown secret.
 */
const SECRET_PARAM =
  /pass(word|wd)?|pwd|token|secret|credential|auth|(api|private|access|signing)[-_]?key|signature|session|^(key|sig|jwt)$/i;

/** True when a URL query parameter named `name` carries a credential (`api_key`, `token`, `sig`). */
export function isSecretParamName(name: string): boolean {
  return SECRET_PARAM.test(name);
}

/**
 * `text` with the password (or, for NATS URLs, the token) of every URL in it hidden, and the
 * value of every credential-looking query parameter ({@link isSecretParamName}). Pure; text
 * without `@` or `=` is returned as is.
 */
export function maskUrlCredentials(text: string): string {
  let out = text;
  if (out.includes("@")) {
    out = out.replace(USER_INFO, (match, scheme: string, userInfo: string) => {
      // The user ends at the first `:`; the rest is the password.
      const colon = userInfo.indexOf(":");
      if (colon >= 0) return `${scheme}://${userInfo.slice(0, colon)}:${MASKED}@`;
      if (userInfo !== "" && TOKEN_SCHEMES.has(scheme.toLowerCase())) {
        return `${scheme}://${MASKED}@`;
      }
      return match;
    });
  }
  return out.includes("=") ? maskQueryParams(out) : out;
}

/** A parameter name as a server reads it (`api%5Fkey` is `api_key`); a bad escape as written. */
function decodedName(name: string): string {
  if (!name.includes("%")) return name;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function maskQueryParams(text: string): string {
  let out = "";
  let done = 0;
  for (const m of text.matchAll(PARAM_NAME)) {
    if (m.index < done || !isSecretParamName(decodedName(m[1]!))) continue;
    const start = m.index + m[0].length;
    VALUE_END.lastIndex = start;
    const end = VALUE_END.exec(text)?.index ?? text.length;
    if (end === start) continue;
    out += `${text.slice(done, start)}${MASKED}`;
    done = end;
  }
  return out === "" ? text : out + text.slice(done);
}
