/**
 * The plugin host while entries load: a module whose import never settles (or settles late)
 * holds up neither the other entries nor close(); the load timeout; one log record per
 * entry that could not be started.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test, type TestContext } from "node:test";
import type { Logger } from "../../src/logging/index.ts";
import { definePlugin } from "../../src/plugins/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { codeOf, startCluster, startHost, until, within } from "./harness.ts";

after(assertNoActiveHandles);

/** Never settles: `await` on a promise nobody resolves, at the module's top level. */
const HANGING = "await new Promise(() => {});\nexport default {};\n";

/** Shared with the LATE module through globalThis (a module loaded from a temp folder). */
const GATE = Symbol.for("kube-lookout.test.plugin-gate");
const LATE_STARTS = Symbol.for("kube-lookout.test.late-starts");
const LATE_LOADED = Symbol.for("kube-lookout.test.late-loaded");

/** Finishes loading once the test resolves the gate; counts its starts. */
const LATE = `
await globalThis[Symbol.for("kube-lookout.test.plugin-gate")];
globalThis[Symbol.for("kube-lookout.test.late-loaded")] = true;
export default {
  kind: "kube-lookout-plugin",
  name: "late",
  start() {
    const key = Symbol.for("kube-lookout.test.late-starts");
    globalThis[key] = (globalThis[key] ?? 0) + 1;
  },
};
`;

async function tempDir(t: TestContext, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kl-plugin-load-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- a few small files
    await writeFile(join(dir, name), text);
  }
  return dir;
}

const host = startHost;

void test("a module whose import never settles holds up neither the other plugins nor close(); a late import never starts", async (t) => {
  const gate = Promise.withResolvers<void>();
  Reflect.set(globalThis, GATE, gate.promise);
  t.after(() => {
    gate.resolve();
    Reflect.deleteProperty(globalThis, GATE);
    Reflect.deleteProperty(globalThis, LATE_STARTS);
    Reflect.deleteProperty(globalThis, LATE_LOADED);
  });
  const dir = await tempDir(t, { "hang.mjs": HANGING, "late.mjs": LATE });
  const setup = await startCluster(t);
  let okStarts = 0;
  const ok = definePlugin({
    name: "ok",
    start() {
      okStarts++;
    },
  });
  const h = host(
    t,
    setup,
    [
      { plugin: "./hang.mjs" },
      { plugin: "./late.mjs" },
      { plugin: ok },
      { plugin: "stream-delay" },
    ],
    { baseDir: dir, closeTimeoutMs: 200, loadTimeoutMs: 60_000 },
  );
  const starting = h.start();
  await until(
    "the plugins that loaded are running",
    () => h.status().filter((s) => s.state === "running").length === 2,
    5000,
  );
  assert.equal(okStarts, 1);
  assert.deepEqual(
    h.status().map((s) => [s.name, s.source, s.state]),
    [
      ["./hang.mjs", "./hang.mjs", "loading"],
      ["./late.mjs", "./late.mjs", "loading"],
      ["ok", "object:ok", "running"],
      ["stream-delay", "builtin:stream-delay", "running"],
    ],
  );

  const t0 = performance.now();
  await within("close()", h.close(), 5000);
  const took = performance.now() - t0;
  assert.ok(took >= 190 && took < 5000, `close took ${took} ms`);
  const result = await within("start()", starting, 1000);
  assert.deepEqual(result.started, ["ok", "stream-delay"]);
  assert.deepEqual(result.failed, []);
  assert.deepEqual(
    h.status().map((s) => [s.name, s.state]),
    [
      ["./hang.mjs", "abandoned"],
      ["./late.mjs", "abandoned"],
      ["ok", "stopped"],
      ["stream-delay", "stopped"],
    ],
  );
  assert.equal(setup.factory.size, 0, "stream-delay released its lease");

  // The late module finishes loading after the deadline: it must not start.
  gate.resolve();
  await until("late.mjs evaluated", () => Reflect.get(globalThis, LATE_LOADED) === true, 5000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(Reflect.get(globalThis, LATE_STARTS), undefined, "late never started");
  assert.equal(h.status()[1]?.state, "abandoned");
});

void test("an entry that does not load within loadTimeoutMs is LOOKOUT_PLUGIN_LOAD_FAILED, and start() resolves", async (t) => {
  const dir = await tempDir(t, { "hang.mjs": HANGING });
  const setup = await startCluster(t);
  const ok = definePlugin({ name: "ok", start() {} });
  const h = host(t, setup, [{ plugin: "./hang.mjs" }, { plugin: ok }], {
    baseDir: dir,
    loadTimeoutMs: 100,
    closeTimeoutMs: 5000,
  });
  const result = await within("start()", h.start(), 5000);
  assert.deepEqual(result.started, ["ok"]);
  assert.deepEqual(
    result.failed.map((f) => [f.plugin, codeOf(f.error)]),
    [["./hang.mjs", "LOOKOUT_PLUGIN_LOAD_FAILED"]],
  );
  const cause: unknown = result.failed[0]?.error.cause;
  assert.ok(cause instanceof Error);
  assert.equal(cause.name, "TimeoutError");
  assert.deepEqual(
    h.status().map((s) => s.name),
    ["ok"],
    "a failed entry is not listed",
  );
  // Nothing is left loading: close() does not wait for its deadline.
  const t0 = performance.now();
  await within("close()", h.close(), 5000);
  assert.ok(performance.now() - t0 < 1000);
});

void test("each entry that could not be started is logged once, with its code and error", async (t) => {
  const dir = await tempDir(t, { "hang.mjs": HANGING });
  const setup = await startCluster(t);
  const records: { level: string; fields: Readonly<Record<string, unknown>> }[] = [];
  const record =
    (level: string) =>
    (_message: string, fields: Readonly<Record<string, unknown>> = {}): void => {
      records.push({ level, fields });
    };
  const logger: Logger = {
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  };
  const h = host(
    t,
    setup,
    [
      { plugin: "./absent.mjs" },
      { plugin: "./hang.mjs" },
      { plugin: "stream-delay", config: { buckets: [1, 1] } },
    ],
    { baseDir: dir, loadTimeoutMs: 100, logger },
  );
  const { failed } = await within("start()", h.start(), 5000);
  assert.equal(failed.length, 3);
  const errors = records.filter((r) => r.level === "error");
  assert.equal(errors.length, 3, "one record per failed entry");
  for (const f of failed) {
    const mine = errors.filter((r) => r.fields["error"] === f.error);
    assert.equal(mine.length, 1, `one record for ${f.plugin}`);
    assert.equal(mine[0]?.fields["plugin"], f.plugin);
    assert.equal(mine[0]?.fields["code"], codeOf(f.error));
    assert.equal("err" in (mine[0]?.fields ?? {}), false, "the field is `error`, as elsewhere");
  }
});
