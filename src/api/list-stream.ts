/**
 * Writing a Kubernetes List to a response in chunks with backpressure: the items' JSON texts
 * are concatenated into chunks of about {@link CHUNK_CHARS} characters, and the next chunk is
 * made only once the socket has taken the last (a `write` returning false waits for `drain`).
 * The whole body is never built as one string.
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

/**
 * Streams `{head}item,item,...]}` to `res` (headers already written) and ends it. `render`
 * gives one item's JSON text. Stops early, without ending, when the response is closed or
 * destroyed. Rejects when `render` throws (the caller destroys the response).
 */
export async function streamList(
  res: ServerResponse,
  head: string,
  items: readonly RawObject[],
  render: (obj: RawObject) => string,
): Promise<void> {
  let chunk = head;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) chunk += ",";
    chunk += render(items[i]!);
    if (chunk.length >= CHUNK_CHARS) {
      if (res.destroyed) return;
      const ok = res.write(chunk);
      chunk = "";
      // oxlint-disable-next-line eslint/no-await-in-loop -- backpressure: one chunk at a time
      if (!ok) await drained(res);
    }
  }
  if (res.destroyed) return;
  res.end(`${chunk}]}`);
}
