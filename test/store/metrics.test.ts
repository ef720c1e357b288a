/**
 * The store's instruments, read through a MeterProvider with the telemetry's pull reader (delta
 * temporality for gauges, as `/metrics` reads them), over real SQLite files in a temp dir.
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, test, type TestContext } from "node:test";
import { DataPointType, MeterProvider, type MetricData } from "@opentelemetry/sdk-metrics";
import {
  StoreMetricNames,
  openStore,
  type LookoutStore,
  type StoreOptions,
} from "../../src/store/index.ts";
import { findInstrument } from "../../src/telemetry/index.ts";
import { PullMetricReader } from "../../src/telemetry/pull-reader.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { findingsOf, outboxEvent, release, snapshotRow, tempDir, withCode } from "./support.ts";

after(assertNoActiveHandles);

const N = StoreMetricNames;

interface Reading {
  /** Every metric of the collection by name. */
  readonly metrics: Map<string, MetricData>;
  /** The value of a gauge or sum's point with these attributes (undefined when absent). */
  value(name: string, attributes?: Record<string, string>): number | undefined;
  /** A gauge's points as `attribute value → value` for one attribute key. */
  by(name: string, key: string): Map<string, number>;
  /** A histogram's count for these attributes (0 when absent). */
  count(name: string, attributes: Record<string, string>): number;
}

/** True when `a` holds exactly the attributes `want`. */
function matches(a: Record<string, unknown>, want: Record<string, string>): boolean {
  return (
    Object.keys(a).length === Object.keys(want).length &&
    Object.entries(want).every(([k, v]) => a[k] === v)
  );
}

/** A provider read by the telemetry's pull reader, shut down after the test. */
function meterFor(t: TestContext): { provider: MeterProvider; read(): Promise<Reading> } {
  const reader = new PullMetricReader(2000, []);
  const provider = new MeterProvider({ readers: [reader] });
  t.after(() => provider.shutdown());
  return {
    provider,
    async read() {
      const { resourceMetrics, errors } = await reader.collect();
      assert.deepEqual(errors, []);
      const metrics = new Map<string, MetricData>();
      for (const s of resourceMetrics.scopeMetrics)
        for (const m of s.metrics) metrics.set(m.descriptor.name, m);
      return {
        metrics,
        value(name, attributes = {}) {
          const m = metrics.get(name);
          if (m === undefined || m.dataPointType === DataPointType.HISTOGRAM) return undefined;
          const p = m.dataPoints.find((d) => matches(d.attributes, attributes));
          return typeof p?.value === "number" ? p.value : undefined;
        },
        by(name, key) {
          const out = new Map<string, number>();
          const m = metrics.get(name);
          if (m === undefined || m.dataPointType === DataPointType.HISTOGRAM) return out;
          for (const d of m.dataPoints)
            if (typeof d.value === "number") out.set(String(d.attributes[key]), d.value);
          return out;
        },
        count(name, attributes) {
          const m = metrics.get(name);
          if (m === undefined || m.dataPointType !== DataPointType.HISTOGRAM) return 0;
          return m.dataPoints.find((d) => matches(d.attributes, attributes))?.value.count ?? 0;
        },
      };
    },
  };
}

/** A store over `path` metered by `provider`, closed after the test. */
function open(
  t: TestContext,
  path: string,
  provider: MeterProvider,
  more: Partial<StoreOptions> = {},
): LookoutStore {
  const store = openStore({ ...more, path, meterProvider: provider });
  t.after(() => store.close());
  return store;
}

void test("store.size is page_count × page_size (the file's size after close); the limit only when bounded", async (t) => {
  const dir = tempDir(t);
  const m = meterFor(t);
  const bounded = open(t, join(dir, "b.db"), m.provider, { maxSizeBytes: 8 * 1024 * 1024 });
  for (let i = 0; i < 50; i++) bounded.snapshots.put(snapshotRow(i));
  bounded.outbox.append([outboxEvent(1, 100_000)]);
  let r = await m.read();
  const size = r.value(N.size);
  assert.ok(size !== undefined && size >= 100_000, `size ${size}`);
  assert.equal(r.value(N.sizeLimit), 8 * 1024 * 1024);
  bounded.close(); // checkpoints the WAL into the file: the file is then page_count pages
  assert.equal(statSync(join(dir, "b.db")).size, size);

  const unbounded = open(t, join(dir, "u.db"), m.provider);
  unbounded.kv.set("a", "b");
  r = await m.read();
  assert.ok((r.value(N.size) ?? 0) > 0);
  assert.equal(r.metrics.get(N.sizeLimit)?.dataPoints.length ?? 0, 0, "no limit when unbounded");
});

