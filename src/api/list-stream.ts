/**
 * Writing a Kubernetes List to a response in chunks with backpressure: the items' JSON texts
 * are concatenated into chunks of about {@link CHUNK_CHARS} characters, each encoded once, and
 * the next chunk is made only once the socket has taken the last (a `write` returning false
 * waits for `drain`). The whole body is never built as one string or buffer.
 */
import type { ServerResponse } from "node:http";
import type { RawObject } from "../kube/index.ts";

/** Target chunk size, in characters of JSON. */
export const CHUNK_CHARS = 64 * 1024;

/** Resolves on `drain`, or on `close` (the peer went away). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Writes one chunk; resolves once the response can take more. False when it went away. */
async function put(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk)) await drained(res);
  return !res.destroyed;
}

/**
 * Streams `{head}item,item,...]}` to `res` (headers already written) and ends it. `render`
 * gives one item's JSON text. `keep`, when given, receives every chunk written (for replay
 * with {@link replayChunks}). Resolves true when the whole body was written, false when the
 * response was closed or destroyed first (then it is not ended). Rejects when `render` throws
 * (the caller destroys the response).
 */
export async function streamList(
  res: ServerResponse,
  head: string,
  items: readonly RawObject[],
  render: (obj: RawObject) => string,
  keep?: (chunk: Buffer) => void,
): Promise<boolean> {
  let chunk = head;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) chunk += ",";
    chunk += render(items[i]!);
    if (chunk.length >= CHUNK_CHARS) {
      const bytes = Buffer.from(chunk, "utf8");
      chunk = "";
      keep?.(bytes);
      // oxlint-disable-next-line eslint/no-await-in-loop -- backpressure: one chunk at a time
      if (!(await put(res, bytes))) return false;
    }
  }
  if (res.destroyed) return false;
  const last = Buffer.from(`${chunk}]}`, "utf8");
  keep?.(last);
  res.end(last);
  return true;
}

/**
 * Writes `chunks` (a body kept by {@link streamList}) with the same backpressure and ends the
 * response. Resolves false when the response went away first.
 */
export async function replayChunks(
  res: ServerResponse,
  chunks: readonly Buffer[],
): Promise<boolean> {
  for (let i = 0; i < chunks.length - 1; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- backpressure: one chunk at a time
    if (!(await put(res, chunks[i]!))) return false;
  }
  if (res.destroyed) return false;
  res.end(chunks.at(-1));
  return true;
}
