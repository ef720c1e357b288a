/**
 * The scrape benchmark's three bodies (ours, prom-client, the plain-loop limit) on a small series
 * count: each passes `promtool check metrics`, and all three hold the same samples (label order
 * aside), so the benchmark compares like with like.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { serializeLimit } from "../../bench/lib/scrape-limit.ts";
import { oursTelemetry } from "../../bench/lib/scrape-ours.ts";
import { promClientRegistry } from "../../bench/lib/scrape-prom-client.ts";
import { buildSeries } from "../../bench/lib/scrape-series.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { promtoolCheck } from "./scrape-support.ts";

after(assertNoActiveHandles);

/** The samples of a body, each as `name{sorted labels} value`, sorted; without target_info. */
function samples(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("target_info")) continue;
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m !== null, line);
    const labels = (m[2] ?? "").match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [];
    out.push(`${m[1]}{${labels.sort().join(",")}} ${m[3]}`);
  }
  return out.sort();
}

void test("the benchmark's bodies pass promtool and hold the same samples", async (t) => {
  const seed = Number(process.env["SEED"] ?? 1 + Math.floor(Math.random() * 1000));
  t.diagnostic(`seed ${seed}`);
  const series = buildSeries(300, seed);
  const telemetry = oursTelemetry(series);
  t.after(() => telemetry.shutdown());
  const bodies = {
    ours: await telemetry.scrape(),
    promClient: await promClientRegistry(series).metrics(),
    limit: serializeLimit(series),
  };
  const checks = await Promise.all(Object.values(bodies).map((body) => promtoolCheck(body)));
  assert.deepEqual(
    checks,
    Object.keys(bodies).map(() => ({ code: 0, output: "" })),
    `seed ${seed}`,
  );
  const expected = samples(bodies.limit);
  assert.equal(expected.length, series.samples);
  assert.deepEqual(samples(bodies.ours), expected, `ours vs limit (seed ${seed})`);
  assert.deepEqual(samples(bodies.promClient), expected, `promClient vs limit (seed ${seed})`);
});

void test("promtool rejects a broken body (the check can fail)", async () => {
  const broken = serializeLimit(buildSeries(30)).replace('le="+Inf"', "le=+Inf");
  assert.notEqual((await promtoolCheck(broken)).code, 0);
});
