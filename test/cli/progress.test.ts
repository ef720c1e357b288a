import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createProgress } from "../../src/cli/progress.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

const ERASE = "\r\u001b[2K";

void test("draws on a TTY at most once per 100 ms, first update immediately, erased at the end", () => {
  const writes: string[] = [];
  let clock = 0;
  const progress = createProgress({ write: (t) => writes.push(t), isTTY: true, now: () => clock });
  for (let done = 1; done <= 200; done++) {
    progress.update(done, 200);
    clock += 10; // 200 updates over two seconds
  }
  assert.equal(writes[0], `${ERASE}checked 1/200 (0%)`);
  assert.ok(writes.length >= 19 && writes.length <= 21, `${writes.length} redraws in 2 s`);
  const drawnAt = writes.map((w) => Number(/ (\d+)\//.exec(w)?.[1]));
  for (let i = 1; i < drawnAt.length; i++) {
    assert.ok(drawnAt[i]! - drawnAt[i - 1]! >= 10, `redraws ${drawnAt[i - 1]} and ${drawnAt[i]}`);
  }
  progress.clear();
  assert.equal(writes.at(-1), ERASE);
  const count = writes.length;
  progress.clear();
  progress.update(200, 200);
  assert.equal(writes.length, count, "clear is idempotent and ends the line");
});

void test("draws nothing when stderr is not a terminal", () => {
  const writes: string[] = [];
  const progress = createProgress({ write: (t) => writes.push(t), isTTY: false, label: "x" });
  progress.update(1, 2);
  progress.update(2, 2);
  progress.clear();
  assert.deepEqual(writes, []);
});

void test("clear without any draw writes nothing", () => {
  const writes: string[] = [];
  createProgress({ write: (t) => writes.push(t), isTTY: true }).clear();
  assert.deepEqual(writes, []);
});
