/**
 * Splits a byte stream into `\n`-terminated lines. Each byte is searched once: a chunk is
 * scanned from where the last line ended with `indexOf(10, from)`, and the unterminated tail is
 * kept as a list of Buffers until the next newline arrives. Lines stay bytes, so a multi-byte
 * UTF-8 character split across chunks is whole again before anything decodes it.
 */
export class WatchLineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /**
   * Appends `chunk` and pushes every completed line (without its `\n`, and without a trailing
   * `\r`) to `out`. Empty lines are skipped. A line may share memory with `chunk`.
   */
  push(chunk: Buffer, out: Buffer[]): void {
    let from = 0;
    const length = chunk.length;
    while (from < length) {
      const nl = chunk.indexOf(10, from);
      if (nl === -1) {
        this.#pending.push(from === 0 ? chunk : chunk.subarray(from));
        this.#pendingBytes += length - from;
        return;
      }
      let line: Buffer;
      if (this.#pendingBytes > 0) {
        this.#pending.push(chunk.subarray(from, nl));
        line = Buffer.concat(this.#pending, this.#pendingBytes + nl - from);
        this.#pending = [];
        this.#pendingBytes = 0;
      } else {
        line = chunk.subarray(from, nl);
      }
      from = nl + 1;
      let stop = line.length;
      if (stop > 0 && line[stop - 1] === 13) stop--;
      if (stop > 0) out.push(stop === line.length ? line : line.subarray(0, stop));
    }
  }

  /** Bytes of an unterminated line held so far (only whitespace counts too). */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Ends the stream: returns the unterminated tail (undefined when there is none or it is only
   * whitespace) and forgets it.
   */
  end(): Buffer | undefined {
    if (this.#pendingBytes === 0) return undefined;
    const tail = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    for (const c of tail) if (c !== 32 && c !== 9 && c !== 13) return tail;
    return undefined;
  }
}
