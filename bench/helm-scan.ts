/**
 * `npm run bench -- helm-scan [--releases N] [--threads T]`: decode-and-scan of R Helm release
 * payloads (Secret driver, ~40 objects each), measured four ways in one run:
 * - baseline: one thread, decode, then every document parsed by the `yaml` package (the way
 *   kdave and Pluto do it);
 * - oursInThread: one thread, `scanRelease` (fast scanner, `yaml` fallback);
 * - ours: `ScanPool.scanMany` with T threads (default: available cores), payloads batched;
 * - oursPerTask: `ScanPool.scan` once per payload;
 * - limit: one thread, base64 + gunzip + JSON.parse only, no manifest reading.
 * Asserts that ours finds exactly the baseline's objects. The last line is one JSON object.
 * Payloads come from the test fixtures' builders (test/helm/decode/).
 */
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { parseAllDocuments } from "yaml";
import { ScanPool, scanRelease, type ScanResult } from "../src/helm/decode/index.ts";
import { configMap, deployment, service } from "../test/helm/decode/manifest-fixtures.ts";
import { encodePayload, releaseJson } from "../test/helm/decode/payload-builder.ts";

const { values } = parseArgs({
  options: {
    releases: { type: "string", default: "2000" },
    threads: { type: "string", default: String(availableParallelism()) },
  },
});
const R = Number(values.releases);
const T = Number(values.threads);

function manifestFor(r: number): string {
  const parts: string[] = [];
  for (let i = 0; parts.length < 39; i++) {
    parts.push(service(`svc-${r}-${i}`), deployment(`app-${r}-${i}`), configMap(`cfg-${r}-${i}`));
  }
  parts.push(
    `---\n# Source: c/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: pdb-${r}\nspec:\n  minAvailable: 1\n`,
  );
  return parts.join("");
}

const payloads: string[] = [];
let manifestBytes = 0;
for (let r = 0; r < R; r++) {
  const manifest = manifestFor(r);
  manifestBytes += manifest.length;
  payloads.push(encodePayload(releaseJson(`rel-${r}`, manifest), "secret"));
}

type Obj = { apiVersion: string; kind: string; name?: string; namespace?: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function manifestOf(value: string): string {
  const bytes = gunzipSync(Buffer.from(Buffer.from(value, "base64").toString("latin1"), "base64"));
  const release: unknown = JSON.parse(bytes.toString("utf8"));
  if (!isRecord(release) || typeof release["manifest"] !== "string") throw new Error("bad payload");
  return release["manifest"];
}

function baselineOne(value: string): Obj[] {
  const out: Obj[] = [];
  const docs = parseAllDocuments(manifestOf(value));
  if (!Array.isArray(docs)) return out;
  for (const doc of docs) {
    const v: unknown = doc.toJS();
    if (!isRecord(v)) continue;
    const meta = isRecord(v["metadata"]) ? v["metadata"] : {};
    const o: Obj = { apiVersion: String(v["apiVersion"]), kind: String(v["kind"]) };
    if (typeof meta["name"] === "string") o.name = meta["name"];
    if (typeof meta["namespace"] === "string") o.namespace = meta["namespace"];
    out.push(o);
  }
  return out;
}

function limitOne(value: string): number {
  return manifestOf(value).length;
}

function strip(r: ScanResult): Obj[] {
  return r.objects.map(({ apiVersion, kind, name, namespace }) => ({
    apiVersion,
    kind,
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
  }));
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

// Warm-up (JIT) on a slice, then the measured runs.
for (const p of payloads.slice(0, 50)) {
  baselineOne(p);
  scanRelease({ value: p, driver: "secret" });
  limitOne(p);
}
const baseline = timed(() => payloads.map(baselineOne));
const inThread = timed(() => payloads.map((value) => scanRelease({ value, driver: "secret" })));
const limit = timed(() => payloads.map(limitOne));
const pool = new ScanPool({ maxThreads: T });
let ours: { ms: number; value: ScanResult[] };
let perTask: { ms: number; value: ScanResult[] };
try {
  await Promise.all(
    payloads.slice(0, 4 * T).map((value) => pool.scan({ value, driver: "secret" })),
  );
  let start = performance.now();
  const value = await Promise.all(payloads.map((v) => pool.scan({ value: v, driver: "secret" })));
  perTask = { ms: performance.now() - start, value };
  start = performance.now();
  const batched = await pool.scanMany(payloads.map((v) => ({ value: v, driver: "secret" })));
  ours = { ms: performance.now() - start, value: batched };
} finally {
  await pool.close();
}

for (let r = 0; r < R; r++) {
  assert.deepEqual(strip(inThread.value[r]!), baseline.value[r], `release ${r} (in thread)`);
  assert.deepEqual(strip(ours.value[r]!), baseline.value[r], `release ${r} (pool)`);
  assert.deepEqual(perTask.value[r], ours.value[r], `release ${r} (pool, one per task)`);
  assert.equal(ours.value[r]!.errors.length, 0);
}

const perSec = (ms: number): number => Math.round((R / ms) * 1000);
const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
console.log(
  JSON.stringify({
    releases: R,
    objectsPerRelease: baseline.value[0]!.length,
    manifestMiB: Math.round((manifestBytes / 2 ** 20) * 10) / 10,
    threads: T,
    ours: perSec(ours.ms),
    oursPerTask: perSec(perTask.ms),
    oursInThread: perSec(inThread.ms),
    baseline: perSec(baseline.ms),
    limit: perSec(limit.ms),
    ratios: {
      vsBaseline: ratio(baseline.ms, ours.ms),
      inThreadVsBaseline: ratio(baseline.ms, inThread.ms),
      vsLimit: ratio(limit.ms, ours.ms),
    },
  }),
);
