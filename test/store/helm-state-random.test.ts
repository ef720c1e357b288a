import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { mulberry32 } from "../../src/sim/index.ts";
import {
  openStore,
  type HelmStateChange,
  type LookoutStore,
  type ReleaseFindings,
  type StoredRelease,
} from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { codeOf, findingsOf, release, tempDir } from "./support.ts";

after(assertNoActiveHandles);

const TARGETS = ["v1.22.0", "v1.25.0", "v1.29.0", "v1.32.0"];

const keyOf = (ns: string, name: string): string => `${ns}/${name}`;

interface ModelEntry {
  release: StoredRelease;
  findings: ReleaseFindings;
}

void test("random apply sequences match a model, across reopens (seeded)", (t) => {
  const seed = Number(process.env.STORE_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const path = join(tempDir(t), "s.db");
  let store: LookoutStore = openStore({ path });
  t.after(() => store.close());
  const model = new Map<string, ModelEntry>();
  const targets = (): string[] => TARGETS.filter(() => random() < 0.5);
  let step = 0;
  try {
    for (step = 0; step < 300; step++) {
      const change: { -readonly [K in keyof HelmStateChange]: HelmStateChange[K] } = {};
      const next = new Map(model);
      let bad = false;
      const upserts = [];
      for (let i = Math.floor(random() * 4); i > 0; i--) {
        const r = release(
          pick(["a", "b", "c"]),
          pick(["p", "q", "r", "s", "t"]),
          1 + step,
          Math.floor(random() * 6),
        );
        const findings = findingsOf(r, targets());
        const computedAt = step * 10 + i;
        upserts.push({ release: r, findings, computedAt });
        next.set(keyOf(r.namespace, r.release), {
          release: r,
          findings: {
            namespace: r.namespace,
            release: r.release,
            revision: r.revision,
            payloadHash: r.payloadHash,
            computedAt,
            findings,
          },
        });
      }
      change.upsert = upserts;
      const replacements = [];
      for (let i = Math.floor(random() * 3); i > 0; i--) {
        const key = pick([...next.keys(), "a/ghost"]);
        const entry = next.get(key);
        if (entry === undefined) {
          bad = true;
          const [namespace = "", name = ""] = key.split("/");
          replacements.push({ namespace, release: name, findings: [], computedAt: step });
          continue;
        }
        const findings = findingsOf(entry.release, targets());
        replacements.push({
          namespace: entry.release.namespace,
          release: entry.release.release,
          findings,
          computedAt: step,
        });
        next.set(key, {
          release: entry.release,
          findings: { ...entry.findings, computedAt: step, findings },
        });
      }
      change.replaceFindings = replacements;
      const deletes = [];
      for (let i = Math.floor(random() * 3); i > 0; i--) {
        const key = pick([...next.keys(), "c/none"]);
        const [namespace = "", name = ""] = key.split("/");
        deletes.push({ namespace, release: name });
        next.delete(key);
      }
      change.delete = deletes;
      if (bad) {
        assert.throws(
          () => store.helm.apply(change),
          (err) => codeOf(err) === "LOOKOUT_STORE_BAD_INPUT",
        );
      } else {
        store.helm.apply(change);
        model.clear();
        for (const [k, v] of next) model.set(k, v);
      }
      if (random() < 0.1) {
        store.close();
        store = openStore({ path });
      }
      const sorted = [...model.keys()].sort().map((k) => model.get(k)!);
      assert.deepEqual(
        store.helm.loadReleases(),
        sorted.map((e) => e.release),
      );
      assert.deepEqual(
        store.helm.loadFindings(),
        sorted.map((e) => e.findings),
      );
      assert.equal(store.helm.releaseCount(), model.size);
    }
  } catch (err) {
    t.diagnostic(`failed at step ${step} with STORE_SEED=${seed}`);
    throw err;
  }
});
