/**
 * Manual benchmark (not a test): `npx node test/store/apply-speed.manual.ts [findingsPerRelease]`
 *
 * One `helm.apply` of 2,000 releases x 40 objects (realistic names and template paths) into a
 * fresh file with synchronous=FULL, then the same batch again (every row replaced), then
 * `loadReleases`, `loadFindings` and a reopen. `findingsPerRelease` (default 3) findings per
 * release; 120 is every object at three targets. The median of three runs of each figure; the
 * last line is one JSON object.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type ReleaseUpsert } from "../../src/store/index.ts";
import { findingsOf, release } from "./support.ts";

const perRelease = Number(process.argv[2] ?? "3");
const TARGETS = ["v1.22.0", "v1.25.0", "v1.29.0"];

function batch(): ReleaseUpsert[] {
  const out: ReleaseUpsert[] = [];
  for (let i = 0; i < 2000; i++) {
    const r = release(`team-${i % 60}`, `service-${i}`, 1 + (i % 12), 40, {
      payloadHash: `${i.toString(16).padStart(8, "0")}${"9f".repeat(28)}`,
    });
    // Every object is an Ingress here, so findingsOf can give up to 40 x 3.
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

function timed(f: () => unknown): number {
  const started = performance.now();
  f();
  return performance.now() - started;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const runs: Record<string, number[]> = {
  applyFresh: [],
  applyReplace: [],
  loadReleases: [],
  loadFindings: [],
  reopen: [],
};
const upserts = batch();
const findingRows = upserts.reduce((n, u) => n + u.findings.length, 0);
for (let run = 0; run < 3; run++) {
  const dir = mkdtempSync(join(tmpdir(), "lookout-store-speed-"));
  try {
    const path = join(dir, "s.db");
    let store = openStore({ path });
    runs.applyFresh!.push(timed(() => store.helm.apply({ upsert: upserts })));
    runs.applyReplace!.push(timed(() => store.helm.apply({ upsert: upserts })));
    runs.loadReleases!.push(timed(() => store.helm.loadReleases()));
    runs.loadFindings!.push(timed(() => store.helm.loadFindings()));
    store.close();
    runs.reopen!.push(timed(() => (store = openStore({ path }))));
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const result: Record<string, number> = { releases: 2000, objects: 80_000, findingRows };
for (const [name, xs] of Object.entries(runs)) result[`${name}Ms`] = Math.round(median(xs));
console.log(JSON.stringify(result));
