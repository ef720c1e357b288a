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
