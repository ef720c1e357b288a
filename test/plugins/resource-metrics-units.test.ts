/**
 * resource-metrics without a cluster: the quantity parser's table (accepted and rejected), the
 * samples ring (count and age bounds), the config, and pod metrics summed with unreadable items.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { rawObjectFromObject, type RawObject } from "../../src/kube/index.ts";
import {
  aggregateNodes,
  aggregatePods,
  podUsages,
} from "../../plugins/resource-metrics/aggregate.ts";
import { QuantityError } from "../../plugins/resource-metrics/errors.ts";
import { parseResourceMetricsConfig } from "../../plugins/resource-metrics/index.ts";
import {
  DEFAULT_CPU_QUERY,
  DEFAULT_MEMORY_QUERY,
} from "../../plugins/resource-metrics/prometheus.ts";
import { parseQuantity } from "../../plugins/resource-metrics/quantity.ts";
import { SampleStore } from "../../plugins/resource-metrics/samples.ts";
import { codeOf } from "./harness.ts";

void test("quantities parse to cores and bytes, exactly as the nearest double", () => {
  const table: [string, number][] = [
    ["0", 0],
    ["250m", 0.25],
    ["1", 1],
    ["1.5", 1.5],
    ["1.", 1],
    [".5", 0.5],
    ["+2", 2],
    ["-1.5", -1.5],
    ["-0", 0],
    ["3912Ki", 3912 * 1024],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["1Mi", 2 ** 20],
    ["2Ti", 2 * 2 ** 40],
    ["1Pi", 2 ** 50],
    ["1Ei", 2 ** 60],
    ["2e3", 2000],
    ["2E3", 2000],
    ["1e-3", 0.001],
    ["1.5e+2", 150],
    ["100n", 100e-9],
    ["10u", 10e-6],
    ["0.1m", 0.0001],
    ["1k", 1000],
    ["1M", 1e6],
    ["1G", 1e9],
    ["1T", 1e12],
    ["1P", 1e15],
    ["1E", 1e18],
    ["129e6", 129_000_000],
    ["123456789", 123_456_789],
    ["0.000000001", 1e-9],
    // The nearest double to the decimal value, not a product of rounded factors.
    ["0.3", 0.3],
    ["3m", 0.003],
    ["7n", 7e-9],
  ];
  for (const [text, expected] of table) {
    assert.equal(parseQuantity(text), expected, text);
  }
  assert.ok(Object.is(parseQuantity("-0"), 0), "no negative zero");
});

void test("bad quantities are rejected with a typed error naming the value", () => {
  const bad: unknown[] = [
    "",
    " 1",
    "1 ",
    "1 Ki",
    "Ki",
    "m",
    "1K",
    "1KiB",
    "1ki",
    "1e",
    "e3",
    "1.5.3",
    "1e3m",
    "2e3Ki",
    "1..",
    "..5",
    "0x10",
    "1,5",
    "∞",
    "NaN",
    "1e400",
    "1e99999",
    5,
    undefined,
    null,
  ];
  for (const value of bad) {
    assert.throws(
      () => parseQuantity(value),
      (err: unknown) =>
        err instanceof QuantityError &&
        codeOf(err) === "LOOKOUT_RESOURCE_METRICS_BAD_QUANTITY" &&
        err.name === "QuantityError" &&
        Object.is(err.value, value),
      `accepted ${String(value)}`,
    );
  }
});

void test("the samples ring keeps the newest N per workload and drops samples past the age", () => {
  let now = 1_000_000;
  const store = new SampleStore(3, 10_000, () => now);
  const sample = (i: number) => ({ time: now, cpu: i, memory: i * 2, pods: 1 });
  for (let i = 1; i <= 5; i++) {
    store.add("a", sample(i));
    now += 1000;
  }
  assert.deepEqual(
    store.get("a").map((s) => s.cpu),
    [3, 4, 5],
    "count bound, oldest first",
  );
  store.add("b", sample(9));
  assert.equal(store.size, 2);
  assert.deepEqual(store.get("missing"), []);

  now += 7_500; // a's samples are now 8.5 s, 9.5 s and 10.5 s old
  assert.deepEqual(
    store.get("a").map((s) => s.cpu),
    [4, 5],
    "age bound",
  );
  now += 2_000;
  assert.deepEqual(store.get("a"), []);
  store.expire();
  assert.equal(store.size, 1, "a forgotten, b (9.5 s old) kept");
  now += 1_000;
  store.expire();
  assert.equal(store.size, 0);

  // A ring of one.
  const one = new SampleStore(1, 60_000, () => now);
  one.add("x", sample(1));
  one.add("x", sample(2));
  assert.deepEqual(
    one.get("x").map((s) => s.cpu),
    [2],
  );
});

void test("config: defaults, bounds, unknown keys", () => {
  assert.deepEqual(parseResourceMetricsConfig(undefined), {
    intervalSeconds: 30,
    retentionSamples: 120,
    retentionSeconds: 3600,
    prometheus: undefined,
  });
  assert.deepEqual(
    parseResourceMetricsConfig({ intervalSeconds: 5, retentionSamples: 10, retentionSeconds: 60 }),
    { intervalSeconds: 5, retentionSamples: 10, retentionSeconds: 60, prometheus: undefined },
  );
  assert.deepEqual(
    parseResourceMetricsConfig({ prometheus: { url: "http://prom:9090" } }).prometheus,
    {
      url: "http://prom:9090",
      cpuQuery: DEFAULT_CPU_QUERY,
      memoryQuery: DEFAULT_MEMORY_QUERY,
      timeoutSeconds: 10,
    },
  );
  for (const [raw, key] of [
    [{ intervalSeconds: 0 }, "intervalSeconds"],
    [{ intervalSeconds: "30" }, "intervalSeconds"],
    [{ retentionSamples: 0 }, "retentionSamples"],
    [{ retentionSamples: 2.5 }, "retentionSamples"],
    [{ retentionSeconds: 0 }, "retentionSeconds"],
    [{ promql: "up" }, "promql"],
    [{ prometheus: "http://prom:9090" }, "prometheus"],
    [{ prometheus: {} }, "prometheus.url"],
    [{ prometheus: { url: "prom:9090" } }, "prometheus.url"],
    [{ prometheus: { url: "http://p", cpuQuery: " " } }, "prometheus.cpuQuery"],
    [{ prometheus: { url: "http://p", memoryQuery: 1 } }, "prometheus.memoryQuery"],
    [{ prometheus: { url: "http://p", timeoutSeconds: 0 } }, "prometheus.timeoutSeconds"],
    [{ prometheus: { url: "http://p", timeoutSeconds: 3e6 } }, "prometheus.timeoutSeconds"],
    [{ intervalSeconds: 3_000_000 }, "intervalSeconds"],
    [{ prometheus: { url: "http://p", step: "1m" } }, "prometheus.step"],
  ] as const) {
    assert.throws(
      () => parseResourceMetricsConfig(raw),
      (err: unknown) =>
        codeOf(err) === "LOOKOUT_PLUGIN_BAD_CONFIG" && Reflect.get(Object(err), "key") === key,
      JSON.stringify(raw),
    );
  }
  assert.throws(() => parseResourceMetricsConfig([]), { code: "LOOKOUT_PLUGIN_BAD_CONFIG" });
  // A nested key's error says what is allowed there, as a top-level key's does.
  assert.throws(
    () => parseResourceMetricsConfig({ prometheus: { url: "http://p", timeoutSeconds: -1 } }),
    { key: "prometheus.timeoutSeconds", expected: "a finite number ≥ 0.001 ≤ 2147483" },
  );
  assert.throws(() => parseResourceMetricsConfig({ prometheus: null }), {
    key: "prometheus",
    expected: "an object with a url",
  });
});

function podMetrics(namespace: string, name: string, cpus: string[]): RawObject {
  return rawObjectFromObject({
    metadata: { name, namespace },
    containers: cpus.map((cpu, i) => ({ name: `c${i}`, usage: { cpu, memory: "1Ki" } })),
  });
}

void test("aggregation: an unreadable pod is left out whole; uncached pods count for their namespace only", () => {
  const items = [
    podMetrics("n", "a", ["100m", "200m"]),
    podMetrics("n", "b", ["1", "lots"]),
    podMetrics("n", "c", ["1"]),
    podMetrics("m", "d", ["2"]),
  ];
  const read = podUsages(items);
  assert.equal(read.errors.length, 1);
  assert.equal(codeOf(read.errors[0]), "LOOKOUT_RESOURCE_METRICS_BAD_QUANTITY");
  assert.equal(Reflect.get(Object(read.errors[0]), "value"), "lots");
  const r = aggregatePods(read.pods, (ns, name) =>
    name === "c" ? undefined : { namespace: ns, kind: "Deployment", name: "web" },
  );
  assert.equal(r.unresolved, 1);
  const byKey = Object.fromEntries(
    r.workloads.map((w) => [`${w.namespace}/${w.name}`, [w.cpu, w.memory, w.pods]]),
  );
  assert.equal(byKey["n/web"]?.[2], 1);
  assert.ok(Math.abs((byKey["n/web"]?.[0] ?? 0) - 0.3) < 1e-12);
  assert.deepEqual(byKey["m/web"], [2, 1024, 1]);
  const ns = Object.fromEntries(r.namespaces.map((n) => [n.namespace, [n.cpu, n.memory, n.pods]]));
  assert.ok(Math.abs((ns["n"]?.[0] ?? 0) - 1.3) < 1e-12);
  assert.deepEqual(ns["n"]?.slice(1), [3 * 1024, 2]);

  const nodes = aggregateNodes([
    rawObjectFromObject({ metadata: { name: "x" }, usage: { cpu: "4", memory: "8Gi" } }),
    rawObjectFromObject({ metadata: { name: "y" }, usage: { cpu: "4", memory: "8GB" } }),
    rawObjectFromObject({ metadata: { name: "z" } }),
  ]);
  assert.deepEqual(nodes.nodes, [
    { node: "x", cpu: 4, memory: 8 * 2 ** 30 },
    { node: "z", cpu: 0, memory: 0 },
  ]);
  assert.equal(codeOf(nodes.errors[0]), "LOOKOUT_RESOURCE_METRICS_BAD_QUANTITY");
});
