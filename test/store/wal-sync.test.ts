import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WalSync } from "../../src/store/wal-sync.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { tempDir } from "./support.ts";

after(assertNoActiveHandles);

/** Open file descriptors of this process naming `path`. */
async function fdsOf(path: string): Promise<number> {
  const { readdir, readlink } = await import("node:fs/promises");
  let n = 0;
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
    if (target === path) n++;
  }
  return n;
}

void test("WalSync: opens the -wal once, keeps it open between syncs, and closes it on close", async (t) => {
  const path = join(tempDir(t), "s.db");
  writeFileSync(`${path}-wal`, "x");
  const sync = new WalSync(path);
  for (let i = 0; i < 5; i++) sync.request();
  // The file is opened once and kept open between syncs.
  for (let i = 0; (await fdsOf(`${path}-wal`)) === 0; i++) {
    assert.ok(i < 200, "the -wal was never opened");
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(5);
  }
  await sleep(50);
  assert.equal(await fdsOf(`${path}-wal`), 1);
  sync.request();
  sync.close();
  sync.request(); // after close: nothing
  for (let i = 0; (await fdsOf(`${path}-wal`)) > 0; i++) {
    assert.ok(i < 200, "the -wal was not closed");
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(5);
  }
});

void test("WalSync: no -wal yet is nothing to sync; close before the open finished", async (t) => {
  const path = join(tempDir(t), "none.db");
  const sync = new WalSync(path);
  sync.request();
  await sleep(20);
  assert.equal(await fdsOf(`${path}-wal`), 0);
  writeFileSync(`${path}-wal`, "x");
  sync.request();
  sync.close(); // while its open is under way: the file is closed as soon as it opens
  await sleep(50);
  assert.equal(await fdsOf(`${path}-wal`), 0);
});
