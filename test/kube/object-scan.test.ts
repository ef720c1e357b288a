import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { isDeepStrictEqual } from "node:util";
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

const EMPTY: Expected = {
  name: "",
  namespace: "",
  uid: "",
  resourceVersion: "",
  labels: undefined,
};

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

/**
 * JSON.parse of `text` in a fresh Node process. V8's JSON.parse (Node 24, nodejs/node#63785,
 * crbug 521080746) can decode an escaped object key wrongly once an earlier parse has cached a
 * look-alike key, so the in-process oracle is occasionally wrong in a long property run. The
 * child sends keys back as string values (never as JSON keys), so this process's cache cannot
 * touch them on the way back.
 */
function freshParse(text: string): unknown {
  const child = `let s = "";
process.stdin.setEncoding("utf8").on("data", (d) => (s += d)).on("end", () => {
  const enc = (v) => Array.isArray(v) ? { a: v.map(enc) }
    : v !== null && typeof v === "object" ? { o: Object.entries(v).map(([k, x]) => [k, enc(x)]) }
    : { v };
  process.stdout.write(JSON.stringify(enc(JSON.parse(s))));
});`;
  const out = execFileSync(process.execPath, ["-e", child], { input: text, encoding: "utf8" });
  const dec = (e: unknown): unknown => {
    assert.ok(isObject(e));
    if (Array.isArray(e["a"])) return e["a"].map(dec);
    if (Array.isArray(e["o"])) {
      const o: Record<string, unknown> = {};
      for (const pair of e["o"] as unknown[]) {
        assert.ok(Array.isArray(pair) && typeof pair[0] === "string");
        Object.defineProperty(o, pair[0], {
          value: dec(pair[1]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return o;
    }
    return e["v"];
  };
  const encoded: unknown = JSON.parse(out);
  return dec(encoded);
}

/** Cases where in-process JSON.parse disagreed with a fresh process and the scan agreed with it. */
const v8Mismatches: string[] = [];

/**
 * Asserts the scan of `text` against JSON.parse: rejected (`LOOKOUT_KUBE_BAD_RESPONSE`, with and
 * without stripping) exactly when JSON.parse throws; otherwise the same metadata, and a stripped
 * text that parses to the original minus `metadata.managedFields`. Returns whether it was
 * accepted; throws with `context`.
 */
function check(text: string, context: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const bad = { code: "LOOKOUT_KUBE_BAD_RESPONSE" };
    assert.throws(() => rawObjectFromJson(text), bad, `${context}: must be rejected`);
    assert.throws(
      () => rawObjectFromJson(text, { stripManagedFields: false }),
      bad,
      `${context}: must be rejected (unstripped)`,
    );
    return false;
  }
  const stripped = rawObjectFromJson(text);
  if (!isDeepStrictEqual(actualMeta(stripped), expectedMeta(parsed))) {
    // The oracle may be the one that is wrong (see freshParse): ask a fresh process.
    const fresh = freshParse(text);
    if (!isDeepStrictEqual(expectedMeta(fresh), expectedMeta(parsed))) {
      assert.deepEqual(actualMeta(stripped), expectedMeta(fresh), `${context}: metadata (fresh)`);
      v8Mismatches.push(context);
      return true;
    }
  }
  assert.deepEqual(actualMeta(stripped), expectedMeta(parsed), `${context}: metadata`);
  assert.deepEqual(JSON.parse(stripped.json), withoutManagedFields(parsed), `${context}: stripped`);
  assert.deepEqual(stripped.object, withoutManagedFields(parsed), `${context}: object`);
  const kept = rawObjectFromJson(text, { stripManagedFields: false });
  assert.equal(kept.json, text.trim(), `${context}: unstripped text`);
  assert.deepEqual(actualMeta(kept), expectedMeta(parsed), `${context}: unstripped metadata`);
  return true;
}

void test("scan matches JSON.parse on random pod-like objects (seeded)", (t) => {
  t.after(() => {
    for (const c of v8Mismatches.splice(0))
      t.diagnostic(`V8 JSON.parse mis-read (fresh parse agreed with the scan): ${c.slice(0, 80)}`);
  });
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

void test("scan accepts exactly what JSON.parse accepts, duplicate keys included (seeded)", (t) => {
  t.after(() => {
    for (const c of v8Mismatches.splice(0))
      t.diagnostic(`V8 JSON.parse mis-read (fresh parse agreed with the scan): ${c.slice(0, 80)}`);
  });
  const seed = testSeed();
  const gen = new JsonGen(seed);
  gen.duplicateRate = 0.15;
  let accepted = 0;
  let rejected = 0;
  try {
    for (let i = 0; i < 4000; i++) {
      // Half the cases are only duplicates (valid JSON), half also carry faults.
      gen.invalidRate = i % 2 === 0 ? 0 : 0.02;
      const text = gen.ws() + gen.serialize(gen.object()) + gen.ws();
      if (check(text, `case ${i}: ${text.slice(0, 300)}`)) accepted++;
      else rejected++;
    }
  } catch (err) {
    console.error(`object-scan fault property test failed; replay with KUBE_TEST_SEED=${seed}`);
    throw err;
  }
  // The generator must really have made both kinds, or this test proves nothing.
  assert.ok(accepted > 2500 && rejected > 500, `accepted ${accepted}, rejected ${rejected}`);
  assert.ok(gen.duplicatesMade > 2000, `duplicates ${gen.duplicatesMade}`);
});

void test("invalid JSON inside skipped values is rejected (review cases)", () => {
  for (const text of [
    '{"metadata":{"name":"a"},"spec":{"x":tru}}',
    '{"metadata":{"name":"a\tb"}}',
    '{"metadata":{"name":"a"},"spec":{"x":"\\q"}}',
    '{"metadata":{"name":"a"},"spec":{"x":"\\u12G4"}}',
    '{"metadata":{"name":"a"},"spec":{"x":[1}]}',
    '{"metadata":{"name":"a"},"spec":{"x":{"a":1]}}',
    '{"metadata":{"name":"a"},"spec":{"x":01}}',
    '{"metadata":{"name":"a"},"spec":{"x":1.}}',
    '{"metadata":{"name":"a"},"spec":{"x":-}}',
    '{"metadata":{"name":"a"},"spec":{"x":[1 2]}}',
    '{"metadata":{"name":"a"},"spec":{"x":[1,]}}',
    '{"metadata":{"name":"a"},"spec":{"x":{"a" 1}}}',
    '{"metadata":{"name":"a"},"spec":{"x":{a:1}}}',
    '{"metadata":{"name":"a","managedFields":[nul]}}',
    '{"metadata":{"name":"a","labels":{"k":"v\u0001"}}}',
  ]) {
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse must reject ${text}`);
    assert.equal(check(text, text), false);
  }
  for (const text of [
    '{"metadata":{"name":"a"},"spec":{"x":[-0,1e5,1E+2,-1.5e-3,0.25,true,false,null,{},[]]}}',
    String.raw`{"metadata":{"name":"a\/b\b\f\n\r\t\u00E9\ud83d"}}`,
  ]) {
    assert.equal(check(text, text), true);
  }
});

/** `depth` nested containers (objects and arrays mixed) around `mid`. */
function nest(depth: number, mid: string): string {
  let open = "";
  let close = "";
  for (let d = 0; d < depth; d++) {
    open += d % 3 === 0 ? '{"k":' : "[";
    close = (d % 3 === 0 ? "}" : "]") + close;
  }
  return open + mid + close;
}

void test("deep nesting is checked bracket by bracket, past 31 levels too, without recursion", () => {
  for (const depth of [30, 31, 32, 33, 64, 1000, 100_000]) {
    const good = `{"metadata":{"name":"d"},"spec":${nest(depth, "1")}}`;
    // Swap one closer deep inside for the other kind.
    const at = good.length - 2 - Math.floor(depth / 2);
    const swapped = good[at] === "]" ? "}" : "]";
    const bad = good.slice(0, at) + swapped + good.slice(at + 1);
    if (depth <= 1000) {
      assert.equal(check(good, `depth ${depth}`), true);
      assert.equal(check(bad, `depth ${depth}, swapped closer`), false);
    } else {
      // Too deep for assert.deepEqual's recursion: compare acceptance only.
      JSON.parse(good);
      assert.equal(rawObjectFromJson(good).name, "d");
      assert.throws(() => JSON.parse(bad), SyntaxError);
      assert.throws(() => rawObjectFromJson(bad), { code: "LOOKOUT_KUBE_BAD_RESPONSE" });
    }
  }
});

void test("duplicate keys are read as JSON.parse reads them: the last one wins", () => {
  const cases: Array<[string, Partial<Expected>, string]> = [
    [
      '{"metadata":{"name":"a","namespace":"x","labels":{"k":"v"}},"metadata":{"uid":"u"}}',
      { name: "", namespace: "", uid: "u", labels: undefined },
      '{"metadata":{"name":"a","namespace":"x","labels":{"k":"v"}},"metadata":{"uid":"u"}}',
    ],
    [
      '{"metadata":{"name":"a"},"metadata":null}',
      { name: "" },
      '{"metadata":{"name":"a"},"metadata":null}',
    ],
    [
      '{"metadata":{"name":"a","name":null}}',
      { name: "" },
      '{"metadata":{"name":"a","name":null}}',
    ],
    [
      '{"metadata":{"managedFields":[1],"name":"a","managedFields":[2]}}',
      { name: "a" },
      '{"metadata":{"name":"a"}}',
    ],
    ['{"metadata":{"managedFields":[1], "managedFields":[2]}}', {}, '{"metadata":{}}'],
    [
      '{"metadata":{"name":"a","managedFields":[1],"managedFields":[2],"uid":"u"}}',
      { name: "a", uid: "u" },
      '{"metadata":{"name":"a","uid":"u"}}',
    ],
    [
      '{"metadata":{"managedFields":[1]},"metadata":{"name":"b","managedFields":[2]}}',
      { name: "b" },
      '{"metadata":{},"metadata":{"name":"b"}}',
    ],
    [
      '{"metadata":{"labels":{"a":"1","b":"2","a":3}}}',
      { labels: { b: "2" } },
      '{"metadata":{"labels":{"a":"1","b":"2","a":3}}}',
    ],
    [
      '{"metadata":{"labels":{"a":"1"},"labels":7}}',
      { labels: undefined },
      '{"metadata":{"labels":{"a":"1"},"labels":7}}',
    ],
  ];
  for (const [text, meta, json] of cases) {
    assert.equal(check(text, text), true);
    const raw = rawObjectFromJson(text);
    assert.deepEqual(actualMeta(raw), { ...EMPTY, ...meta }, text);
    assert.equal(raw.json, json, text);
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
