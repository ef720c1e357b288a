/**
 * `kube-lookout run` as a child process over its lifetime: live reconfiguration of the watch
 * list (file change, SIGHUP, a bad file refused), and SIGTERM under load with events on a real
 * nats-server: exit 0 within the flush deadline, and every change published exactly once across
 * the shutdown and the next start; events published over TLS with a client certificate.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import {
  CONFIGMAPS,
  STREAM,
  churn,
  readStream,
  seeded,
  type MadeChange,
} from "../events/pipeline-support.ts";
import { startServer } from "../kube/http-server.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { startRun, logLines, nthLog, replaceFile, watchConfigYaml } from "./run-child.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { makeTestPki, natsTlsArgs } from "../support/tls-certs.ts";

after(assertNoActiveHandles);

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

async function untilStatus(url: string, want: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    if ((await status(url)) === want) return;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(50);
  }
}

function changeLine(m: { type: string; key: string; resourceVersion: string }): string {
  return `${m.type} ${m.key} ${m.resourceVersion}`;
}

void test("run: the watch list reloads on a file change and on SIGHUP; a bad file is refused and the running watches stay", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  sim.create(CONFIGMAPS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "a" },
  });
  sim.create("secrets", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", namespace: "a" },
  });
  const dir = await mkdtemp(join(tmpdir(), "kl-reload-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "kubeconfig"), sim.kubeConfigYaml());
  const config = (watch: string[]): string => watchConfigYaml(dir, watch);
  const file = join(dir, "config.yaml");
  await writeFile(file, config(["{ version: v1, resource: configmaps }"]));
  const child = startRun(["--config", file, "--kubeconfig", join(dir, "kubeconfig")]);
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const url = String((await nthLog(child, "kube-lookout running"))["url"]);
  await nthLog(child, "kube-lookout ready");
  assert.equal(await status(`${url}/api/v1/namespaces/a/secrets`), 404);
  assert.equal(sim.openWatchCount("configmaps"), 1);

  // The file changes: Secrets in a are added; ConfigMaps keep their watch.
  await replaceFile(
    file,
    config([
      "{ version: v1, resource: configmaps }",
      "{ version: v1, resource: secrets, namespaces: [a] }",
    ]),
  );
  const applied = await nthLog(child, "configuration reloaded");
  assert.equal(applied["added"], 1);
  assert.equal(applied["started"], 1);
  await untilStatus(`${url}/api/v1/namespaces/a/secrets`, 200);
  assert.equal(await status(`${url}/api/v1/namespaces/a/secrets`), 200);
  assert.equal(sim.openWatchCount("configmaps"), 1, "the unchanged watch was kept");

  // A bad file (unknown resource name for discovery) is refused; both watches stay.
  await replaceFile(file, config(["{ version: v1, resource: configmapz }"]));
  const refused = await nthLog(
    child,
    "configuration reload refused; the running configuration stays",
  );
  assert.match(JSON.stringify(refused), /configmapz/);
  assert.equal(await status(`${url}/api/v1/namespaces/a/secrets`), 200);
  assert.equal(await status(`${url}/api/v1/namespaces/a/configmaps`), 200);

  // An invalid file (schema) is refused too.
  await replaceFile(file, "watch: [{ resource: pods }]\n");
  await nthLog(child, "configuration reload refused; the running configuration stays", 2);

  // SIGHUP with the first list back: Secrets stop.
  await writeFile(file, config(["{ version: v1, resource: configmaps }"]));
  await nthLog(child, "configuration reloaded", 2).catch(async () => {
    child.kill("SIGHUP"); // the file watch may have coalesced; SIGHUP must reload anyway
    return nthLog(child, "configuration reloaded", 2);
  });
  child.kill("SIGHUP");
  await nthLog(child, "configuration reloaded: watch list unchanged");
  for (let i = 0; i < 100 && sim.openWatchCount("secrets") !== 0; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the simulator
    await sleep(50);
  }
  assert.equal(sim.openWatchCount("secrets"), 0, "the removed watch was closed");
  assert.equal(await status(`${url}/api/v1/namespaces/a/secrets`), 404);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  // A file write may be seen twice by the watch (coalesced mostly): at least these many.
  const reloads = (result: string): number =>
    Number(
      new RegExp(`kube_lookout_config_reloads_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`).exec(
        metrics,
      )?.[1] ?? 0,
    );
  assert.ok(reloads("rejected") >= 2, metrics);
  assert.ok(reloads("applied") >= 2, metrics);
  assert.ok(reloads("unchanged") >= 1, metrics);

  const exited = once(child, "exit");
  child.kill("SIGTERM");
  assert.equal((await exited)[0], 0, child.out());
});

void test("run: SIGTERM while the API server has not answered discovery exits 0 at once", async (t) => {
  // An API server that takes the connection and never answers (overloaded, no backend).
  const silent = await startServer(t, () => undefined);
  const dir = await mkdtemp(join(tmpdir(), "kl-silent-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{ name: c, cluster: { server: '${silent.url}', insecure-skip-tls-verify: true } }]`,
      "users: [{ name: u, user: {} }]",
      "contexts: [{ name: x, context: { cluster: c, user: u } }]",
      "current-context: x",
      "",
    ].join("\n"),
  );
  const file = join(dir, "config.yaml");
  await writeFile(
    file,
    [
      "cluster: { name: silent }",
      "watch: [{ version: v1, resource: configmaps }]",
      `store: { path: ${JSON.stringify(join(dir, "state.db"))} }`,
      "api: { port: 0 }",
      "helm: { enabled: false }",
      "",
    ].join("\n"),
  );
  const child = startRun(["--config", file, "--kubeconfig", kubeconfig]);
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  for (let i = 0; i < 200 && silent.requests.length === 0; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- until discovery asks
    await sleep(25);
  }
  assert.deepEqual(
    silent.requests.map((r) => r.url),
    ["/api/v1"],
    child.out(),
  );
  const exited = once(child, "exit");
  const started = performance.now();
  child.kill("SIGTERM");
  assert.equal((await exited)[0], 0, child.out());
  assert.ok(performance.now() - started < 5000, `exited after ${performance.now() - started} ms`);
  assert.equal(logLines(child, "kube-lookout stopping before it started").length, 1, child.out());
});

/**
 * Writes a kubeconfig for `sim` and a config file watching ConfigMaps with events on, the NATS
 * block given as `nats` lines and `extra` lines at the end, into `dir`; returns `run`'s args.
 */
