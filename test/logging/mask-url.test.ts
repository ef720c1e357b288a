import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonLogger, maskUrlCredentials } from "../../src/logging/index.ts";

void test("URL credentials are hidden: passwords always, a lone user only as a NATS token", () => {
  const cases: [string, string][] = [
    ["nats://alice:hunter2@nats:4222", "nats://alice:***@nats:4222"],
    ["nats://s3cret@nats:4222", "nats://***@nats:4222"],
    ["TLS://s3cret@nats:4222", "TLS://***@nats:4222"],
    ["wss://tok@nats", "wss://***@nats"],
    ["https://bob:pw@otel:4318/v1/metrics", "https://bob:***@otel:4318/v1/metrics"],
    ["https://bob@otel:4318", "https://bob@otel:4318"],
    ["nats://nats:4222", "nats://nats:4222"],
    ["user@example.com", "user@example.com"],
    [
      "at nats://a:b@h1:4222,nats://tok@h2:4222 (x)",
      "at nats://a:***@h1:4222,nats://***@h2:4222 (x)",
    ],
    ["nats://:onlypass@h", "nats://:***@h"],
  ];
  for (const [input, expected] of cases) assert.equal(maskUrlCredentials(input), expected, input);
});

void test("jsonLogger hides URL credentials in fields, nested values and error messages", () => {
  const lines: string[] = [];
  const log = jsonLogger("debug", (line) => void lines.push(line));
  log.error("NATS unreachable", {
    servers: ["nats://u:pw-1@h:4222", "nats://tok-2@h:4222"],
    nested: { url: "tls://u:pw-3@h" },
    error: new Error("connect to nats://u:pw-4@h failed"),
  });
  assert.equal(lines.length, 1);
  for (const secret of ["pw-1", "tok-2", "pw-3", "pw-4"])
    assert.ok(!lines[0]!.includes(secret), `${secret} leaked: ${lines[0]}`);
  const line: unknown = JSON.parse(lines[0]!);
  assert.ok(typeof line === "object" && line !== null);
  assert.deepEqual(
    { ...line, time: "t" },
    {
      time: "t",
      level: "error",
      msg: "NATS unreachable",
      servers: ["nats://u:***@h:4222", "nats://***@h:4222"],
      nested: { url: "tls://u:***@h" },
      error: { name: "Error", message: "connect to nats://u:***@h failed" },
    },
  );
});
