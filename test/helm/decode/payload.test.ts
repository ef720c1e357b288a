import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { createGzip, gzipSync } from "node:zlib";
import {
  DEFAULT_MAX_OUTPUT_LENGTH,
  decodeRelease,
  scanRelease,
} from "../../../src/helm/decode/index.ts";
import { outputSizeHint } from "../../../src/helm/decode/payload.ts";
import { encodePayload, releaseJson } from "./payload-builder.ts";

const MANIFEST =
  "---\n# Source: c/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n";
const HOOK = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n";

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return typeof err === "object" && err !== null && "code" in err ? err.code : err;
  }
  return "no error";
}

/** A gzip stream of `size` zero bytes, built in 1 MiB steps (never holding `size` bytes). */
async function gzipOfZeros(size: number): Promise<Buffer> {
  const gz = createGzip({ level: 1 });
  const parts: Buffer[] = [];
  gz.on("data", (b: Buffer) => parts.push(b));
  const step = Buffer.alloc(1 << 20);
  for (let sent = 0; sent < size; sent += step.length) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- backpressure: wait for the gzip stream
    if (!gz.write(step)) await once(gz, "drain");
  }
  gz.end();
  await once(gz, "end");
  return Buffer.concat(parts);
}

void test("a Secret payload (base64 twice, gzip) decodes to the release fields", () => {
  const release = releaseJson(
    "web",
    MANIFEST,
    [{ name: "migrate", path: "web/templates/job.yaml", manifest: HOOK }],
    7,
  );
  const value = encodePayload(release, "secret");
  const got = decodeRelease(value, "secret");
  assert.deepEqual(got, {
    name: "web",
    namespace: "apps",
    revision: 7,
    status: "deployed",
    chart: { name: "web-chart", version: "1.2.3", appVersion: "4.5.6" },
    manifest: MANIFEST,
    hooks: [{ name: "migrate", path: "web/templates/job.yaml", manifest: HOOK }],
  });
  // The same bytes as a Buffer decode the same.
  assert.deepEqual(decodeRelease(Buffer.from(value), "secret"), got);
  // A Secret payload is not a ConfigMap payload: one layer short of JSON or gzip.
  assert.equal(
    codeOf(() => decodeRelease(value, "configmap")),
    "LOOKOUT_HELM_BAD_JSON",
  );
});

void test("a ConfigMap payload (base64 once) and a legacy un-gzipped payload decode", () => {
  const release = releaseJson("cm", MANIFEST);
  assert.equal(decodeRelease(encodePayload(release, "configmap"), "configmap").manifest, MANIFEST);
  const legacy = encodePayload(release, "configmap", { gzip: false });
  assert.equal(decodeRelease(legacy, "configmap").name, "cm");
  assert.equal(
    decodeRelease(encodePayload(release, "secret", { gzip: false }), "secret").revision,
    1,
  );
});

void test("scanRelease scans the manifest and every hook", () => {
  const release = releaseJson("web", MANIFEST, [
    { name: "a", path: "p/a.yaml", manifest: HOOK },
    { name: "b", path: "p/b.yaml", manifest: `${HOOK}---\n{bad: [\n` },
  ]);
  const r = scanRelease({ value: encodePayload(release, "secret"), driver: "secret" });
  assert.deepEqual(
    r.objects.map((o) => [o.source, o.hookIndex, o.kind, o.name]),
    [
      ["manifest", undefined, "Service", "svc"],
      ["hook", 0, "Job", "migrate"],
      ["hook", 1, "Job", "migrate"],
    ],
  );
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.code, "LOOKOUT_HELM_BAD_YAML");
  assert.equal(r.errors[0]!.hookIndex, 1);
  assert.equal(r.errors[0]!.documentIndex, 1);
  assert.equal(r.release?.name, "web");
});

void test("scanRelease: a hook of 150,000 objects is scanned whole (no stack overflow)", () => {
  const count = 150_000;
  const hook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n".repeat(count);
  const release = releaseJson("big", MANIFEST, [{ name: "h", path: "p/h.yaml", manifest: hook }]);
  const r = scanRelease({ value: encodePayload(release, "configmap"), driver: "configmap" });
  assert.deepEqual(r.errors, []);
  assert.equal(r.objects.length, count + 1);
  assert.equal(r.objects.at(-1)?.kind, "ConfigMap");
});

void test("bad base64 in either layer is LOOKOUT_HELM_BAD_BASE64, never silently skipped", () => {
  const good = encodePayload(releaseJson("x", MANIFEST), "secret");
  for (const bad of [
    `${good.slice(0, 8)}*${good.slice(9)}`,
    `${good} `,
    good.slice(1),
    "",
    "ab-_",
  ]) {
    assert.equal(
      codeOf(() => decodeRelease(bad, "secret")),
      "LOOKOUT_HELM_BAD_BASE64",
      JSON.stringify(bad.slice(0, 20)),
    );
  }
  const innerBad = Buffer.from("not base64!!").toString("base64");
  assert.equal(
    codeOf(() => decodeRelease(innerBad, "secret")),
    "LOOKOUT_HELM_BAD_BASE64",
  );
  const r = scanRelease({ value: "%%%%", driver: "configmap" });
  assert.deepEqual(r.objects, []);
  assert.equal(r.release, undefined);
  assert.equal(r.errors[0]!.code, "LOOKOUT_HELM_BAD_BASE64");
});

