/**
 * Reading an open watch response: chunks → lines → events, one chunk at a time (backpressure),
 * with the exchange's stall clock armed while waiting for each chunk.
 */
import type { IncomingMessage } from "node:http";
import type { HttpExchange } from "./http-exchange.ts";
import type { WatchEvent } from "./types.ts";
import { decodeWatchLine } from "./watch-event.ts";
import { WatchLineSplitter } from "./watch-lines.ts";

/** Where the stream reports what is not an event. None of these may throw. */
export interface WatchStreamSink {
  /** Body bytes as they arrive; undefined when nobody counts them. */
  readonly onBytes: ((bytes: number) => void) | undefined;
  /** A line that does not decode; it is skipped. */
  malformed(err: unknown, line: Buffer): void;
  /** The connection failed mid-stream; the stream ends as on EOF (client-go StreamWatcher). */
  connectionLost(err: unknown): void;
  /** The stream ended inside a line of `bytes` bytes, which is dropped. */
  truncated(bytes: number): void;
}

/**
 * Yields the events of `res` until the server ends the stream or the connection drops.
 * Throws the exchange's failure reason (abort, stall, client closed). Closes the exchange when
 * done, however it ends.
 */
export async function* watchEvents(
  ex: HttpExchange,
  res: IncomingMessage,
  strip: boolean,
  sink: WatchStreamSink,
): AsyncGenerator<WatchEvent, void, undefined> {
  const chunks: AsyncIterator<Buffer> = res[Symbol.asyncIterator]();
  const splitter = new WatchLineSplitter();
  const lines: Buffer[] = [];
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      ex.arm();
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one chunk at a time: backpressure
        next = await chunks.next();
      } catch (err) {
        if (ex.failed) throw ex.reason;
        sink.connectionLost(err);
        break;
      } finally {
        ex.disarm();
      }
      if (next.done === true) break;
      const chunk = next.value;
      sink.onBytes?.(chunk.length);
      splitter.push(chunk, lines);
      for (let k = 0; k < lines.length; k++) {
        const line = lines[k]!;
        let event: WatchEvent;
        try {
          event = decodeWatchLine(line, strip);
        } catch (err) {
          sink.malformed(err, line);
          continue;
        }
        yield event;
      }
      lines.length = 0;
    }
    if (ex.failed) throw ex.reason;
    const tail = splitter.end();
    if (tail !== undefined) sink.truncated(tail.length);
  } finally {
    ex.close();
  }
}
