/**
 * Low-level HTTP answers of the simulated API server: JSON bodies, Status errors (with
 * Retry-After for 429), and request bodies.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Status } from "../kube/status.ts";
import { SimError } from "./errors.ts";
import { badRequest, failure } from "./status.ts";
import { parseJson } from "./json.ts";

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Sends a JSON text with `status`. */
export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-cache, private",
  });
  res.end(body);
}

/**
 * Fault: sends the headers (with the full Content-Length) and the first half of `body`, then
 * writes nothing more and leaves the response open: a list stalled mid-body. The socket ends
 * only when the client gives up or the server closes all connections.
 */
export function sendJsonStalled(res: ServerResponse, status: number, body: string): void {
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": bytes.length,
    "Cache-Control": "no-cache, private",
  });
  res.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
}

/** Sends a Status; 429 and any Status with retryAfterSeconds also get a Retry-After header. */
export function sendStatus(res: ServerResponse, status: Status): void {
  const retry = status.details?.retryAfterSeconds;
  if (retry !== undefined) res.setHeader("Retry-After", String(retry));
  sendJson(res, status.code, JSON.stringify(status));
}

/** The Status for any thrown value: a SimError's own, or a 500 InternalError. */
export function statusOf(error: unknown): Status {
  if (error instanceof SimError) return error.status;
  return failure(500, "InternalError", `Internal error occurred: ${String(error)}`);
}

/** Reads and parses a JSON request body; 400 BadRequest SimError when it is not JSON. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b: unknown = chunk;
    if (!Buffer.isBuffer(b)) throw badRequest("unexpected request body encoding");
    size += b.length;
    if (size > MAX_BODY_BYTES) throw badRequest("request body too large");
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return parseJson(text);
  } catch (error: unknown) {
    throw badRequest(
      `the body of the request could not be decoded as JSON: ${String(error)}`,
      error,
    );
  }
}
