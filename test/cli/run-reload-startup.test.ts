/**
 * `kube-lookout run` as a child process: a configuration file changed while the sidecar is still
 * starting (its discovery held by a slow API server) is applied once it runs, not left until
 * the next change; a start-up without a change reloads nothing. The API server is the simulator
 * behind a real HTTP proxy that holds requests until told to answer.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { startServer } from "../kube/http-server.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import {
  startRun,
  logLines,
  nthLog,
  replaceFile,
  type Child,
  watchConfigYaml,
} from "./run-child.ts";
import { forwardRequest } from "../support/http-forward.ts";
import { fileStamp, installReloadTriggers } from "../../src/cli/commands/run.ts";
import { jsonLogger } from "../../src/logging/index.ts";

after(assertNoActiveHandles);

/**
 * A proxy to `target` that holds every request until `open()` (a slow API server), then
 * forwards them all; `held` counts the requests that waited.
 */
async function gatedProxy(t: TestContext, target: string) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: false });
  t.after(() => agent.destroy());
  const gate = Promise.withResolvers<void>();
  const state = { held: 0, open: false };
  const server = await startServer(t, (req, res) => {
    const forward = (): void => {
      forwardRequest(upstream, agent, req, res);
    };
    if (state.open) return forward();
    state.held++;
    void gate.promise.then(forward);
    return undefined;
  });
  return {
    url: server.url,
    state,
    open(): void {
      state.open = true;
      gate.resolve();
    },
  };
}

/** A kubeconfig for `server` (no credentials) written to `file`. */
async function writeKubeconfig(file: string, server: string): Promise<void> {
  await writeFile(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{ name: c, cluster: { server: '${server}', insecure-skip-tls-verify: true } }]`,
      "users: [{ name: u, user: {} }]",
      "contexts: [{ name: x, context: { cluster: c, user: u } }]",
      "current-context: x",
      "",
    ].join("\n"),
  );
}

async function setup(t: TestContext) {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  sim.create("configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "a" },
  });
  sim.create("secrets", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", namespace: "a" },
  });
  const proxy = await gatedProxy(t, sim.url);
  const dir = await mkdtemp(join(tmpdir(), "kl-reload-start-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, "kubeconfig");
  await writeKubeconfig(kubeconfig, proxy.url);
  const config = (watch: string[]): string => watchConfigYaml(dir, watch);
  const file = join(dir, "config.yaml");
  await writeFile(file, config(["{ version: v1, resource: configmaps }"]));
  const child = startRun(["--config", file, "--kubeconfig", kubeconfig]);
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  return { proxy, file, config, child };
}

async function stop(child: Child): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  assert.equal((await exited)[0], 0, child.out());
}

void test("run: the configuration file changed during start-up (discovery held) is applied once the sidecar runs", async (t) => {
  const { proxy, file, config, child } = await setup(t);
  for (let i = 0; i < 400 && proxy.state.held === 0 && child.exitCode === null; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- until discovery asks
    await sleep(25);
  }
  assert.ok(proxy.state.held > 0, `discovery never asked; output:\n${child.out()}`);
  // Discovery is held: the sidecar is starting. Secrets are added to the file now.
  await replaceFile(
    file,
    config([
      "{ version: v1, resource: configmaps }",
      "{ version: v1, resource: secrets, namespaces: [a] }",
    ]),
  );
  await sleep(600); // past the file watch's debounce (200 ms)
  proxy.open();
  const url = String((await nthLog(child, "kube-lookout running"))["url"]);
  const applied = await nthLog(child, "configuration reloaded", 1, 10_000);
  assert.equal(applied["added"], 1, JSON.stringify(applied));
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- until the new watch has synced
    status = (await fetch(`${url}/api/v1/namespaces/a/secrets`)).status;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    if (status !== 200) await sleep(50);
  }
  assert.equal(status, 200, "the Secrets added during start-up are served");
  await stop(child);
});

void test("run: a start-up without a change to the file reloads nothing", async (t) => {
  const { proxy, child } = await setup(t);
  proxy.open();
  await nthLog(child, "kube-lookout ready");
  await sleep(800);
  assert.deepEqual(logLines(child, "configuration reloaded"), []);
  assert.deepEqual(logLines(child, "configuration reloaded: watch list unchanged"), []);
  await stop(child);
});

void test("run's reload triggers: a directory that cannot be watched is logged, SIGHUP still reloads, the uninstaller removes it", () => {
  const lines: string[] = [];
  let triggered = 0;
  const before = process.listenerCount("SIGHUP");
  const uninstall = installReloadTriggers(
    () => void triggered++,
    join(tmpdir(), "kl-no-such-dir", "config.yaml"),
    jsonLogger("info", (line) => void lines.push(line)),
  );
  try {
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /not watched; SIGHUP still reloads/);
    assert.equal(process.listenerCount("SIGHUP"), before + 1);
    process.emit("SIGHUP", "SIGHUP");
    assert.equal(triggered, 1);
  } finally {
    uninstall();
  }
  assert.equal(process.listenerCount("SIGHUP"), before);
});

void test("run's reload triggers: a file that changed between its load and the watch's start is reloaded, an unchanged one is not", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-stamp-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "config.yaml");
  await writeFile(file, "watch: []\n");
  const loaded = fileStamp(file);
  assert.notEqual(loaded, "");
  const logger = jsonLogger("info", () => undefined);

  let watching = 0;
  const uninstallSame = installReloadTriggers(() => void watching++, file, logger, loaded);
  t.after(uninstallSame);
  // The change the window would hide: made before the watch exists.
  await writeFile(file, "watch: []\nlogLevel: debug\n");
  assert.notEqual(fileStamp(file), loaded);
  let changed = 0;
  const uninstallChanged = installReloadTriggers(() => void changed++, file, logger, loaded);
  t.after(uninstallChanged);
  await sleep(600);
  assert.equal(changed, 1, "the change before the watch was not reloaded");
  // The first watch saw the write itself (after it was installed): one trigger, as for any change.
  assert.equal(watching, 1);
  uninstallSame();
  uninstallChanged();

  let none = 0;
  const uninstallNone = installReloadTriggers(() => void none++, file, logger, fileStamp(file));
  t.after(uninstallNone);
  await sleep(600);
  assert.equal(none, 0, "an unchanged file was reloaded");
  assert.equal(fileStamp(join(dir, "missing.yaml")), "");
});
