/**
 * Reading a response body to the end (optionally gzip-compressed) and turning a non-2xx answer
 * into a `KubeApiError`.
 */
import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { KubeApiError, KubeBadResponseError } from "./errors.ts";
import type { HttpExchange } from "./http-exchange.ts";
import { isStatus, type Status } from "./status.ts";

const gunzipAsync = promisify(gunzip);

/**
 * Reads the whole body (`onBytes` must not throw) of the exchange's response, inflating gzip.
 * Stops reading past `limit` bytes (returns what it has). The exchange's stall clock (if it has
 * one) restarts on every chunk, so a body that stops arriving fails with `WatchStalledError`.
 * Rejects with the exchange's failure reason (abort, stall, client closed), or with
 * `KubeBadResponseError` when the connection ends before the body does or gzip is broken.
 */
export async function readBody(
  ex: HttpExchange,
  res: IncomingMessage,
  onBytes: ((bytes: number) => void) | undefined,
  limit: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    ex.arm();
    for await (const chunk of res as AsyncIterable<Buffer>) {
      ex.arm();
      onBytes?.(chunk.length);
      length += chunk.length;
      chunks.push(chunk);
      if (length > limit) break;
    }
  } catch (err) {
    if (ex.failed) throw ex.reason;
    throw new KubeBadResponseError("connection lost while reading the response body", undefined, {
      cause: err,
    });
  } finally {
    ex.disarm();
  }
  if (ex.failed) throw ex.reason;
  if (!res.complete && length <= limit) {
    throw new KubeBadResponseError("response body ended early");
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  if (res.headers["content-encoding"] !== "gzip") return body;
  try {
    return await gunzipAsync(body);
  } catch (err) {
    throw new KubeBadResponseError("response body is not valid gzip", undefined, { cause: err });
  }
}

/** Seconds from a `Retry-After` header (delta-seconds or HTTP date); undefined if absent/bad. */
export function parseRetryAfter(
  value: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** The `KubeApiError` for a non-2xx response whose (possibly partial) body is `body`. */
export function apiErrorFromResponse(
  verb: string,
  resource: string,
  res: IncomingMessage,
  body: Buffer,
): KubeApiError {
  const statusCode = res.statusCode ?? 0;
  let status: Status | undefined;
  const text = body.toString("utf8", 0, Math.min(body.length, 1 << 20));
  try {
    const value: unknown = JSON.parse(text);
    if (isStatus(value)) status = value;
  } catch {
    // Not JSON (a proxy's HTML page, say): the message below carries a sample of it.
  }
  const retryAfterSeconds =
    parseRetryAfter(res.headers["retry-after"]) ?? status?.details?.retryAfterSeconds;
  const detail =
    status !== undefined
      ? `${status.reason ?? "Unknown"}: ${status.message ?? ""}`
      : JSON.stringify(text.slice(0, 200));
  return new KubeApiError(`${verb} ${resource}: HTTP ${statusCode} ${detail}`, {
    statusCode,
    status,
    retryAfterSeconds,
  });
}
