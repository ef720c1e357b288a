/**
 * `npm run bench -- helm [--releases 2000] [--revisions 5] [--objects 40] [--driver secret]`
 *
 * A simulated API server (in its own process) seeded with R Helm releases of 5 revisions each,
 * ~40 objects per manifest. Three ways of producing the same findings, each timed end to end:
 * - ours: the HelmChecker from a cold start (fresh SQLite file, new pool, metadata-only
 *   discovery, newest deployed payloads only, scans on worker threads) until `ready`;
 * - baseline: as kdave and Pluto do it (bench/lib/helm-baseline.ts): every revision listed with
 *   its payload, decoded, every document parsed by `yaml`, one thread;
 * - limit: list + base64 + gunzip of the newest deployed payloads only (bench/lib/helm-limit.ts).
 * Then five releases are upgraded one after the other and the time until ours has re-checked
 * each is measured (incremental, median of the five): `incrementalMs` is that re-check (one
 * release fetched, decoded, evaluated, persisted) and `ratios.incrementalVsFull` compares it with the cold full scan (`fullScanMs`);
 * `incrementalEndToEndMs` also counts the watch event's trip from the server and the debounce.
 * Ours and the limit run five times, alternating (median: this machine's noise moves single
 * rounds by ±20 %); the baseline once (it is slow).
 * Ours' findings must equal the baseline's (asserted). Last line: one JSON object.
 */
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import module from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HelmChecker, parseKubeVersion, type HelmFinding } from "../src/helm/index.ts";
import { KubeClient } from "../src/kube/index.ts";
import { openStore } from "../src/store/index.ts";
import { helmBaseline } from "./lib/helm-baseline.ts";
import { helmLimit } from "./lib/helm-limit.ts";
import { ratio } from "./lib/measure.ts";
import { median } from "./lib/median.ts";

// The checker runs as the CLI runs it (bin/kube-lookout.js): with Node's compile cache, passed on
// to the scan pool's worker threads, which then neither strip types nor compile again at each
// start (the first round of a first run fills the cache).
const cache = module.enableCompileCache();
if (cache.directory !== undefined) process.env.NODE_COMPILE_CACHE ??= cache.directory;

const { values } = parseArgs({
  options: {
    releases: { type: "string", default: "2000" },
    revisions: { type: "string", default: "5" },
    objects: { type: "string", default: "40" },
    driver: { type: "string", default: "secret" },
    /** Development only: skip the (slow) baseline; no ratio against it and no equality check. */
    "skip-baseline": { type: "boolean", default: false },
  },
});
const R = Number(values.releases);
/** Releases upgraded one after the other for the incremental re-check (median reported). */
const UPGRADES = 5;
if (!Number.isSafeInteger(R) || R < UPGRADES)
  throw new Error(`--releases must be >= ${UPGRADES}, got ${values.releases}`);
const log = (text: string): void => void process.stderr.write(`${text}\n`);
const ROUNDS = 5;
const CLUSTER_VERSION = "v1.25.4";

