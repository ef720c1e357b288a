/** The CLI's pino logger: one JSON object per line, level names, ISO time, errors serialized. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cliLogger } from "../../src/cli/logger.ts";

void test("cliLogger: JSON lines at or above the level, with msg, level name, ISO time and serialized errors", () => {
  const lines: string[] = [];
  const log = cliLogger("info", (line) => lines.push(line));
  log.debug("hidden", { x: 1 });
  log.info("started", { url: "http://127.0.0.1:1" });
  log.error("failed", { err: Object.assign(new Error("boom"), { code: "LOOKOUT_X" }) });
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n")));
  const [info, error] = lines.map((l): unknown => JSON.parse(l));
  assert.equal(Reflect.get(Object(info), "level"), "info");
  assert.equal(Reflect.get(Object(info), "msg"), "started");
  assert.equal(Reflect.get(Object(info), "url"), "http://127.0.0.1:1");
  const time = String(Reflect.get(Object(info), "time"));
  assert.equal(new Date(time).toISOString(), time);
  const err: unknown = Reflect.get(Object(error), "err");
  assert.equal(Reflect.get(Object(err), "message"), "boom");
  assert.equal(Reflect.get(Object(err), "code"), "LOOKOUT_X");
  assert.equal(Reflect.get(Object(err), "type"), "Error");
});

void test("cliLogger: credentials in URLs are hidden in fields and error messages", () => {
  const lines: string[] = [];
  const log = cliLogger("info", (line) => lines.push(line));
  log.error("NATS unreachable", {
    servers: ["nats://kl:pw-1@nats:4222", "nats://tok-2@nats:4222"],
    err: new Error("cannot reach tls://kl:pw-3@nats:4222"),
  });
  assert.equal(lines.length, 1);
  for (const secret of ["pw-1", "tok-2", "pw-3"])
    assert.ok(!lines[0]!.includes(secret), `${secret} leaked: ${lines[0]}`);
  const line: unknown = JSON.parse(lines[0]!);
  assert.deepEqual(Reflect.get(Object(line), "servers"), [
    "nats://kl:***@nats:4222",
    "nats://***@nats:4222",
  ]);
  const err: unknown = Reflect.get(Object(line), "err");
  assert.equal(Reflect.get(Object(err), "message"), "cannot reach tls://kl:***@nats:4222");
});
