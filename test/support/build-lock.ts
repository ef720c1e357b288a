/**
 * One `npm run build` at a time across test processes: tests that build `dist/` (the README's
 * build step, `npm pack`'s prepack) or read it hold this lock, so none reads a file another is
 * writing. The lock is a directory in `.tmp/` (mkdir is atomic); a lock older than five minutes
 * is taken to be left by a killed run.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const LOCK = fileURLToPath(new URL("../../.tmp/build.lock", import.meta.url));
const STALE_MS = 5 * 60_000;

function tryLock(): boolean {
  try {
    mkdirSync(LOCK, { recursive: false });
    return true;
  } catch {
    try {
      if (Date.now() - statSync(LOCK).mtimeMs > STALE_MS) rmSync(LOCK, { recursive: true });
    } catch {
      // gone meanwhile: try again
    }
    return false;
  }
}

/** Runs `fn` holding the build lock (waits up to `waitMs` for it). */
export async function withBuildLock<T>(fn: () => Promise<T>, waitMs = 180_000): Promise<T> {
  mkdirSync(fileURLToPath(new URL("../../.tmp", import.meta.url)), { recursive: true });
  const deadline = Date.now() + waitMs;
  while (!tryLock()) {
    if (Date.now() > deadline) throw new Error(`the build lock ${LOCK} was held too long`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the lock
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
