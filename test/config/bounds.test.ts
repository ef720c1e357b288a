/**
 * Values a component refuses at start are configuration problems: the schema's bounds mirror
 * the checks of the Helm checker, the leader elector, the JetStream stream, NatsLink and the
 * store (no stricter, no looser).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveConfig, toMilliseconds, type LookoutConfig } from "../../src/config/index.ts";
import { NatsLink, NatsOptionError } from "../../src/events/index.ts";
import { LeaderElector, type LeaseClient } from "../../src/leader/index.ts";
import { problemAt, problemsOf } from "./support.ts";

function accepts(text: string): LookoutConfig {
  return resolveConfig({ env: {}, text });
}

/** Asserts `text` is refused at `path` with a message matching `expected`, showing `value`. */
function refuses(text: string, path: string, expected: RegExp, value?: string): void {
  const problem = problemAt(problemsOf({ text }), path);
  assert.match(problem.message, expected, text);
  if (value !== undefined) assert.equal(problem.value, value, text);
  assert.equal(problem.source, "file", text);
}

void test("helm.versionInterval: at least 1s, as the checker requires (versionIntervalMs ≥ 1000)", () => {
  refuses("helm: { versionInterval: 0.5 }", "helm.versionInterval", /duration ≥ 1s/, "0.5");
  refuses("helm: { versionInterval: 999ms }", "helm.versionInterval", /≥ 1s/, '"999ms"');
  refuses("helm: { versionInterval: 0 }", "helm.versionInterval", /≥ 1s/, "0");
  assert.equal(accepts("helm: { versionInterval: 1s }").helm.versionInterval, 1);
  assert.equal(accepts("helm: { versionInterval: 1h }").helm.versionInterval, 3600);
});

void test("durations the checker and the stream take as safe integers of ms refuse larger ones", () => {
  for (const text of [
    "helm: { fullScanInterval: 1e300 }",
    "helm: { incrementalDelay: 1e300 }",
    "helm: { versionInterval: 1e300 }",
    "events: { stream: { maxAge: 1e300 } }",
  ]) {
    const problems = problemsOf({ text });
    assert.equal(problems.length, 1, text);
    assert.match(problems[0]?.message ?? "", /duration ≤ \d+s/, text);
  }
  assert.equal(
    accepts("helm: { fullScanInterval: 0 }").helm.fullScanInterval,
    0,
    "0: only at start",
  );
});

void test("leader election: every duration above zero, as the elector requires", () => {
  refuses(
    "leaderElection: { retryPeriodSeconds: 0 }",
    "leaderElection.retryPeriodSeconds",
    /duration ≥ 1ms/,
    "0",
  );
  // Rounds to 0 ms, which is what the elector would get.
  refuses(
    "leaderElection: { retryPeriodSeconds: 0.0004 }",
    "leaderElection.retryPeriodSeconds",
    /≥ 1ms/,
  );
  const zeros = problemsOf({
    text: "leaderElection: { leaseDurationSeconds: 0, renewDeadlineSeconds: 0, retryPeriodSeconds: 0 }",
  });
  for (const key of ["leaseDurationSeconds", "renewDeadlineSeconds", "retryPeriodSeconds"])
    assert.match(problemAt(zeros, `leaderElection.${key}`).message, /≥ 1ms/);
  // Compared in the milliseconds the elector gets: 10.0001 s and 10.0004 s are both 10000 ms.
  refuses(
    "leaderElection: { leaseDurationSeconds: 10.0004, renewDeadlineSeconds: 10.0001, retryPeriodSeconds: 1 }",
    "leaderElection.renewDeadlineSeconds",
    /less than leaseDurationSeconds/,
  );
});

