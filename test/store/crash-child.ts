/**
 * A process for the crash tests (not a test file). Usage: `node crash-child.ts <path> <mode> <n>`
 * Each batch `k` is one `store.transaction`: `n` new snapshots (`obj.<k*n+i>`) and `n` outbox
 * rows. Prints one line per committed batch: `committed <k>`.
 *   inside: commits batch 0, prints `wal <bytes>` (the -wal's size), then in batch 1 prints
 *     `inside` after writing it and blocks, so the parent can kill it mid-transaction.
 *   loop: commits batches until killed.
 *   ack: twice, commits a batch and acknowledges its outbox rows of an even index (a deletion
 *     committed without its own sync); then prints `acked` and blocks.
 */
import { statSync } from "node:fs";
import { openStore } from "../../src/store/index.ts";
import { outboxEvent, snapshotRow } from "./support.ts";

const [path = "", mode = "", count = "100"] = process.argv.slice(2);
const n = Number(count);
const store = openStore({ path });

function batch(k: number, inside: () => void): void {
  store.transaction(() => {
    for (let i = 0; i < n; i++) store.snapshots.put(snapshotRow(k * n + i, "r"));
    store.outbox.append(Array.from({ length: n }, (_, i) => outboxEvent(k * n + i, 2000)));
    inside();
  });
  process.stdout.write(`committed ${k}\n`);
}

if (mode === "inside") {
  batch(0, () => {});
  process.stdout.write(`wal ${statSync(`${path}-wal`).size}\n`);
  batch(1, () => {
    process.stdout.write("inside\n");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  });
} else if (mode === "ack") {
  for (const k of [0, 1]) {
    batch(k, () => {});
    const even = store.outbox.read(0, 2 * n).filter((r) => /^uid-\d*[02468]:/.test(r.msgId));
    store.outbox.ack(even.map((r) => r.id));
  }
  process.stdout.write("acked\n");
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
} else if (mode === "loop") {
  for (let k = 0; k < 100_000; k++) batch(k, () => {});
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exitCode = 2;
}
store.close();
