/**
 * Manual benchmark (not a test):
 * `npx node test/store/apply-speed.manual.ts [findingsPerRelease] [objectsPerRelease]`
 *
 * 2,000 releases x `objectsPerRelease` objects (default 40; realistic names and template
 * paths), every object an Ingress so that up to objects x 3 targets findings exist, of which
 * the first `findingsPerRelease` (default 3) are kept. Into a fresh file with
 * synchronous=FULL: one `helm.apply` of all 2,000 (`applyFresh`), the same batch again (every
 * row replaced, `applyReplace`), `replaceFindings` of all 2,000 (`replaceFindings`), then
 * `loadReleases`, `loadFindings` and a reopen; then, into another fresh file, the Helm
 * checker's cold full scan: one `apply` per batch of 256 releases (`applyBatched256`, the sum
 * of wall times; `applyBatched256Cpu`, the process's CPU time in those calls, which leaves out
 * waiting for fsync).
 * The median of three runs of each figure; the last line is one JSON object.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore as openThisStore, type ReleaseUpsert } from "../../src/store/index.ts";
import { findingsOf, release } from "./support.ts";

// STORE_MODULE: another copy of src/store/index.ts to compare (e.g. the previous commit's).
const openStore: typeof openThisStore =
  process.env.STORE_MODULE === undefined
    ? openThisStore
    : (await import(process.env.STORE_MODULE)).openStore;
const perRelease = Number(process.argv[2] ?? "3");
const objectsPerRelease = Number(process.argv[3] ?? "40");
const TARGETS = ["v1.22.0", "v1.25.0", "v1.29.0"];
const RELEASES = 2000;
const BATCH = 256;

function batch(): ReleaseUpsert[] {
  const out: ReleaseUpsert[] = [];
  for (let i = 0; i < RELEASES; i++) {
    const r = release(`team-${i % 60}`, `service-${i}`, 1 + (i % 12), objectsPerRelease, {
      payloadHash: `${i.toString(16).padStart(8, "0")}${"9f".repeat(28)}`,
    });
    // Every object is an Ingress here, so findingsOf gives objects x 3.
    const objects = r.objects.map((o) => ({
      ...o,
      apiVersion: "extensions/v1beta1",
      kind: "Ingress",
    }));
    const full = { ...r, objects };
    out.push({
      release: full,
      findings: findingsOf(full, TARGETS).slice(0, perRelease),
      computedAt: 7,
    });
  }
  return out;
}

/** Milliseconds of main-thread CPU (user + system) spent in the calls so far. */
let cpuMs = 0;

function timed(f: () => unknown): number {
  const cpu = process.cpuUsage();
  const started = performance.now();
  f();
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  cpuMs += (used.user + used.system) / 1000;
  return wall;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const runs: Record<string, number[]> = {
  applyFresh: [],
  applyReplace: [],
  replaceFindings: [],
  applyBatched256: [],
  applyBatched256Cpu: [],
  loadReleases: [],
  loadFindings: [],
  reopen: [],
};
const upserts = batch();
const replacements = upserts.map((u) => ({
  namespace: u.release.namespace,
  release: u.release.release,
  findings: u.findings,
  computedAt: 8,
}));
const findingRows = upserts.reduce((n, u) => n + u.findings.length, 0);
for (let run = 0; run < 3; run++) {
  const dir = mkdtempSync(join(tmpdir(), "lookout-store-speed-"));
  try {
    const path = join(dir, "s.db");
    let store = openStore({ path });
    runs.applyFresh!.push(timed(() => store.helm.apply({ upsert: upserts })));
    runs.applyReplace!.push(timed(() => store.helm.apply({ upsert: upserts })));
    runs.replaceFindings!.push(timed(() => store.helm.apply({ replaceFindings: replacements })));
    runs.loadReleases!.push(timed(() => store.helm.loadReleases()));
    runs.loadFindings!.push(timed(() => store.helm.loadFindings()));
    store.close();
    runs.reopen!.push(timed(() => (store = openStore({ path }))));
    store.close();
    const batched = openStore({ path: join(dir, "b.db") });
    let total = 0;
    cpuMs = 0;
    for (let i = 0; i < upserts.length; i += BATCH) {
      const part = upserts.slice(i, i + BATCH);
      total += timed(() => batched.helm.apply({ upsert: part }));
    }
    runs.applyBatched256!.push(total);
    runs.applyBatched256Cpu!.push(cpuMs);
    batched.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const result: Record<string, number> = {
  releases: RELEASES,
  objects: RELEASES * objectsPerRelease,
  findingRows,
};
for (const [name, xs] of Object.entries(runs)) result[`${name}Ms`] = Math.round(median(xs));
console.log(JSON.stringify(result));