void test("leader election: every timing the config accepts, the elector accepts", () => {
  const client: LeaseClient = {
    get: () => Promise.reject(new Error("unused")),
    create: () => Promise.reject(new Error("unused")),
    update: () => Promise.reject(new Error("unused")),
  };
  const values = [0, 0.0004, 0.001, 0.002, 0.5, 1, 1.2, 2, 10, 15];
  let accepted = 0;
  for (const lease of values)
    for (const renew of values)
      for (const retry of values) {
        let le: LookoutConfig["leaderElection"];
        try {
          le = resolveConfig({
            env: {},
            text: `leaderElection: { leaseDurationSeconds: ${lease}, renewDeadlineSeconds: ${renew}, retryPeriodSeconds: ${retry} }`,
          }).leaderElection;
        } catch {
          continue;
        }
        accepted++;
        assert.doesNotThrow(
          () =>
            new LeaderElector({
              client,
              namespace: "ns",
              name: "lease",
              identity: "me",
              leaseDurationMs: toMilliseconds(le.leaseDurationSeconds),
              renewDeadlineMs: toMilliseconds(le.renewDeadlineSeconds),
              retryPeriodMs: toMilliseconds(le.retryPeriodSeconds),
            }),
          `lease ${lease}, renew ${renew}, retry ${retry}`,
        );
      }
  assert.ok(accepted > 10, `only ${accepted} combinations accepted`);
});

void test("events.stream.duplicateWindow: above zero and at most maxAge unless maxAge is 0, as the stream requires", () => {
  refuses(
    "events: { stream: { duplicateWindow: 0 } }",
    "events.stream.duplicateWindow",
    /duration ≥ 1ms/,
    "0",
  );
  refuses(
    "events: { stream: { maxAge: 1h, duplicateWindow: 2h } }",
    "events.stream.duplicateWindow",
    /at most maxAge \(3600s\)/,
    '"2h"',
  );
  refuses(
    "events: { stream: { maxAge: 1m, duplicateWindow: 60.001 } }",
    "events.stream.duplicateWindow",
    /at most maxAge/,
  );
  const same = accepts("events: { stream: { maxAge: 1h, duplicateWindow: 1h } }").events.stream;
  assert.equal(same.duplicateWindow, 3600);
  const unlimited = accepts("events: { stream: { maxAge: 0, duplicateWindow: 2h } }").events.stream;
  assert.equal(unlimited.duplicateWindow, 7200, "maxAge 0 is no age limit: any window");
});

void test("events.nats: the pairs and URLs NatsLink refuses are refused, with the key to fix", () => {
  let problems = problemsOf({ text: "events: { nats: { user: u } }" });
  assert.match(problemAt(problems, "events.nats.passwordFile").message, /passwordFile with user/);
  problems = problemsOf({ text: "events: { nats: { passwordFile: /p } }" });
  assert.match(problemAt(problems, "events.nats.user").message, /user with passwordFile/);
  problems = problemsOf({ text: "events: { nats: { tokenFile: /t, user: u, passwordFile: /p } }" });
  assert.match(problemAt(problems, "events.nats.tokenFile").message, /either tokenFile or user/);
  problems = problemsOf({ text: "events: { nats: { tls: { certFile: /c } } }" });
  assert.match(problemAt(problems, "events.nats.tls.keyFile").message, /keyFile with certFile/);
  problems = problemsOf({ text: "events: { nats: { tls: { keyFile: /k } } }" });
  assert.match(problemAt(problems, "events.nats.tls.certFile").message, /certFile with keyFile/);
  for (const url of ["nats://n:4222/", "nats://n:4222/path", "ws://n:80/nats"]) {
    problems = problemsOf({ text: `events: { nats: { servers: ["${url}"] } }` });
    const p = problemAt(problems, "events.nats.servers[0]");
    assert.equal(p.value, JSON.stringify(url));
    assert.match(p.message, /no path/);
  }
});

interface NatsInput {
  servers: string[];
  user?: string;
  passwordFile?: string;
  tokenFile?: string;
  tls?: { certFile?: string; keyFile?: string };
}

/** Does NatsLink take the options run-options builds from `n` (secret files read as stand-ins)? */
function natsLinkTakes(n: NatsInput): boolean {
  try {
    const link = new NatsLink({
      servers: n.servers,
      ...(n.tokenFile === undefined ? {} : { token: "token" }),
      ...(n.user === undefined ? {} : { user: n.user }),
      ...(n.passwordFile === undefined ? {} : { pass: "password" }),
      ...(n.tls === undefined ? {} : { tls: n.tls }),
    });
    assert.equal(link.state, "connecting", "constructed, not started");
    return true;
  } catch (error: unknown) {
    assert.ok(error instanceof NatsOptionError, String(error));
    assert.equal(error.code, "LOOKOUT_EVENTS_NATS_INVALID_OPTION");
    return false;
  }
}

