/**
 * The reflector loop (client-go reflector.go): list (paged, or streamed with WatchList), then
 * watch from the list's resourceVersion; re-watch without relisting after a clean close; relist
 * after 410 and other failures; never give up: every failure goes to the error sink, then the
 * loop waits (backoff with jitter, lengthened by the server's Retry-After) and carries on.
 */
import type { RawObject, WatchEvent } from "../kube/index.ts";
import { Backoff } from "./backoff.ts";
import {
  httpStatus,
  isExpiredError,
  isStalled,
  isTooLargeResourceVersionError,
  isWatchRetriable,
  retryAfterMs,
} from "./classify.ts";
import { listAllPages } from "./list-pager.ts";
import {
  BadWatchEventError,
  VeryShortWatchError,
  WatchErrorEventError,
  WatchListUnsupportedError,
} from "./errors.ts";
import type { WatchEndReason } from "./metrics.ts";
import type { ResolvedOptions } from "./options.ts";
import { sleep } from "./sleep.ts";
import { objectKey } from "./store.ts";
import { errorEventError, watchOptions } from "./watch-request.ts";

/** What the reflector feeds. Implemented by the informer. */
export interface ReflectorTarget {
  /** Replaces the whole cache with `items` (key → object) listed at `resourceVersion`. */
  replace(items: Map<string, RawObject>, resourceVersion: string): void;
  /** Applies one watch change. */
  apply(type: "ADDED" | "MODIFIED" | "DELETED", key: string, obj: RawObject): void;
  /** Prepares an arriving object (transform); undefined (already reported) to skip it. */
  prepare(obj: RawObject): RawObject | undefined;
  /** The error sink (never throws). */
  report(err: unknown, phase: string): void;
  /** A log line (never throws). */
  log(level: "info" | "warn", message: string, fields: Readonly<Record<string, unknown>>): void;
}

const VERY_SHORT_WATCH_MS = 1000;
const END_BOOKMARK_WARN_MS = 10_000;

/** Internal: one reflector per informer. */
export class Reflector {
  readonly #o: ResolvedOptions;
  readonly #target: ReflectorTarget;
  readonly #backoff: Backoff;
  readonly #resourceName: string;
  #lastSyncRV = "";
  #rvUnavailable = false;
  #watchListUsable: boolean;
  #streamSynced = false;
  /** Do the next initial sync with a paged LIST, then try streaming again. */
  #listOnce = false;
  #relistRequested = false;
  #attempt: AbortController | undefined;
  #lastSyncTime: number | undefined;

