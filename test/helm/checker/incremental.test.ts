import assert from "node:assert/strict";
import { test } from "node:test";
import { IncrementalChecks } from "../../../src/helm/checker/incremental.ts";

function setup(result: () => Promise<unknown> = () => Promise.resolve()) {
  const runs: string[][] = [];
  const failures: unknown[] = [];
  const checks = new IncrementalChecks({
    delayMs: 250,
    retryInitialMs: 1000,
    retryMaxMs: 3000,
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

void test("a failed check reports and is retried after a backoff doubling to its cap", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  let fail = 3;
  const { checks, runs, failures } = setup(() =>
    fail-- > 0 ? Promise.reject(new Error("boom")) : Promise.resolve(),
  );
  checks.enable();
  checks.mark("ns/a");
  t.mock.timers.tick(250);
  await settle();
  assert.equal(failures.length, 1);
  assert.ok(failures[0] instanceof Error && failures[0].message === "boom");
  // Retries after 1 s, then 2 s, then 3 s (4 s capped at retryMaxMs).
  for (const [wait, expectRuns] of [
    [999, 1],
    [1, 2],
    [1999, 2],
    [1, 3],
    [2999, 3],
    [1, 4],
  ] as const) {
    t.mock.timers.tick(wait);
    // oxlint-disable-next-line eslint/no-await-in-loop -- each step lets its run settle
    await settle();
    assert.equal(runs.length, expectRuns, `after ${wait} ms more`);
  }
  assert.deepEqual(runs, [["ns/a"], ["ns/a"], ["ns/a"], ["ns/a"]]);
  assert.equal(failures.length, 3, "the fourth check succeeded");
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(runs.length, 4, "nothing is retried after a clean check");
  checks.stop();
});

void test("a change during a retry's backoff runs after the quiet time, not after the backoff", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const { checks, runs } = setup();
  checks.enable();
  checks.retry(["ns/a"]);
  checks.retry(["ns/b"]);
  t.mock.timers.tick(250);
  assert.deepEqual(runs, [], "the retry waits for its backoff");
  checks.mark("ns/c");
  t.mock.timers.tick(250);
  assert.deepEqual(runs, [["ns/a", "ns/b", "ns/c"]], "the change takes the retried ones along");
  await settle();
  checks.mark("ns/d");
  checks.retry(["ns/e"]);
  t.mock.timers.tick(250);
  assert.deepEqual(runs.at(-1), ["ns/d", "ns/e"], "a retry does not push a pending check back");
  await settle();
  checks.retry([]);
  t.mock.timers.tick(60_000);
  assert.equal(runs.length, 2, "retrying nothing schedules nothing");
  checks.stop();
  checks.retry(["ns/d"]);
  t.mock.timers.tick(60_000);
  assert.equal(runs.length, 2, "nothing runs after stop");
});

void test("releases a check could not read are retried with a growing backoff, reset by a clean check", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const runs: string[][] = [];
  let unreadable = 2;
  const checks: IncrementalChecks = new IncrementalChecks({
    delayMs: 250,
    retryInitialMs: 1000,
    retryMaxMs: 4000,
    run: (keys) => {
      runs.push([...keys].sort());
      // As the checker does: a release whose read failed is handed back during the check.
      if (unreadable-- > 0) checks.retry(keys);
      return Promise.resolve();
    },
    failed: () => assert.fail("no check failed"),
  });
  checks.enable();
  checks.mark("ns/a");
  t.mock.timers.tick(250);
  await settle();
  t.mock.timers.tick(999);
  assert.equal(runs.length, 1);
  t.mock.timers.tick(1);
  await settle();
  assert.equal(runs.length, 2, "first retry after 1 s");
  t.mock.timers.tick(1999);
  assert.equal(runs.length, 2);
  t.mock.timers.tick(1);
  await settle();
  assert.equal(runs.length, 3, "second after 2 s; this one reads it");
  // A later unreadable release starts from the first delay again.
  unreadable = 1;
  checks.mark("ns/b");
  t.mock.timers.tick(250);
  await settle();
  assert.equal(runs.length, 4);
  t.mock.timers.tick(1000);
  await settle();
  assert.deepEqual(runs.at(-1), ["ns/b"], "retried after 1 s, not 4 s");
  checks.stop();
});

void test("take hands over what was collected; stop ends checks and silences failures", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const pending = Promise.withResolvers<void>();
  const { checks, runs, failures } = setup(() => pending.promise);
  checks.mark("ns/a");
  assert.deepEqual([...checks.take()], ["ns/a"]);
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

void test("a clean check does not reset the backoff of another one that failed while it ran", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const runs: string[][] = [];
  const slow = Promise.withResolvers<void>();
  const checks = new IncrementalChecks({
    delayMs: 250,
    retryInitialMs: 1000,
    retryMaxMs: 60_000,
    run: (keys) => {
      runs.push([...keys].sort());
      if (keys.has("ns/slow")) return slow.promise;
      return Promise.reject(new Error("cannot read ns/bad"));
    },
    failed: () => undefined,
  });
  checks.enable();
  checks.mark("ns/slow");
  t.mock.timers.tick(250);
  checks.mark("ns/bad");
  t.mock.timers.tick(250);
  await settle();
  assert.deepEqual(
    runs,
    [["ns/slow"], ["ns/bad"]],
    "the second check failed, the first still runs",
  );
  slow.resolve(); // clean, but ns/bad failed meanwhile: its backoff stands
  await settle();
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(runs.length, 3, "first retry after 1 s");
  t.mock.timers.tick(1999);
  await settle();
  assert.equal(runs.length, 3, "the second waits 2 s: the clean check did not reset the count");
  t.mock.timers.tick(1);
  await settle();
  assert.equal(runs.length, 4);
  checks.stop();
});
