import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "../../src/informer/index.ts";

void test("backoff doubles from 800 ms to a 30 s cap, each delay uniform in [d, 2d) capped at the max", () => {
  let now = 0;
  const base = [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000];
  const bottom = new Backoff({ now: () => now, random: () => 0 });
  const top = new Backoff({ now: () => now, random: () => 0.999999 });
  for (const d of base) {
    assert.equal(bottom.next(), d, "the lower bound is d, never near 0");
    const high = top.next();
    const want = Math.min(30_000, 2 * d);
    assert.ok(high <= want && high >= want * 0.99, `${high} ≈ ${want}`);
    now += 1000;
  }
});

void test("backoff resets after 2 minutes without failure", () => {
  let now = 0;
  const b = new Backoff({ now: () => now, random: () => 0.999999 });
  for (let i = 0; i < 5; i++) b.next();
  assert.equal(b.attempt, 5);
  now += 119_000;
  assert.equal(b.next(), 30_000);
  now += 120_001;
  const first = b.next();
  assert.ok(first >= 800 && first < 1600, String(first));
  assert.equal(b.attempt, 1);
});