type Ready = {
  type: "ready";
  url: string;
  seeded: { revisions: number; payloadBytes: number; ms: number };
};
const child = fork(
  new URL("lib/helm-server.ts", import.meta.url),
  [String(R), values.revisions, values.objects, values.driver, CLUSTER_VERSION],
  { stdio: ["ignore", "inherit", "inherit", "ipc"] },
);
function next<T>(type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }): void => {
      if (m.type !== type) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- our own child's IPC message
      resolve(m as T);
    };
    const onExit = (code: number | null): void => reject(new Error(`server exited (${code})`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

function key(f: HelmFinding): string {
  return JSON.stringify([
    f.namespace,
    f.release,
    f.revision,
    f.source,
    f.kind,
    f.name,
    f.objectNamespace,
    f.apiVersion,
    f.target,
    f.status,
  ]);
}

/** CPU time (user + system, all threads of this process) since `start`, in ms. */
function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/**
 * Upgrades `target` on the server and waits until ours has the new revision's findings and its
 * incremental scan's summary: the scan's own duration (asserted to have decoded one release)
 * and the time from the upgrade request to the findings.
 */
async function measureIncremental(
  checker: HelmChecker,
  target: { namespace: string; release: string; revision: number },
): Promise<{ scanMs: number; endToEndMs: number }> {
  const before = checker.status().lastScan;
  const { promise: changed, resolve, reject } = Promise.withResolvers<number>();
  const unsubscribe = checker.onFindingsChanged((c) => {
    if (c.release === target.release && c.revision === target.revision + 1)
      resolve(performance.now());
  });
  const started = performance.now();
  child.send({
    type: "upgrade",
    namespace: target.namespace,
    name: target.release,
    manifest: "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: pdb\n",
  });
  const timer = setTimeout(
    () => reject(new Error(`no findings change of ${target.release}`)),
    60_000,
  );
  const endToEndMs = (await changed.finally(() => clearTimeout(timer))) - started;
  unsubscribe();
  // The change is emitted as the scan commits; the scan's summary follows at once.
  while (checker.status().lastScan === before) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- a few turns of the event loop
    await new Promise((go) => setImmediate(go));
  }
  const last = checker.status().lastScan;
  assert.equal(last?.mode, "incremental");
  assert.equal(last.decoded, 1, "the incremental check decodes one release");
  return { scanMs: last.durationMs, endToEndMs };
}

const ready = await next<Ready>("ready");
log(
  `helm benchmark: ${R} releases, ${ready.seeded.revisions} revisions, ` +
    `${Math.round(ready.seeded.payloadBytes / 2 ** 20)} MiB of payloads (seeded in ${Math.round(ready.seeded.ms)} ms)`,
);
const v = parseKubeVersion(CLUSTER_VERSION);
const targets = {
  kubernetes: [0, 1, 2].map((o) => ({ major: v.major, minor: v.minor + o, patch: 0 })),
};
const dir = await mkdtemp(join(tmpdir(), "kl-helm-bench-"));
try {
  // Limit first (warms the server's list path too), then ours, ROUNDS rounds each, alternating.
  const limitMs: number[] = [];
  const oursMs: number[] = [];
  const limitCpuMs: number[] = [];
  const oursCpuMs: number[] = [];
  let oursFindings: HelmFinding[] = [];
  let oursReleases = 0;
  let limitReleases = 0;
  let incrementalMs = 0;
  let incrementalScanMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t0 = performance.now();
    let cpu0 = process.cpuUsage();
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds are sequential
    const limit = await helmLimit({ url: ready.url });
    limitMs.push(performance.now() - t0);
    limitCpuMs.push(cpuMs(cpu0));
    limitReleases = limit.releases;

    const store = openStore({ path: join(dir, `ours-${round}.db`) });
    const client = new KubeClient({ server: ready.url });
    const checker = new HelmChecker({
      client,
      store: store.helm,
      maxThreads: availableParallelism(),
      incrementalDelayMs: 0,
      fullScanIntervalMs: 0,
    });
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds are sequential
    await checker.start();
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds are sequential
    await checker.ready;
    oursMs.push(performance.now() - t0);
    oursCpuMs.push(cpuMs(cpu0));
    oursFindings = checker.findings();
    oursReleases = checker.status().releases;
    log(
      `round ${round + 1}: limit ${Math.round(limitMs.at(-1)!)} ms (CPU ${Math.round(limitCpuMs.at(-1)!)} ms), ` +
        `ours ${Math.round(oursMs.at(-1)!)} ms (CPU ${Math.round(oursCpuMs.at(-1)!)} ms) ` +
        `(${JSON.stringify(checker.status().lastScan)})`,
    );
    if (round === ROUNDS - 1) {
      // Incremental: upgrade one release at a time, time until ours has its new findings.
      const scans: number[] = [];
      const endToEnd: number[] = [];
      for (const target of checker.releases().slice(0, UPGRADES)) {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one upgrade at a time
        const one = await measureIncremental(checker, target);
        scans.push(one.scanMs);
        endToEnd.push(one.endToEndMs);
      }
      incrementalScanMs = median(scans);
      incrementalMs = median(endToEnd);
      log(
        `incremental (${UPGRADES} upgrades, one at a time): scan ${scans.map((x) => x.toFixed(1)).join(", ")} ms; ` +
          `upgrade to findings ${endToEnd.map((x) => x.toFixed(1)).join(", ")} ms`,
      );
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds are sequential
    await checker.close();
    client.close();
    store.close();
  }
  if (values["skip-baseline"]) {
    const rate = (ms: number): number => Math.round((R * 1000) / ms);
    log(`ours ${rate(median(oursMs))} releases/s, limit ${rate(median(limitMs))} releases/s`);
    process.exitCode = 3;
    throw new Error("--skip-baseline: no baseline, so no result line (development runs only)");
  }
  // The upgraded releases now have a new revision; the baseline sees the same state as ours did.
  const t0 = performance.now();
  const baseline = await helmBaseline({ url: ready.url, targets });
  const baselineMs = performance.now() - t0;
  log(
    `baseline: ${Math.round(baselineMs)} ms, ${baseline.releases} releases, ${baseline.findings.length} findings`,
  );

  // Identical results: ours (before the upgrades) vs the baseline (after them), minus those
  // releases.
  const upgraded = new Set(
    baseline.findings
      .filter((f) => f.apiVersion === "policy/v1beta1" && f.name === "pdb")
      .map((f) => f.release),
  );
  const strip = (fs: HelmFinding[]) =>
    fs
      .filter((f) => !upgraded.has(f.release))
      .map(key)
      .sort();
  assert.equal(upgraded.size, UPGRADES);
  assert.equal(oursReleases, baseline.releases);
  assert.equal(limitReleases, baseline.releases);
  assert.ok(oursFindings.length > 0);
  assert.deepEqual(strip(oursFindings), strip(baseline.findings), "ours and the baseline agree");

  const oursFull = median(oursMs);
  const limitFull = median(limitMs);
  const rate = (ms: number): number => Math.round((R * 1000) / ms);
  const ours = rate(oursFull);
  const base = rate(baselineMs);
  const lim = rate(limitFull);
  console.log(
    JSON.stringify({
      releases: R,
      findings: oursFindings.length,
      ours,
      baseline: base,
      limit: lim,
      fullScanMs: Math.round(oursFull),
      baselineMs: Math.round(baselineMs),
      limitMs: Math.round(limitFull),
      // The re-check itself (the incremental scan: fetch, decode, evaluate, persist) against
      // the full scan from a cold start; end to end adds the watch event's trip from the server
      // process and the timer that lets a burst of changes coalesce.
      // CPU time of the measuring process (main thread and workers; the server's is apart).
      oursCpuMs: Math.round(median(oursCpuMs)),
      limitCpuMs: Math.round(median(limitCpuMs)),
      incrementalMs: Math.round(incrementalScanMs * 10) / 10,
      incrementalEndToEndMs: Math.round(incrementalMs * 10) / 10,
      ratios: {
        vsBaseline: ratio(ours, base),
        vsLimit: ratio(ours, lim),
        incrementalVsFull: Math.round((incrementalScanMs / oursFull) * 10000) / 10000,
        incrementalEndToEndVsFull: Math.round((incrementalMs / oursFull) * 10000) / 10000,
      },
    }),
  );
} finally {
  child.send({ type: "stop" });
  await rm(dir, { recursive: true, force: true });
}
