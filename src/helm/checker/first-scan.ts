/**
 * The checker's first complete scan: the cluster's version, discovery settled, and (at a cold
 * start) the payload prefetch committed page by page, then a full reconcile; retried with
 * backoff until it succeeds or the checker closes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { untilAborted } from "./abortable.ts";
import type { PrefetchedScan } from "./prefetch.ts";

/** What the first scan does, step by step (the checker's side). */
export interface FirstScanSteps {
  /** Nothing is known yet (no stored state): prefetch payloads while discovery lists. */
  readonly cold: boolean;
  /** Starts the prefetch; `sink` receives each scanned page. */
  prefetch(sink: (scanned: PrefetchedScan[]) => Promise<void>): Promise<unknown>;
  /** Reads /version and plans the targets; rejects when it cannot. */
  refreshVersion(): Promise<void>;
  /** The targets are known: prefetched pages may be evaluated from now on. */
  targetsKnown(): void;
  /** Resolves when discovery has listed every scope. */
  settled(signal: AbortSignal): Promise<void>;
  /** Evaluates and commits prefetched scans, noting their storage uids in `committed`. */
  commitPrefetched(scanned: PrefetchedScan[], committed: Set<string>): void;
  /** The full reconcile; `prefetched` are the storage uids the prefetch committed. */
  reconcile(prefetched: ReadonlySet<string>): Promise<unknown>;
  /** A failed attempt (retried after the backoff). */
  failed(err: unknown): void;
}

/**
 * Runs the first scan; retries with backoff (1 s doubling to 30 s). Resolves true once it
 * succeeded, false when `signal` aborted first. Never rejects.
 */
export async function runFirstScan(steps: FirstScanSteps, signal: AbortSignal): Promise<boolean> {
  const targetsKnown = Promise.withResolvers<void>();
  const committed = new Set<string>();
  let prefetch = steps.cold
    ? steps.prefetch(async (scanned) => {
        // Findings are computed at the targets: a page waits for them (read early, held briefly).
        await untilAborted(targetsKnown.promise, signal);
        steps.commitPrefetched(scanned, committed);
      })
    : undefined;
  for (let delay = 1000; !signal.aborted; delay = Math.min(delay * 2, 30_000)) {
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- retries are sequential
      await steps.refreshVersion();
      steps.targetsKnown();
      targetsKnown.resolve();
      // oxlint-disable-next-line eslint/no-await-in-loop -- retries are sequential
      await steps.settled(signal);
      // oxlint-disable-next-line eslint/no-await-in-loop -- retries are sequential
      if (prefetch !== undefined) await prefetch;
      prefetch = undefined;
      // oxlint-disable-next-line eslint/no-await-in-loop -- retries are sequential
      await steps.reconcile(committed);
      return true;
    } catch (err) {
      if (signal.aborted) return false;
      steps.failed(err);
    }
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- backoff between retries
      await sleep(delay, undefined, { signal, ref: false });
    } catch {
      return false;
    }
  }
  return false;
}