  constructor(options: ResolvedOptions, target: ReflectorTarget, resourceName: string) {
    this.#o = options;
    this.#target = target;
    this.#resourceName = resourceName;
    this.#watchListUsable = options.watchList !== "off";
    this.#backoff = new Backoff({
      initialMs: options.backoffInitialMs,
      maxMs: options.backoffMaxMs,
      now: options.now,
      random: options.random,
    });
  }

  /** The resourceVersion of the last list or watch event applied ("" before the first sync). */
  get lastSyncResourceVersion(): string {
    return this.#lastSyncRV;
  }

  /**
   * When the cache was last known in sync (`now()` ms): its last list, or the last watch event
   * after it (bookmarks too); undefined before the first sync.
   */
  get lastSyncTime(): number | undefined {
    return this.#lastSyncTime;
  }

  /**
   * Ends the current list or watch and syncs again from a fresh list: the informer replaces its
   * cache, so handlers get the differences as adds, updates and deletes (as after a 410). For a
   * cache found to disagree with the API server.
   */
  requestRelist(): void {
    this.#relistRequested = true;
    this.#attempt?.abort();
  }

  /** Runs until `signal` aborts. Never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      if (this.#relistRequested) {
        this.#relistRequested = false;
        needList = true;
        this.#o.metrics.restart?.({ resource: this.#resourceName, reason: "relist-requested" });
      }
      // Each attempt can be ended alone by requestRelist().
      const attempt = new AbortController();
      this.#attempt = attempt;
      const attemptSignal = AbortSignal.any([signal, attempt.signal]);
      try {
        if (needList) {
          if (this.#watchListUsable && !this.#listOnce) {
            this.#streamSynced = false;
            try {
              // oxlint-disable-next-line eslint/no-await-in-loop -- the loop is sequential by design
              await this.#watch(attemptSignal, true);
            } finally {
              // Past the end bookmark, the stream was a normal watch: re-watch, no relist.
              needList = !this.#streamSynced;
            }
          } else {
            // oxlint-disable-next-line eslint/no-await-in-loop -- the loop is sequential by design
            await this.#list(attemptSignal);
            needList = false;
            this.#listOnce = false;
            // oxlint-disable-next-line eslint/no-await-in-loop -- the loop is sequential by design
            await this.#watch(attemptSignal, false);
          }
        } else {
          // oxlint-disable-next-line eslint/no-await-in-loop -- the loop is sequential by design
          await this.#watch(attemptSignal, false);
        }
        continue;
      } catch (err) {
        if (signal.aborted) break;
        // A requested relist ended this attempt: list again at once, nothing to report.
        if (attempt.signal.aborted) continue;
        let reason = "error";
        let fallback = false;
        if (err instanceof WatchListUnsupportedError && this.#o.watchList === "auto") {
          // client-go falls back to a LIST for this attempt; we also stop trying for good once
          // the server has said it cannot stream (a 4xx, a bookmark without the end
          // annotation). A stream that only ended early (a reset connection looks the same)
          // gets one paged LIST, and the next sync streams again.
          needList = true;
          reason = "watchlist-unsupported";
          fallback = true;
          if (err.definite) {
            this.#watchListUsable = false;
            this.#target.log("info", "streaming list unsupported; using paged LIST", {
              error: err,
            });
          } else {
            this.#listOnce = true;
            this.#target.log("info", "streaming list ended early; one paged LIST", { error: err });
          }
        } else if (isExpiredError(err)) {
          needList = true;
          reason = "expired";
          this.#o.metrics.expired?.(this.#resourceName);
        } else if (isWatchRetriable(err) && !needList) {
          reason = isStalled(err) ? "stalled" : httpStatus(err) === 429 ? "throttled" : "network";
        } else {
          needList = true;
        }
        if (!fallback) this.#target.report(err, reason);
        this.#o.metrics.restart?.({ resource: this.#resourceName, reason });
        // A fallback to a paged LIST is not a failure of the server: list at once.
        const delay = fallback ? 0 : this.#retryDelay(err);
        // oxlint-disable-next-line eslint/no-await-in-loop -- the loop is sequential by design
        await sleep(delay, signal, this.#o.timers);
      }
    }
  }

  /**
   * The wait before the next attempt. The backoff always advances, and a server's Retry-After
   * (capped at twice the backoff maximum) can only lengthen the wait: `Retry-After: 0` on every
   * answer must not turn the loop into a request storm.
   */
  #retryDelay(err: unknown): number {
    const backoffMs = this.#backoff.next();
    const retryAfter = retryAfterMs(err);
    if (retryAfter === undefined) return backoffMs;
    return Math.max(Math.min(retryAfter, 2 * this.#o.backoffMaxMs), backoffMs);
  }

  /** client-go `relistResourceVersion`. */
  #relistRV(): string {
    if (this.#rvUnavailable) return "";
    return this.#lastSyncRV === "" ? this.#o.initialListResourceVersion : this.#lastSyncRV;
  }

  async #list(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await listAllPages(
      this.#o,
      this.#resourceName,
      this.#relistRV(),
      {
        prepare: (obj) => this.#target.prepare(obj),
        fellBack: (expired) => {
          this.#rvUnavailable = true;
          if (expired) this.#o.metrics.expired?.(this.#resourceName);
        },
      },
      signal,
    );
    this.#rvUnavailable = false;
    this.#lastSyncRV = resourceVersion;
    this.#target.replace(items, resourceVersion);
    this.#lastSyncTime = this.#o.now();
  }

  /**
   * One watch stream. With `streaming`, the stream first fills a temporary store that replaces
   * the cache at the initial-events-end bookmark, then goes on as a normal watch. Resolves on a
   * clean close (re-watch); rejects on anything that needs a backoff or a relist.
   */
  async #watch(signal: AbortSignal, streaming: boolean): Promise<void> {
    const o = this.#o;
    const resource = this.#resourceName;
    const startRV = streaming ? (this.#rvUnavailable ? "" : this.#lastSyncRV) : this.#lastSyncRV;
    const options = watchOptions(o, streaming, startRV);
    const started = o.now();
    let events = 0;
    let endReason: WatchEndReason = "error";
    // Synthetic ADDEDs of a watch from ""/"0" are not in RV order: do not record their RV.
    let rvSettled = startRV !== "" && startRV !== "0";
    let initial: Map<string, RawObject> | undefined = streaming ? new Map() : undefined;
    // Like client-go: say so every 10 s while the initial-events-end bookmark is missing.
    let waitingTimer: unknown;
    const warnWaiting = (): void => {
      if (initial === undefined || signal.aborted) return;
      this.#target.log(
        "warn",
        "streaming list: still waiting for the initial-events-end bookmark",
        {
          objects: initial.size,
          seconds: Math.round((o.now() - started) / 1000),
        },
      );
      waitingTimer = o.timers.setTimeout(warnWaiting, END_BOOKMARK_WARN_MS);
    };
    if (streaming) waitingTimer = o.timers.setTimeout(warnWaiting, END_BOOKMARK_WARN_MS);
    o.metrics.watchStarted?.(resource);
    try {
      for await (const ev of o.client.watch(o.resource, options, signal)) {
        events++;
        o.metrics.event?.({ resource, type: ev.type });
        if (o.metrics.lastEventTime !== undefined) {
          o.metrics.lastEventTime({ resource, time: o.now() });
        }
        if (initial !== undefined) {
          if (this.#streamInitial(ev, initial)) {
            this.#rvUnavailable = false;
            this.#streamSynced = true;
            initial = undefined;
            // From here on the stream is a normal watch, in resourceVersion order.
            rvSettled = true;
          }
          continue;
        }
        this.#handleEvent(ev, rvSettled);
        this.#lastSyncTime = o.now();
        if (ev.type !== "ADDED") rvSettled = true;
      }
      if (signal.aborted) {
        endReason = "aborted";
        return;
      }
      const durationMs = o.now() - started;
      if (initial !== undefined) {
        throw new WatchListUnsupportedError(
          "stream ended without the initial-events-end bookmark",
          undefined,
          false,
        );
      }
      endReason = durationMs >= options.timeoutSeconds! * 1000 - 1000 ? "timeout" : "closed";
      if (durationMs < VERY_SHORT_WATCH_MS && events === 0) {
        throw new VeryShortWatchError(durationMs);
      }
    } catch (err) {
      if (signal.aborted) {
        endReason = "aborted";
        throw err;
      }
      if (isExpiredError(err)) endReason = "expired";
      else if (isStalled(err)) endReason = "stalled";
      if (
        streaming &&
        initial !== undefined &&
        (isExpiredError(err) || isTooLargeResourceVersionError(err))
      ) {
        // client-go watchList: the store is untouched; the next stream starts at RV "" (a
        // consistent read) instead of retrying the same unusable resourceVersion forever.
        this.#rvUnavailable = true;
      }
      if (streaming && initial !== undefined && o.watchList === "auto") {
        const status = httpStatus(err) ?? (err instanceof WatchErrorEventError ? err.status : 0);
        if (status >= 400 && status < 500 && status !== 410 && status !== 429) {
          throw new WatchListUnsupportedError(`streaming list refused (${status})`, err);
        }
      }
      throw err;
    } finally {
      if (waitingTimer !== undefined) o.timers.clearTimeout(waitingTimer);
      o.metrics.watchEnded?.({ resource, reason: endReason, events });
    }
  }

  /** Handles one event of the initial stream; true at the end bookmark (cache replaced). */
  #streamInitial(ev: WatchEvent, initial: Map<string, RawObject>): boolean {
    if (ev.type === "ADDED" || ev.type === "MODIFIED") {
      const obj = this.#target.prepare(ev.object);
      if (obj !== undefined) initial.set(objectKey(obj.namespace, obj.name), obj);
    } else if (ev.type === "DELETED") {
      initial.delete(objectKey(ev.object.namespace, ev.object.name));
    } else if (ev.type === "ERROR") {
      throw errorEventError(ev.status, this.#lastSyncRV);
    } else if (ev.type === "BOOKMARK" && ev.initialEventsEnd) {
      // Without an RV the stream cannot be resumed: fail it (backoff, then a new sync).
      if (ev.resourceVersion === "") throw new BadWatchEventError(ev.type, "no resourceVersion");
      this.#lastSyncRV = ev.resourceVersion;
      this.#target.replace(initial, ev.resourceVersion);
      this.#lastSyncTime = this.#o.now();
      return true;
    } else if (this.#o.watchList === "auto") {
      throw new WatchListUnsupportedError("bookmark before the initial-events-end bookmark");
    }
    return false;
  }

  /** Records an event's RV as the last one seen; an empty one is reported and ignored. */
  #recordRV(eventType: string, rv: string): void {
    if (rv === "") {
      this.#target.report(new BadWatchEventError(eventType, "no resourceVersion"), "watch");
      return;
    }
    this.#lastSyncRV = rv;
  }

  #handleEvent(ev: WatchEvent, rvSettled: boolean): void {
    switch (ev.type) {
      case "ADDED":
      case "MODIFIED":
      case "DELETED": {
        // An object the transform fails on is skipped, but a deletion still applies (with the
        // untransformed last state), and the event's RV still counts as seen.
        const prepared = this.#target.prepare(ev.object);
        const obj = prepared ?? (ev.type === "DELETED" ? ev.object : undefined);
        if (obj !== undefined) this.#target.apply(ev.type, objectKey(obj.namespace, obj.name), obj);
        if (rvSettled || ev.type !== "ADDED") this.#recordRV(ev.type, ev.object.resourceVersion);
        return;
      }
      case "BOOKMARK":
        this.#recordRV(ev.type, ev.resourceVersion);
        return;
      case "ERROR":
        throw errorEventError(ev.status, this.#lastSyncRV);
    }
  }
}
