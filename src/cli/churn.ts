import type { SimulatedCluster } from "../sim/index.ts";

/**
 * Drives pod churn on a simulated cluster at `ratePerSec` until `signal` aborts, one second's
 * worth of changes per round. Resolves when stopped.
 */
export async function runChurn(
  cluster: SimulatedCluster,
  ratePerSec: number,
  signal: AbortSignal,
): Promise<void> {
  let seed = 1;
  while (!signal.aborted) {
    try {
      await cluster.load.churn({ resource: "pods", count: ratePerSec, ratePerSec, seed: seed++, signal });
    } catch (error: unknown) {
      if (signal.aborted) return;
      throw error;
    }
  }
}
