import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { after, test, type TestContext } from "node:test";
import { telemetryOptionsFrom } from "../../src/cli/run-options.ts";
import { resolveConfig, type LookoutConfig } from "../../src/config/index.ts";
import { createTelemetry, type Telemetry } from "../../src/telemetry/index.ts";
import { startServer } from "../kube/http-server.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

type Env = Readonly<Record<string, string | undefined>>;

interface Push {
  readonly path: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** A loopback OTLP collector recording each push's path and headers. */
async function collector(t: TestContext): Promise<{ url: string; next(): Promise<Push> }> {
  let waiting: ((push: Push) => void) | undefined;
  const { url } = await startServer(t, (req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      waiting?.({ path: req.url, headers: req.headers });
      waiting = undefined;
    });
  });
  return { url, next: () => new Promise((resolve) => (waiting = resolve)) };
}

/** The first push, or a failure after `ms` (the default 60 s interval would not push in time). */
async function firstPush(pending: Promise<Push>, ms = 5000): Promise<Push> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no OTLP push within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

function start(t: TestContext, config: LookoutConfig, env: Env): Telemetry {
  // As the sidecar does (it reads process.env, here `env` stands in for it).
  const telemetry = createTelemetry({ ...telemetryOptionsFrom(config, "0.0.0-test", env), env });
  t.after(() => telemetry.shutdown());
  telemetry.meterProvider.getMeter("kube-lookout/test").createCounter("pushed").add(1);
  return telemetry;
}

const CONFIGURED = resolveConfig({
  env: {},
  text: "telemetry: { otlp: { intervalSeconds: 100ms, headers: { x-team: payments } } }",
});

for (const variable of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]) {
  void test(`OTLP on by ${variable}: the configured interval and headers apply`, async (t) => {
    const otlp = await collector(t);
    const url = variable === "OTEL_EXPORTER_OTLP_ENDPOINT" ? otlp.url : `${otlp.url}/v1/metrics`;
    const pushed = otlp.next();
    const telemetry = start(t, CONFIGURED, { [variable]: url });
    assert.equal(telemetry.otlpUrl, `${otlp.url}/v1/metrics`);
    const push = await firstPush(pushed);
    assert.equal(push.path, "/v1/metrics");
    assert.equal(push.headers["x-team"], "payments");
  });
}

void test("OTLP on by telemetry.otlp.endpoint: the endpoint, interval and headers apply", async (t) => {
  const otlp = await collector(t);
  const config = resolveConfig({
    env: {},
    text: `telemetry: { otlp: { endpoint: "${otlp.url}/custom", intervalSeconds: 0.1, headers: { x-team: a } } }`,
  });
  const pushed = otlp.next();
  const telemetry = start(t, config, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1" });
  assert.equal(telemetry.otlpUrl, `${otlp.url}/custom`, "the configured endpoint wins");
  const push = await firstPush(pushed);
  assert.equal(push.path, "/custom");
  assert.equal(push.headers["x-team"], "a");
});

void test("OTLP stays off without an endpoint in the config or the environment", async (t) => {
  for (const env of [
    {},
    { OTEL_EXPORTER_OTLP_ENDPOINT: "  ", OTEL_METRIC_EXPORT_INTERVAL: "100" },
  ]) {
    const options = telemetryOptionsFrom(CONFIGURED, "0.0.0-test", env);
    assert.equal(options.otlp, undefined, JSON.stringify(env));
    assert.equal(start(t, CONFIGURED, env).otlpUrl, undefined, JSON.stringify(env));
  }
});

void test("an unset interval is left to OTEL_METRIC_EXPORT_INTERVAL", async (t) => {
  const otlp = await collector(t);
  const config = resolveConfig({
    env: {},
    text: "telemetry: { otlp: { headers: { x-team: b } } }",
  });
  assert.equal(config.telemetry.otlp.intervalSeconds, undefined);
  const pushed = otlp.next();
  start(t, config, { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_METRIC_EXPORT_INTERVAL: "100" });
  const push = await firstPush(pushed);
  assert.equal(push.headers["x-team"], "b");
});

void test("OTEL_SERVICE_NAME names the service in run's telemetry; kube-lookout by default", (t) => {
  const named = start(t, CONFIGURED, { OTEL_SERVICE_NAME: "kl-east" });
  assert.equal(named.resource.attributes["service.name"], "kl-east");
  assert.equal(start(t, CONFIGURED, {}).resource.attributes["service.name"], "kube-lookout");
});
