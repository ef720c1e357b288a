/**
 * The tinypool worker entry: one task is one release payload. Results, including bad-input
 * errors (as {@link ScanIssue} data with their code), are returned, never thrown across the
 * thread boundary.
 *
 * tinypool 2.2.0 loads a worker file with `import(filename)`, and Node 24 strips types in
 * worker threads as in the main thread, so this `.ts` file (and the `.ts` files it imports) is
 * the worker entry itself: no `.js` shim is needed (checked by the pool tests).
 */
import type { DecodeLimits } from "./payload.ts";
import { scanRelease, type ScanInput, type ScanResult } from "./scan-release.ts";

/** One task sent to a worker. */
export interface ScanTask extends ScanInput {
  limits: DecodeLimits;
}

/** Scans one release payload (see `scanRelease`). */
export default function scanTask(task: ScanTask): ScanResult {
  return scanRelease(task, task.limits);
}

/** Scans several payloads in one task (fewer thread round trips); results in input order. */
export function scanBatch(tasks: ScanTask[]): ScanResult[] {
  return tasks.map((task) => scanRelease(task, task.limits));
}
