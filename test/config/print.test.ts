import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import {
  ConfigInvalidError,
  isSecretKey,
  printConfig,
  resolveConfig,
} from "../../src/config/index.ts";

const TEXT = `
events:
  nats:
    servers: [nats://lookout:hunter2@nats:4222, nats://plain:4222, nats://t0ken-9@nats:4222]
    tokenFile: /run/secrets/token
telemetry:
  otlp:
    headers: { authorization: Bearer abc.def, x-team: payments }
plugins:
  - name: stream-delay
    config: { apiKey: k-123, nested: { password: p-456 }, window: 5 }
watch:
  - { version: v1, resource: pods, resyncSeconds: 5m }
`;

void test("print masks secret-looking values and keeps file paths and the rest", () => {
  const out = printConfig(resolveConfig({ text: TEXT, env: {} }));
  for (const secret of ["hunter2", "t0ken-9", "Bearer abc.def", "payments", "k-123", "p-456"])
    assert.ok(!out.includes(secret), `${secret} leaked:\n${out}`);
  const printed: unknown = parse(out);
  assert.ok(typeof printed === "object" && printed !== null);
  const text = JSON.stringify(printed);
  assert.ok(text.includes('"nats://lookout:***@nats:4222"'), "URL password masked, user kept");
  assert.ok(text.includes('"nats://plain:4222"'));
  assert.ok(text.includes('"nats://***@nats:4222"'), "a NATS URL's token is masked whole");
  assert.ok(text.includes('"tokenFile":"/run/secrets/token"'), "a file path is not a secret");
  assert.ok(text.includes('"apiKey":"***"'));
  assert.ok(text.includes('"password":"***"'));
  assert.ok(text.includes('"window":5'));
  assert.ok(text.includes('"authorization":"***"'));
  assert.ok(text.includes('"x-team":"***"'), "every OTLP header is masked");
});

void test("print round-trips: its output loads back to the same configuration", () => {
  const config = resolveConfig({
    text: "watch: [{ version: v1, resource: pods, resyncSeconds: 90s }]\nevents: { batchDelay: 20ms }\n",
    env: {},
  });
  const again = resolveConfig({ text: printConfig(config), env: {} });
  assert.deepEqual(again, config);
  assert.equal(again.watch[0]?.resyncSeconds, 90);
});

void test("secret-looking keys", () => {
  for (const key of [
    "password",
    "dbPassword",
    "token",
    "apiKey",
    "api_key",
    "clientSecret",
    "authorization",
    "privateKey",
    "accessKey",
    "signingKey",
    "key",
    "jwt",
    "pwd",
  ])
    assert.ok(isSecretKey(key), key);
  for (const key of ["tokenFile", "passwordFile", "name", "servers", "window", "host"])
    assert.ok(!isSecretKey(key), key);
});

void test("print and problems hide credential query parameters of URLs and keep the others", () => {
  const endpoint =
    "https://otlp.example/v1/metrics?api_key=q-111&region=eu&token=q-222&access_token=q-333";
  const out = printConfig(
    resolveConfig({
      text: `telemetry: { otlp: { endpoint: "${endpoint}" } }\nevents: { nats: { servers: ["nats://n:4222?token=q-444"] } }\n`,
      env: {},
    }),
  );
  for (const secret of ["q-111", "q-222", "q-333", "q-444"])
    assert.ok(!out.includes(secret), `${secret} leaked:\n${out}`);
  assert.ok(
    out.includes(
      "https://otlp.example/v1/metrics?api_key=***&region=eu&token=***&access_token=***",
    ),
    out,
  );
  assert.ok(out.includes("nats://n:4222?token=***"), out);

  const bad = "ftp://otlp.example/v1/metrics?api_key=q-555&region=eu";
  assert.throws(
    () => resolveConfig({ text: `telemetry: { otlp: { endpoint: "${bad}" } }\n`, env: {} }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigInvalidError);
      assert.ok(!error.message.includes("q-555"), error.message);
      assert.ok(error.message.includes("?api_key=***&region=eu"), error.message);
      return true;
    },
  );
});
