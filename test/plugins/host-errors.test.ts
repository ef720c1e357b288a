/**
 * The plugin host's option bounds (every delay it hands to a Node timer is at most 2^31-1 ms)
 * and config errors that name only the offending value, with secrets masked.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MASK } from "../../src/config/index.ts";
import { jsonLogger } from "../../src/logging/index.ts";
import {
  PluginConfigError,
  type PluginHost,
  configObject,
  definePlugin,
} from "../../src/plugins/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { codeOf, startCluster, startHost } from "./harness.ts";

after(assertNoActiveHandles);

const MAX_TIMER_MS = 2 ** 31 - 1;

const host = startHost;

void test("delays beyond a Node timer's 2^31-1 ms, or not positive where a delay must be, are LOOKOUT_PLUGIN_INVALID_OPTION", async (t) => {
  const setup = await startCluster(t);
  const bad: [string, Partial<ConstructorParameters<typeof PluginHost>[0]>][] = [
    ["closeTimeoutMs", { closeTimeoutMs: MAX_TIMER_MS + 1 }],
    ["closeTimeoutMs", { closeTimeoutMs: 30 * 24 * 3600 * 1000 }],
    ["closeTimeoutMs", { closeTimeoutMs: Number.NaN }],
    ["loadTimeoutMs", { loadTimeoutMs: MAX_TIMER_MS + 1 }],
    ["loadTimeoutMs", { loadTimeoutMs: 0 }],
    ["loadTimeoutMs", { loadTimeoutMs: Number.POSITIVE_INFINITY }],
    ["backoff.initialMs", { backoff: { initialMs: 0 } }],
    ["backoff.initialMs", { backoff: { initialMs: MAX_TIMER_MS + 1 } }],
    ["backoff.maxMs", { backoff: { maxMs: MAX_TIMER_MS + 1 } }],
    ["backoff.maxMs", { backoff: { maxMs: Number.NaN } }],
  ];
  for (const [option, extra] of bad) {
    assert.throws(
      () => host(t, setup, [], extra),
      { code: "LOOKOUT_PLUGIN_INVALID_OPTION", option },
      JSON.stringify(extra),
    );
  }
  // The bounds themselves are accepted.
  host(t, setup, [], {
    closeTimeoutMs: MAX_TIMER_MS,
    loadTimeoutMs: MAX_TIMER_MS,
    backoff: { initialMs: 1, maxMs: MAX_TIMER_MS },
  });
  host(t, setup, [], { closeTimeoutMs: 0 });
});

void test("a config error carries only the offending key's value, with secrets masked, and no log line shows them", async (t) => {
  const setup = await startCluster(t);
  const secrets = ["s3cr3t-token", "pr0m-pass", "hunter2", "k3y-in-list"];
  const raw = {
    token: secrets[0],
    prometheus: { url: `https://user:${secrets[1]}@prom.example:9090`, apiKey: "abc" },
    password: secrets[2],
    headers: [{ authorization: secrets[3] }],
    every: 5,
  };
  const lines: string[] = [];
  const h = host(
    t,
    setup,
    [
      // The schema names a secret key: its value is masked.
      { plugin: throwing("names-token", () => keyed("token")), config: raw },
      // A nested key: only that object, its URL credentials and apiKey masked.
      { plugin: throwing("names-nested", () => keyed("prometheus")), config: raw },
      // A plain key: its value as given, nothing else of the config.
      { plugin: throwing("names-plain", () => keyed("every")), config: raw },
      // No key: the whole config, every secret-looking value masked.
      { plugin: throwing("names-nothing", () => new Error("wrong")), config: raw },
      // The helpers throw PluginConfigError themselves.
      {
        plugin: definePlugin({
          name: "helper",
          configSchema: (value) => configObject("helper", value, ["every"]),
          start() {},
        }),
        config: { every: 1, apiToken: secrets[0] },
      },
    ],
    { logger: jsonLogger("debug", (line) => lines.push(line)) },
  );
  const { failed } = await h.start();
  const byPlugin = new Map(failed.map((f) => [f.plugin, f.error]));
  const expected: [string, string | undefined, unknown][] = [
    ["names-token", "token", MASK],
    ["names-nested", "prometheus", { url: `https://user:${MASK}@prom.example:9090`, apiKey: MASK }],
    ["names-plain", "every", 5],
    [
      "names-nothing",
      undefined,
      {
        token: MASK,
        prometheus: { url: `https://user:${MASK}@prom.example:9090`, apiKey: MASK },
        password: MASK,
        headers: [{ authorization: MASK }],
        every: 5,
      },
    ],
    ["helper", "apiToken", MASK],
  ];
  for (const [plugin, key, value] of expected) {
    const error = byPlugin.get(plugin);
    assert.ok(error instanceof PluginConfigError, plugin);
    assert.equal(codeOf(error), "LOOKOUT_PLUGIN_BAD_CONFIG");
    assert.equal(error.key, key, plugin);
    assert.deepEqual(error.value, value, plugin);
  }
  assert.equal(lines.length, failed.length);
  for (const line of lines) {
    for (const secret of secrets) assert.equal(line.includes(secret), false, `${secret} logged`);
  }
});

/** A plugin whose `configSchema` throws what `thrown` returns. */
function throwing(name: string, thrown: () => unknown): ReturnType<typeof definePlugin> {
  return definePlugin({
    name,
    configSchema() {
      throw thrown();
    },
    start() {},
  });
}

function keyed(key: string): Error {
  return Object.assign(new Error("rejected"), { key });
}
