import assert from "node:assert/strict";
import { test } from "node:test";
import { rawObjectFromJson, rawObjectFromObject, type RawObject } from "../../src/kube/index.ts";
import { JsonGen, testSeed } from "./random-json.ts";

interface Expected {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  labels: Record<string, string> | undefined;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What the scan must report, computed from JSON.parse. */
function expectedMeta(parsed: unknown): Expected {
  const meta = isObject(parsed) && isObject(parsed["metadata"]) ? parsed["metadata"] : {};
  let labels: Record<string, string> | undefined;
  const l = meta["labels"];
  if (isObject(l)) {
    labels = {};
    for (const [k, v] of Object.entries(l)) {
      if (typeof v === "string")
        Object.defineProperty(labels, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
  }
  return {
    name: str(meta["name"]),
    namespace: str(meta["namespace"]),
    uid: str(meta["uid"]),
    resourceVersion: str(meta["resourceVersion"]),
    labels,
  };
}

function actualMeta(raw: RawObject): Expected {
  return {
    name: raw.name,
    namespace: raw.namespace,
    uid: raw.uid,
    resourceVersion: raw.resourceVersion,
    labels: raw.labels === undefined ? undefined : { ...raw.labels },
  };
}

function withoutManagedFields(parsed: unknown): unknown {
  if (!isObject(parsed) || !isObject(parsed["metadata"])) return parsed;
  const { managedFields: _, ...meta } = parsed["metadata"];
  return { ...parsed, metadata: meta };
}

/** Asserts the scan of `text` against JSON.parse; returns nothing, throws with `context`. */
function check(text: string, context: string): void {
  const parsed: unknown = JSON.parse(text);
  const stripped = rawObjectFromJson(text);
  assert.deepEqual(actualMeta(stripped), expectedMeta(parsed), `${context}: metadata`);
  assert.deepEqual(JSON.parse(stripped.json), withoutManagedFields(parsed), `${context}: stripped`);
  assert.deepEqual(stripped.object, withoutManagedFields(parsed), `${context}: object`);
  const kept = rawObjectFromJson(text, { stripManagedFields: false });
  assert.equal(kept.json, text.trim(), `${context}: unstripped text`);
  assert.deepEqual(actualMeta(kept), expectedMeta(parsed), `${context}: unstripped metadata`);
}

void test("scan matches JSON.parse on random pod-like objects (seeded)", () => {
  const seed = testSeed();
  const gen = new JsonGen(seed);
  try {
    for (let i = 0; i < 3000; i++) {
      const text = gen.ws() + gen.serialize(gen.object()) + gen.ws();
      check(text, `case ${i}: ${text.slice(0, 300)}`);
    }
  } catch (err) {
    console.error(`object-scan property test failed; replay with KUBE_TEST_SEED=${seed}`);
    throw err;
  }
});

void test("escapes in keys and values are decoded", () => {
  const text = String.raw`{"metadata":{"na\u006de":"caf\u00e9 \"q\" \\ \ud83d\ude00","labels":{"k\"1":"v\u00e9","x":"a\/b\nc"},"uid":"u1"}}`;
  const raw = rawObjectFromJson(text);
  assert.equal(raw.name, 'café "q" \\ 😀');
  assert.equal(raw.uid, "u1");
  assert.deepEqual({ ...raw.labels }, { 'k"1': "vé", x: "a/b\nc" });
});

void test("look-alike keys outside the top-level metadata are ignored", () => {
  const text = JSON.stringify({
    spec: { metadata: { name: "wrong", labels: { a: "wrong" } }, name: "wrong" },
    metadata: {
      ownerReferences: [{ name: "owner", uid: "owner-uid" }],
      annotations: { name: "wrong", uid: "wrong" },
      name: "right",
      uid: "right-uid",
    },
    status: { name: "wrong", managedFields: [1] },
  });
  const raw = rawObjectFromJson(text);
  assert.equal(raw.name, "right");
  assert.equal(raw.uid, "right-uid");
  assert.equal(raw.labels, undefined);
  assert.equal(raw.namespace, "");
  assert.deepEqual(JSON.parse(raw.json), JSON.parse(text), "managedFields outside metadata stays");
});

void test("managedFields is cut whether first, middle, last or alone", () => {
  const cases = [
    '{"metadata":{"managedFields":[{"a":1}],"name":"n"}}',
    '{"metadata":{"name":"n", "managedFields" : [ {"a":"]"} ] , "uid":"u"}}',
    '{"metadata":{"name":"n","managedFields":[]}}',
    '{"metadata":{ "managedFields":[{"x":"}"}] }}',
    '{"metadata":{"managedFields":null}, "kind":"Pod"}',
  ];
  for (const text of cases) check(text, text);
  assert.equal(rawObjectFromJson(cases[3]!).json, '{"metadata":{  }}');
});

void test("broken JSON is rejected with LOOKOUT_KUBE_BAD_RESPONSE", () => {
  for (const text of [
    '{"metadata":{"name":"x"}',
    '{"metadata":{"name":"x}}',
    '{"a" 1}',
    "[]",
    '{"a":1}x',
    '{"a":}',
  ]) {
    assert.throws(() => rawObjectFromJson(text), { code: "LOOKOUT_KUBE_BAD_RESPONSE" }, text);
  }
});

void test("rawObjectFromObject strips managedFields and keeps identity, without changing the input", () => {
  const obj = {
    kind: "Pod",
    metadata: {
      name: "a",
      namespace: "ns",
      uid: "u",
      resourceVersion: "7",
      labels: { x: "y" },
      managedFields: [{}],
    },
  };
  const raw = rawObjectFromObject(obj);
  assert.deepEqual(actualMeta(raw), {
    name: "a",
    namespace: "ns",
    uid: "u",
    resourceVersion: "7",
    labels: { x: "y" },
  });
  assert.equal(
    raw.json,
    '{"kind":"Pod","metadata":{"name":"a","namespace":"ns","uid":"u","resourceVersion":"7","labels":{"x":"y"}}}',
  );
  assert.ok("managedFields" in obj.metadata);
  assert.equal(rawObjectFromObject(obj, { stripManagedFields: false }).json, JSON.stringify(obj));
});
