/**
 * Writing a store's WAL to disk off the thread: `fdatasync` on the `-wal` file in libuv's thread
 * pool, for commits made without a sync of their own (the outbox's ack deletions, see
 * `SqliteOutbox.ack`). One sync runs at a time; requests made while one runs are served by one
 * more sync after it (each covers every commit made before it started).
 */
import { close, fdatasync, open } from "node:fs";

/** Syncs one WAL file on request. */
export class WalSync {
  readonly #path: string;
  #fd: number | undefined;
  /** An open or a sync is under way. */
  #busy = false;
  /** Requested while busy: sync once more after it. */
  #again = false;
  #closed = false;

  /** `path`: the database file's path (the WAL is `<path>-wal`). */
  constructor(path: string) {
    this.#path = `${path}-wal`;
  }

  /**
   * Syncs the WAL soon, without blocking. Failures are not reported: a commit that stays unsynced
   * is synced by the next commit that syncs (SQLite's FULL) or the next checkpoint, and what this
   * syncs (deletions of acknowledged outbox rows) at worst comes back after a power loss, to be
   * sent again and dropped by JetStream as a duplicate.
   */
  request(): void {
    if (this.#closed) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    if (this.#fd !== undefined) {
      this.#sync(this.#fd);
      return;
    }
    // Opened once, read-only (a sync needs no write access); SQLite keeps the file's inode for
    // the connection's life (a checkpoint rewinds or truncates it, never replaces it).
    open(this.#path, "r", (err, fd) => {
      if (err === null) this.#fd = fd;
      // No WAL yet: nothing to sync. Closed meanwhile: `#done` closes the file.
      if (err !== null || this.#closed) this.#done();
      else this.#sync(fd);
    });
  }

  /** Closes the file once the sync under way (if any) is done; later requests do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#busy) this.#closeFd();
  }

  #sync(fd: number): void {
    fdatasync(fd, () => this.#done());
  }

  #done(): void {
    this.#busy = false;
    if (this.#closed) {
      this.#closeFd();
    } else if (this.#again) {
      this.#again = false;
      this.request();
    }
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) close(fd, () => {});
  }
}
