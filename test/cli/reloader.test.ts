/**
 * The Reloader (live reconfiguration of `run`): a key that needs a restart is compared with
 * what runs, not with the last file read; a reload whose discovery gets no answer is refused
 * after the stall timeout instead of holding every later reload; close() abandons a reload in
 * progress. Against real HTTP servers: one that never answers, and the simulated API server.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { Reloader, type ReloadResult } from "../../src/cli/reloader.ts";
import { configSchema, type LookoutConfig } from "../../src/config/index.ts";
import { KubeClient } from "../../src/kube/index.ts";
import type { Lookout, WatchUpdate } from "../../src/lookout.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { recordingLogger } from "../store/support.ts";
import { startServer, type TestServer } from "../kube/http-server.ts";
import { testMetrics } from "../support/metrics.ts";

function config(port: number, resources: readonly string[] = ["configmaps"]): LookoutConfig {
  return configSchema.parse({
    cluster: { name: "test" },
    watch: resources.map((resource) => ({ version: "v1", resource })),
    api: { port },
  });
}

/** An API server that takes every request and never answers; `requests` are those held. */
function silentServer(t: TestContext): Promise<TestServer> {
  return startServer(t, () => undefined);
}

/** The part of a Lookout a reload uses: `updateResources`, recorded. */
function lookoutStub(updates: unknown[]): Lookout {
  const update: WatchUpdate = { started: 1, stopped: 0, kept: 0 };
  const stub = {
    updateResources: (resources: unknown) => {
      updates.push(resources);
      return Promise.resolve(update);
    },
  };
  // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- only updateResources is used
  return stub as unknown as Lookout;
}

function reloader(
  t: TestContext,
  options: {
    readonly running: LookoutConfig;
    readonly files: LookoutConfig[];
    readonly server: string;
    readonly discoveryStallTimeoutMs?: number;
  },
) {
  const { logger, lines } = recordingLogger();
  const client = new KubeClient({ server: options.server });
  t.after(() => client.close());
  const results: ReloadResult[] = [];
  const updates: unknown[] = [];
  let waiting: (() => void) | undefined;
  const r = new Reloader({
    config: options.running,
    client,
    lookout: lookoutStub(updates),
    logger,
    load: () => {
      const next = options.files.shift();
      return next === undefined
        ? Promise.reject(new Error("no more files"))
        : Promise.resolve(next);
    },
    meter: testMetrics(t).provider.getMeter("test"),
    onReloaded: (result) => {
      results.push(result);
      waiting?.();
    },
    ...(options.discoveryStallTimeoutMs === undefined
      ? {}
      : { discoveryStallTimeoutMs: options.discoveryStallTimeoutMs }),
  });
  t.after(() => r.close());
  /** Triggers one reload and resolves with its result. */
  const reload = (): Promise<ReloadResult> =>
    new Promise((resolve) => {
      const before = results.length;
      waiting = () => {
        if (results.length > before) resolve(results[before]!);
      };
      r.trigger();
    });
  return { reloader: r, reload, lines, results, updates };
}

const RESTART = "configuration changes outside `watch` take effect at the next start";

void test("a key that needs a restart is compared with what runs: said at every reload while pending, not when set back", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const { reload, lines } = reloader(t, {
    running: config(8080),
    files: [config(9090), config(9090), config(9090, ["configmaps", "secrets"]), config(8080)],
    server: sim.url,
  });
  const warned = (): unknown[] =>
    lines.filter((l) => l.message === RESTART).map((l) => l.fields["keys"]);

  assert.equal((await reload()).result, "unchanged");
  assert.deepEqual(warned(), [["api"]]);
  // SIGHUP with the same file: the change is still pending, and said again.
  assert.equal((await reload()).result, "unchanged");
  assert.deepEqual(warned(), [["api"], ["api"]]);
  // A watch change is applied; the port change is still pending.
  assert.equal((await reload()).result, "applied");
  assert.deepEqual(warned(), [["api"], ["api"], ["api"]]);
  // The port set back to the value that runs: nothing is pending.
  assert.equal((await reload()).result, "applied");
  assert.equal(warned().length, 3, "no warning for the running value");
});

void test("a reload whose discovery gets no answer is refused after the stall timeout; the next reload runs", async (t) => {
  const silent = await silentServer(t);
  const { reload, lines } = reloader(t, {
    running: config(8080),
    files: [config(8080, ["configmaps", "secrets"]), config(8080)],
    server: silent.url,
    discoveryStallTimeoutMs: 200,
  });
  const started = performance.now();
  const refused = await reload();
  assert.equal(refused.result, "rejected");
  assert.ok(performance.now() - started < 5000);
  const error = refused.result === "rejected" ? refused.error : undefined;
  assert.ok(error instanceof Error);
  assert.equal(Reflect.get(error, "code"), "LOOKOUT_CLI_DISCOVERY");
  assert.ok(error.cause instanceof Error);
  assert.equal(Reflect.get(error.cause, "code"), "LOOKOUT_WATCH_STALLED");
  assert.match(error.message, /\(GET \/api\/v1\): request stalled/);
  assert.ok(silent.requests.length >= 1);
  assert.equal(lines.filter((l) => l.level === "error").length, 1);
  // Not wedged: the next trigger reloads (the watch list back as it runs: unchanged).
  assert.equal((await reload()).result, "unchanged");
});

void test("close() abandons a reload waiting on discovery: it returns at once, nothing is logged or counted", async (t) => {
  const silent = await silentServer(t);
  const {
    reloader: r,
    lines,
    results,
  } = reloader(t, {
    running: config(8080),
    files: [config(8080, ["configmaps", "secrets"])],
    server: silent.url,
  });
  r.trigger();
  for (let i = 0; i < 100 && silent.requests.length === 0; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- until the request arrives
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(silent.requests.length >= 1, "discovery is waiting");
  const started = performance.now();
  await r.close();
  assert.ok(performance.now() - started < 1000, "close does not wait for the 30 s timeout");
  assert.deepEqual(results, []);
  assert.deepEqual(
    lines.filter((l) => l.level === "error"),
    [],
  );
  r.trigger(); // after close: nothing
  assert.deepEqual(results, []);
});
