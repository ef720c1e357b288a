import assert from "node:assert/strict";
import { test } from "node:test";
import { IncrementalChecks } from "../../../src/helm/checker/incremental.ts";

function setup(result: () => Promise<unknown> = () => Promise.resolve()) {
  const runs: string[][] = [];
  const failures: unknown[] = [];
  const checks = new IncrementalChecks({
    delayMs: 250,
    run: (keys) => {
      runs.push([...keys].sort());
      return result();
    },
    failed: (err) => failures.push(err),
  });
  return { checks, runs, failures };
}

/** Lets the promise callbacks of a run settle (a macrotask runs after all microtasks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

void test("a burst of changes is one check after the quiet time; nothing before enable", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { checks, runs } = setup();
  checks.mark("ns/a");
  t.mock.timers.tick(1000);
  assert.deepEqual(runs, [], "not enabled yet: the first scan reads everything");
  checks.enable();
  checks.mark("ns/b");
  checks.mark("ns/a");
  t.mock.timers.tick(249);
  assert.deepEqual(runs, []);
  t.mock.timers.tick(1);
  assert.deepEqual(runs, [["ns/a", "ns/b"]]);
  checks.mark("ns/c");
  t.mock.timers.tick(250);
  assert.deepEqual(runs, [["ns/a", "ns/b"], ["ns/c"]]);
  checks.stop();
});

void test("a failed check reports and keeps its releases for the next one", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let fail = true;
  const { checks, runs, failures } = setup(() =>
    fail ? Promise.reject(new Error("boom")) : Promise.resolve(),
  );
  checks.enable();
  checks.mark("ns/a");
  t.mock.timers.tick(250);
  await settle();
  assert.equal(failures.length, 1);
  assert.ok(failures[0] instanceof Error && failures[0].message === "boom");
  t.mock.timers.tick(1000);
  assert.equal(runs.length, 1, "a failure alone schedules nothing");
  fail = false;
  checks.mark("ns/b");
  t.mock.timers.tick(250);
  assert.deepEqual(runs.at(-1), ["ns/a", "ns/b"], "the failed release is checked with the next");
  checks.stop();
});

void test("clear drops what was collected; stop ends checks and silences failures", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const pending = Promise.withResolvers<void>();
  const { checks, runs, failures } = setup(() => pending.promise);
  checks.mark("ns/a");
  checks.clear();
  checks.enable();
  t.mock.timers.tick(1000);
  assert.deepEqual(runs, [], "a full scan took the collected releases");
  checks.mark("ns/b");
  t.mock.timers.tick(250);
  assert.deepEqual(runs, [["ns/b"]]);
  checks.stop();
  pending.reject(new Error("closed"));
  await settle();
  assert.deepEqual(failures, [], "a check ended by stop is no failure");
  checks.mark("ns/c");
  t.mock.timers.tick(1000);
  assert.deepEqual(runs, [["ns/b"]], "nothing runs after stop");
});
