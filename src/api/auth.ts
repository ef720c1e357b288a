/**
 * The optional bearer token: read once from a file, compared in constant time. The probes
 * (`/healthz`, `/readyz`) stay open so that a kubelet can reach them without the token.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiTokenFileError } from "./errors.ts";
import { sendStatus, unauthorized } from "./status.ts";

/** A request handler of the shared HTTP server: true when it answered the request. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Reads the token from `path` (surrounding whitespace trimmed). Rejects with
 * `ApiTokenFileError` (`LOOKOUT_API_TOKEN_FILE`) when the file cannot be read, is empty, or
 * holds whitespace or control characters inside the token.
 */
export async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ApiTokenFileError(path, "cannot be read", { cause: err });
  }
  const token = text.trim();
  if (token === "") throw new ApiTokenFileError(path, "is empty");
  // `Authorization: Bearer <token>` carries one run of visible characters: a token with
  // whitespace inside could never match, so every request would be refused.
  if (!BEARER_TOKEN.test(token)) {
    throw new ApiTokenFileError(path, "holds whitespace or control characters inside the token");
  }
  return token;
}

/** A bearer token as it can appear in the header: visible ASCII, no spaces. */
const BEARER_TOKEN = /^[\x21-\x7e]+$/;

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Wraps `handler` so that every request it would answer, except `/healthz` and `/readyz`,
 * needs `Authorization: Bearer <token>`; without it or with another token the answer is a 401
 * Status with `WWW-Authenticate: Bearer`. Paths `handler` does not serve are left to the host
 * (false), whatever the token. The comparison is in constant time (SHA-256 digests compared
 * with `timingSafeEqual`, so the length does not leak either). Throws a `TypeError` for an
 * empty token.
 */
export function withBearerToken(token: string, handler: RequestHandler): RequestHandler {
  if (typeof token !== "string" || !BEARER_TOKEN.test(token)) {
    throw new TypeError(
      "withBearerToken: the token must be a non-empty string of visible ASCII without spaces",
    );
  }
  const expected = digest(token);
  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (path === "/healthz" || path === "/readyz") return handler(req, res);
    if (path !== "/api" && !path.startsWith("/api/")) return handler(req, res);
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match !== null && timingSafeEqual(digest(match[1]!), expected)) return handler(req, res);
    sendStatus(res, unauthorized(), { "WWW-Authenticate": 'Bearer realm="kube-lookout"' });
    return true;
  };
}
