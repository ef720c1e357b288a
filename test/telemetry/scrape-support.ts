/** Helpers of the telemetry tests: a loopback server for a handler, promtool, scrape parsing. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { HelmChecker, type HelmCheckerOptions } from "../../src/helm/index.ts";
import type { KubeClient } from "../../src/kube/index.ts";
import { findPrometheusFamily, type Telemetry } from "../../src/telemetry/index.ts";

/** A node:http server on 127.0.0.1 port 0 serving `handler` at `/metrics` (404 elsewhere). */
export async function serveMetrics(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === "/metrics") handler(req, res);
    else res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    url: `http://127.0.0.1:${address.port}/metrics`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Runs `promtool check metrics` on `text` (stdin); resolves with its exit code and output. */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const bin = process.env["PROMTOOL"] ?? "promtool";
  const child = spawn(bin, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  child.stdin.end(text);
  const [code]: unknown[] = await once(child, "close");
  return { code: typeof code === "number" ? code : -1, output };
}

/** Metric families in a scrape: name → `# TYPE`, `# UNIT` and sample lines. */
export interface Family {
  type: string | undefined;
  unit: string | undefined;
  samples: string[];
}

/** Parses the families of a Prometheus text scrape (samples are grouped by their family's name). */
export function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  const get = (name: string): Family => {
    let f = out.get(name);
    if (f === undefined) out.set(name, (f = { type: undefined, unit: undefined, samples: [] }));
    return f;
  };
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const meta = /^# (TYPE|UNIT|HELP) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, what, name = "", rest = ""] = meta;
      current = name;
      if (what === "TYPE") get(name).type = rest;
      if (what === "UNIT") get(name).unit = rest;
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? "";
    const family =
      current !== undefined && (sample === current || sample.startsWith(`${current}_`))
        ? current
        : sample;
    get(family).samples.push(line);
  }
  return out;
}

/** Every family of `component` is catalogued with its type, unit and label names. */
export function assertCatalogued(
  f: Map<string, Family>,
  prefix: string,
  component: string,
): string[] {
  const names = [...f.keys()].filter((n) => n.startsWith(prefix));
  for (const name of names) {
    const e = findPrometheusFamily(name);
    assert.ok(e !== undefined && e.component === component, `${name} is not in the catalogue`);
    const family = f.get(name);
    assert.equal(family?.type, e.prometheusType, name);
    assert.equal(family?.unit, e.unit, name);
    const allowed = new Set([
      "otel_scope_name",
      "le",
      ...e.attributes.map((a) => a.replace(/[^a-zA-Z0-9_]/g, "_")),
    ]);
    for (const sample of family?.samples ?? [])
      for (const m of sample.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="/g))
        assert.ok(allowed.has(m[1] ?? ""), `${m[1]} on ${name}: ${sample}`);
  }
  return names.sort();
}

/**
 * A Helm checker metered by `telemetry` (its findings producer added; its state in `store` when
 * given), started and through its first scan, with `/metrics` served on loopback; both closed
 * after the test.
 */
export async function meteredChecker(
  t: { after(fn: () => unknown): void },
  client: KubeClient,
  telemetry: Telemetry,
  store?: HelmCheckerOptions["store"],
): Promise<{ checker: HelmChecker; url: string }> {
  const checker = new HelmChecker({
    client,
    ...(store === undefined ? {} : { store }),
    meterProvider: telemetry.meterProvider,
    maxThreads: 1,
    incrementalDelayMs: 10,
    fullScanIntervalMs: 0,
  });
  t.after(() => checker.close());
  telemetry.addMetricProducer(checker.metricProducer);
  const server = await serveMetrics((req, res) => telemetry.handleMetrics(req, res));
  t.after(() => server.close());
  await checker.start();
  await checker.ready;
  return { checker, url: server.url };
}