void test("store.snapshots by resource: upserts count once, rollbacks leave no trace, a gone resource leaves at the next collection, reopen recounts", async (t) => {
  const path = join(tempDir(t), "s.db");
  const m = meterFor(t);
  const store = open(t, path, m.provider);
  for (let i = 0; i < 10; i++) store.snapshots.put(snapshotRow(i, "apps/v1/deployments"));
  for (let i = 0; i < 4; i++) store.snapshots.put(snapshotRow(i, "v1/pods"));
  store.snapshots.put(snapshotRow(3, "v1/pods", { hash: "changed" })); // an update
  assert.deepEqual(
    (await m.read()).by(N.snapshots, "k8s.resource"),
    new Map([
      ["apps/v1/deployments", 10],
      ["v1/pods", 4],
    ]),
  );
  assert.throws(() =>
    store.transaction(() => {
      store.snapshots.put(snapshotRow(99, "v1/pods"));
      store.snapshots.put(snapshotRow(1, "v1/nodes"));
      store.snapshots.remove("apps/v1/deployments", "ns-1", "obj.1");
      throw new Error("caller's failure");
    }),
  );
  store.snapshots.remove("v1/pods", "", "obj.0");
  store.snapshots.remove("v1/pods", "", "missing");
  assert.deepEqual(
    (await m.read()).by(N.snapshots, "k8s.resource"),
    new Map([
      ["apps/v1/deployments", 10],
      ["v1/pods", 3],
    ]),
  );
  assert.equal(store.snapshots.removeResource("apps/v1/deployments"), 10);
  store.snapshots.remove("v1/pods", "ns-1", "obj.1");
  store.snapshots.remove("v1/pods", "ns-2", "obj.2");
  // Gone from the collection, not reported as 0.
  assert.deepEqual((await m.read()).by(N.snapshots, "k8s.resource"), new Map([["v1/pods", 1]]));
  store.snapshots.remove("v1/pods", "", "obj.3");
  const empty = await m.read();
  assert.equal(empty.metrics.get(N.snapshots)?.dataPoints.length ?? 0, 0);
  assert.ok(empty.value(N.size) !== undefined, "the other gauges are still there");

  store.snapshots.put(snapshotRow(5, "v1/services"));
  store.snapshots.put(snapshotRow(6, "v1/services"));
  // A version change carries the rows over: the count moves with them.
  store.snapshots.put(snapshotRow(7, "v1beta1/endpoints"));
  assert.equal(store.snapshots.moveResource("v1beta1/endpoints", "v1/endpoints"), 1);
  assert.deepEqual(
    (await m.read()).by(N.snapshots, "k8s.resource"),
    new Map([
      ["v1/services", 2],
      ["v1/endpoints", 1],
    ]),
  );
  store.snapshots.remove("v1/endpoints", "ns-1", "obj.7");
  store.close();
  const again = open(t, path, m.provider);
  assert.deepEqual((await m.read()).by(N.snapshots, "k8s.resource"), new Map([["v1/services", 2]]));
  assert.equal(again.snapshots.loadMeta("v1/services").size, 2);
});

void test("store.transaction.duration: the outermost write transaction, by what it wrote", async (t) => {
  const m = meterFor(t);
  const store = open(t, join(tempDir(t), "s.db"), m.provider);
  const d = N.transactionDuration;
  store.snapshots.put(snapshotRow(1)); // autocommit: one transaction
  store.transaction(() => {
    // the recorder's batch: snapshots and the events reporting them
    store.snapshots.put(snapshotRow(2));
    store.snapshots.remove("apps/v1/deployments", "", "obj.0");
    store.outbox.append([outboxEvent(1), outboxEvent(2)]);
    store.transaction(() => store.outbox.append([outboxEvent(3)])); // a savepoint: no record
  });
  const ids = store.transaction(() => store.outbox.append([outboxEvent(4)]));
  store.outbox.ack(ids);
  store.outbox.dropOldest(1);
  const r1 = release("shop", "web", 1);
  store.helm.apply({ upsert: [{ release: r1, findings: findingsOf(r1), computedAt: 1 }] });
  store.helm.setMeta("scanFilter", "[]");
  store.kv.set("k", "v");
  store.kv.delete("k");
  store.transaction(() => store.kv.get("k")); // reads only: not a write transaction
  store.transaction(() => {
    store.helm.apply({ delete: [{ namespace: "shop", release: "web" }] });
    store.outbox.append([outboxEvent(5)]);
  });
  const r = await m.read();
  assert.equal(r.count(d, { operation: "snapshots" }), 2);
  assert.equal(r.count(d, { operation: "outbox" }), 3);
  assert.equal(r.count(d, { operation: "helm" }), 3);
  assert.equal(r.count(d, { operation: "kv" }), 2);
  const metric = r.metrics.get(d);
  assert.ok(metric?.dataPointType === DataPointType.HISTOGRAM);
  assert.equal(metric.dataPoints.length, 4, "no other operation");
  // The store's advice (a provider without our views) is the catalogue's buckets.
  assert.deepEqual(metric.dataPoints[0]?.value.buckets.boundaries, findInstrument(d)?.buckets);
  for (const p of metric.dataPoints) {
    assert.ok((p.value.sum ?? 0) > 0 && (p.value.max ?? 1) < 5, JSON.stringify(p.value));
  }
});

