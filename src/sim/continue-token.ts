/**
 * Continue tokens of paged lists, in the apiserver's format (`pkg/storage/continue.go`):
 * base64url(JSON {"v":"meta.k8s.io/v1","rv":N,"start":"<key>"}).
 */
import { badRequest } from "./status.ts";
import { isRecord, parseJson } from "./json.ts";

/** A decoded continue token. `rv` -1 means "continue at the current state" (after a 410). */
export interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

/** Encodes a continue token. */
export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start })).toString("base64url");
}

/**
 * Decodes a continue token; throws a 400 BadRequest SimError for anything malformed (with the
 * decoding error as `cause` when the token is not JSON).
 */
export function decodeContinue(token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = parseJson(Buffer.from(token, "base64url").toString("utf8"));
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : "not base64url-encoded JSON";
    throw badRequest(`continue key is not valid: ${detail}`, error);
  }
  const p = isRecord(parsed) ? parsed : {};
  if (p["v"] !== "meta.k8s.io/v1") {
    throw badRequest(
      "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
    );
  }
  if (typeof p["rv"] !== "number" || !Number.isInteger(p["rv"]) || p["rv"] === 0 || p["rv"] < -1) {
    throw badRequest(
      "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
    );
  }
  if (typeof p["start"] !== "string" || p["start"] === "") {
    throw badRequest("continue key is not valid: encoded start key empty");
  }
  return { rv: p["rv"], start: p["start"] };
}
