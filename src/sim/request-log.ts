/**
 * A recorder of every HTTP request a simulated cluster receives, each classified as the
 * apiserver's authorizer would see it ({@link requestInfo}): what a least-privilege RBAC test
 * checks against a role.
 *
 * It listens on Node's built-in `http.server.request.start` diagnostics channel, which
 * `node:http` publishes for every request any server of this process accepts, before the
 * server's handler runs; it keeps the requests whose server listens on the cluster's address.
 * So it sees every request the simulator receives, discovery, metrics.k8s.io and requests the
 * simulator answers with an error included, without a hook in the simulator's handlers. The
 * subscription lasts from {@link recordRequests} until `stop()`: nothing is recorded, and no
 * subscriber is left, outside that window.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage, Server } from "node:http";
import { requestInfo, type RequestInfo } from "./request-info.ts";

const CHANNEL = "http.server.request.start";

/** One recorded request. */
export interface RecordedRequest extends RequestInfo {
  /** The HTTP method as sent. */
  readonly method: string;
  /** The query string without `?` ("" when none). */
  readonly query: string;
  /** When it arrived (ms since the epoch). */
  readonly time: number;
}

/** The requests recorded since {@link recordRequests} (or the last `clear()`). */
export interface RequestLog extends Disposable {
  /** A copy of the recorded requests, oldest first. */
  entries(): RecordedRequest[];
  /** Forgets what was recorded; recording goes on. */
  clear(): void;
  /** Stops recording (idempotent); `entries()` still returns what was recorded. */
  stop(): void;
  /** True until `stop()`. */
  readonly recording: boolean;
}

/** What identifies the server to record: a simulated cluster's `url` ("http://127.0.0.1:PORT"). */
export interface RecordTarget {
  readonly url: string;
}

function hostOf(address: string): string {
  return address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
}

function isMessage(m: unknown): m is { request: IncomingMessage; server: Server } {
  return (
    typeof m === "object" &&
    m !== null &&
    typeof Reflect.get(m, "request") === "object" &&
    typeof Reflect.get(m, "server") === "object"
  );
}

/**
 * Starts recording every request received by the server listening at `target.url` (a
 * `SimulatedCluster`). The server is recognized by its address: after the cluster closes, a
 * server listening later on the same address and port would be recorded too, so stop the log
 * with the cluster.
 * The recorder keeps every request until `clear()` (unbounded: meant for a test's window).
 * `clock` stamps each entry's `time` (default `Date.now`).
 */
export function recordRequests(target: RecordTarget, clock: () => number = Date.now): RequestLog {
  const url = new URL(target.url);
  const host = hostOf(url.hostname);
  const port = Number(url.port);
  let entries: RecordedRequest[] = [];
  let recording = true;

  const onRequest = (message: unknown): void => {
    if (!isMessage(message)) return;
    const address = message.server.address();
    if (address === null || typeof address === "string") return;
    if (address.port !== port || address.address !== host) return;
    const method = message.request.method ?? "GET";
    const requestUrl = message.request.url ?? "/";
    const q = requestUrl.indexOf("?");
    entries.push({
      ...requestInfo(method, requestUrl),
      method,
      query: q === -1 ? "" : requestUrl.slice(q + 1),
      time: clock(),
    });
  };
  subscribe(CHANNEL, onRequest);

  const stop = (): void => {
    if (!recording) return;
    recording = false;
    unsubscribe(CHANNEL, onRequest);
  };
  return {
    entries: () => [...entries],
    clear() {
      entries = [];
    },
    stop,
    get recording() {
      return recording;
    },
    [Symbol.dispose]: stop,
  };
}
