/**
 * A test double of our own `ListWatchClient` interface (not of HTTP): lists from an in-memory
 * state with paging, and watch streams the test drives by hand. For unit tests of the
 * informer's delta logic; integration tests use the simulator over HTTP.
 */
import {
  KubeApiError,
  rawObjectFromObject,
  type ListOptions,
  type ListPage,
  type ListWatchClient,
  type RawObject,
  type ResourceId,
  type WatchEvent,
  type WatchOptions,
} from "../../src/kube/index.ts";

/** Builds a RawObject pod. */
export function pod(
  namespace: string,
  name: string,
  rv: string,
  extra: { uid?: string; labels?: Record<string, string> } = {},
): RawObject {
  return rawObjectFromObject({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      uid: extra.uid ?? `uid-${namespace}-${name}`,
      resourceVersion: rv,
      ...(extra.labels === undefined ? {} : { labels: extra.labels }),
    },
  });
}

/** One hand-driven watch stream. */
export class FakeStream implements AsyncIterable<WatchEvent> {
  readonly options: WatchOptions;
  readonly #queue: (WatchEvent | { end: true } | { error: unknown })[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  readonly #signal: AbortSignal | undefined;

  constructor(options: WatchOptions, signal: AbortSignal | undefined) {
    this.options = options;
    this.#signal = signal;
    signal?.addEventListener("abort", () => this.#kick(), { once: true });
  }

  /** True once the consumer stopped reading (break, abort or end). */
  get closed(): boolean {
    return this.#closed;
  }

  push(ev: WatchEvent): void {
    this.#queue.push(ev);
    this.#kick();
  }

  end(): void {
    this.#queue.push({ end: true });
    this.#kick();
  }

  fail(error: unknown): void {
    this.#queue.push({ error });
    this.#kick();
  }

  #kick(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    try {
      for (;;) {
        if (this.#signal?.aborted === true) throw this.#signal.reason;
        const next = this.#queue.shift();
        if (next === undefined) {
          // oxlint-disable-next-line eslint/no-await-in-loop -- waiting for the test to push
          await new Promise<void>((resolve) => (this.#wake = resolve));
          continue;
        }
        if ("end" in next) return;
        if ("error" in next) throw next.error;
        yield next;
      }
    } finally {
      this.#closed = true;
    }
  }
}

/** The fake client. `state` is what lists return; `listError` makes the next list fail. */
export class FakeClient implements ListWatchClient {
  state = new Map<string, RawObject>();
  rv = "100";
  readonly lists: ListOptions[] = [];
  readonly streams: FakeStream[] = [];
  /** Errors thrown by the next list calls, in order. */
  readonly listErrors: Error[] = [];
  /** Errors thrown by the next watch calls (at the first `next()`), in order. */
  readonly watchErrors: Error[] = [];

  set(obj: RawObject): void {
    this.state.set(obj.namespace === "" ? obj.name : `${obj.namespace}/${obj.name}`, obj);
  }

  list(_resource: ResourceId, options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    this.lists.push(options);
    if (signal?.aborted === true)
      return Promise.reject(new Error("aborted", { cause: signal.reason }));
    const err = this.listErrors.shift();
    if (err !== undefined) return Promise.reject(err);
    const all = [...this.state.values()];
    const start = options.continue === undefined ? 0 : Number(options.continue);
    const limit = options.limit ?? all.length;
    const items = all.slice(start, start + limit);
    const next = start + limit < all.length ? String(start + limit) : undefined;
    return Promise.resolve({
      resourceVersion: this.rv,
      continue: next,
      remainingItemCount: undefined,
      items,
    });
  }

  watch(
    _resource: ResourceId,
    options: WatchOptions,
    signal?: AbortSignal,
  ): AsyncIterable<WatchEvent> {
    const stream = new FakeStream(options, signal);
    const err = this.watchErrors.shift();
    if (err !== undefined) stream.fail(err);
    this.streams.push(stream);
    return stream;
  }

  /** Resolves with stream number `index` (0-based) once it has been opened. */
  async nextWatch(index: number): Promise<FakeStream> {
    await until(() => this.streams.length > index, 5000, `watch #${index}`);
    return this.streams[index]!;
  }
}

/** A `KubeApiError` as the HTTP client would throw it. */
export function apiError(
  statusCode: number,
  reason?: string,
  retryAfterSeconds?: number,
): KubeApiError {
  return new KubeApiError(`HTTP ${statusCode}`, {
    statusCode,
    retryAfterSeconds,
    status:
      reason === undefined
        ? undefined
        : {
            kind: "Status",
            apiVersion: "v1",
            metadata: {},
            status: "Failure",
            reason,
            code: statusCode,
          },
  });
}

/** Waits until `check()` is true, polling every 5 ms; rejects after `ms`. */
export async function until(check: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The `code` of an error-like value. */
export function codeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}

/** The in-stream 410 the API server sends for a watch from a compacted resourceVersion. */
export const EXPIRED_EVENT: WatchEvent = {
  type: "ERROR",
  status: {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    reason: "Expired",
    code: 410,
  },
};
