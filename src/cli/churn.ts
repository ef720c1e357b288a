import { setTimeout as sleep } from "node:timers/promises";
import type { SimulatedCluster } from "../sim/index.ts";

/** The namespaces `load.seed` spreads objects over. */
export const SEED_NAMESPACES: readonly string[] = Array.from({ length: 10 }, (_, i) => `ns-${i}`);

/**
 * Drives pod churn (creates, updates, deletes) on a simulated cluster at `ratePerSec` until
 * `signal` aborts, one second's worth of changes per round. Resolves when stopped.
 */
export async function runChurn(
  cluster: SimulatedCluster,
  ratePerSec: number,
  signal: AbortSignal,
): Promise<void> {
  for (let seed = 1; !signal.aborted; seed++) {
    const started = performance.now();
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds run one after another on purpose
    await cluster.load.churn({
      resource: "pods",
      count: ratePerSec,
      ratePerSec,
      seed,
      namespaces: [...SEED_NAMESPACES],
      signal,
    });
    // A round's first change is due at once and its last one before the second is over (at
    // 1/s that is the only one): wait out the second, or the rounds would follow each other
    // without ever yielding to the event loop.
    const left = 1000 - (performance.now() - started);
    if (left > 0) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- pacing between rounds
      await sleep(left, undefined, { signal }).catch(() => undefined);
    }
  }
}
