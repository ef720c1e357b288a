import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compileLabelSelector,
  parseLabelSelector,
  SelectorError,
  SelectorErrorCode,
} from "../../src/selectors/index.ts";

const SETS: Record<string, Record<string, string> | undefined> = {
  none: undefined,
  empty: {},
  web: { app: "web", tier: "front", n: "5" },
  db: { app: "db", tier: "", n: "12" },
  odd: { app: "web", n: "x", "example.com/role": "edge" },
};

// selector -> names of SETS that match
const TABLE: [string, string[]][] = [
  ["", ["none", "empty", "web", "db", "odd"]],
  ["app=web", ["web", "odd"]],
  ["app==web", ["web", "odd"]],
  ["app = web", ["web", "odd"]],
  ["app!=web", ["none", "empty", "db"]],
  ["app in (web,db)", ["web", "db", "odd"]],
  ["app in ( web , db )", ["web", "db", "odd"]],
  ["app notin (web)", ["none", "empty", "db"]],
  ["app", ["web", "db", "odd"]],
  ["!app", ["none", "empty"]],
  ["tier=", ["db"]],
  ["tier!=", ["none", "empty", "web", "odd"]],
  ["tier in (front,)", ["web", "db"]],
  ["n>10", ["db"]],
  ["n<10", ["web"]],
  ["n>-1", ["web", "db"]],
  ["app=web,tier=front", ["web"]],
  ["app,!tier", ["odd"]],
  ["example.com/role=edge", ["odd"]],
  ["example.com/role", ["odd"]],
  ["app in (web),n<6,tier", ["web"]],
];

void test("label selectors: table of selectors × label sets", () => {
  for (const [selector, expected] of TABLE) {
    const m = compileLabelSelector(selector);
    const got = Object.entries(SETS)
      .filter(([, labels]) => m(labels))
      .map(([name]) => name);
    assert.deepEqual(got, expected, `selector "${selector}"`);
  }
});

void test("label selectors: parsed requirements", () => {
  assert.deepEqual(parseLabelSelector("a=b, c notin (d,e), !f, g>3"), [
    { key: "a", operator: "=", values: ["b"] },
    { key: "c", operator: "notin", values: ["d", "e"] },
    { key: "f", operator: "!", values: [] },
    { key: "g", operator: ">", values: ["3"] },
  ]);
  assert.deepEqual(parseLabelSelector("   "), []);
});

void test("label selectors: parse errors carry the input and a stable code", () => {
  const bad = [
    "a in b",
    "a in (b",
    "a in ()",
    "a notin",
    "a=b=c",
    "a>b",
    "a<",
    "=b",
    "a,,b",
    "a,",
    "!",
    "a b",
    "-bad=x",
    "a=-bad-",
    "a=" + "x".repeat(64),
    "UPPER.example.com/x=y",
    "a in (b c)",
  ];
  for (const input of bad) {
    assert.throws(
      () => compileLabelSelector(input),
      (e: unknown) =>
        e instanceof SelectorError &&
        e.code === SelectorErrorCode.Parse &&
        e.input === input &&
        e.name === "SelectorError",
      `"${input}" should not parse`,
    );
  }
});
