/**
 * The watch history: a bounded ring of stored events in resourceVersion order. Evicting an
 * event compacts the history up to its RV: a watch from an older RV must get 410 Expired.
 */
import type { StoredEvent } from "./stored.ts";

/** A fixed-capacity ring buffer of events, oldest first. */
export class History {
  readonly #ring: (StoredEvent | undefined)[];
  #head = 0; // index of the oldest event
  #size = 0;
  /** Every event with rv <= compactedRv is forgotten. */
  #compactedRv = 0;

  constructor(capacity: number) {
    this.#ring = Array.from({ length: Math.max(1, capacity) });
  }

  /** The RV up to which history is forgotten: watches from an RV below it are expired. */
  get compactedRv(): number {
    return this.#compactedRv;
  }

  /** Number of events held. */
  get size(): number {
    return this.#size;
  }

  /** Appends an event, evicting (and compacting up to) the oldest one when full. */
  push(event: StoredEvent): void {
    const cap = this.#ring.length;
    if (this.#size === cap) {
      const oldest = this.#ring[this.#head]!;
      this.#compactedRv = oldest.rv;
      this.#ring[this.#head] = event;
      this.#head = (this.#head + 1) % cap;
    } else {
      this.#ring[(this.#head + this.#size) % cap] = event;
      this.#size++;
    }
  }

  /** Forgets every event: history now starts at `rv`. */
  compact(rv: number): void {
    this.#ring.fill(undefined);
    this.#head = 0;
    this.#size = 0;
    this.#compactedRv = rv;
  }

  #at(i: number): StoredEvent {
    return this.#ring[(this.#head + i) % this.#ring.length]!;
  }

  /** Index of the first event with rv > `rv` (binary search; RVs increase). */
  #firstAfter(rv: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at(mid).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Events with rv > `rv`, oldest first. The caller checks `rv >= compactedRv` first. */
  *after(rv: number): Generator<StoredEvent> {
    for (let i = this.#firstAfter(rv); i < this.#size; i++) yield this.#at(i);
  }

  /** Events with rv > `rv`, newest first. */
  *newestDownTo(rv: number): Generator<StoredEvent> {
    const stop = this.#firstAfter(rv);
    for (let i = this.#size - 1; i >= stop; i--) yield this.#at(i);
  }
}
