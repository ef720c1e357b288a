/**
 * `kube-lookout demo`: as a child process, the whole sidecar on the simulated cluster serves its
 * cache, Helm findings and /metrics and publishes to a real nats-server, then exits 0 after
 * --duration and leaves no temp dir; without NATS it still runs and keeps events in the outbox.
 * In process: the workload is deterministic per seed and its ownerReferences resolve; the
 * nats-server search honours PATH.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { findNatsServer } from "../../src/cli/demo-nats.ts";
import { DemoWorkload } from "../../src/cli/demo-workload.ts";
import { main } from "../../src/cli/main.ts";
import { subscribe } from "../../src/events/index.ts";
import type { KubeObject } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { findPrometheusFamily } from "../../src/telemetry/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { families, promtoolCheck } from "../telemetry/scrape-support.ts";

after(assertNoActiveHandles);

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

type Demo = ChildProcess & { out: () => string; err: () => string };

/** Starts the demo with its own TMPDIR (removed after the test), so leftovers can be counted. */
async function startDemo(
  t: { after(fn: () => unknown): void },
  args: string[],
): Promise<{ child: Demo; tmp: string }> {
  const tmp = await mkdtemp(join(tmpdir(), "kl-demo-test-"));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const child = spawn(process.execPath, [CLI, "demo", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TMPDIR: tmp, KUBECONFIG: "" },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return { child: Object.assign(child, { out: () => out, err: () => err }), tmp };
}

/** Polls `fn` until it returns a value (not undefined) or `ms` pass. */
async function eventually<T>(
  what: string,
  demo: Demo,
  fn: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline || demo.exitCode !== null) {
      throw new Error(`${what}: not seen in time\nstdout:\n${demo.out()}\nstderr:\n${demo.err()}`);
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function json(url: string): Promise<unknown> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  const body: unknown = await res.json();
  return body;
}

function items(list: unknown): unknown[] {
  const value: unknown =
    typeof list === "object" && list !== null ? Reflect.get(list, "items") : [];
  return Array.isArray(value) ? value : [];
}

function field(obj: unknown, ...path: string[]): unknown {
  let v = obj;
  for (const key of path) v = typeof v === "object" && v !== null ? Reflect.get(v, key) : undefined;
  return v;
}

/** The value of the first sample of `name` whose labels contain every `labels` pair. */
function sample(text: string, name: string, labels: readonly string[] = []): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

void test("demo with nats-server: ready, pods with owners, removed-API findings, metrics, events on NATS; exits 0 and removes its temp dir", async (t) => {
  assert.ok(
    findNatsServer() !== undefined,
    "nats-server not found on PATH, /usr/sbin or /usr/local/bin: install it (apt-get install nats-server)",
  );
  const { child: demo, tmp } = await startDemo(t, ["--duration", "14", "--churn-rate", "5"]);
  const exited = once(demo, "exit");
  const url = await eventually("the sidecar URL", demo, async () => {
    const first = demo.out().split("\n")[0] ?? "";
    return /^kube-lookout demo: the sidecar runs on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
  });
  const natsUrl = /events tail --nats (nats:\/\/127\.0\.0\.1:\d+)/.exec(demo.out())?.[1];
  assert.ok(natsUrl !== undefined, demo.out());

  await eventually("/readyz 200", demo, async () =>
    (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
  );

  const pods = items(await json(`${url}/api/v1/namespaces/shop/pods`));
  assert.ok(pods.length >= 10, `shop pods: ${pods.length}`);
  for (const pod of pods) {
    const refs = field(pod, "metadata", "ownerReferences");
    assert.ok(Array.isArray(refs) && refs.length === 1, JSON.stringify(pod));
    assert.equal(field(refs[0], "controller"), true);
    assert.match(String(field(refs[0], "kind")), /^(ReplicaSet|StatefulSet)$/);
    assert.match(String(field(refs[0], "uid")), /^[0-9a-f-]{36}$/);
  }
  const findings = items(await json(`${url}/api/v1/helm/findings`));
  assert.ok(
    findings.some((f) => field(f, "status") === "removed"),
    `no removed-API finding in ${JSON.stringify(findings).slice(0, 500)}`,
  );

  const metrics = await eventually("the plugin and Helm metrics", demo, async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const cpu = sample(text, "kube_lookout_resource_cpu_usage", [
      'kube_lookout_scope="workload"',
      'k8s_workload_kind="Deployment"',
      'k8s_workload_name="web"',
    ]);
    return cpu !== undefined && cpu > 0 ? text : undefined;
  });
  assert.ok((sample(metrics, "kube_lookout_helm_findings", ['status="removed"']) ?? 0) > 0);
  assert.ok(
    (sample(metrics, "kube_lookout_informer_events_total", ['k8s_resource="v1/pods"']) ?? 0) > 0,
  );
  // Every feature is on: the scrape passes promtool, and every kube-lookout family in it is
  // in the catalogue (docs/metrics.md) with its type.
  const check = await promtoolCheck(metrics);
  assert.equal(check.code, 0, check.output);
  const scraped = families(metrics);
  for (const component of [
    "helm",
    "informer",
    "store",
    "outbox",
    "relay",
    "scan-pool",
    "plugins",
  ]) {
    assert.ok(
      [...scraped.keys()].some((n) => findPrometheusFamily(n)?.component === component),
      `no ${component} family in the demo's scrape`,
    );
  }
  for (const [name, family] of scraped) {
    if (!name.startsWith("kube_lookout_")) continue;
    const e = findPrometheusFamily(name);
    assert.ok(e !== undefined, `${name} is not in docs/metrics.md`);
    assert.equal(family.type, e.prometheusType, name);
  }

  // Events reach NATS: the library's subscriber reads pod changes from the stream.
  const nc = await connect({ servers: natsUrl });
  t.after(() => nc.close());
  const stop = AbortSignal.timeout(10_000);
  const seen: string[] = [];
  for await (const event of subscribe(nc, {
    stream: "KUBE_LOOKOUT",
    prefix: "kl",
    cluster: "demo",
    resource: { group: "", version: "v1", resource: "pods" },
    deliver: "all",
    signal: stop,
  })) {
    seen.push(`${event.type} ${event.body.namespace}/${event.body.name}`);
    if (seen.length >= 5) break;
  }
  assert.equal(seen.length, 5, `pod events from NATS: ${seen.join(", ")}`);
  await nc.close();

  const [code] = await exited;
  assert.equal(code, 0, demo.err());
  assert.match(demo.out(), /demo stopped\n$/);
  assert.deepEqual(await readdir(tmp), [], "the demo left files in its TMPDIR");
  // Its nats-server is gone too.
  await assert.rejects(connect({ servers: natsUrl, reconnect: false, timeout: 1000 }));
});

void test("demo without NATS (--nats none) still runs, says events stay in the outbox, and they do; Ctrl-C stops it with exit 0", async (t) => {
  const { child: demo, tmp } = await startDemo(t, ["--nats", "none"]);
  const exited = once(demo, "exit");
  const url = await eventually("the sidecar URL", demo, async () => {
    return /the sidecar runs on (http:\/\/127\.0\.0\.1:\d+)/.exec(demo.out())?.[1];
  });
  assert.match(demo.out(), /events: --nats none; the sidecar records every change in its outbox/);
  await eventually("/readyz 200", demo, async () =>
    (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
  );
  const text = await eventually("an outbox backlog", demo, async () => {
    const body = await (await fetch(`${url}/metrics`)).text();
    return (sample(body, "kube_lookout_outbox_backlog") ?? 0) > 0 ? body : undefined;
  });
  assert.equal(sample(text, "kube_lookout_relay_delivered_total") ?? 0, 0);
  demo.kill("SIGINT");
  const [code] = await exited;
  assert.equal(code, 0, demo.err());
  assert.match(demo.out(), /demo stopped\n$/);
  assert.deepEqual(await readdir(tmp), []);
  await assert.rejects(fetch(`${url}/healthz`));
});

/** Every pod's controller exists with the uid its ownerReference names; ReplicaSets likewise. */
function assertOwnersResolve(objects: Map<string, KubeObject[]>): void {
  const byUid = new Map<string, KubeObject>();
  for (const list of objects.values()) for (const o of list) byUid.set(o.metadata.uid ?? "", o);
  for (const resource of ["v1/pods", "apps/v1/replicasets"]) {
    for (const o of objects.get(resource) ?? []) {
      const ref = o.metadata.ownerReferences?.[0];
      const owner = byUid.get(String(field(ref, "uid")));
      assert.ok(owner !== undefined, `owner of ${o.metadata.namespace}/${o.metadata.name}`);
      assert.equal(owner.kind, field(ref, "kind"));
      assert.equal(owner.metadata.name, field(ref, "name"));
    }
  }
}

async function runWorkload(
  t: { after(fn: () => unknown): void },
  seed: number,
): Promise<{ steps: string[]; pods: string[] }> {
  const cluster = await startSimulatedCluster();
  t.after(() => cluster.close());
  const workload = new DemoWorkload(cluster, { seed, pods: 30, now: () => 1_700_000_000_000 });
  const counts = workload.seed();
  assert.equal(counts.namespaces, 3);
  assert.ok(counts.pods >= 28 && counts.pods <= 34, `pods: ${counts.pods}`);
  const steps: string[] = [];
  for (let i = 0; i < 200; i++) {
    steps.push(workload.step());
    if (i % 3 === 0) workload.settle();
    if (i % 10 === 0) workload.moveUsage();
    if (i % 50 === 0) workload.helmStep();
  }
  const resources = ["v1/pods", "apps/v1/replicasets", "apps/v1/deployments"];
  const objects = new Map(resources.map((r) => [r, cluster.list(r)]));
  objects.set("apps/v1/statefulsets", cluster.list("apps/v1/statefulsets"));
  objects.set("apps/v1/daemonsets", cluster.list("apps/v1/daemonsets"));
  assertOwnersResolve(objects);
  const pods = cluster.list("v1/pods").map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  return { steps, pods };
}

void test("the workload replays from its seed, and every ownerReference resolves after churn", async (t) => {
  const seed = 1 + Math.floor(Math.random() * 1000);
  try {
    const a = await runWorkload(t, seed);
    const b = await runWorkload(t, seed);
    assert.deepEqual(b, a);
    assert.ok(
      a.steps.some((s) => s.startsWith("rolling restart")),
      a.steps.join("\n"),
    );
    assert.ok(a.steps.some((s) => s.startsWith("scaled")));
    const c = await runWorkload(t, seed + 1);
    assert.notDeepEqual(c.steps, a.steps);
  } catch (error) {
    console.error(`workload seed: ${seed}`);
    throw error;
  }
});

void test("the nats-server search reads PATH, then the extra dirs, and skips files it cannot run", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-nats-find-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [bin, plain, empty] = [join(dir, "bin"), join(dir, "plain"), join(dir, "empty")];
  await Promise.all([mkdir(bin), mkdir(plain), mkdir(empty)]);
  await writeFile(join(bin, "nats-server"), "#!/bin/sh\n");
  await chmod(join(bin, "nats-server"), 0o755);
  await writeFile(join(plain, "nats-server"), "not executable");
  await chmod(join(plain, "nats-server"), 0o644);
  assert.equal(findNatsServer(`${empty}:${bin}`, []), join(bin, "nats-server"));
  assert.equal(findNatsServer(empty, [bin]), join(bin, "nats-server"));
  assert.equal(findNatsServer(`${plain}:${empty}`, []), undefined);
  assert.equal(findNatsServer("", []), undefined);
});

void test("demo --help shows the flags and examples; a bad --nats is a usage error (exit 2)", async () => {
  let out = "";
  let err = "";
  const io = { stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s) };
  assert.equal(await main(["demo", "--help"], io), 0);
  assert.match(out, /--nats auto\|none\|URL/);
  assert.match(out, /--port PORT .*\(default: 0\)/);
  assert.match(out, /Examples:\n {2}kube-lookout demo\n/);
  assert.equal(await main(["demo", "--nats", "localhost:4222"], io), 2);
  assert.match(
    err,
    /--nats must be auto, none or a nats:\/\/ \(or tls:\/\/\) URL, got "localhost:4222"/,
  );
});
