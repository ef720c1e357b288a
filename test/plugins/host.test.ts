/**
 * The plugin host: built-ins by name, a third-party module from a temp folder, bad modules
 * and configs, restarts with backoff (counted), and close() within its deadline.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { definePlugin, type PluginContext } from "../../src/plugins/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { PODS, codeOf, startCluster, startHost, testMetrics, until } from "./harness.ts";

after(assertNoActiveHandles);

const host = startHost;

void test("a built-in plugin loads by name and runs", async (t) => {
  const setup = await startCluster(t);
  const h = host(t, setup, [{ plugin: "stream-delay" }, { plugin: "watch-verify" }]);
  const result = await h.start();
  assert.deepEqual(result.started, ["stream-delay", "watch-verify"]);
  assert.deepEqual(result.failed, []);
  await until("both running", () => h.status().every((s) => s.state === "running"));
  assert.deepEqual(
    h.status().map((s) => s.source),
    ["builtin:stream-delay", "builtin:watch-verify"],
  );
  assert.equal(setup.factory.size, 1, "both share one pods informer");
  await h.close();
  assert.deepEqual(
    h.status().map((s) => s.state),
    ["stopped", "stopped"],
  );
  assert.equal(setup.factory.size, 0, "the plugins released their leases");
});

const THIRD_PARTY = `
// A plugin outside the package: no imports, built by hand with the kind marker.
export default {
  kind: "kube-lookout-plugin",
  name: "pod-counter",
  configSchema(raw) {
    const label = raw?.label ?? "app";
    if (typeof label !== "string") {
      throw Object.assign(new Error("label must be a string"), { key: "label" });
    }
    return { label };
  },
  async start(ctx) {
    const seen = ctx.meter.createCounter("example.pods_added", { unit: "{pod}" });
    const leases = ctx.resources.map((spec) => ctx.informers.acquire(spec));
    for (const { informer } of leases) {
      informer.addEventHandler({
        onAdd(obj) {
          seen.add(1, { [ctx.config.label]: obj.labels?.[ctx.config.label] ?? "" });
        },
      });
    }
    await Promise.all(leases.map((l) => l.informer.waitForSync(ctx.signal)));
    ctx.logger.info("pod-counter running");
    const stopped = new Promise((resolve) =>
      ctx.signal.addEventListener("abort", resolve, { once: true }),
    ).then(() => Promise.all(leases.map((l) => l.release())));
    return { stopped };
  },
};
`;

void test("a third-party plugin module in a temp folder loads by relative path and runs", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-plugin-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "pod-counter.mjs"), THIRD_PARTY);
  await writeFile(join(dir, "not-a-plugin.mjs"), "export default { name: 'x' };\n");
  const setup = await startCluster(t);
  setup.cluster.create(PODS, { metadata: { name: "a", namespace: "n", labels: { app: "web" } } });
  const metrics = testMetrics(t);
  const h = host(
    t,
    setup,
    [
      { plugin: "./pod-counter.mjs", config: { label: "app" } },
      { plugin: "./not-a-plugin.mjs" },
      { plugin: "./absent.mjs" },
      { plugin: "stream-delay", config: { buckets: [1, 1] } },
    ],
    { baseDir: dir, meterProvider: metrics.provider },
  );
  const result = await h.start();
  assert.deepEqual(result.started, ["pod-counter"]);
  assert.deepEqual(
    result.failed.map((f) => [f.plugin, codeOf(f.error)]),
    [
      ["./not-a-plugin.mjs", "LOOKOUT_PLUGIN_INVALID"],
      ["./absent.mjs", "LOOKOUT_PLUGIN_LOAD_FAILED"],
      ["stream-delay", "LOOKOUT_PLUGIN_BAD_CONFIG"],
    ],
  );
  assert.equal(Reflect.get(result.failed[2]!.error, "key"), "buckets.1");
  await until("pod-counter running", () => h.status()[0]?.state === "running");
  setup.cluster.create(PODS, { metadata: { name: "b", namespace: "n", labels: { app: "web" } } });
  setup.cluster.create(PODS, { metadata: { name: "c", namespace: "n", labels: { app: "db" } } });
  const counts = async (): Promise<Record<string, unknown>> => {
    const points = await metrics.points("example.pods_added");
    return Object.fromEntries(points.map((p) => [String(p.attributes["app"]), p.value]));
  };
  await until("three adds counted", async () => {
    const c = await counts();
    return c["web"] === 2 && c["db"] === 1;
  });
});

void test("a bad third-party config is LOOKOUT_PLUGIN_BAD_CONFIG with the key the schema named", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-plugin-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "pod-counter.mjs"), THIRD_PARTY);
  const setup = await startCluster(t);
  const h = host(t, setup, [{ plugin: join(dir, "pod-counter.mjs"), config: { label: 7 } }]);
  const { failed } = await h.start();
  assert.equal(failed.length, 1);
  assert.equal(codeOf(failed[0]!.error), "LOOKOUT_PLUGIN_BAD_CONFIG");
  assert.equal(Reflect.get(failed[0]!.error, "key"), "label");
});

void test("a plugin whose start throws, or that reports a failure, is restarted with backoff and counted", async (t) => {
  const setup = await startCluster(t);
  const metrics = testMetrics(t);
  let starts = 0;
  const aborted: boolean[] = [];
  const contexts: PluginContext[] = [];
  const flaky = definePlugin({
    name: "flaky",
    start(ctx) {
      starts++;
      contexts.push(ctx);
      if (starts <= 2) throw new Error(`start ${starts} fails`);
      if (starts === 3) return Promise.reject(new Error("start 3 rejects"));
      if (starts === 4) setImmediate(() => ctx.reportFailure(new Error("broke while running")));
      if (starts === 5) {
        return {
          stopped: new Promise<void>((_, reject) =>
            setImmediate(() => reject(new Error("loop died"))),
          ),
        };
      }
      ctx.signal.addEventListener("abort", () => aborted.push(true), { once: true });
      return undefined;
    },
  });
  const h = host(t, setup, [{ plugin: flaky }], { meterProvider: metrics.provider });
  await h.start();
  await until("the sixth start runs", () => starts === 6 && h.status()[0]?.state === "running");
  const [status] = h.status();
  assert.equal(status?.restarts, 5);
  assert.equal(codeOf(status?.lastError), "LOOKOUT_PLUGIN_FAILED");
  assert.equal(Reflect.get(status?.lastError ?? {}, "phase"), "stopped");
  assert.equal(contexts[3]?.signal.aborted, true, "the failed run's signal was aborted");
  assert.equal(contexts[5]?.signal.aborted, false);
  const points = await metrics.points("kube_lookout.plugin.restarts");
  assert.deepEqual(
    points.map((p) => [p.attributes["kube_lookout.plugin"], p.value]),
    [["flaky", 5]],
  );
  await h.close();
  assert.equal(contexts[5]?.signal.aborted, true);
  assert.deepEqual(aborted, [true, true], "runs 4 and 6 saw their signal abort");
  assert.equal(starts, 6, "no start after close");
});

void test("close() aborts every plugin and waits at most closeTimeoutMs for one that ignores its signal", async (t) => {
  const setup = await startCluster(t);
  let politeStopped = false;
  const polite = definePlugin({
    name: "polite",
    start(ctx) {
      const stopped = new Promise<void>((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          setTimeout(() => {
            politeStopped = true;
            resolve();
          }, 20);
        });
      });
      return { stopped };
    },
  });
  const deaf = definePlugin({
    name: "deaf",
    start: () => ({ stopped: new Promise<void>(() => {}) }),
  });
  const stuck = definePlugin({ name: "stuck", start: () => new Promise<void>(() => {}) });
  const h = host(t, setup, [{ plugin: polite }, { plugin: deaf }, { plugin: stuck }], {
    closeTimeoutMs: 300,
  });
  await h.start();
  await until(
    "polite and deaf running",
    () => h.status().filter((s) => s.state === "running").length === 2,
  );
  const t0 = performance.now();
  const closing = h.close();
  assert.equal(h.close(), closing, "every caller gets the same promise");
  await closing;
  const took = performance.now() - t0;
  // Bounded loosely: the point is that a deaf or stuck plugin does not hold close() forever.
  assert.ok(took >= 290 && took < 300 + 5000, `close took ${took} ms`);
  assert.equal(politeStopped, true);
  assert.deepEqual(
    h.status().map((s) => s.state),
    ["stopped", "stopping", "starting"],
  );
  const late = host(t, setup, [{ plugin: polite }]);
  await late.close();
  await assert.rejects(late.start(), { code: "LOOKOUT_PLUGIN_HOST_CLOSED" });
});

void test("close() during start() launches nothing and releases everything", async (t) => {
  const setup = await startCluster(t);
  const h = host(t, setup, [{ plugin: "stream-delay" }, { plugin: "watch-verify" }]);
  const starting = h.start();
  const closing = h.close();
  const result = await starting;
  await closing;
  assert.deepEqual(result.started, []);
  assert.deepEqual(h.status(), []);
  assert.equal(setup.factory.size, 0);
});

void test("definePlugin and the host validate their input", async (t) => {
  assert.throws(() => definePlugin({ name: "Bad Name", start() {} }), {
    code: "LOOKOUT_PLUGIN_INVALID",
  });
  assert.throws(
    () => definePlugin({ name: "x", start: Reflect.get(Object({ start: 1 }), "start") }),
    {
      code: "LOOKOUT_PLUGIN_INVALID",
    },
  );
  const setup = await startCluster(t);
  assert.throws(() => host(t, setup, [], { closeTimeoutMs: -1 }), {
    code: "LOOKOUT_PLUGIN_INVALID_OPTION",
  });
  const a = definePlugin({ name: "same", start() {} });
  const h = host(t, setup, [{ plugin: a }, { plugin: a }]);
  const { started, failed } = await h.start();
  assert.deepEqual(started, ["same"]);
  assert.equal(codeOf(failed[0]?.error), "LOOKOUT_PLUGIN_INVALID");
});
