/**
 * createTelemetry: the resource, /metrics on our own server, views (buckets, cardinality),
 * producers added later, OTLP push to a loopback collector, shutdown, option errors.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import { after, test } from "node:test";
import { ValueType } from "@opentelemetry/api";
import { emptyResource } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";
import {
  createTelemetry,
  PROMETHEUS_CONTENT_TYPE,
  resourceAttributes,
  TelemetryClosedError,
} from "../../src/telemetry/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { families, promtoolCheck, serveMetrics } from "./scrape-support.ts";

after(assertNoActiveHandles);

const ENV = {
  POD_NAME: "lookout-7f9c",
  POD_NAMESPACE: "monitoring",
  NODE_NAME: "node-a",
  OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod,k8s.pod.name=ignored,team=a%2Cb",
};

void test("/metrics on our own server: text format, resource as target_info, counters end in _total", async (t) => {
  const telemetry = createTelemetry({ env: ENV, clusterName: "eu-1", serviceVersion: "9.9.9" });
  t.after(() => telemetry.shutdown());
  const server = await serveMetrics((req, res) => telemetry.handleMetrics(req, res));
  t.after(() => server.close());
  const meter = telemetry.meterProvider.getMeter("kube-lookout/test");
  meter.createCounter("kube_lookout.test.things", { unit: "{thing}" }).add(3, { kind: "a" });

  const res = await fetch(server.url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
  const text = await res.text();
  const f = families(text);
  assert.deepEqual(f.get("kube_lookout_test_things_total")?.samples, [
    'kube_lookout_test_things_total{kind="a",otel_scope_name="kube-lookout/test"} 3',
  ]);
  const info = f.get("target_info")?.samples[0] ?? "";
  for (const label of [
    'service_name="kube-lookout"',
    'service_version="9.9.9"',
    'k8s_cluster_name="eu-1"',
    'k8s_pod_name="lookout-7f9c"',
    'k8s_namespace_name="monitoring"',
    'k8s_node_name="node-a"',
    'deployment_environment="prod"',
    'team="a,b"',
  ])
    assert.ok(info.includes(label), `${label} in ${info}`);
  assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });
});

void test("resource precedence: defaults < OTEL_RESOURCE_ATTRIBUTES < downward API < OTEL_SERVICE_NAME < options", () => {
  const attrs = resourceAttributes({
    serviceVersion: "1.0.0",
    env: { ...ENV, OTEL_SERVICE_NAME: "from-env" },
  });
  assert.equal(attrs["k8s.pod.name"], "lookout-7f9c");
  assert.equal(attrs["service.name"], "from-env");
  assert.equal(attrs["k8s.cluster.name"], undefined);
  const explicit = resourceAttributes({
    serviceName: "mine",
    serviceVersion: "1.0.0",
    clusterName: "c",
    attributes: { "k8s.pod.name": "explicit" },
    env: { ...ENV, OTEL_SERVICE_NAME: "from-env" },
  });
  assert.equal(explicit["service.name"], "mine");
  assert.equal(explicit["k8s.pod.name"], "explicit");
  assert.equal(explicit["k8s.cluster.name"], "c");
  assert.equal(
    resourceAttributes({ serviceVersion: "1", env: {} })["service.name"],
    "kube-lookout",
  );
  // Replicas stay apart: the pod's identity by default, OTEL_RESOURCE_ATTRIBUTES over it.
  assert.equal(attrs["service.instance.id"], "monitoring.lookout-7f9c");
  assert.equal(
    resourceAttributes({ serviceVersion: "1", env: { POD_NAME: "p" } })["service.instance.id"],
    "p",
  );
  assert.equal(
    resourceAttributes({ serviceVersion: "1", env: {} })["service.instance.id"],
    undefined,
  );
  assert.equal(
    resourceAttributes({
      serviceVersion: "1",
      env: { ...ENV, OTEL_RESOURCE_ATTRIBUTES: "service.instance.id=mine" },
    })["service.instance.id"],
    "mine",
  );
});

void test("OTEL_METRIC_EXPORT_TIMEOUT longer than the interval is cut to it; an option longer is refused", () => {
  const a = createTelemetry({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1", OTEL_METRIC_EXPORT_TIMEOUT: "30000" },
    otlp: { intervalMs: 10_000 },
  });
  void a.shutdown();
  assert.throws(() => createTelemetry({ env: {}, otlp: { intervalMs: 1000, timeoutMs: 2000 } }), {
    code: "LOOKOUT_TELEMETRY_INVALID_OPTION",
    option: "otlp.timeoutMs",
  });
});

void test("views: catalogue buckets for a known histogram, a cardinality limit with an overflow series", async (t) => {
  const telemetry = createTelemetry({
    env: {},
    cardinalityLimit: 4,
    cardinalityLimits: { "x.wide": 10 },
  });
  t.after(() => telemetry.shutdown());
  const meter = telemetry.meterProvider.getMeter("kube-lookout/informer");
  meter
    .createHistogram("kube_lookout.informer.list.duration", { unit: "s" })
    .record(0.2, { "k8s.resource": "v1/pods" });
  const narrow = meter.createCounter("x.narrow");
  const wide = meter.createCounter("x.wide");
  for (let i = 0; i < 8; i++) {
    narrow.add(1, { i });
    wide.add(1, { i });
  }
  const f = families(await telemetry.scrape());
  const buckets =
    f.get("kube_lookout_informer_list_duration")?.samples.filter((s) => s.includes("_bucket")) ??
    [];
  const les = buckets.map((s) => /le="([^"]+)"/.exec(s)?.[1]);
  assert.deepEqual(les, [
    "0.01",
    "0.025",
    "0.05",
    "0.1",
    "0.25",
    "0.5",
    "1",
    "2.5",
    "5",
    "10",
    "30",
    "60",
    "+Inf",
  ]);
  const narrowSamples = f.get("x_narrow_total")?.samples ?? [];
  assert.equal(narrowSamples.length, 4, narrowSamples.join("\n"));
  assert.ok(
    narrowSamples.some((s) => s.includes('otel_metric_overflow="true"') && s.endsWith(" 5")),
  );
  assert.equal(f.get("x_wide_total")?.samples.length, 8);
});

void test("views: a histogram whose creator sets its buckets (stream-delay's config) keeps them", async (t) => {
  const les = async (histogramBuckets?: Record<string, number[]>): Promise<unknown[]> => {
    const telemetry = createTelemetry({ env: {}, ...(histogramBuckets && { histogramBuckets }) });
    t.after(() => telemetry.shutdown());
    telemetry.meterProvider
      .getMeter("kube-lookout/plugin/stream-delay")
      .createHistogram("kube_lookout.watch.stream_delay", {
        unit: "s",
        advice: { explicitBucketBoundaries: [1, 2, 3] },
      })
      .record(1.5, { "k8s.resource": "v1/pods", "event.type": "ADDED" });
    const f = families(await telemetry.scrape());
    return (f.get("kube_lookout_watch_stream_delay")?.samples ?? [])
      .filter((s) => s.includes("_bucket"))
      .map((s) => /le="([^"]+)"/.exec(s)?.[1]);
  };
  assert.deepEqual(await les(), ["1", "2", "3", "+Inf"]);
  // An operator's histogramBuckets still wins.
  assert.deepEqual(await les({ "kube_lookout.watch.stream_delay": [5, 10] }), ["5", "10", "+Inf"]);
});

function gaugeProducer(name: string, values: () => number[]): MetricProducer {
  return {
    collect: () =>
      Promise.resolve({
        resourceMetrics: {
          resource: emptyResource(),
          scopeMetrics: [
            {
              scope: { name: "test/producer" },
              metrics: [
                {
                  descriptor: { name, description: "d", unit: "1", valueType: ValueType.INT },
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPointType: DataPointType.GAUGE,
                  dataPoints: values().map((v) => ({
                    startTime: [0, 0] as [number, number],
                    endTime: [0, 0] as [number, number],
                    attributes: { v: String(v) },
                    value: v,
                  })),
                },
              ],
            },
          ],
        },
        errors: [],
      }),
  };
}

void test("producers added after the provider answer at each scrape; one that rejects leaves the rest served", async (t) => {
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m) };
  const telemetry = createTelemetry({
    env: {},
    logger,
    metricProducers: [gaugeProducer("first", () => [1])],
  });
  t.after(() => telemetry.shutdown());
  let current = [1, 2];
  const remove = telemetry.addMetricProducer(gaugeProducer("later", () => current));
  let f = families(await telemetry.scrape());
  assert.equal(f.get("first")?.samples.length, 1);
  assert.equal(f.get("later")?.samples.length, 2);
  current = [2];
  f = families(await telemetry.scrape());
  assert.deepEqual(f.get("later")?.samples, ['later{v="2",otel_scope_name="test/producer"} 2']);
  remove();
  remove();
  telemetry.addMetricProducer({ collect: () => Promise.reject(new Error("boom")) });
  f = families(await telemetry.scrape());
  assert.equal(f.get("later"), undefined);
  assert.equal(f.get("first")?.samples.length, 1);
  assert.equal(warnings.length, 1);
});

void test("an observable gauge's gone attribute sets leave /metrics at the next scrape; counters stay", async (t) => {
  const telemetry = createTelemetry({ env: {} });
  t.after(() => telemetry.shutdown());
  const meter = telemetry.meterProvider.getMeter("test/gone");
  const workloads = new Map([
    ["web", 2],
    ["api", 1],
  ]);
  meter.createObservableGauge("test.workload.cpu", { unit: "{cpu}" }).addCallback((r) => {
    for (const [name, v] of workloads) r.observe(v, { workload: name });
  });
  const counter = meter.createCounter("test.restarts");
  counter.add(1, { workload: "api" });
  let f = families(await telemetry.scrape());
  assert.equal(f.get("test_workload_cpu")?.samples.length, 2);
  workloads.delete("api");
  f = families(await telemetry.scrape());
  assert.deepEqual(
    f.get("test_workload_cpu")?.samples.map((x) => x.split("{")[1]?.split(",")[0]),
    ['workload="web"'],
    "the deleted workload's series is gone",
  );
  assert.equal(f.get("test_restarts_total")?.samples.length, 1, "a counter keeps its total");
});

void test("shutdown is idempotent; afterwards /metrics answers 503 and producers are refused", async (t) => {
  const telemetry = createTelemetry({ env: {} });
  const server = await serveMetrics((req, res) => telemetry.handleMetrics(req, res));
  t.after(() => server.close());
  const a = telemetry.shutdown();
  assert.equal(telemetry.shutdown(), a);
  await a;
  await telemetry[Symbol.asyncDispose]();
  assert.equal((await fetch(server.url)).status, 503);
  assert.throws(() => telemetry.addMetricProducer(gaugeProducer("x", () => [])), {
    code: "LOOKOUT_TELEMETRY_CLOSED",
  });
  await assert.rejects(telemetry.scrape(), (err) => err instanceof TelemetryClosedError);
  const off = createTelemetry({ env: {}, prometheus: false });
  t.after(() => off.shutdown());
  await assert.rejects(off.scrape(), { code: "LOOKOUT_TELEMETRY_CLOSED" });
});

/** A loopback OTLP collector: resolves each POST's JSON body. */
async function collector(): Promise<{
  url: string;
  bodies: { path: string | undefined; body: unknown }[];
  next(): Promise<unknown>;
  close(): Promise<void>;
}> {
  const bodies: { path: string | undefined; body: unknown }[] = [];
  let waiting: ((b: unknown) => void) | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (text += d));
    req.on("end", () => {
      const body: unknown = JSON.parse(text);
      bodies.push({ path: req.url, body });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      waiting?.(body);
      waiting = undefined;
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    url: `http://127.0.0.1:${address.port}`,
    bodies,
    next: () => new Promise((resolve) => (waiting = resolve)),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

void test("OTLP: on by OTEL_EXPORTER_OTLP_ENDPOINT, pushes at OTEL_METRIC_EXPORT_INTERVAL with the resource", async (t) => {
  const otlp = await collector();
  t.after(() => otlp.close());
  const telemetry = createTelemetry({
    env: {
      ...ENV,
      OTEL_EXPORTER_OTLP_ENDPOINT: `${otlp.url}/`,
      OTEL_METRIC_EXPORT_INTERVAL: "100",
    },
    clusterName: "eu-1",
  });
  t.after(() => telemetry.shutdown());
  assert.equal(telemetry.otlpUrl, `${otlp.url}/v1/metrics`);
  telemetry.meterProvider.getMeter("kube-lookout/test").createCounter("pushed").add(1);
  const body = JSON.stringify(await otlp.next());
  assert.match(body, /"service.name"/);
  assert.match(body, /"eu-1"/);
  assert.match(body, /"pushed"/);
  assert.equal(otlp.bodies[0]?.path, "/v1/metrics");
});

void test("OTLP: shutdown flushes one last push (long interval)", async (t) => {
  const otlp = await collector();
  t.after(() => otlp.close());
  const telemetry = createTelemetry({
    env: {},
    otlp: { url: `${otlp.url}/custom`, intervalMs: 60_000 },
  });
  telemetry.meterProvider.getMeter("kube-lookout/test").createCounter("flushed").add(2);
  const pushed = otlp.next();
  await telemetry.shutdown();
  assert.match(JSON.stringify(await pushed), /"flushed"/);
  assert.equal(otlp.bodies[0]?.path, "/custom");
});

void test("bad options and environment: typed errors naming the option", () => {
  const cases: [Parameters<typeof createTelemetry>[0], string][] = [
    [{ env: {}, cardinalityLimit: 0 }, "cardinalityLimit"],
    [{ env: {}, cardinalityLimits: { a: 1.5 } }, "cardinalityLimits.a"],
    [{ env: {}, histogramBuckets: { h: [1, 1] } }, "histogramBuckets.h"],
    [{ env: {}, serviceName: "" }, "serviceName"],
    [{ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://x" } }, "OTEL_EXPORTER_OTLP_ENDPOINT"],
    [
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", OTEL_METRIC_EXPORT_INTERVAL: "5s" } },
      "OTEL_METRIC_EXPORT_INTERVAL",
    ],
    [{ env: {}, otlp: { intervalMs: 1000, timeoutMs: 2000 } }, "otlp.timeoutMs"],
    [{ env: {}, otlp: { url: "not a url" } }, "otlp.url"],
    [{ env: { OTEL_RESOURCE_ATTRIBUTES: "novalue" } }, "OTEL_RESOURCE_ATTRIBUTES"],
    [{ env: { OTEL_RESOURCE_ATTRIBUTES: "a=%E0%A4%A" } }, "OTEL_RESOURCE_ATTRIBUTES"],
  ];
  for (const [options, option] of cases)
    assert.throws(
      () => createTelemetry(options),
      { code: "LOOKOUT_TELEMETRY_INVALID_OPTION", option },
      option,
    );
  // otlp: false wins over the environment; nothing is pushed.
  const t = createTelemetry({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1" },
    otlp: false,
  });
  assert.equal(t.otlpUrl, undefined);
  void t.shutdown();
});

void test("a large scrape is written in chunks and arrives whole; a client leaving mid-body harms nothing", async (t) => {
  const values = Array.from({ length: 20_000 }, (_, i) => i);
  const telemetry = createTelemetry({
    env: {},
    metricProducers: [gaugeProducer("big", () => values)],
  });
  t.after(() => telemetry.shutdown());
  const server = await serveMetrics((req, res) => telemetry.handleMetrics(req, res));
  t.after(() => server.close());
  const expected = await telemetry.scrape();
  assert.ok(expected.length > 500_000);
  const res = await fetch(server.url);
  assert.equal(res.headers.get("transfer-encoding"), "chunked");
  assert.equal(await res.text(), expected);

  const abort = new AbortController();
  const partial = await fetch(server.url, { signal: abort.signal });
  const reader = partial.body?.getReader();
  await reader?.read();
  abort.abort();
  await assert.rejects(reader?.read() ?? Promise.reject(new Error("no body")));
  assert.equal(await (await fetch(server.url)).text(), expected);
});

void test("OTLP: a gauge's gone attribute sets stop with the next push (delta gauges, as /metrics)", async (t) => {
  const otlp = await collector();
  t.after(() => otlp.close());
  const telemetry = createTelemetry({
    env: { ...ENV, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_METRIC_EXPORT_INTERVAL: "100" },
  });
  t.after(() => telemetry.shutdown());
  let workloads = ["gone", "stays"];
  telemetry.meterProvider
    .getMeter("kube-lookout/test")
    .createObservableGauge("kube_lookout.resource.cpu.usage", { unit: "{cpu}" })
    .addCallback((r) => {
      for (const w of workloads) r.observe(1, { w });
    });
  telemetry.meterProvider.getMeter("kube-lookout/test").createCounter("pushed").add(1);
  let body = JSON.stringify(await otlp.next());
  assert.match(body, /"gone"/);
  workloads = ["stays"];
  await otlp.next(); // a push may have been collected before the change
  body = JSON.stringify(await otlp.next());
  assert.match(body, /"stays"/);
  assert.doesNotMatch(body, /"gone"/, "the gone series is not pushed again");
  assert.match(body, /"pushed"/, "counters stay cumulative");
});