void test("bad gzip after the magic bytes is LOOKOUT_HELM_BAD_GZIP", () => {
  const gz = gzipSync(JSON.stringify(releaseJson("x", MANIFEST)));
  const truncated = gz.subarray(0, gz.length - 20);
  const corrupt = Buffer.from(gz);
  corrupt.fill(0xff, 12, 40);
  for (const bytes of [truncated, corrupt, Buffer.from([0x1f, 0x8b, 0x08, 0, 0])]) {
    const value = Buffer.from(bytes.toString("base64")).toString("base64");
    assert.equal(
      codeOf(() => decodeRelease(value, "secret")),
      "LOOKOUT_HELM_BAD_GZIP",
    );
  }
});

/** The manifest of a Secret payload made of these gzip bytes. */
function decodes(bytes: Buffer): string {
  return decodeRelease(Buffer.from(bytes.toString("base64")).toString("base64"), "secret").manifest;
}

void test("the gzip trailer only sizes the buffer: a lying or multi-member one still decodes right", () => {
  const json = JSON.stringify(releaseJson("x", MANIFEST.repeat(50)));
  const gz = gzipSync(json);
  assert.equal(outputSizeHint(gz, DEFAULT_MAX_OUTPUT_LENGTH), Buffer.byteLength(json) + 1);
  assert.equal(outputSizeHint(gz, 100), 101, "never above the cap");
  assert.equal(outputSizeHint(gz.subarray(0, 10), 1000), 64, "too short for a trailer");
  // ISIZE claiming 4 GiB: the buffer stays bounded and the payload decodes.
  const huge = Buffer.from(gz);
  huge.writeUInt32LE(0xffffffff, huge.length - 4);
  assert.equal(outputSizeHint(huge, DEFAULT_MAX_OUTPUT_LENGTH), 8 * 1024 * 1024);
  assert.equal(
    codeOf(() => decodes(huge)),
    "LOOKOUT_HELM_BAD_GZIP",
    "zlib checks ISIZE: a wrong trailer is bad gzip, not a big buffer",
  );
  // ISIZE claiming 1 byte would mean many small steps; zlib still rejects the mismatch.
  const tiny = Buffer.from(gz);
  tiny.writeUInt32LE(1, tiny.length - 4);
  assert.equal(
    codeOf(() => decodes(tiny)),
    "LOOKOUT_HELM_BAD_GZIP",
  );
  // Two gzip members (valid gzip): the hint is the last member's size, the output is all.
  const half = Math.floor(json.length / 2);
  const twoMembers = Buffer.concat([gzipSync(json.slice(0, half)), gzipSync(json.slice(half))]);
  assert.ok(outputSizeHint(twoMembers, DEFAULT_MAX_OUTPUT_LENGTH) < Buffer.byteLength(json));
  assert.equal(decodes(twoMembers), JSON.parse(json).manifest);
});

void test("a gzip bomb (1 GiB of zeros) stops at the cap with LOOKOUT_HELM_TOO_LARGE", async () => {
  const bomb = await gzipOfZeros(1 << 30);
  assert.ok(bomb.length < 8 << 20, `bomb is ${bomb.length} bytes`);
  const value = bomb.toString("base64");
  const started = performance.now();
  const r = scanRelease({ value, driver: "configmap" });
  const ms = performance.now() - started;
  assert.equal(r.errors[0]?.code, "LOOKOUT_HELM_TOO_LARGE");
  assert.equal(r.errors[0]?.limit, DEFAULT_MAX_OUTPUT_LENGTH);
  assert.ok(ms < 5000, `took ${ms} ms`);
  // A smaller configured cap applies to gzip and to legacy payloads.
  const small = { maxOutputLength: 1000 };
  assert.equal(
    codeOf(() => decodeRelease(value, "configmap", small)),
    "LOOKOUT_HELM_TOO_LARGE",
  );
  const big = encodePayload(releaseJson("x", "a".repeat(2000)), "configmap", { gzip: false });
  assert.equal(
    codeOf(() => decodeRelease(big, "configmap", small)),
    "LOOKOUT_HELM_TOO_LARGE",
  );
  assert.throws(() => decodeRelease(big, "configmap", { maxOutputLength: 0 }), RangeError);
});

void test("invalid JSON is LOOKOUT_HELM_BAD_JSON", () => {
  for (const text of ["{", "not json", '{"name": "x",}']) {
    assert.equal(
      codeOf(() => decodeRelease(encodePayload(text, "secret"), "secret")),
      "LOOKOUT_HELM_BAD_JSON",
    );
  }
});

void test("a wrongly shaped release is LOOKOUT_HELM_BAD_PAYLOAD naming the field", () => {
  const cases: [unknown, string][] = [
    [{ ...releaseJson("x", MANIFEST), manifest: undefined }, "manifest"],
    [{ ...releaseJson("x", MANIFEST), manifest: 42 }, "manifest"],
    [{ ...releaseJson("x", MANIFEST), version: "1" }, "version"],
    [{ ...releaseJson("x", MANIFEST), info: null }, "info"],
    [
      { ...releaseJson("x", MANIFEST), chart: { metadata: { name: "c" } } },
      "chart.metadata.version",
    ],
    [{ ...releaseJson("x", MANIFEST), hooks: [{ name: "h" }] }, "hooks[0].manifest"],
    [{ ...releaseJson("x", MANIFEST), hooks: {} }, "hooks"],
    [[1, 2], ""],
  ];
  for (const [release, field] of cases) {
    const r = scanRelease({ value: encodePayload(release, "configmap"), driver: "configmap" });
    assert.equal(r.errors[0]?.code, "LOOKOUT_HELM_BAD_PAYLOAD", field);
    assert.equal(r.errors[0]?.field, field);
  }
});
