/**
 * A timer seam for informers that counts live timers, because `process.getActiveResourcesInfo()`
 * does not list unref'd timers (the informer's default timers are unref'd). Also records the
 * delay of every timer set, for backoff assertions.
 */
import type { InformerTimers } from "../../src/informer/index.ts";

/** Counting timers: `live` is the number of timers set and neither fired nor cleared. */
export interface CountingTimers extends InformerTimers {
  readonly live: number;
  /** The `ms` of every `setTimeout`, in order. */
  readonly delays: number[];
}

/** New counting timers over the global timers (unref'd, like the informer's default). */
export function countingTimers(): CountingTimers {
  const pending = new Map<unknown, NodeJS.Timeout>();
  const delays: number[] = [];
  return {
    get live() {
      return pending.size;
    },
    delays,
    setTimeout(fn, ms) {
      delays.push(ms);
      const token = {};
      const handle = setTimeout(() => {
        pending.delete(token);
        fn();
      }, ms);
      handle.unref();
      pending.set(token, handle);
      return token;
    },
    clearTimeout(token) {
      const handle = pending.get(token);
      if (handle === undefined) return;
      pending.delete(token);
      clearTimeout(handle);
    },
  };
}

/**
 * Timers that fire after `realMs` whatever delay is asked, recording each asked delay in
 * `delays`: for tests of long waits (Retry-After, 10 s warnings) that must not take that long.
 */
export function fastTimers(realMs: number): InformerTimers & { readonly delays: number[] } {
  const handles = new Map<unknown, NodeJS.Timeout>();
  const delays: number[] = [];
  return {
    delays,
    setTimeout(fn, ms) {
      delays.push(ms);
      const token = {};
      handles.set(token, setTimeout(fn, realMs));
      return token;
    },
    clearTimeout(token) {
      clearTimeout(handles.get(token));
      handles.delete(token);
    },
  };
}
