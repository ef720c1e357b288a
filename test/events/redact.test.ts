import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, test } from "node:test";
import { compileRedaction, redactObject } from "../../src/events/redact.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(9);

function codeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    assert.ok(isRecord(v), `no object at ${key}`);
    v = v[key];
  }
  return v;
}

function keysOf(value: unknown): string[] {
  assert.ok(isRecord(value));
  return Object.keys(value);
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const hex = (s: string): string => Buffer.from(s, "utf8").toString("hex");

const SECRETS = ["hunter2-password", "tok€n-ünïcode", "s3cr3t-in-string-data", "sh0rt-p4ss"];

function secret(): Record<string, unknown> {
  const data = { password: b64(SECRETS[0]!), token: b64(SECRETS[1]!), again: b64(SECRETS[0]!) };
  const stringData = { plain: SECRETS[2]!, brief: SECRETS[3]! };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "db",
      namespace: "shop",
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
          apiVersion: "v1",
          kind: "Secret",
          data,
          stringData,
        }),
        keep: "me",
      },
      managedFields: [{ manager: "kubectl", fieldsV1: { "f:data": { "f:password": {} } } }],
    },
    type: "Opaque",
    data,
    stringData,
  };
}

void test("no Secret value appears in the result in any form", () => {
  const input = secret();
  const text = JSON.stringify(redactObject(input, { hashKey: KEY }));
  for (const value of SECRETS) {
    for (const form of [value, b64(value), b64(b64(value)), hex(value), JSON.stringify(value)]) {
      assert.ok(!text.includes(form), `found ${JSON.stringify(form)} in ${text}`);
    }
  }
  // Key names, type and other annotations stay; managedFields is gone.
  const out = redactObject(input, { hashKey: KEY });
  assert.deepEqual(keysOf(field(out, "data")), ["password", "token", "again"]);
  assert.deepEqual(keysOf(field(out, "stringData")), ["plain", "brief"]);
  assert.equal(field(out, "type"), "Opaque");
  assert.equal(field(out, "metadata", "annotations", "keep"), "me");
  assert.equal(field(out, "metadata", "managedFields"), undefined);
  assert.match(
    String(
      field(out, "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"),
    ),
    /^hmac-sha256:[0-9a-f]{64}$/,
  );
});

void test("hashes are HMAC-SHA256 of the decoded bytes: equal values equal, other keys differ", () => {
  const out = redactObject(secret(), { hashKey: KEY });
  const expected = `hmac-sha256:${createHmac("sha256", KEY).update(SECRETS[0]!).digest("hex")}`;
  assert.equal(field(out, "data", "password"), expected);
  assert.equal(field(out, "data", "again"), expected);
  assert.notEqual(field(out, "data", "token"), expected);
  // stringData is hashed from its UTF-8: the same value in data and stringData hashes equal.
  const same = redactObject(
    { apiVersion: "v1", kind: "Secret", data: { a: b64("v") }, stringData: { b: "v" } },
    { hashKey: KEY },
  );
  assert.equal(field(same, "data", "a"), field(same, "stringData", "b"));
  const other = redactObject(secret(), { hashKey: OTHER_KEY });
  assert.notEqual(field(other, "data", "password"), expected);
  // A value that is not base64 is hashed as its raw string.
  const raw = redactObject(
    { apiVersion: "v1", kind: "Secret", data: { x: "not base64!" } },
    { hashKey: KEY },
  );
  assert.equal(
    field(raw, "data", "x"),
    `hmac-sha256:${createHmac("sha256", KEY).update("not base64!").digest("hex")}`,
  );
});

void test("odd Secret shapes are hashed too, never passed through", () => {
  const redact = compileRedaction({ hashKey: KEY });
  const out = redact({
    apiVersion: "v1",
    kind: "Secret",
    data: { n: 12345678, o: { nested: "hidden-value" } },
    stringData: "whole-string-hidden",
  });
  const text = JSON.stringify(out);
  for (const hidden of ["12345678", "hidden-value", "whole-string-hidden"]) {
    assert.ok(!text.includes(hidden), text);
  }
  assert.match(String(field(out, "stringData")), /^hmac-sha256:/);
});

