/**
 * Recent samples per workload, in memory: a bounded ring per workload (at most `maxSamples`,
 * none older than `maxAgeMs`), and workloads without a recent sample forgotten.
 */

/** One collection's usage of a workload. */
export interface Sample {
  /** When the collection ended (ms since the epoch). */
  readonly time: number;
  /** CPU in cores. */
  readonly cpu: number;
  /** Memory in bytes. */
  readonly memory: number;
  /** Pods summed. */
  readonly pods: number;
}

/** A fixed-capacity ring of samples, oldest overwritten first. */
class Ring {
  readonly #items: (Sample | undefined)[];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#items = Array.from({ length: capacity });
  }

  push(s: Sample): void {
    this.#items[this.#next] = s;
    this.#next = (this.#next + 1) % this.#items.length;
    this.#size = Math.min(this.#size + 1, this.#items.length);
  }

  /** Oldest first. */
  toArray(): Sample[] {
    const out: Sample[] = [];
    const cap = this.#items.length;
    for (let i = 0; i < this.#size; i++) {
      const s = this.#items[(this.#next - this.#size + i + cap) % cap];
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  newest(): Sample | undefined {
    if (this.#size === 0) return undefined;
    return this.#items[(this.#next - 1 + this.#items.length) % this.#items.length];
  }
}

/** Samples by workload key, bounded by count and age. */
export class SampleStore {
  readonly #maxSamples: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #rings = new Map<string, Ring>();

  constructor(maxSamples: number, maxAgeMs: number, now: () => number) {
    this.#maxSamples = maxSamples;
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** Number of workloads with samples kept. */
  get size(): number {
    return this.#rings.size;
  }

  /** Appends a sample to the workload's ring. */
  add(key: string, sample: Sample): void {
    let ring = this.#rings.get(key);
    if (ring === undefined) {
      ring = new Ring(this.#maxSamples);
      this.#rings.set(key, ring);
    }
    ring.push(sample);
  }

  /** The workload's samples younger than the age limit, oldest first ([] when none). */
  get(key: string): Sample[] {
    const cutoff = this.#now() - this.#maxAgeMs;
    return (this.#rings.get(key)?.toArray() ?? []).filter((s) => s.time >= cutoff);
  }

  /** Forgets the workloads whose newest sample is past the age limit. */
  expire(): void {
    const cutoff = this.#now() - this.#maxAgeMs;
    for (const [key, ring] of this.#rings) {
      if ((ring.newest()?.time ?? -Infinity) < cutoff) this.#rings.delete(key);
    }
  }
}