async function eventsRun(
  dir: string,
  sim: { kubeConfigYaml(): string },
  nats: readonly string[],
  extra: readonly string[] = [],
): Promise<string[]> {
  await writeFile(join(dir, "kubeconfig"), sim.kubeConfigYaml());
  const file = join(dir, "config.yaml");
  await writeFile(
    file,
    [
      "cluster: { name: test }",
      "watch:",
      "  - { version: v1, resource: configmaps }",
      `store: { path: ${JSON.stringify(join(dir, "state.db"))} }`,
      "api: { port: 0 }",
      "helm: { enabled: false }",
      "events:",
      "  enabled: true",
      "  prefix: kl",
      ...nats,
      `  stream: { name: ${STREAM} }`,
      ...extra,
      "",
    ].join("\n"),
  );
  return ["--config", file, "--kubeconfig", join(dir, "kubeconfig")];
}

void test("run: SIGTERM with a backlog NATS cannot take exits 0 at the flush deadline; the next start publishes every change once", async (t) => {
  const seed = Number(process.env["SEED"] ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed}`);
  const rand = seeded(seed);
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const nats = await startNatsServer(t);
  const dir = await mkdtemp(join(tmpdir(), "kl-sigterm-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const args = await eventsRun(
    dir,
    sim,
    [`  nats: { servers: [${JSON.stringify(nats.url)}] }`],
    ["  maxInFlight: 8", "shutdown: { flushTimeout: 2s }"],
  );
  const first = startRun(args);
  t.after(() => {
    if (first.exitCode === null) first.kill("SIGKILL");
  });
  const url = String((await nthLog(first, "kube-lookout running"))["url"]);
  await nthLog(first, "kube-lookout ready");

  // Load while NATS is down: a few thousand changes pile up in the outbox. SIGTERM once the
  // cache has seen them all (so each is recorded): the flush cannot finish, the deadline ends
  // it, and the next start publishes the rest.
  await nats.stop();
  const made: MadeChange[] = churn(sim, rand, 3000).filter((m) => m.key.startsWith("configmaps/"));
  const lastRv = Number(made.at(-1)!.resourceVersion);
  let cachedRv = 0;
  for (let i = 0; i < 400 && cachedRv < lastRv; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
    const res = await fetch(`${url}/api/v1/resources/configmaps`);
    cachedRv = Number(res.headers.get("x-kube-lookout-resource-version") ?? 0);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
    await res.arrayBuffer();
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
    if (cachedRv < lastRv) await sleep(25);
  }
  assert.ok(cachedRv >= lastRv, `the cache reached ${cachedRv}, the last change was ${lastRv}`);
  const exited = once(first, "exit");
  const t0 = Date.now();
  first.kill("SIGTERM");
  const [code] = await exited;
  const tookMs = Date.now() - t0;
  t.diagnostic(`exit after ${tookMs} ms`);
  assert.equal(code, 0, first.out());
  // The flush waited for the deadline and no longer; the whole exit (recording what is still
  // pending, closing the store) is bounded only loosely, as a loaded machine slows it down.
  const [flush] = logLines(
    first,
    "events: outbox flush deadline reached; the next start publishes the rest",
  );
  assert.ok(flush !== undefined, `no flush deadline warning; output:\n${first.out()}`);
  assert.equal(flush["flushTimeoutMs"], 2000);
  assert.ok(Number(flush["rows"]) > 0, "rows were left for the next start");
  const waited = Number(flush["waitedMs"]);
  assert.ok(waited >= 1990 && waited < 2000 + 1000, `the flush waited ${waited} ms`);
  assert.ok(tookMs >= 2000 && tookMs < 2000 + 15_000, `took ${tookMs} ms (flush deadline 2 s)`);
  await nats.start();
  assert.equal((await readStream(nats.url)).length, 0, "nothing could be published before exit");

  // The next start publishes the rest; each change exactly once, in order per object.
  const second = startRun(args);
  t.after(() => {
    if (second.exitCode === null) second.kill("SIGKILL");
  });
  await nthLog(second, "kube-lookout ready");
  const deadline = Date.now() + 30_000;
  let seen: { type: string; key: string; resourceVersion: string }[] = [];
  while (Date.now() < deadline) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the stream
    seen = await readStream(nats.url);
    if (seen.length >= made.length) break;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the stream
    await sleep(200);
  }
  assert.deepEqual(seen.map(changeLine).sort(), made.map(changeLine).sort(), `seed ${seed}`);
  const done = once(second, "exit");
  second.kill("SIGTERM");
  assert.equal((await done)[0], 0, second.out());
});

void test("run: events.nats.tls from the config file publishes to a server that requires TLS and client certificates", async (t) => {
  const rand = seeded(7);
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const pki = makeTestPki(t);
  const nats = await startNatsServer(t, { extraArgs: natsTlsArgs(pki, true) });
  const tls = { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile };
  const dir = await mkdtemp(join(tmpdir(), "kl-nats-tls-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const args = await eventsRun(dir, sim, [
    "  nats:",
    `    servers: [${JSON.stringify(`tls://127.0.0.1:${nats.port}`)}]`,
    `    tls: ${JSON.stringify(tls)}`,
  ]);
  const child = startRun(args);
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  await nthLog(child, "kube-lookout ready");
  await nthLog(child, "connected to NATS");
  const made = churn(sim, rand, 50).filter((m) => m.key.startsWith("configmaps/"));
  assert.ok(made.length > 0);
  const deadline = Date.now() + 30_000;
  let seen: { type: string; key: string; resourceVersion: string }[] = [];
  while (Date.now() < deadline) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the stream
    seen = await readStream(nats.url, tls);
    if (seen.length >= made.length) break;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the stream
    await sleep(200);
  }
  assert.deepEqual(seen.map(changeLine).sort(), made.map(changeLine).sort());
  const done = once(child, "exit");
  child.kill("SIGTERM");
  assert.equal((await done)[0], 0, child.out());
});
