/**
 * Drives the demo's workload in real time: every 250 ms the pods started by the previous tick
 * run, and `churnRate` actions per second are applied (fractions carry over); usages move every
 * 2 s; a Helm release is upgraded or rolled back every `helmEverySeconds`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { HelmStep } from "./demo-helm.ts";
import type { DemoWorkload } from "./demo-workload.ts";

const TICK_MS = 250;
const USAGE_EVERY_TICKS = 8;

/** Options of {@link driveWorkload}. */
export interface DriveOptions {
  /** Actions per second (0: none). */
  readonly churnRate: number;
  /** Seconds between Helm steps (0: none). */
  readonly helmEverySeconds: number;
  /** Ends the loop. */
  readonly signal: AbortSignal;
  /** Called after each Helm step. */
  readonly onHelm?: (step: HelmStep) => void;
  /** Called when an action throws (the loop carries on). */
  readonly onError?: (error: unknown) => void;
}

/** Runs until `signal` aborts, then resolves. Never rejects. */
export async function driveWorkload(workload: DemoWorkload, options: DriveOptions): Promise<void> {
  const { signal } = options;
  const helmEveryTicks = Math.round((options.helmEverySeconds * 1000) / TICK_MS);
  let credit = 0;
  for (let tick = 1; !signal.aborted; tick++) {
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one tick after another
      await sleep(TICK_MS, undefined, { signal });
    } catch {
      return; // aborted
    }
    try {
      workload.settle();
      credit += (options.churnRate * TICK_MS) / 1000;
      for (; credit >= 1; credit--) workload.step();
      if (tick % USAGE_EVERY_TICKS === 0) workload.moveUsage();
      if (helmEveryTicks > 0 && tick % helmEveryTicks === 0) {
        const step = workload.helmStep();
        if (step !== undefined) options.onHelm?.(step);
      }
    } catch (error: unknown) {
      options.onError?.(error);
    }
  }
}
