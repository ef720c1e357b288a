import assert from "node:assert/strict";
import { test } from "node:test";
import {
  KubeApiError,
  KubeBadResponseError,
  KubeConfigError,
  WatchStalledError,
  isExpired,
  isTooLargeResourceVersion,
  retryAfterMs,
  type Status,
} from "../../src/kube/index.ts";
import { parseRetryAfter } from "../../src/kube/http-body.ts";

function status(code: number, reason: string, message = "", details?: Status["details"]): Status {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    code,
    reason,
    message,
    ...(details === undefined ? {} : { details }),
  };
}

void test("errors carry name, code and cause", () => {
  const cause = new Error("root");
  const cases: Array<[Error & { code: string }, string, string]> = [
    [new KubeApiError("m", { statusCode: 500 }, { cause }), "KubeApiError", "LOOKOUT_KUBE_API"],
    [
      new KubeBadResponseError("m", 3, { cause }),
      "KubeBadResponseError",
      "LOOKOUT_KUBE_BAD_RESPONSE",
    ],
    [new WatchStalledError(5, { cause }), "WatchStalledError", "LOOKOUT_WATCH_STALLED"],
    [new KubeConfigError("m", { cause }), "KubeConfigError", "LOOKOUT_KUBE_CONFIG"],
  ];
  for (const [err, name, code] of cases) {
    assert.ok(err instanceof Error);
    assert.equal(err.name, name);
    assert.equal(err.code, code);
    assert.equal(err.cause, cause);
  }
});

void test("isExpired accepts 410 Expired and Gone, from an error or a Status", () => {
  assert.ok(isExpired(status(410, "Expired")));
  assert.ok(isExpired(status(410, "Gone")));
  assert.ok(!isExpired(status(410, "Conflict")));
  assert.ok(!isExpired(status(409, "Expired")));
  const s = status(410, "Gone");
  assert.ok(isExpired(new KubeApiError("m", { statusCode: 410, status: s })));
  assert.ok(!isExpired(new KubeApiError("m", { statusCode: 410 })), "no Status, no reason");
  assert.ok(!isExpired(new Error("x")));
  assert.ok(!isExpired(undefined));
});

void test("isTooLargeResourceVersion: cause type or Timeout message", () => {
  assert.ok(
    isTooLargeResourceVersion(
      status(504, "Timeout", "", { causes: [{ type: "ResourceVersionTooLarge" }] }),
    ),
  );
  assert.ok(
    isTooLargeResourceVersion(
      status(504, "Timeout", "Timeout: Too large resource version: 9, current: 5"),
    ),
  );
  assert.ok(
    !isTooLargeResourceVersion(status(504, "Timeout", "Timeout: request did not complete")),
  );
  assert.ok(!isTooLargeResourceVersion(status(500, "InternalError", "Too large resource version")));
});

void test("retryAfterMs reads the error's seconds or the Status details", () => {
  assert.equal(
    retryAfterMs(new KubeApiError("m", { statusCode: 429, retryAfterSeconds: 4 })),
    4000,
  );
  assert.equal(retryAfterMs(status(429, "TooManyRequests", "", { retryAfterSeconds: 2 })), 2000);
  assert.equal(retryAfterMs(new KubeApiError("m", { statusCode: 429 })), undefined);
  assert.equal(retryAfterMs(new Error("x")), undefined);
});

void test("Retry-After as seconds or an HTTP date", () => {
  const now = Date.parse("2026-11-23T04:00:00Z");
  assert.equal(parseRetryAfter("3", now), 3);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Mon, 23 Nov 2026 04:00:10 GMT", now), 10);
  assert.equal(parseRetryAfter("Mon, 23 Nov 2026 03:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});
