/** ClusterTargets: /version re-read, targets re-planned, failures keep the last known version. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterTargets } from "../../../src/helm/checker/cluster-targets.ts";
import type { HelmApiClient } from "../../../src/helm/index.ts";
import { formatKubeVersion, parseKubeVersion } from "../../../src/helm/index.ts";

/** A client whose /version answer the test sets (the seam the checker reads through). */
function unused(): never {
  assert.fail("only getJson is used");
}

function versionClient(answer: { value: unknown }): HelmApiClient {
  return {
    list: unused,
    get: unused,
    withMetadataOnly: unused,
    getJson: (path) => {
      assert.equal(path, "/version");
      const value = answer.value;
      return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
    },
  };
}

const COVERS = parseKubeVersion("v1.35.0");
const names = (t: ClusterTargets): string[] => t.targets.map((v) => formatKubeVersion(v));

void test("targets follow the cluster's version; a failed read keeps the last one", async () => {
  const answer: { value: unknown } = { value: { gitVersion: "v1.29.3-eks-4f4795d" } };
  const targets = new ClusterTargets(versionClient(answer), {}, 1000);
  const signal = new AbortController().signal;
  assert.deepEqual(await targets.refresh(COVERS, signal), { changed: true, error: undefined });
  assert.deepEqual(names(targets), ["v1.29.0", "v1.30.0", "v1.31.0"]);
  assert.equal((await targets.refresh(COVERS, signal)).changed, false);

  answer.value = { gitVersion: "v1.34.1+k3s1" };
  assert.equal((await targets.refresh(COVERS, signal)).changed, true);
  assert.deepEqual(names(targets), ["v1.34.0", "v1.35.0"]);
  assert.deepEqual(
    targets.uncovered.map((e) => [e.code, e.target]),
    [["LOOKOUT_HELM_TARGET_UNCOVERED", "v1.36.0"]],
  );

  answer.value = new Error("connection refused");
  const failed = await targets.refresh(COVERS, signal);
  assert.equal(failed.changed, false);
  assert.equal(failed.error?.code, "LOOKOUT_HELM_VERSION_UNAVAILABLE");
  assert.equal(formatKubeVersion(targets.cluster!), "v1.34.1");
});

void test("without a version ever read, offsets cannot be planned; explicit versions can", async () => {
  const signal = new AbortController().signal;
  const down = { value: new Error("down") };
  await assert.rejects(new ClusterTargets(versionClient(down), {}, 1000).refresh(COVERS, signal), {
    code: "LOOKOUT_HELM_VERSION_UNAVAILABLE",
  });
  const explicit = new ClusterTargets(versionClient(down), { versions: ["v1.25"] }, 1000);
  const result = await explicit.refresh(COVERS, signal);
  assert.equal(result.error?.code, "LOOKOUT_HELM_VERSION_UNAVAILABLE");
  assert.deepEqual(names(explicit), ["v1.25.0"]);
  const garbage = new ClusterTargets(versionClient({ value: { gitVersion: 42 } }), {}, 1000);
  await assert.rejects(garbage.refresh(COVERS, signal), {
    code: "LOOKOUT_HELM_VERSION_UNAVAILABLE",
  });
});
