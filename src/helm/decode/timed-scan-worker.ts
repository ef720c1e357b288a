/**
 * The pool's worker entry: the tasks of `scan-worker.ts`, each returning how long it ran on the
 * worker thread beside its result, so that the pool can tell its utilization (tinypool 2.2.0
 * measures no task run time). Loaded by tinypool with `import(filename)`, as `scan-worker.ts`.
 */
import type { ScanResult } from "./scan-release.ts";
import scanTask, { scanBatch, type ScanTask } from "./scan-worker.ts";

/** A task's result and the milliseconds it ran on the worker. */
export interface Timed<T> {
  readonly value: T;
  readonly busyMs: number;
}

/** Scans one release payload (see `scanTask`), timed. */
export default function timedScanTask(task: ScanTask): Timed<ScanResult> {
  const t0 = performance.now();
  const value = scanTask(task);
  return { value, busyMs: performance.now() - t0 };
}

/** Scans several payloads in one task (see `scanBatch`), timed. */
export function timedScanBatch(tasks: ScanTask[]): Timed<ScanResult[]> {
  const t0 = performance.now();
  const value = scanBatch(tasks);
  return { value, busyMs: performance.now() - t0 };
}