void test("store.errors by code: each failure once, also when it passes through a transaction; a caller's own error is not the store's", async (t) => {
  const m = meterFor(t);
  const store = open(t, join(tempDir(t), "s.db"), m.provider, { maxSizeBytes: 1024 * 1024 });
  const e = N.errors;
  const err = (code: string, r: Reading): number => r.value(e, { "error.type": code }) ?? 0;
  assert.throws(() => store.kv.set("big", "x".repeat(2_000_000)), withCode("LOOKOUT_STORE_FULL"));
  assert.throws(
    () =>
      store.transaction(() => {
        store.snapshots.put(snapshotRow(1));
        store.outbox.append([outboxEvent(1, 2_000_000)]);
      }),
    withCode("LOOKOUT_STORE_FULL"),
  );
  // @ts-expect-error -- a caller without types
  assert.throws(() => store.snapshots.put(null), withCode("LOOKOUT_STORE_BAD_INPUT"));
  assert.throws(
    () => store.transaction(async () => {}),
    withCode("LOOKOUT_STORE_ASYNC_TRANSACTION"),
  );
  assert.throws(
    () =>
      store.transaction(() => {
        throw new RangeError("the caller's");
      }),
    RangeError,
  );
  let r = await m.read();
  assert.equal(err("LOOKOUT_STORE_FULL", r), 2);
  assert.equal(err("LOOKOUT_STORE_BAD_INPUT", r), 1);
  assert.equal(err("LOOKOUT_STORE_ASYNC_TRANSACTION", r), 1);
  assert.equal(r.metrics.get(e)?.dataPoints.length, 3, "nothing else counted");
  // Failed write transactions are timed too (they held the lock).
  assert.ok(r.count(N.transactionDuration, { operation: "snapshots" }) >= 1);

  store.close();
  assert.throws(() => store.kv.set("a", "b"), withCode("LOOKOUT_STORE_CLOSED"));
  r = await m.read();
  assert.equal(err("LOOKOUT_STORE_CLOSED", r), 1);
  assert.equal(r.value(N.size), undefined, "a closed store observes nothing");
});

void test("close() removes the gauges' callbacks: nothing is observed after it, the provider lives on", async (t) => {
  const m = meterFor(t);
  const dir = tempDir(t);
  const store = open(t, join(dir, "a.db"), m.provider, { maxSizeBytes: 1 << 24 });
  store.snapshots.put(snapshotRow(1));
  let r = await m.read();
  assert.ok(r.value(N.size) !== undefined);
  assert.equal(r.by(N.snapshots, "k8s.resource").size, 1);
  store.close();
  store.close();
  r = await m.read();
  for (const name of [N.size, N.sizeLimit, N.snapshots])
    assert.equal(r.metrics.get(name)?.dataPoints.length ?? 0, 0, name);
  // A second store on the same provider reports its own values only.
  const other = open(t, join(dir, "b.db"), m.provider);
  other.snapshots.put(snapshotRow(1, "v1/pods"));
  r = await m.read();
  assert.deepEqual(r.by(N.snapshots, "k8s.resource"), new Map([["v1/pods", 1]]));
  assert.equal(r.metrics.get(N.sizeLimit)?.dataPoints.length ?? 0, 0);
});

void test("a collection over 100,000 snapshot rows reads no table: time per collection printed", async (t) => {
  const path = join(tempDir(t), "big.db");
  const m = meterFor(t);
  const store = open(t, path, m.provider, { synchronous: "NORMAL" });
  const resources = ["apps/v1/deployments", "v1/pods", "v1/configmaps", "v1/secrets"];
  store.transaction(() => {
    for (let i = 0; i < 100_000; i++) {
      store.snapshots.put(snapshotRow(i, resources[i % resources.length]));
    }
  });
  const time = async (): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      // oxlint-disable-next-line eslint/no-await-in-loop -- collections one after another
      const r = await m.read();
      times.push(performance.now() - t0);
      assert.equal(r.by(N.snapshots, "k8s.resource").get("v1/pods"), 25_000);
    }
    return times.sort((a, b) => a - b)[10] ?? Infinity;
  };
  const big = await time();
  store.close();
  const t0 = performance.now();
  const reopened = open(t, path, m.provider, { synchronous: "NORMAL" });
  const openMs = performance.now() - t0;
  const again = await time();
  t.diagnostic(
    `100k snapshot rows: median collection ${big.toFixed(2)} ms (after reopen ${again.toFixed(2)} ms); open with the recount ${openMs.toFixed(1)} ms`,
  );
  assert.ok(big < 20 && again < 20, `collection took ${big} / ${again} ms`);
  assert.equal(reopened.snapshots.resources().length, 4);
});
