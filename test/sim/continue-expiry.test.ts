import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SimError, SimErrorCode } from "../../src/sim/index.ts";
import { decodeContinue } from "../../src/sim/continue-token.ts";
import { assertNoActiveHandles, cluster, http, pod } from "./support.ts";

after(assertNoActiveHandles);

void test("continue tokens expire continueTtlMs after the FIRST page, however fast pages follow", async (t) => {
  let now = 1_000_000;
  const c = await cluster(t, { continueTtlMs: 1000, clock: () => now });
  for (let i = 0; i < 6; i++) c.create("pods", pod(`p${i}`));
  const p1 = await http(c, "GET", "/api/v1/pods?limit=1");
  let token: string = p1.json.metadata.continue;
  // Pages every 400 ms: each is within the TTL of the previous page, not of the first.
  const statuses: number[] = [];
  for (let page = 2; page <= 4; page++) {
    now += 400;
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, "GET", `/api/v1/pods?limit=1&continue=${token}`);
    statuses.push(r.status);
    if (r.status === 200) token = r.json.metadata.continue;
    else assert.equal(r.json.reason, "Expired");
  }
  // Pages 2 (400 ms) and 3 (800 ms) are served; page 4 (1200 ms after the first) is not.
  assert.deepEqual(statuses, [200, 200, 410]);
});

void test("a new list at the same resourceVersion starts a new TTL", async (t) => {
  let now = 1_000_000;
  const c = await cluster(t, { continueTtlMs: 1000, clock: () => now });
  for (let i = 0; i < 4; i++) c.create("pods", pod(`p${i}`));
  await http(c, "GET", "/api/v1/pods?limit=1");
  now += 900;
  const again = await http(c, "GET", "/api/v1/pods?limit=1"); // same RV: nothing changed
  now += 900;
  const next = await http(
    c,
    "GET",
    `/api/v1/pods?limit=1&continue=${again.json.metadata.continue}`,
  );
  assert.equal(next.status, 200);
  assert.deepEqual(
    next.json.items.map((i: { metadata: { name: string } }) => i.metadata.name),
    ["p1"],
  );
});

void test("a malformed continue token is a 400 with the decoding error as cause", () => {
  assert.throws(
    () => decodeContinue("not-base64-json"),
    (error: unknown) => {
      assert.ok(error instanceof SimError);
      assert.equal(error.code, SimErrorCode.BadRequest);
      assert.equal(error.status.code, 400);
      assert.ok(error.cause instanceof SyntaxError, String(error.cause));
      return true;
    },
  );
});
