import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { test } from "node:test";
import {
  ScanPool,
  ScanPoolClosedError,
  scanRelease,
  type ScanPoolInput,
} from "../../../src/helm/decode/index.ts";
import { deployment, service, configMap } from "./manifest-fixtures.ts";
import { encodePayload, releaseJson } from "./payload-builder.ts";

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

const baseline = countResources();

/** Resource kinds with more instances than before any pool existed (stdio pipes excepted). */
function leaked(): string[] {
  return [...countResources()]
    .filter(([r, n]) => r !== "PipeWrap" && r !== "TTYWrap" && n > (baseline.get(r) ?? 0))
    .map(([r, n]) => `${r}×${n}`);
}

function inputs(n: number): ScanPoolInput[] {
  const out: ScanPoolInput[] = [];
  for (let i = 0; i < n; i++) {
    const manifest = `${service(`s${i}`)}${deployment(`d${i}`)}${configMap(`c${i}`)}`;
    const release = releaseJson(
      `r${i}`,
      manifest,
      [{ name: "t", path: "t.yaml", manifest: service(`hook${i}`) }],
      i + 1,
    );
    const driver = i % 2 === 0 ? "secret" : "configmap";
    out.push({ value: encodePayload(release, driver), driver });
  }
  out.push({ value: "bad*base64", driver: "secret" });
  out.push({ value: encodePayload("{oops", "configmap"), driver: "configmap" });
  return out;
}

void test("the pool scans payloads in parallel with the same results as the in-thread path", async (t) => {
  const pool = new ScanPool({ maxThreads: 2 });
  t.after(() => pool.close());
  const all = inputs(40);
  const got = await Promise.all(all.map((input) => pool.scan(input)));
  const want = all.map((input) => scanRelease(input));
  assert.deepEqual(got, want);
  assert.equal(got[0]!.objects.length, 4);
  assert.deepEqual(
    got.at(-2)!.errors.map((e) => e.code),
    ["LOOKOUT_HELM_BAD_BASE64"],
  );
  assert.deepEqual(
    got.at(-1)!.errors.map((e) => e.code),
    ["LOOKOUT_HELM_BAD_JSON"],
  );
  assert.equal(pool.stats.completed, all.length);
  assert.ok(pool.stats.threads >= 1 && pool.stats.threads <= 2);
});

void test("scanMany batches payloads and returns the in-thread results in input order", async (t) => {
  const pool = new ScanPool({ maxThreads: 2 });
  t.after(() => pool.close());
  const all = inputs(30);
  assert.deepEqual(
    await pool.scanMany(all),
    all.map((input) => scanRelease(input)),
  );
  assert.deepEqual(await pool.scanMany([]), []);
  const reason = new Error("stop");
  const controller = new AbortController();
  const running = pool.scanMany(inputs(30), controller.signal);
  controller.abort(reason);
  await assert.rejects(running, (err) => err === reason);
  const closing = assert.rejects(pool.scanMany(inputs(30)), { code: "LOOKOUT_HELM_POOL_CLOSED" });
  await pool.close();
  await closing;
  await assert.rejects(pool.scanMany(all), { code: "LOOKOUT_HELM_POOL_CLOSED" });
});

void test("limits reach the workers; a transferred Buffer is moved", async (t) => {
  const pool = new ScanPool({ maxThreads: 1, limits: { maxOutputLength: 100 } });
  t.after(() => pool.close());
  const value = encodePayload(releaseJson("big", service("big")), "configmap");
  const r = await pool.scan({ value, driver: "configmap" });
  assert.equal(r.errors[0]?.code, "LOOKOUT_HELM_TOO_LARGE");
  assert.equal(r.errors[0]?.limit, 100);
  const pool2 = new ScanPool({ maxThreads: 1 });
  t.after(() => pool2.close());
  const bytes = Buffer.from(new Uint8Array(Buffer.from(value)).buffer);
  const moved = await pool2.scan({ value: bytes, driver: "configmap", transfer: true });
  assert.equal(moved.release?.name, "big");
  assert.equal(bytes.buffer.byteLength, 0, "the caller's buffer is detached");
});

void test("close() twice, scan after close, and asyncDispose", async () => {
  const pool = new ScanPool({ maxThreads: 1 });
  const r = await pool.scan(inputs(1)[0]!);
  assert.equal(r.errors.length, 0);
  const a = pool.close();
  const b = pool.close();
  assert.equal(a, b);
  await Promise.all([a, b]);
  await assert.rejects(pool.scan(inputs(1)[0]!), { code: "LOOKOUT_HELM_POOL_CLOSED" });
  {
    await using disposable = new ScanPool({ maxThreads: 1 });
    await disposable.scan(inputs(1)[0]!);
  }
  assert.throws(() => new ScanPool({ maxThreads: 0 }), RangeError);
});

void test("close() while scans are queued and running rejects them with LOOKOUT_HELM_POOL_CLOSED", async () => {
  const pool = new ScanPool({ maxThreads: 1 });
  const pending = inputs(6).map((input) => pool.scan(input));
  const settled = Promise.allSettled(pending);
  await pool.close();
  const results = await settled;
  const rejected = results.filter((r) => r.status === "rejected");
  assert.ok(rejected.length > 0, "some scans were still queued");
  for (const r of rejected)
    assert.ok(
      r.reason instanceof ScanPoolClosedError && r.reason.code === "LOOKOUT_HELM_POOL_CLOSED",
    );
});

void test("abort rejects with the signal's reason, before and while queued", async (t) => {
  const pool = new ScanPool({ maxThreads: 1 });
  t.after(() => pool.close());
  const reason = new Error("stop");
  await assert.rejects(
    pool.scan(inputs(1)[0]!, AbortSignal.abort(reason)),
    (err) => err === reason,
  );
  const controller = new AbortController();
  const many = inputs(8).map((input) => pool.scan(input, controller.signal));
  const settled = Promise.allSettled(many);
  controller.abort(reason);
  const results = await settled;
  assert.ok(results.some((r) => r.status === "rejected" && r.reason === reason));
  for (const r of results) if (r.status === "rejected") assert.equal(r.reason, reason);
  // The pool still works after an abort.
  const after = await pool.scan(inputs(1)[0]!);
  assert.equal(after.release?.name, "r0");
});

void test("no worker threads or handles are left after the pools closed", async () => {
  const pool = new ScanPool({ maxThreads: 2, idleTimeoutMs: 60_000 });
  await Promise.all(inputs(4).map((input) => pool.scan(input)));
  await pool.close();
  // Worker threads end asynchronously after destroy(); give them a moment.
  for (let i = 0; i < 50 && leaked().length > 0; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling with a bound
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(leaked(), []);
});

void test("an idle pool that was never closed does not keep the process alive", async () => {
  const child = new URL("./idle-pool-child.ts", import.meta.url).pathname;
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, [child], { timeout: 20_000 });
  assert.equal(stdout.trim(), "3");
  assert.ok(performance.now() - started < 15_000);
});
