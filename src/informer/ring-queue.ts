/**
 * An unbounded FIFO on a growable power-of-two ring buffer: O(1) push and shift, no
 * `Array.shift()`. Grows by doubling; shrinks back when it empties after growing large.
 */
export class RingQueue<T> {
  #buf: (T | undefined)[];
  #head = 0;
  #length = 0;
  #mask: number;
  readonly #initialCapacity: number;

  /** `initialCapacity` is rounded up to a power of two (default 1024). */
  constructor(initialCapacity = 1024) {
    let cap = 1;
    while (cap < initialCapacity) cap <<= 1;
    this.#initialCapacity = cap;
    this.#buf = emptySlots<T>(cap);
    this.#mask = cap - 1;
  }

  /** Number of queued items. */
  get length(): number {
    return this.#length;
  }

  /** Appends one item. */
  push(item: T): void {
    if (this.#length === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    if (this.#length === 0) {
      this.#head = 0;
      if (this.#buf.length > this.#initialCapacity * 4) this.#reset();
    }
    return item;
  }

  /** Drops every item. */
  clear(): void {
    this.#reset();
  }

  #reset(): void {
    this.#buf = emptySlots<T>(this.#initialCapacity);
    this.#mask = this.#initialCapacity - 1;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const old = this.#buf;
    const next = emptySlots<T>(old.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & this.#mask];
    this.#buf = next;
    this.#mask = next.length - 1;
    this.#head = 0;
  }
}

function emptySlots<T>(n: number): (T | undefined)[] {
  return Array.from<T | undefined>({ length: n });
}
