import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BadVersionError,
  compareKubeVersions,
  DeprecationsErrorCode,
  formatKubeVersion,
  parseKubeVersion,
  parseVersionInfo,
} from "../../../src/helm/deprecations/index.ts";

void test("parseKubeVersion: good inputs", () => {
  const cases: [string, [number, number, number]][] = [
    ["v1.29.3", [1, 29, 3]],
    ["v1.29.3-eks-4f4795d", [1, 29, 3]],
    ["v1.21.5+k3s1", [1, 21, 5]],
    ["v1.30.0-gke.1000", [1, 30, 0]],
    ["v1.31.1-rc.0", [1, 31, 1]],
    ["v1.27.4+rke2r1", [1, 27, 4]],
    ["1.28", [1, 28, 0]],
    ["v1.28", [1, 28, 0]],
    ["1.28.15", [1, 28, 15]],
    ["v0.11.0", [0, 11, 0]],
    ["v2.0.0", [2, 0, 0]],
  ];
  for (const [input, [major, minor, patch]] of cases) {
    assert.deepEqual(parseKubeVersion(input), { major, minor, patch }, input);
  }
});

void test("parseKubeVersion: bad inputs name the input", () => {
  const cases: unknown[] = [
    "",
    "v1",
    "1",
    "v1.",
    "v1.29.",
    "v1.29.3.4",
    " v1.29.3",
    "v1.29.3 ",
    "V1.29.3",
    "v01.29.3",
    "v1.029",
    "v1.29.3-",
    "v1.29x",
    "latest",
    "v1.9999999.0",
    29,
    null,
    undefined,
    { major: "1" },
  ];
  for (const input of cases) {
    assert.throws(
      () => parseKubeVersion(input),
      (error: unknown) => {
        assert.ok(error instanceof BadVersionError, String(input));
        assert.equal(error.code, DeprecationsErrorCode.BadVersion);
        assert.equal(
          error.input,
          typeof input === "string" ? input : (JSON.stringify(input) ?? String(input)),
        );
        return true;
      },
      String(input),
    );
  }
});

void test("parseVersionInfo: gitVersion first, then major/minor without the +", () => {
  assert.deepEqual(
    parseVersionInfo({ major: "1", minor: "29+", gitVersion: "v1.29.3-eks-4f4795d" }),
    { major: 1, minor: 29, patch: 3 },
  );
  assert.deepEqual(parseVersionInfo({ major: "1", minor: "30+", gitVersion: "nonsense" }), {
    major: 1,
    minor: 30,
    patch: 0,
  });
  assert.deepEqual(parseVersionInfo({ major: "1", minor: "21" }), {
    major: 1,
    minor: 21,
    patch: 0,
  });
  assert.deepEqual(parseVersionInfo({ major: "1", minor: "22", gitVersion: "" }), {
    major: 1,
    minor: 22,
    patch: 0,
  });
  for (const bad of [
    null,
    [],
    "v1.29.3",
    {},
    { major: "1", minor: "x+" },
    { major: 1, minor: 29 },
    { gitVersion: "v1.x" },
    { major: "", minor: "" },
  ]) {
    assert.throws(
      () => parseVersionInfo(bad),
      { code: "LOOKOUT_HELM_BAD_VERSION" },
      JSON.stringify(bad),
    );
  }
  // The gitVersion failure is kept as the cause when the fallback fails too.
  assert.throws(
    () => parseVersionInfo({ gitVersion: "v1.x" }),
    (error: unknown) => error instanceof BadVersionError && error.cause instanceof BadVersionError,
  );
});

void test("compare and format", () => {
  const ordered = ["v0.11.0", "v1.9.0", "v1.16.0", "v1.16.1", "v1.22.0", "v1.100.0", "v2.0.0"].map(
    (s) => parseKubeVersion(s),
  );
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      const a = ordered[i];
      const b = ordered[j];
      assert.ok(a && b);
      assert.equal(Math.sign(compareKubeVersions(a, b)), Math.sign(i - j), `${i} vs ${j}`);
    }
  }
  const version = parseKubeVersion("v1.21.5+k3s1");
  assert.equal(formatKubeVersion(version), "v1.21.5");
  assert.equal(formatKubeVersion(version, true), "v1.21");
  assert.deepEqual(parseKubeVersion(formatKubeVersion(version)), version);
});
