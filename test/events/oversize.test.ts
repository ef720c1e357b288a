import assert from "node:assert/strict";
import { test } from "node:test";
import { OMITTED_HEADER, fitMessage, messageSize } from "../../src/events/oversize.ts";

const HEADERS = { "ce-id": "u:1:modified", "content-type": "application/json" };

function message(body: unknown) {
  return { body: Buffer.from(JSON.stringify(body)), headers: HEADERS };
}

function bodyOf(m: { body: Uint8Array }): unknown {
  return JSON.parse(Buffer.from(m.body).toString("utf8"));
}

const identity = { kind: "ConfigMap", namespace: "a", name: "big", uid: "u", resourceVersion: "1" };

void test("messageSize counts the body and the header block as NATS sends it", () => {
  const m = message({ a: 1 });
  // "NATS/1.0\r\n" (10) + "ce-id: u:1:modified\r\n" (21) + "content-type: …\r\n" (32) + "\r\n" (2)
  assert.equal(messageSize(m), m.body.length + 10 + 21 + 32 + 2);
});

void test("a message that fits is returned as it is", () => {
  const m = message({ ...identity, object: { data: "x".repeat(100) } });
  const fitted = fitMessage(m, messageSize(m));
  assert.deepEqual(fitted.omitted, []);
  assert.equal(fitted.body, m.body);
  assert.equal(fitted.headers, m.headers);
});

void test("large members are left out in order until it fits, and ce-omitted names them", () => {
  const big = {
    ...identity,
    object: { data: "o".repeat(5000) },
    changes: [{ op: "replace", path: "/data", value: "c".repeat(3000) }],
  };
  const onlyObject = fitMessage(message(big), 4000);
  assert.deepEqual(onlyObject.omitted, ["object"]);
  assert.equal(onlyObject.headers[OMITTED_HEADER], "object");
  assert.equal(onlyObject.headers["ce-id"], "u:1:modified");
  const { object: _o, ...withoutObject } = big;
  assert.deepEqual(bodyOf(onlyObject), withoutObject);
  assert.ok(messageSize(onlyObject) <= 4000);

  const both = fitMessage(message(big), 1000);
  assert.deepEqual(both.omitted, ["object", "changes"]);
  assert.equal(both.headers[OMITTED_HEADER], "object,changes");
  assert.deepEqual(bodyOf(both), identity);

  const helm = {
    namespace: "shop",
    release: "web",
    revision: 3,
    findings: Array.from({ length: 200 }, () => ({ kind: "Ingress" })),
  };
  const fittedHelm = fitMessage(message(helm), 1000);
  assert.deepEqual(fittedHelm.omitted, ["findings"]);
  assert.deepEqual(bodyOf(fittedHelm), { namespace: "shop", release: "web", revision: 3 });
});

void test("a body that cannot be made to fit, or is not a JSON object, goes out as null", () => {
  const hugeIdentity = fitMessage(
    message({ ...identity, name: "n".repeat(5000), object: {} }),
    1000,
  );
  assert.deepEqual(hugeIdentity.omitted, ["data"]);
  assert.equal(hugeIdentity.headers[OMITTED_HEADER], "data");
  assert.equal(bodyOf(hugeIdentity), null);
  const array = fitMessage(message(Array(1000).fill(1)), 500);
  assert.deepEqual(array.omitted, ["data"]);
  const notJson = fitMessage({ body: Buffer.alloc(2000, 0xff), headers: HEADERS }, 500);
  assert.deepEqual(notJson.omitted, ["data"]);
  assert.equal(bodyOf(notJson), null);
});