function configTakes(n: NatsInput): boolean {
  try {
    resolveConfig({ env: {}, text: JSON.stringify({ events: { nats: n } }) });
    return true;
  } catch {
    return false;
  }
}

void test("events.nats: the config and NatsLink agree on every combination of servers, credentials and TLS files", () => {
  const servers = ["nats://n:4222", "tls://u:p@n:4222", "nats://n:4222/", "wss://n:443/x"];
  const tlsForms = [
    undefined,
    {},
    { certFile: "/c" },
    { keyFile: "/k" },
    { certFile: "/c", keyFile: "/k" },
  ];
  let agreed = 0;
  for (const server of servers)
    for (let mask = 0; mask < 8; mask++)
      for (const tls of tlsForms) {
        const n: NatsInput = {
          servers: [server],
          ...((mask & 1) === 0 ? {} : { user: "u" }),
          ...((mask & 2) === 0 ? {} : { passwordFile: "/p" }),
          ...((mask & 4) === 0 ? {} : { tokenFile: "/t" }),
          ...(tls === undefined ? {} : { tls }),
        };
        assert.equal(configTakes(n), natsLinkTakes(n), JSON.stringify(n));
        agreed++;
      }
  assert.equal(agreed, 4 * 8 * 5);
});

void test('store: ":memory:", a blank path and a busy timeout past 2^31 - 1 ms are refused, as openStore refuses them', () => {
  refuses(
    "store: { path: ':memory:' }",
    "store.path",
    /keeps no state across restarts/,
    '":memory:"',
  );
  refuses("store: { path: '  ' }", "store.path", /not only spaces/, '"  "');
  refuses(
    "store: { busyTimeoutMs: 2147483648 }",
    "store.busyTimeoutMs",
    /≤ 2147483647/,
    "2147483648",
  );
  const c = accepts("store: { path: ./memory.db, busyTimeoutMs: 2147483647 }");
  assert.equal(c.store.busyTimeoutMs, 2_147_483_647);
  assert.equal(c.store.path, "./memory.db");
});

void test("telemetry.otlp.intervalSeconds: above zero, as the OTLP reader requires a positive interval", () => {
  refuses(
    "telemetry: { otlp: { intervalSeconds: 0 } }",
    "telemetry.otlp.intervalSeconds",
    /duration ≥ 1ms/,
    "0",
  );
  assert.equal(
    accepts("telemetry: { otlp: { intervalSeconds: 15s } }").telemetry.otlp.intervalSeconds,
    15,
  );
});

void test("durations handed to a timer refuse more than 2^31 - 1 ms (a longer Node timer fires after 1 ms)", () => {
  const cases: [string, string][] = [
    ["events: { batchDelay: 25d }", "events.batchDelay"],
    ["events: { ackTimeout: 25d }", "events.ackTimeout"],
    ["shutdown: { flushTimeout: 25d }", "shutdown.flushTimeout"],
    ["helm: { incrementalDelay: 25d }", "helm.incrementalDelay"],
    ["leaderElection: { leaseDurationSeconds: 25d }", "leaderElection.leaseDurationSeconds"],
    [
      "telemetry: { otlp: { endpoint: http://c:4318, intervalSeconds: 25d } }",
      "telemetry.otlp.intervalSeconds",
    ],
    ["watch: [{ version: v1, resource: pods, resyncSeconds: 25d }]", "watch[0].resyncSeconds"],
  ];
  for (const [text, path] of cases) refuses(text, path, /duration ≤ 2147483s/);
  // 24 days fit in one timer; an ack needs at least 1 ms.
  const ok = accepts(
    "events: { batchDelay: 24d, ackTimeout: 24d }\nshutdown: { flushTimeout: 0 }\nwatch: [{ version: v1, resource: pods, resyncSeconds: 24d }]",
  );
  assert.equal(toMilliseconds(ok.events.batchDelay), 24 * 86_400_000);
  assert.equal(ok.watch[0]?.resyncSeconds, 24 * 86_400);
  refuses("events: { ackTimeout: 0 }", "events.ackTimeout", /duration ≥ 1ms/, "0");
  // The Helm checker's periodic jobs wait out longer intervals in several timers.
  assert.equal(accepts("helm: { fullScanInterval: 30d }").helm.fullScanInterval, 30 * 86_400);
});
