import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { applyPatch, createPatch, parsePointer } from "../../src/events/json-patch.ts";
import type { JsonPatchOperation } from "../../src/events/event-types.ts";
import { mulberry32 } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

function codeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}

function badPatchAt(index: number): (err: unknown) => boolean {
  return (err) =>
    codeOf(err) === "LOOKOUT_EVENTS_BAD_PATCH" &&
    typeof err === "object" &&
    err !== null &&
    "index" in err &&
    err.index === index;
}

/** createPatch gives `expected`, and applying it to a frozen `from` gives `to`. */
function check(from: unknown, to: unknown, expected: JsonPatchOperation[]): void {
  const ops = createPatch(from, to);
  assert.deepEqual(ops, expected);
  assert.deepEqual(applyPatch(deepFreeze(from), ops), to);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

void describe("createPatch (fixed cases)", () => {
  void test("equal documents give no ops", () => {
    check({ a: [1, { b: null }], c: "x" }, { c: "x", a: [1, { b: null }] }, []);
    check(3, 3, []);
    check(null, null, []);
  });

  void test("nested objects: replace, add, remove per key", () => {
    check(
      { metadata: { labels: { app: "web", tier: "a" }, name: "n" }, spec: { replicas: 1 } },
      { metadata: { labels: { app: "web", env: "prod" }, name: "n" }, spec: { replicas: 2 } },
      [
        { op: "remove", path: "/metadata/labels/tier" },
        { op: "add", path: "/metadata/labels/env", value: "prod" },
        { op: "replace", path: "/spec/replicas", value: 2 },
      ],
    );
  });

  void test("arrays growing: element-wise, then adds at explicit ascending indexes", () => {
    check({ a: [1, 2] }, { a: [1, 3, 4, 5] }, [
      { op: "replace", path: "/a/1", value: 3 },
      { op: "add", path: "/a/2", value: 4 },
      { op: "add", path: "/a/3", value: 5 },
    ]);
  });

  void test("arrays shrinking: removes from the highest index down", () => {
    check({ a: [1, 2, 3, 4] }, { a: [0, 2] }, [
      { op: "replace", path: "/a/0", value: 0 },
      { op: "remove", path: "/a/3" },
      { op: "remove", path: "/a/2" },
    ]);
    check(
      [{ x: 1 }, { x: 2 }],
      [],
      [
        { op: "remove", path: "/1" },
        { op: "remove", path: "/0" },
      ],
    );
  });

  void test("keys with / and ~ are escaped (~1, ~0)", () => {
    check(
      { annotations: { "example.com/a": "1", "t~x": "2", "~1": "3" } },
      { annotations: { "example.com/a": "9", "~1": "3", "a/~b": "4" } },
      [
        { op: "replace", path: "/annotations/example.com~1a", value: "9" },
        { op: "remove", path: "/annotations/t~0x" },
        { op: "add", path: "/annotations/a~1~0b", value: "4" },
      ],
    );
    check({ "": { "": 1 } }, { "": { "": 2 } }, [{ op: "replace", path: "//", value: 2 }]);
  });

  void test("type changes are whole replacements", () => {
    check(
      { a: [1], b: { c: 1 }, d: null, e: "1", f: true },
      { a: { 0: 1 }, b: [1], d: 0, e: 1, f: "true" },
      [
        { op: "replace", path: "/a", value: { 0: 1 } },
        { op: "replace", path: "/b", value: [1] },
        { op: "replace", path: "/d", value: 0 },
        { op: "replace", path: "/e", value: 1 },
        { op: "replace", path: "/f", value: "true" },
      ],
    );
  });

  void test("a replaced root is one op with path ''", () => {
    check({ a: 1 }, [1], [{ op: "replace", path: "", value: [1] }]);
    check(1, "1", [{ op: "replace", path: "", value: "1" }]);
    check(null, { a: 1 }, [{ op: "replace", path: "", value: { a: 1 } }]);
  });

  void test("a __proto__ key is an ordinary key", () => {
    const from: unknown = JSON.parse('{"__proto__": {"a": 1}}');
    const to: unknown = JSON.parse('{"__proto__": {"a": 2}, "b": {"__proto__": 1}}');
    const result = applyPatch(from, createPatch(from, to));
    assert.deepEqual(result, to);
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.equal(JSON.stringify(result), JSON.stringify(to));
  });
});

void describe("applyPatch", () => {
  void test("add inserts into arrays, '-' appends, add onto a key replaces it", () => {
    const doc = deepFreeze({ a: [1, 2], o: { k: 1 } });
    assert.deepEqual(
      applyPatch(doc, [
        { op: "add", path: "/a/0", value: 0 },
        { op: "add", path: "/a/-", value: 3 },
        { op: "add", path: "/a/4", value: 4 },
        { op: "add", path: "/o/k", value: 2 },
        { op: "add", path: "/o/n", value: { deep: [] } },
        { op: "add", path: "/o/n/deep/0", value: "x" },
      ]),
      { a: [0, 1, 2, 3, 4], o: { k: 2, n: { deep: ["x"] } } },
    );
    assert.deepEqual(doc, { a: [1, 2], o: { k: 1 } });
  });

  void test("does not mutate the ops' values", () => {
    const value = deepFreeze({ list: [1] });
    const result = applyPatch({}, [
      { op: "add", path: "/v", value },
      { op: "add", path: "/v/list/-", value: 2 },
      { op: "replace", path: "/v/list/0", value: 0 },
    ]);
    assert.deepEqual(result, { v: { list: [0, 2] } });
    assert.deepEqual(value, { list: [1] });
  });

  void test("a missing path or a bad index throws LOOKOUT_EVENTS_BAD_PATCH naming the op", () => {
    const doc = { a: [1], o: { k: 1 }, s: "str" };
    const ok: JsonPatchOperation = { op: "add", path: "/z", value: 1 };
    const bad: JsonPatchOperation[] = [
      { op: "remove", path: "/nope" },
      { op: "replace", path: "/nope", value: 1 },
      { op: "add", path: "/nope/x", value: 1 },
      { op: "add", path: "/a/2", value: 1 },
      { op: "add", path: "/a/01", value: 1 },
      { op: "remove", path: "/a/1" },
      { op: "remove", path: "/a/-" },
      { op: "replace", path: "/a/-1", value: 1 },
      { op: "add", path: "/s/x", value: 1 },
      { op: "add", path: "nope", value: 1 },
      { op: "add", path: "/o~2", value: 1 },
      { op: "remove", path: "" },
      { op: "remove", path: "/o/toString" },
    ];
    for (const op of bad) {
      assert.throws(() => applyPatch(doc, [ok, ok, op]), badPatchAt(2), JSON.stringify(op));
    }
    const unknownOp: unknown = { op: "move", from: "/a", path: "/b" };
    assert.throws(
      // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- deliberately malformed input
      () => applyPatch(doc, [unknownOp as JsonPatchOperation]),
      badPatchAt(0),
    );
    assert.deepEqual(doc, { a: [1], o: { k: 1 }, s: "str" });
  });

  void test("root add and replace swap the document", () => {
    assert.deepEqual(applyPatch({ a: 1 }, [{ op: "replace", path: "", value: [2] }]), [2]);
    assert.deepEqual(
      applyPatch(1, [
        { op: "add", path: "", value: {} },
        { op: "add", path: "/x", value: 1 },
      ]),
      { x: 1 },
    );
  });

  void test("parsePointer unescapes ~1 before ~0 and rejects bad pointers", () => {
    assert.deepEqual(parsePointer(""), []);
    assert.deepEqual(parsePointer("/"), [""]);
    assert.deepEqual(parsePointer("/a~1b/~01/c~0"), ["a/b", "~1", "c~"]);
    assert.equal(parsePointer("a"), undefined);
    assert.equal(parsePointer("/a~"), undefined);
    assert.equal(parsePointer("/a~2"), undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// Seeded property test: random documents and random mutations.

const KEYS = ["a", "b", "metadata", "a/b", "~", "~1", "x~0/", "", "0", "-", "__proto__", "é😀"];

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

function generator(random: () => number) {
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const scalar = (): unknown =>
    pick<() => unknown>([
      () => null,
      () => random() < 0.5,
      () => int(5),
      () => random() * 1e6 - 5e5,
      () => pick(["", "x", "y", "1"]),
    ])();
  const value = (depth: number): unknown => {
    const r = random();
    if (depth <= 0 || r < 0.4) return scalar();
    if (r < 0.7) return Array.from({ length: int(5) }, () => value(depth - 1));
    const out: Record<string, unknown> = {};
    for (let n = int(5); n > 0; n--) setKey(out, pick(KEYS), value(depth - 1));
    return out;
  };
  /** A structurally independent copy of `doc` with a few random changes. */
  const mutate = (doc: unknown, depth: number): unknown => {
    if (random() < 0.1) return value(depth);
    if (Array.isArray(doc)) {
      const out = doc.map((v) => (random() < 0.3 ? mutate(v, depth - 1) : structuredClone(v)));
      const r = random();
      if (r < 0.2) out.push(value(depth - 1));
      else if (r < 0.35 && out.length > 0) out.splice(int(out.length), 1);
      else if (r < 0.45) out.splice(int(out.length + 1), 0, value(depth - 1));
      else if (r < 0.5) out.length = 0;
      return out;
    }
    if (typeof doc === "object" && doc !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(doc)) {
        const r = random();
        if (r < 0.15) continue;
        setKey(out, k, r < 0.4 ? mutate(v, depth - 1) : structuredClone(v));
      }
      if (random() < 0.3) setKey(out, pick(KEYS), value(depth - 1));
      return out;
    }
    return random() < 0.5 ? doc : scalar();
  };
  return { value, mutate };
}

void test("applyPatch(a, createPatch(a, b)) equals b; createPatch(a, a) is empty (seeded)", (t) => {
  const seed = Number(process.env.PATCH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = mulberry32(seed);
  const gen = generator(random);
  let round = 0;
  try {
    for (round = 0; round < 3000; round++) {
      const a = gen.value(5);
      const b = round % 3 === 0 ? gen.value(5) : gen.mutate(a, 5);
      const aText = JSON.stringify(a);
      const bText = JSON.stringify(b);
      assert.deepEqual(createPatch(a, a), []);
      assert.deepEqual(createPatch(a, structuredClone(a)), []);
      const ops = createPatch(a, b);
      const result = applyPatch(a, ops);
      assert.deepEqual(result, b);
      assert.equal(JSON.stringify(a), aText, "a was mutated");
      assert.equal(JSON.stringify(b), bText, "b was mutated");
      // The ops survive a JSON round trip (as they do in an event body).
      const wire: unknown = JSON.parse(JSON.stringify(ops));
      // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- the ops just serialized
      assert.deepEqual(applyPatch(JSON.parse(aText), wire as JsonPatchOperation[]), b);
    }
  } catch (err) {
    t.diagnostic(`failed at round ${round} with PATCH_SEED=${seed}`);
    console.error(`json-patch property test failed: round ${round}, PATCH_SEED=${seed}`);
    throw err;
  }
});
