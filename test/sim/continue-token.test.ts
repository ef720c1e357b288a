/**
 * Continue tokens of the simulated API server: what it encodes decodes to the same state, and
 * every malformed token is a 400 BadRequest, in process and over HTTP, as the apiserver answers.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { decodeContinue, encodeContinue } from "../../src/sim/continue-token.ts";
import { SimError, SimErrorCode } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster, http, pod } from "./support.ts";

after(assertNoActiveHandles);

const NOT_VALID = "continue key is not valid: ";
const BAD_RV = `${NOT_VALID}incorrect encoded start resourceVersion (version meta.k8s.io/v1)`;
const EMPTY_START = `${NOT_VALID}encoded start key empty`;

/** A token holding `body` as JSON, encoded as the apiserver encodes one. */
function tokenOf(body: unknown): string {
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** Asserts `decodeContinue(token)` throws the 400 BadRequest SimError with `message`. */
function refuses(token: string, message: string | RegExp, label: string): SimError {
  let caught: SimError | undefined;
  assert.throws(
    () => decodeContinue(token),
    (error: unknown) => {
      assert.ok(error instanceof SimError, `${label}: ${String(error)}`);
      assert.equal(error.code, SimErrorCode.BadRequest, label);
      assert.equal(error.status.code, 400, label);
      assert.equal(error.status.reason, "BadRequest", label);
      assert.equal(error.status.status, "Failure", label);
      if (typeof message === "string") assert.equal(error.message, message, label);
      else assert.match(error.message, message, label);
      assert.equal(error.status.message, error.message, label);
      caught = error;
      return true;
    },
    label,
  );
  assert.ok(caught !== undefined);
  return caught;
}

void test("a token made by encodeContinue decodes to its resourceVersion and start key", () => {
  for (const [rv, start] of [
    [1, "default/p0\u0000"],
    [12_345, "kube-system/coredns-5d78c9869d-abcde\u0000"],
    [-1, "a/b"],
    [Number.MAX_SAFE_INTEGER, "ns/ünïcødé"],
  ] as const) {
    const token = encodeContinue(rv, start);
    assert.match(token, /^[A-Za-z0-9_-]+$/, "base64url without padding");
    assert.deepEqual(decodeContinue(token), { rv, start });
  }
});

void test("a token that is not base64url-encoded JSON is a 400 with the parse error as cause", () => {
  for (const [label, token] of [
    ["not base64", "!!!"],
    ["empty", ""],
    ["base64 of text", Buffer.from("not json").toString("base64url")],
    ["truncated", encodeContinue(5, "default/p0").slice(0, 20)],
  ] as const) {
    const error = refuses(token, /^continue key is not valid: .+/, label);
    assert.ok(error.cause instanceof SyntaxError, `${label}: ${String(error.cause)}`);
    assert.equal(error.message, `${NOT_VALID}${error.cause.message}`, label);
  }
});

void test("a token with another or no version is a 400", () => {
  refuses(tokenOf({ v: "meta.k8s.io/v2", rv: 5, start: "a/b" }), BAD_RV, "v2");
  refuses(tokenOf({ rv: 5, start: "a/b" }), BAD_RV, "no v");
  refuses(tokenOf({ v: 1, rv: 5, start: "a/b" }), BAD_RV, "numeric v");
  // JSON that is not an object has no version either.
  for (const body of [null, [], 5, "meta.k8s.io/v1"]) {
    refuses(tokenOf(body), BAD_RV, JSON.stringify(body));
  }
});

void test("a token whose resourceVersion is missing, 0, below -1 or not an integer is a 400", () => {
  const cases: [string, unknown][] = [
    ["missing", undefined],
    ["0", 0],
    ["-2", -2],
    ["-100", -100],
    ["1.5", 1.5],
    ["-0.5", -0.5],
    ["a string", "5"],
    ["null", null],
    ["a boolean", true],
  ];
  for (const [label, rv] of cases) {
    refuses(tokenOf({ v: "meta.k8s.io/v1", rv, start: "a/b" }), BAD_RV, label);
  }
  // -1 ("at the current state") and any positive integer are valid.
  assert.deepEqual(decodeContinue(tokenOf({ v: "meta.k8s.io/v1", rv: -1, start: "a/b" })), {
    rv: -1,
    start: "a/b",
  });
  assert.deepEqual(decodeContinue(tokenOf({ v: "meta.k8s.io/v1", rv: 7, start: "a/b" })), {
    rv: 7,
    start: "a/b",
  });
});

void test("a token whose start key is missing, empty or not a string is a 400", () => {
  for (const [label, start] of [
    ["missing", undefined],
    ["empty", ""],
    ["a number", 5],
    ["null", null],
    ["an array", ["a/b"]],
  ] as const) {
    refuses(tokenOf({ v: "meta.k8s.io/v1", rv: 5, start }), EMPTY_START, label);
  }
});

void test("a LIST with a malformed continue parameter is answered with a 400 Status", async (t) => {
  const c = await cluster(t);
  for (let i = 0; i < 3; i++) c.create("pods", pod(`p${i}`));
  const first = await http(c, "GET", "/api/v1/pods?limit=1");
  assert.equal(first.status, 200);
  const good: string = first.json.metadata.continue;
  assert.equal(typeof good, "string");
  const cases: [string, string, string | RegExp][] = [
    ["not JSON", "not-base64-json", /^continue key is not valid: .+/],
    ["rv 0", tokenOf({ v: "meta.k8s.io/v1", rv: 0, start: "default/p0\u0000" }), BAD_RV],
    ["wrong v", tokenOf({ v: "meta.k8s.io/v0", rv: 1, start: "default/p0\u0000" }), BAD_RV],
    ["empty start", encodeContinue(Number(first.json.metadata.resourceVersion), ""), EMPTY_START],
  ];
  for (const [label, token, message] of cases) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one request at a time
    const r = await http(c, "GET", `/api/v1/pods?limit=1&continue=${encodeURIComponent(token)}`);
    assert.equal(r.status, 400, label);
    assert.equal(r.json.kind, "Status", label);
    assert.equal(r.json.apiVersion, "v1", label);
    assert.equal(r.json.status, "Failure", label);
    assert.equal(r.json.reason, "BadRequest", label);
    assert.equal(r.json.code, 400, label);
    if (typeof message === "string") assert.equal(r.json.message, message, label);
    else assert.match(r.json.message, message, label);
  }
  // The token the server handed out still serves the next page.
  const next = await http(c, "GET", `/api/v1/pods?limit=1&continue=${encodeURIComponent(good)}`);
  assert.equal(next.status, 200);
  assert.equal(next.json.items[0].metadata.name, "p1");
});
