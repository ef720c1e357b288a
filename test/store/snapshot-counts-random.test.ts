/**
 * The snapshot counts behind `kube_lookout.store.snapshots`, kept in memory by the writes, against
 * a recount of the table after random puts (new and changed), removes, removeResource, nested
 * transactions that fail and are caught (savepoints rolled back), outer rollbacks, failed
 * statements (SQLITE_FULL) and reopens. Seeded: replay with SEED=<n>.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { MeterProvider, type MetricData } from "@opentelemetry/sdk-metrics";
import { mulberry32 as random } from "../../src/sim/index.ts";
import { StoreMetricNames, openStore, type LookoutStore } from "../../src/store/index.ts";
import { PullMetricReader } from "../../src/telemetry/pull-reader.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { snapshotRow, tempDir } from "./support.ts";

after(assertNoActiveHandles);

const RESOURCES = ["apps/v1/deployments", "v1/pods", "v1/nodes"];

function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}

void test("snapshot counts equal a recount through random writes, rollbacks and reopens", async (t) => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (replay with SEED=${seed})`);
  const rand = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const path = join(tempDir(t), "s.db");
  const reader = new PullMetricReader(2000, []);
  const provider = new MeterProvider({ readers: [reader] });
  t.after(() => provider.shutdown());
  // A small bound, so that big objects now and then fail with SQLITE_FULL.
  const options = { path, meterProvider: provider, maxSizeBytes: 2 * 1024 * 1024 };
  let store: LookoutStore = openStore(options);
  t.after(() => store.close());

  const gauge = async (): Promise<Map<string, number>> => {
    const { resourceMetrics } = await reader.collect();
    const m: MetricData | undefined = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((x) => x.descriptor.name === StoreMetricNames.snapshots);
    const out = new Map<string, number>();
    for (const p of m?.dataPoints ?? [])
      if (typeof p.value === "number") out.set(String(p.attributes["k8s.resource"]), p.value);
    return out;
  };
  const recount = (): Map<string, number> => {
    const out = new Map<string, number>();
    for (const r of store.snapshots.resources()) out.set(r, store.snapshots.loadMeta(r).size);
    return out;
  };

  const op = (): void => {
    const i = Math.floor(rand() * 60);
    const resource = pick(RESOURCES);
    const x = rand();
    if (x < 0.45) store.snapshots.put(snapshotRow(i, resource, { hash: String(rand()) }));
    else if (x < 0.7) {
      const row = snapshotRow(i, resource);
      store.snapshots.remove(resource, row.namespace, row.name);
    } else if (x < 0.73) store.snapshots.removeResource(resource);
    else if (x < 0.8) {
      // Too big for the bound: the statement fails, the rest of the transaction goes on.
      try {
        store.snapshots.put(snapshotRow(i, resource, { object: "x".repeat(3_000_000) }));
      } catch {
        // LOOKOUT_STORE_FULL, expected
      }
    }
  };

  for (let step = 0; step < 400; step++) {
    const where = `seed ${seed} step ${step}`;
    const x = rand();
    if (x < 0.4) op();
    else if (x < 0.9) {
      const failOuter = rand() < 0.25;
      try {
        store.transaction(() => {
          for (let k = 0, n = 1 + Math.floor(rand() * 6); k < n; k++) {
            if (rand() < 0.3) {
              try {
                store.transaction(() => {
                  op();
                  op();
                  if (rand() < 0.5) throw new Error("inner");
                });
              } catch {
                // the savepoint is rolled back; the outer transaction goes on
              }
            } else op();
          }
          if (failOuter) throw new Error("outer");
        });
      } catch {
        // "outer"; or, after a LOOKOUT_STORE_FULL inside it, SQLite rolled the whole transaction
        // back and the commit fails (later writes of the body committed on their own)
      }
    } else {
      store.close();
      store = openStore(options);
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- a collection after each step
    assert.deepEqual(sorted(await gauge()), sorted(recount()), where);
  }
});
