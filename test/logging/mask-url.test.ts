import assert from "node:assert/strict";
import { test } from "node:test";
import { isSecretParamName, jsonLogger, maskUrlCredentials } from "../../src/logging/index.ts";

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
    // The user info runs to the authority's last `@`: a password holding `,` or `@` is hidden whole.
    ["nats://u:pa,ss@h:4222", "nats://u:***@h:4222"],
    ["nats://u:p@ss@h:4222", "nats://u:***@h:4222"],
    ["nats://me@corp:pw@h", "nats://me@corp:***@h"],
    ["nats://t@k,en@h", "nats://***@h"],
    [
      "nats://a:p,1@h1,nats://b:p,2@h2,nats://h3:4222",
      "nats://a:***@h1,nats://b:***@h2,nats://h3:4222",
    ],
    // ... but no further: a quote, a path, a query or whitespace ends the authority.
    ['{"url":"nats://u:p@h","mail":"a@b"}', '{"url":"nats://u:***@h","mail":"a@b"}'],
    [
      "https://h/a@b https://h2?x=a@b nats://h3:4222 me@x",
      "https://h/a@b https://h2?x=a@b nats://h3:4222 me@x",
    ],
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

void test("credential-looking query and fragment parameters are hidden; the others stay visible", () => {
  const cases: [string, string][] = [
    [
      "https://otlp.example/v1/metrics?api_key=SECRET&region=eu",
      "https://otlp.example/v1/metrics?api_key=***&region=eu",
    ],
    [
      "https://h/x?token=t1&access_token=t2&X-Api-Key=k3&page=2#frag",
      "https://h/x?token=***&access_token=***&X-Api-Key=***&page=2#frag",
    ],
    [
      "https://b.s3.amazonaws.com/o?X-Amz-Credential=AK%2F1&X-Amz-Signature=ab12&X-Amz-Expires=60",
      "https://b.s3.amazonaws.com/o?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60",
    ],
    [
      "https://a.blob.core.windows.net/c?sv=2022&sig=Zm9v%2Bbg%3D%3D",
      "https://a.blob.core.windows.net/c?sv=2022&sig=***",
    ],
    ["https://maps.example/api?KEY=AIza123&q=x", "https://maps.example/api?KEY=***&q=x"],
    ["https://h/cb#access_token=jwt.a.b&state=s", "https://h/cb#access_token=***&state=s"],
    [
      "https://h/?password=p&passwd=q&secret=r&auth=s",
      "https://h/?password=***&passwd=***&secret=***&auth=***",
    ],
    // base64 padding and slashes are part of the value; an empty value has nothing to hide
    ["https://h/?signature=a/b+c==&monkey=1&token=", "https://h/?signature=***&monkey=1&token="],
    // a kept parameter's value is scanned too
    ["https://h/login?next=https://i/?token=t9", "https://h/login?next=https://i/?token=***"],
    // a request path without a scheme, a URL in a JSON string, a list of URLs
    ["GET /v1/x?apikey=s3 200", "GET /v1/x?apikey=*** 200"],
    ['{"url":"https://h/?token=t\\"x"}', '{"url":"https://h/?token=***\\"x"}'],
    ["nats://h1:4222?token=a,nats://u:p@h2:4222", "nats://h1:4222?token=***,nats://u:***@h2:4222"],
    ["https://bob:pw@h/?key=k", "https://bob:***@h/?key=***"],
    ["https://h/search?q=token&keyword=x&sort=asc", "https://h/search?q=token&keyword=x&sort=asc"],
    ["a=b c=token", "a=b c=token"],
  ];
  for (const [input, expected] of cases) assert.equal(maskUrlCredentials(input), expected, input);
});

void test("credential-looking parameter names, case-insensitive", () => {
  for (const name of [
    "api_key",
    "apikey",
    "API-KEY",
    "x-api-key",
    "key",
    "token",
    "access_token",
    "refresh_token",
    "X-Amz-Security-Token",
    "auth",
    "Authorization",
    "password",
    "passwd",
    "client_secret",
    "signature",
    "sig",
    "X-Goog-Signature",
    "X-Amz-Credential",
    "access_key",
    "session_id",
    "jwt",
  ])
    assert.ok(isSecretParamName(name), name);
  for (const name of ["region", "page", "q", "keyword", "monkey", "sort", "sv", "X-Amz-Expires"])
    assert.ok(!isSecretParamName(name), name);
});

void test("jsonLogger hides credential query parameters in fields and error messages", () => {
  const lines: string[] = [];
  const log = jsonLogger("debug", (line) => void lines.push(line));
  log.warn("export failed", {
    url: "https://otlp.example/v1/metrics?api_key=qs-1&region=eu",
    error: new Error("POST https://otlp.example/v1/metrics?token=qs-2 refused"),
  });
  assert.equal(lines.length, 1);
  for (const secret of ["qs-1", "qs-2"])
    assert.ok(!lines[0]!.includes(secret), `${secret} leaked: ${lines[0]}`);
  assert.ok(lines[0]!.includes("?api_key=***&region=eu"), lines[0]);
});

void test(
  "maskUrlCredentials: a 1 MB line of scheme-like runs with an @ is read in linear time",
  { timeout: 10_000 },
  () => {
    // The scheme was unbounded: each of these positions began a match that ran to the line's end
    // (minutes for 1 MB). A URL scheme is short: 32 characters at most are tried.
    for (const unit of ["a.", "a-", "a+"]) {
      const line = `${unit.repeat(500_000)}@`;
      assert.equal(maskUrlCredentials(line), line);
    }
    // The user info runs to the authority's last `@`: one pass to its end, then back to the `@`.
    const commas = `nats://${"a,".repeat(500_000)}`;
    assert.equal(maskUrlCredentials(commas), commas);
    assert.equal(maskUrlCredentials(`nats://u:${"p@".repeat(500_000)}h`), "nats://u:***@h");
    assert.equal(maskUrlCredentials("see nats://u:p@h"), "see nats://u:***@h");
  },
);

void test("maskUrlCredentials: a percent-encoded parameter name is read as the server reads it", () => {
  assert.equal(
    maskUrlCredentials("https://h/x?api%5Fkey=s3cret&region=eu&%74oken=t2&bad%zz=v"),
    "https://h/x?api%5Fkey=***&region=eu&%74oken=***&bad%zz=v",
  );
});
