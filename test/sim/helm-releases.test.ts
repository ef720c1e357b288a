import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { after, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { builtinTable, decodeRelease } from "../../src/helm/index.ts";
import {
  SimError,
  encodeHelmPayload,
  generateHelmReleases,
  helmStorageObject,
} from "../../src/sim/index.ts";
import type { KubeObject } from "../../src/kube/index.ts";
import type { HelmReleaseJson, SimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster, http } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

const codeIs = (code: string) => (e: unknown) => e instanceof SimError && e.code === code;

/** The Helm storage objects of a namespace over HTTP, like `kubectl get secrets -l owner=helm`. */
async function stored(c: SimulatedCluster, resource: string, namespace: string): Promise<Json[]> {
  const r = await http(
    c,
    "GET",
    `/api/v1/namespaces/${namespace}/${resource}?labelSelector=owner%3Dhelm`,
  );
  assert.equal(r.status, 200);
  return r.json.items;
}

/** The `data.release` string of a storage object. */
function releaseOf(o: KubeObject): string {
  const data: Json = o["data"];
  assert.equal(typeof data?.release, "string");
  return String(data.release);
}

const MANIFEST =
  "---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";

void test("encodeHelmPayload / helmStorageObject: what Helm writes, readable by decodeRelease", () => {
  const release: HelmReleaseJson = {
    name: "web",
    namespace: "apps",
    version: 3,
    info: {
      first_deployed: "2026-01-01T00:00:00Z",
      last_deployed: "2026-01-02T00:00:00Z",
      deleted: "",
      description: "Upgrade complete",
      status: "deployed",
    },
    chart: {
      metadata: { name: "web", version: "1.2.3", apiVersion: "v2" },
      templates: [],
      values: {},
    },
    config: {},
    manifest: MANIFEST,
  };
  const secret = helmStorageObject(release, "secret");
  assert.equal(secret.kind, "Secret");
  assert.equal(secret["type"], "helm.sh/release.v1");
  assert.deepEqual(secret.metadata, {
    name: "sh.helm.release.v1.web.v3",
    namespace: "apps",
    labels: {
      modifiedAt: String(Date.UTC(2026, 0, 2) / 1000),
      name: "web",
      owner: "helm",
      status: "deployed",
      version: "3",
    },
  });
  const cm = helmStorageObject(release, "configmap", { status: "superseded", modifiedAt: 7 });
  assert.equal(cm.kind, "ConfigMap");
  assert.equal(cm["type"], undefined);
  assert.equal(cm.metadata.labels?.["status"], "superseded");
  assert.equal(cm.metadata.labels?.["modifiedAt"], "7");

  const secretValue = releaseOf(secret);
  // Secret: base64 of the base64 text of gzip(JSON); ConfigMap: one layer.
  const inner = Buffer.from(Buffer.from(secretValue, "base64").toString(), "base64");
  assert.deepEqual(inner.subarray(0, 2), Buffer.from([0x1f, 0x8b]));
  assert.deepEqual(JSON.parse(gunzipSync(inner).toString()), release);
  for (const driver of ["secret", "configmap"] as const) {
    const d = decodeRelease(encodeHelmPayload(release, driver), driver);
    assert.equal(d.revision, 3);
    assert.equal(d.manifest, MANIFEST);
    assert.deepEqual(d.chart, { name: "web", version: "1.2.3" });
    const plain = encodeHelmPayload(release, driver, { gzip: false });
    assert.equal(decodeRelease(plain, driver).manifest, MANIFEST);
  }
});

void test("install, upgrade (superseded + deployed, then failed), uninstall, as Helm stores them", async (t) => {
  const c = await cluster(t, { clock: () => Date.UTC(2026, 5, 1) });
  const hooks = [{ name: "migrate", path: "web/templates/job.yaml", manifest: "kind: Job\n" }];
  const r1 = c.helm.install({ namespace: "apps", name: "web", manifest: MANIFEST, hooks });
  assert.equal(r1.version, 1);
  assert.throws(
    () => c.helm.install({ namespace: "apps", name: "web", manifest: MANIFEST }),
    codeIs("LOOKOUT_SIM_ALREADY_EXISTS"),
  );
  c.helm.upgrade("apps", "web", { chartVersion: "1.1.0" });
  let items = await stored(c, "secrets", "apps");
  assert.deepEqual(
    items.map((o: Json) => [o.metadata.name, o.metadata.labels.status, o.type]),
    [
      ["sh.helm.release.v1.web.v1", "superseded", "helm.sh/release.v1"],
      ["sh.helm.release.v1.web.v2", "deployed", "helm.sh/release.v1"],
    ],
  );
  const v1 = decodeRelease(items[0].data.release, "secret");
  const v2 = decodeRelease(items[1].data.release, "secret");
  assert.equal(v1.status, "superseded"); // the payload too, not only the label
  assert.deepEqual([v2.status, v2.revision, v2.chart.version], ["deployed", 2, "1.1.0"]);
  assert.equal(v2.manifest, MANIFEST);
  assert.deepEqual(v2.hooks, [
    { name: "migrate", path: "web/templates/job.yaml", manifest: "kind: Job\n" },
  ]);
  assert.equal(items[1].metadata.labels.modifiedAt, String(Date.UTC(2026, 5, 1) / 1000));

  c.helm.upgrade("apps", "web", { manifest: "kind: ConfigMap\n", status: "failed" });
  items = await stored(c, "secrets", "apps");
  assert.deepEqual(
    items.map((o: Json) => o.metadata.labels.status),
    ["superseded", "deployed", "failed"],
    "a failed upgrade leaves the deployed revision deployed, as Helm 3 does",
  );
  assert.deepEqual(
    c.helm.history("apps", "web").map((r) => [r.version, r.info.status, r.manifest]),
    [
      [1, "superseded", MANIFEST],
      [2, "deployed", MANIFEST],
      [3, "failed", "kind: ConfigMap\n"],
    ],
  );
  assert.throws(() => c.helm.upgrade("apps", "nope"), codeIs("LOOKOUT_SIM_NOT_FOUND"));
  assert.throws(
    () => c.helm.install({ namespace: "", name: "x", manifest: "" }),
    codeIs("LOOKOUT_SIM_INVALID"),
  );

  c.helm.install({ namespace: "apps", name: "db", manifest: MANIFEST, driver: "configmap" });
  c.helm.upgrade("apps", "db");
  const cms = await stored(c, "configmaps", "apps");
  assert.deepEqual(
    cms.map((o: Json) => [o.metadata.name, o.metadata.labels.status, o.metadata.labels.version]),
    [
      ["sh.helm.release.v1.db.v1", "superseded", "1"],
      ["sh.helm.release.v1.db.v2", "deployed", "2"],
    ],
  );
  assert.equal(decodeRelease(cms[1].data.release, "configmap").status, "deployed");

  assert.equal(c.helm.uninstall("apps", "web"), 3);
  assert.equal(c.helm.uninstall("apps", "web"), 0);
  assert.deepEqual(await stored(c, "secrets", "apps"), []);
  assert.equal((await stored(c, "configmaps", "apps")).length, 2);
});

void test("putRaw stores a bad release value verbatim with Helm's labels", async (t) => {
  const c = await cluster(t);
  c.helm.putRaw("apps", "broken", 4, "not base64!", { driver: "secret" });
  c.helm.putRaw("apps", "plain", 1, Buffer.from("{oops").toString("base64"), {
    driver: "configmap",
    status: "failed",
  });
  const [s] = await stored(c, "secrets", "apps");
  assert.equal(s.metadata.name, "sh.helm.release.v1.broken.v4");
  assert.deepEqual(s.metadata.labels, {
    ...s.metadata.labels,
    owner: "helm",
    name: "broken",
    version: "4",
    status: "deployed",
  });
  assert.equal(s.data.release, "not base64!");
  assert.throws(() => decodeRelease(s.data.release, "secret"), { code: "LOOKOUT_HELM_BAD_BASE64" });
  const [cm] = await stored(c, "configmaps", "apps");
  assert.equal(cm.metadata.labels.status, "failed");
  assert.throws(() => decodeRelease(cm.data.release, "configmap"), {
    code: "LOOKOUT_HELM_BAD_JSON",
  });
  assert.throws(
    () => c.helm.putRaw("apps", "broken", 4, "x", { driver: "secret" }),
    codeIs("LOOKOUT_SIM_ALREADY_EXISTS"),
  );
  assert.throws(
    () => c.helm.putRaw("apps", "broken", 0, "x", { driver: "secret" }),
    codeIs("LOOKOUT_SIM_INVALID"),
  );
});

/** Objects of a manifest per the `yaml` package, shaped like the generator's refs. */
function parsedObjects(manifest: string, source: "manifest" | "hook"): Json[] {
  return parseAllDocuments(manifest).map((d) => {
    assert.deepEqual(d.errors, []);
    const v: Json = d.toJS();
    const o: Json = { apiVersion: v.apiVersion, kind: v.kind, name: v.metadata.name };
    if (v.metadata.namespace !== undefined) o.namespace = v.metadata.namespace;
    o.source = source;
    return o;
  });
}

void test("seed: deterministic population that decodes to exactly the objects it reports", async (t) => {
  const seed = Number(process.env["SEED"] ?? Date.now() % 100_000);
  t.diagnostic(`seed ${seed} (replay with SEED=${seed})`);
  const options = {
    releases: 12,
    revisionsPerRelease: 3,
    driver: "both" as const,
    hookShare: 0.5,
    deprecatedShare: 0.3,
    seed,
  };
  const c = await cluster(t);
  const result = c.helm.seed(options);
  assert.deepEqual([result.releases, result.revisions], [12, 36]);
  assert.ok(result.jsonBytes / result.revisions > 20_000, "a 40-object release is tens of KB");

  const again = [...generateHelmReleases(options)].map((r) => r.revisions.map((v) => v.json));
  const table = builtinTable();
  let deprecated = 0;
  let hooks = 0;
  for (const [i, r] of [...generateHelmReleases(options)].entries()) {
    assert.deepEqual(
      r.revisions.map((v) => v.json),
      again[i],
      "same seed, same payloads",
    );
    const resource = r.driver === "secret" ? "secrets" : "configmaps";
    const objects = c
      .list(resource, r.namespace)
      .filter((o) => o.metadata.labels?.["name"] === r.name);
    assert.deepEqual(
      objects.map((o) => o.metadata.labels?.["status"]),
      ["superseded", "superseded", "deployed"],
    );
    for (const [k, rev] of r.revisions.entries()) {
      assert.equal(rev.json, JSON.stringify(rev.release));
      const value = releaseOf(objects[k]!);
      const d = decodeRelease(value, r.driver);
      assert.equal(d.manifest, rev.release.manifest);
      const parsed = [
        ...parsedObjects(d.manifest, "manifest"),
        ...d.hooks.flatMap((h) => parsedObjects(h.manifest, "hook")),
      ];
      assert.deepEqual(
        parsed,
        rev.objects.map(({ template: _t, ...o }) => o),
      );
      assert.equal(rev.objects.length, 40 + d.hooks.length);
      for (const o of rev.objects) {
        if (table.lookup(o.apiVersion, o.kind) !== undefined) deprecated++;
        if (o.source === "hook") hooks++;
        assert.match(
          d.manifest + d.hooks.map((h) => h.manifest).join(""),
          new RegExp(`# Source: ${o.template}\n`),
        );
      }
    }
  }
  assert.ok(deprecated > 0, "some objects use deprecated or removed APIs");
  assert.ok(hooks > 0, "some releases have hooks");
  assert.throws(() => c.helm.seed({ releases: -1 }), codeIs("LOOKOUT_SIM_INVALID"));
  assert.throws(() => c.helm.seed({ releases: 1, hookShare: 2 }), codeIs("LOOKOUT_SIM_INVALID"));
  assert.throws(() => c.helm.seed(options), codeIs("LOOKOUT_SIM_ALREADY_EXISTS"));
});

void test("seed: 2,000 releases x 5 revisions in one batch", async (t) => {
  const c = await cluster(t);
  const r = c.helm.seed({ releases: 2000, driver: "both", seed: 7 });
  t.diagnostic(
    `seeded ${r.revisions} revisions in ${Math.round(r.ms)} ms: ${r.jsonBytes} bytes of release JSON, ${r.payloadBytes} bytes of payloads`,
  );
  assert.equal(r.revisions, 10_000);
  assert.ok(r.ms < 30_000, `seeding took ${r.ms} ms`);
  const count = async (resource: string): Promise<number> => {
    const page = await http(c, "GET", `/api/v1/${resource}?limit=1`);
    assert.equal(page.status, 200);
    return page.json.items.length + (page.json.metadata.remainingItemCount ?? 0);
  };
  assert.equal((await count("secrets")) + (await count("configmaps")), 10_000);
});
