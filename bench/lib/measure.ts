/** Small measuring helpers shared by the benchmarks. */
import { monitorEventLoopDelay } from "node:perf_hooks";

/** Runs a full GC (the benchmark runs with --expose-gc) and returns heap + array buffers in bytes. */
export function settledMemory(): number {
  const gc: unknown = Reflect.get(globalThis, "gc");
  if (typeof gc !== "function")
    throw new Error("run benchmarks through `npm run bench` (needs --expose-gc)");
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Counts events up to `target`; `done` resolves with the time from the first to the last. */
export class EventCounter {
  count = 0;
  #first = 0;
  #target: number;
  #resolve: (ms: number) => void = () => {};
  readonly done: Promise<number>;

  constructor(target: number) {
    this.#target = target;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Call once per event. */
  hit(): void {
    const n = ++this.count;
    if (n === 1) this.#first = performance.now();
    if (n === this.#target) this.#resolve(performance.now() - this.#first);
  }
}

/** Events per second over `ms` for `events` events (the first event starts the clock). */
export function rate(events: number, ms: number): number {
  return ms <= 0 ? 0 : Math.round(((events - 1) * 1000) / ms);
}

/** Starts an event-loop delay monitor; `stop()` returns the worst delay seen, in ms. */
export function watchEventLoop(): { stop(): number } {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      return Math.round(histogram.max / 1e6);
    },
  };
}

/** Rounds to 3 significant decimals for the printed ratios. */
export function ratio(a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a / b) * 1000) / 1000;
}
