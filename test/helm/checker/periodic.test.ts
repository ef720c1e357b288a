/** PeriodicJob: runs every interval, never overlapping itself; stop ends it; 0 never runs. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PeriodicJob } from "../../../src/helm/checker/periodic.ts";

void test("a slow run delays the next one instead of overlapping it; stop ends the runs", async () => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  const job = new PeriodicJob(5, async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    runs++;
    await sleep(30);
    running--;
  });
  job.schedule();
  await sleep(150);
  job.stop();
  const seen = runs;
  assert.ok(seen >= 2 && seen <= 5, `runs: ${seen}`);
  assert.equal(maxRunning, 1);
  await sleep(80);
  assert.ok(runs <= seen + 1, "at most the running one finishes after stop");
  const after = runs;
  await sleep(60);
  assert.equal(runs, after, "nothing is scheduled after stop");
});

void test("an interval of 0 never runs", async () => {
  let runs = 0;
  const job = new PeriodicJob(0, () => {
    runs++;
    return Promise.resolve();
  });
  job.schedule();
  await sleep(20);
  assert.equal(runs, 0);
  job.stop();
  job.stop();
});

void test("an interval past a Node timer's 2^31-1 ms waits it out instead of firing at once", async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on("warning", onWarning);
  t.after(() => process.off("warning", onWarning));
  let runs = 0;
  const job = new PeriodicJob(30 * 24 * 3_600_000, () => {
    runs++;
    return Promise.resolve();
  });
  job.schedule();
  await sleep(100);
  job.stop();
  assert.equal(runs, 0, "a 30-day interval ran within 100 ms");
  assert.deepEqual(
    warnings.map((w) => w.name),
    [],
  );
});

void test("a long interval runs when the whole of it has passed, not at the first timer", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const max = 0x7fffffff;
  let runs = 0;
  const job = new PeriodicJob(max + 5000, () => {
    runs++;
    return Promise.resolve();
  });
  job.schedule();
  t.mock.timers.tick(max);
  assert.equal(runs, 0);
  t.mock.timers.tick(4999);
  assert.equal(runs, 0);
  t.mock.timers.tick(1);
  assert.equal(runs, 1);
  job.stop();
});
