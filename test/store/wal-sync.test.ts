import assert from "node:assert/strict";
import { readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WalSync } from "../../src/store/wal-sync.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { until } from "../support/lookout-setup.ts";
import { tempDir } from "./support.ts";

after(assertNoActiveHandles);

/** Open file descriptors of this process naming `path`. */
function fdsOf(path: string): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile (the readdir's own descriptor)
    }
  }
  return n;
}

void test("WalSync: opens the -wal once, keeps it open between syncs, and closes it on close", async (t) => {
  const path = join(tempDir(t), "s.db");
  writeFileSync(`${path}-wal`, "x");
  const sync = new WalSync(path);
  for (let i = 0; i < 5; i++) sync.request();
  // The file is opened once and kept open between syncs.
  await until("the -wal opened", () => fdsOf(`${path}-wal`) > 0, 5000);
  await sleep(50);
  assert.equal(fdsOf(`${path}-wal`), 1);
  sync.request();
  sync.close();
  sync.request(); // after close: nothing
  await until("the -wal closed", () => fdsOf(`${path}-wal`) === 0, 5000);
});

void test("WalSync: no -wal yet is nothing to sync; close before the open finished", async (t) => {
  const path = join(tempDir(t), "none.db");
  const sync = new WalSync(path);
  sync.request();
  await sleep(20);
  assert.equal(fdsOf(`${path}-wal`), 0);
  writeFileSync(`${path}-wal`, "x");
  sync.request();
  sync.close(); // while its open is under way: the file is closed as soon as it opens
  await sleep(50);
  assert.equal(fdsOf(`${path}-wal`), 0);
});
