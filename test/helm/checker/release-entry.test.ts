import assert from "node:assert/strict";
import { test } from "node:test";
import {
  entryFromBadPayload,
  entryFromFailure,
  entryFromScan,
  withoutReadErrors,
} from "../../../src/helm/checker/release-entry.ts";
import type { RevisionRef } from "../../../src/helm/checker/storage-object.ts";

function ref(revision: number): RevisionRef {
  return {
    driver: "secret",
    namespace: "shop",
    release: "web",
    revision,
    status: "deployed",
    name: `sh.helm.release.v1.web.v${revision}`,
    uid: `uid-${revision}`,
    resourceVersion: `${revision}00`,
  };
}

const readError = (revision: number) => ({
  ref: ref(revision),
  kind: "error" as const,
  error: Object.assign(new Error("500 from the API server"), { code: "LOOKOUT_KUBE_API" }),
});

const scanned = entryFromScan(
  ref(1),
  {
    payloadHash: "abc",
    objects: [],
    errors: [{ code: "LOOKOUT_HELM_BAD_YAML", message: "document 2", documentIndex: 2 }],
  },
  1000,
);

void test("failed reads keep a scanned entry with its payload's errors and one current read error", () => {
  const once = entryFromFailure(readError(2), scanned, 2000);
  assert.equal(once.revision, 1, "the last revision read stays");
  assert.equal(once.storageUid, "", "read again at the next scan");
  assert.deepEqual(
    once.errors.map((e) => [e.revision, e.code]),
    [
      [1, "LOOKOUT_HELM_BAD_YAML"],
      [2, "LOOKOUT_KUBE_API"],
    ],
  );
  const twice = entryFromFailure(readError(2), once, 3000);
  assert.deepEqual(twice.errors, once.errors, "replaced, not added");
  assert.deepEqual(twice.issues, once.issues);
  assert.deepEqual(
    withoutReadErrors(twice).issues,
    scanned.issues,
    "read again: the read error goes",
  );
});

void test("a failed read after entries that hold no scan takes the revision that failed", () => {
  const failedOnly = entryFromFailure(readError(1), undefined, 1000);
  assert.equal(failedOnly.revision, 1);
  const next = entryFromFailure(readError(2), failedOnly, 2000);
  assert.equal(next.revision, 2, "not kept at revision 1: nothing was ever read of it");
  assert.deepEqual(
    next.errors.map((e) => [e.revision, e.code]),
    [[2, "LOOKOUT_KUBE_API"]],
  );
  const bad = entryFromBadPayload(
    {
      ref: ref(3),
      kind: "bad",
      error: Object.assign(new Error("no data.release"), { code: "LOOKOUT_HELM_BAD_PAYLOAD" }),
    },
    3000,
  );
  assert.equal(bad.storageUid, "uid-3", "bad input is not read again until it changes");
  const afterBad = entryFromFailure(readError(4), bad, 4000);
  assert.equal(afterBad.revision, 4);
  assert.deepEqual(
    afterBad.errors.map((e) => e.code),
    ["LOOKOUT_KUBE_API"],
  );
});
