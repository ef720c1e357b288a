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

/** Rejects when `promise` has not settled within `ms`, naming `what`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Times several rounds of `perRound` events each (a VM's noise is large; the median of a few
 * rounds is steadier than one). `hit()` feeds the current round.
 */
export class RoundCounter {
  readonly #perRound: number;
  #current: EventCounter;

  constructor(perRound: number) {
    this.#perRound = perRound;
    this.#current = new EventCounter(perRound);
  }

  /** Call once per event. */
  hit(): void {
    this.#current.hit();
  }

  /**
   * Runs `rounds` rounds; `start` makes a round's events happen. Resolves with the median time
   * from a round's first to its last event, in ms.
   */
  async median(rounds: number, start: () => Promise<unknown>, what: string): Promise<number> {
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      this.#current = new EventCounter(this.#perRound);
      // oxlint-disable-next-line eslint/no-await-in-loop -- rounds run one after another
      await start();
      // oxlint-disable-next-line eslint/no-await-in-loop -- rounds run one after another
      times.push(await within(this.#current.done, 600_000, what));
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  }
}
