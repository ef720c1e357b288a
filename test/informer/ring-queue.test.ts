import assert from "node:assert/strict";
import { test } from "node:test";
import { RingQueue } from "../../src/informer/index.ts";
import { mulberry32 as seededRandom } from "../../src/sim/index.ts";

void test("RingQueue keeps FIFO order across growth and wrap-around", () => {
  const q = new RingQueue<number>(4);
  let next = 0;
  let expect = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < round; i++) q.push(next++);
    for (let i = 0; i < Math.floor(round / 2); i++) assert.equal(q.shift(), expect++);
  }
  while (q.length > 0) assert.equal(q.shift(), expect++);
  assert.equal(expect, next);
  assert.equal(q.shift(), undefined);
});

void test("RingQueue matches an array model under random operations", (t) => {
  const seed = Number(process.env.RING_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed}`);
  const random = seededRandom(seed);
  const q = new RingQueue<number>(2);
  const model: number[] = [];
  let head = 0;
  try {
    for (let i = 0; i < 20_000; i++) {
      if (random() < 0.55) {
        q.push(i);
        model.push(i);
      } else {
        assert.equal(q.shift(), head < model.length ? model[head++] : undefined);
      }
      assert.equal(q.length, model.length - head);
      if (random() < 0.001) {
        q.clear();
        head = model.length;
      }
    }
  } catch (err) {
    console.error(`RingQueue random test failed with seed ${seed} (replay: RING_SEED=${seed})`);
    throw err;
  }
});
