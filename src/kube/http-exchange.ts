/**
 * One HTTP GET and its lifecycle: the abort signal and the stall timer both end it by
 * destroying the request (and so the socket) at once, and remember why, so that whatever the
 * stream reports next can be replaced by that reason.
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { WatchStalledError } from "./errors.ts";

/** Timer functions for stall timers: a seam for tests (see `KubeClientOptions.timers`). */
export interface Timers {
  /** Calls `callback` once after `ms`; returns a handle for {@link Timers.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer that has not fired yet; a handle of a fired timer is a no-op. */
  clearTimeout(handle: unknown): void;
}

/** Global timers, unref'd so that a stall timer never keeps the process alive. */
export const UNREF_TIMERS: Timers = {
  setTimeout(callback, ms) {
    return setTimeout(callback, ms).unref();
  },
  clearTimeout(handle) {
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- only ever our own handles
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export class HttpExchange {
  readonly req: ClientRequest;
  /** Resolves with the response once its headers arrive; rejects with the failure reason. */
  readonly response: Promise<IncomingMessage>;
  #reason: unknown = undefined;
  #failed = false;
  #res: IncomingMessage | undefined;
  #signal: AbortSignal | undefined;
  readonly #timers: Timers;
  readonly #stallTimeoutMs: number | undefined;
  /** The pending stall timer's handle while the clock runs. */
  #timer: unknown = undefined;
  #closed = false;
  readonly #registry: Set<HttpExchange>;

  constructor(
    options: RequestOptions,
    secure: boolean,
    signal: AbortSignal | undefined,
    stallTimeoutMs: number | undefined,
    registry: Set<HttpExchange>,
    timers: Timers = UNREF_TIMERS,
    body?: Buffer,
  ) {
    this.#timers = timers;
    this.#stallTimeoutMs = stallTimeoutMs;
    this.#registry = registry;
    registry.add(this);
    this.req = secure ? httpsRequest(options) : httpRequest(options);
    this.#signal = signal;
    this.response = new Promise((resolve, reject) => {
      this.req.on("response", (res) => {
        this.#res = res;
        // Errors after the hand-off reach whoever reads the stream; this keeps a destroyed,
        // unread response from raising an unhandled 'error'.
        res.on("error", () => {});
        resolve(res);
      });
      this.req.on("error", (err) => reject(this.#failed ? this.#reason : err));
    });
    // The caller awaits `response`; a rejection after a failure must not go unhandled.
    this.response.catch(() => {});
    // The clock runs from the start: no response headers for that long is a stall too.
    this.arm();
    signal?.addEventListener("abort", this.#onAbort);
    this.req.end(body);
  }

  #onAbort = (): void => {
    this.fail(this.#signal?.reason);
  };

  /** The response once its headers arrived. */
  get res(): IncomingMessage | undefined {
    return this.#res;
  }

  /** Whether {@link fail} was called (abort or stall). */
  get failed(): boolean {
    return this.#failed;
  }

  /** The reason given to the first {@link fail}. */
  get reason(): unknown {
    return this.#reason;
  }

  /** Ends the exchange now with `reason` (first reason wins). */
  fail(reason: unknown): void {
    if (!this.#failed) {
      this.#failed = true;
      this.#reason = reason;
    }
    this.req.destroy();
  }

  /** Starts (or restarts) the stall clock: call right before waiting for bytes. */
  arm(): void {
    const ms = this.#stallTimeoutMs;
    if (ms === undefined || this.#closed) return;
    this.disarm();
    this.#timer = this.#timers.setTimeout(this.#onStall, ms);
  }

  /** Stops the stall clock while the consumer, not the server, is the one we wait for. */
  disarm(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #onStall = (): void => {
    this.#timer = undefined;
    this.fail(new WatchStalledError(this.#stallTimeoutMs ?? 0));
  };

  /** Releases the timer and the abort listener; destroys the socket unless the body was read. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#registry.delete(this);
    this.disarm();
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (this.#res?.complete !== true) this.req.destroy();
  }
}
