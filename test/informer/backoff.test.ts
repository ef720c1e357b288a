import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "../../src/informer/index.ts";

void test("backoff doubles from 800 ms to a 30 s cap with full jitter", () => {
  let now = 0;
  const top = new Backoff({ now: () => now, random: () => 0.999999 });
  const ceilings = [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000];
  for (const c of ceilings) {
    const d = top.next();
    assert.ok(d <= c && d >= c * 0.99, `${d} ≈ ${c}`);
    now += 1000;
  }
  const bottom = new Backoff({ now: () => now, random: () => 0 });
  assert.equal(bottom.next(), 0);
});

void test("backoff resets after 2 minutes without failure", () => {
  let now = 0;
  const b = new Backoff({ now: () => now, random: () => 0.999999 });
  for (let i = 0; i < 5; i++) b.next();
  assert.equal(b.attempt, 5);
  now += 119_000;
  assert.ok(b.next() > 20_000);
  now += 120_001;
  assert.ok(b.next() <= 800);
  assert.equal(b.attempt, 1);
});