void test("a list item without apiVersion/kind is a Secret when the resource says so", () => {
  const redact = compileRedaction({ hashKey: KEY });
  const item = { metadata: { name: "db" }, data: { p: b64("list-item-secret") } };
  const secrets = { group: "", version: "v1", resource: "secrets" };
  assert.ok(!JSON.stringify(redact(item, secrets)).includes(b64("list-item-secret")));
  assert.deepEqual(redact(item), item);
  assert.deepEqual(redact(item, { group: "", version: "v1", resource: "configmaps" }), item);
});

void test("the input is not mutated", () => {
  const input = secret();
  const before = structuredClone(input);
  Object.freeze(input);
  const out = redactObject(input, { hashKey: KEY, dropFields: ["/metadata/annotations/keep"] });
  assert.deepEqual(input, before);
  assert.notEqual(out, input);
});

void test("ConfigMaps are untouched except managedFields", () => {
  const expected = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "c",
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"k":"v"}}' },
    },
    data: { k: "v" },
    binaryData: { b: b64("bytes") },
  };
  const cm = {
    ...expected,
    metadata: { ...expected.metadata, managedFields: [{ manager: "x" }] },
  };
  assert.deepEqual(redactObject(cm, { hashKey: KEY }), expected);
  // Without managedFields, a deep-equal copy.
  assert.deepEqual(redactObject(expected, { hashKey: KEY }), expected);
  // Not a Secret: apiVersion must be v1 too.
  const lookalike = { apiVersion: "example.com/v1", kind: "Secret", data: { k: "dg==" } };
  assert.deepEqual(redactObject(lookalike, { hashKey: KEY }), lookalike);
});

void test("dropFields removes pointers with ~0/~1 escapes, array indexes, and ignores absent ones", () => {
  const redact = compileRedaction({
    hashKey: KEY,
    dropFields: [
      "/metadata/annotations/example.com~1note",
      "/metadata/labels/a~0b",
      "/status",
      "/spec/containers/0/env",
      "/spec/absent/deeper",
      "/spec/containers/9",
    ],
  });
  const input = {
    metadata: {
      annotations: { "example.com/note": "x", "example.com~1note": "kept" },
      labels: { "a~b": "1", "a/b": "2" },
    },
    spec: {
      containers: [
        { name: "c", env: [{ name: "E" }] },
        { name: "d", env: [] },
      ],
    },
    status: { phase: "Running" },
  };
  assert.deepEqual(redact(input), {
    metadata: { annotations: { "example.com~1note": "kept" }, labels: { "a/b": "2" } },
    spec: { containers: [{ name: "c" }, { name: "d", env: [] }] },
  });
  assert.deepEqual(input.spec.containers[0], { name: "c", env: [{ name: "E" }] });
});

function invalid(option: string): (err: unknown) => boolean {
  return (err) =>
    codeOf(err) === "LOOKOUT_EVENTS_INVALID_OPTION" && isRecord(err) && err["option"] === option;
}

void test("bad options are rejected with LOOKOUT_EVENTS_INVALID_OPTION", () => {
  for (const pointer of ["status", "", "metadata/name", "/a~2", "/a~"]) {
    assert.throws(
      () => compileRedaction({ hashKey: KEY, dropFields: ["/ok", pointer] }),
      invalid("dropFields[1]"),
      pointer,
    );
  }
  assert.throws(() => compileRedaction({ hashKey: new Uint8Array(4) }), invalid("hashKey"));
  assert.throws(() => redactObject({}, { hashKey: new Uint8Array(0) }), invalid("hashKey"));
});

void test("a later change to the caller's key buffer does not change the hashes", () => {
  const key = new Uint8Array(KEY);
  const redact = compileRedaction({ hashKey: key });
  const first = redact(secret());
  key.fill(0);
  assert.deepEqual(redact(secret()), first);
  assert.equal(redact("scalar"), "scalar");
  assert.equal(redact(null), null);
});
