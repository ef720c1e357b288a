import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDuration, resolveConfig } from "../../src/config/index.ts";
import { problemAt, problemsOf } from "./support.ts";

void test("durations: seconds as numbers or numeric strings, and unit-suffixed strings", () => {
  const cases: [unknown, number][] = [
    [0, 0],
    [30, 30],
    [0.5, 0.5],
    ["45", 45],
    ["250ms", 0.25],
    ["30s", 30],
    ["5m", 300],
    ["1h", 3600],
    ["1h30m", 5400],
    ["2m30s", 150],
    ["7d", 604_800],
    [" 10s ", 10],
    ["1.5h", 5400],
  ];
  for (const [input, seconds] of cases) assert.equal(parseDuration(input), seconds, String(input));
});

void test("durations: anything else is refused", () => {
  const bad = [
    -1,
    Number.NaN,
    Infinity,
    "",
    "s",
    "10x",
    "5 m",
    "-5s",
    "1h-30m",
    "m5",
    true,
    null,
    {},
    [],
  ];
  for (const input of bad) assert.equal(parseDuration(input), undefined, JSON.stringify(input));
});

void test("a duration key takes either form and holds seconds; a bad one names key and value", () => {
  const config = resolveConfig({
    text: "events: { batchDelay: 100ms, ackTimeout: 7 }\nhelm: { fullScanInterval: 1h }\n",
    env: {},
  });
  assert.equal(config.events.batchDelay, 0.1);
  assert.equal(config.events.ackTimeout, 7);
  assert.equal(config.helm.fullScanInterval, 3600);
  assert.equal(config.helm.versionInterval, 600, "the default 10m");
  const problem = problemAt(
    problemsOf({ text: "events: { ackTimeout: soon }\n" }),
    "events.ackTimeout",
  );
  assert.equal(problem.value, '"soon"');
  assert.match(problem.message, /expected a duration: seconds .* "30s", "5m", "1h"/);
});
