/**
 * `kube-lookout events tail` as a child process against a real nats-server: events made with
 * the library's `resourceEvent`/`helmFindingsEvent` and published as the relay publishes them,
 * read back with filters, in text and JSON; usage errors, a missing stream, an unreachable
 * NATS, token auth, TLS, and Ctrl-C.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import {
  ensureStream,
  helmFindingsEvent,
  helmSubject,
  resourceEvent,
  resourceSubject,
  type ChangeType,
  type OutgoingEvent,
} from "../../src/events/index.ts";
import type { ResourceId } from "../../src/kube/index.ts";
import { main } from "../../src/cli/main.ts";
import { freePort } from "../support/free-port.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { startNatsServer, type NatsServerProcess } from "../support/nats-server.ts";
import { makeTestPki, natsTlsArgs } from "../support/tls-certs.ts";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const STREAM = "KL_CLI";
const DEPLOYMENTS: ResourceId = { group: "apps", version: "v1", resource: "deployments" };
const PODS: ResourceId = { group: "", version: "v1", resource: "pods" };
const METRIC_PODS: ResourceId = { group: "metrics.k8s.io", version: "v1beta1", resource: "pods" };
const NAMESPACES: ResourceId = { group: "", version: "v1", resource: "namespaces" };
const T0 = Date.parse("2026-11-01T10:00:00.000Z");

interface Made {
  resource: ResourceId;
  kind: string;
  namespace: string;
  name: string;
  rv: number;
  type: ChangeType;
  object: Record<string, unknown>;
  previous?: Record<string, unknown>;
}

/** The event the pipeline would record for `m`. */
function eventOf(m: Made): OutgoingEvent {
  const apiVersion = m.resource.group === "" ? m.resource.version : `${m.resource.group}/v1`;
  return resourceEvent(
    {
      type: m.type,
      resource: m.resource,
      apiVersion,
      kind: m.kind,
      namespace: m.namespace,
      name: m.name,
      uid: `uid-${m.name}`,
      resourceVersion: String(m.rv),
      object: m.object,
      ...(m.previous === undefined ? {} : { previous: m.previous }),
      observedAt: T0 + m.rv * 1000,
    },
    {
      source: "prod",
      includeObject: true,
      subject: resourceSubject({ prefix: "kl", cluster: "prod", ...m }),
    },
  );
}

/** Publishes as the relay does: the `ce-*` headers and `Nats-Msg-Id`. Resolves the sequence. */
async function publish(nc: NatsConnection, event: OutgoingEvent): Promise<number> {
  const h = headers();
  for (const [k, v] of Object.entries(event.headers)) h.set(k, v);
  const ack = await jetstream(nc).publish(event.subject, event.body, {
    msgID: event.msgId,
    headers: h,
  });
  return ack.seq;
}

interface Run {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Starts the CLI as a child process; `done` resolves when it has exited. */
function startCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): { done: Promise<Run>; kill: (signal: NodeJS.Signals) => void; firstLine: Promise<void> } {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, "events", "tail", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  let err = "";
  const first = Promise.withResolvers<void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    if (out.includes("\n")) first.resolve();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const done = new Promise<Run>((resolve) => {
    child.once("close", (code) => {
      first.resolve();
      resolve({ code, out, err, ms: performance.now() - started });
    });
  });
  return { done, kill: (signal) => child.kill(signal), firstLine: first.promise };
}

async function cli(args: readonly string[], env?: Record<string, string>): Promise<Run> {
  return await startCli(args, env).done;
}

const lines = (r: Run): string[] => r.out.split("\n").filter((l) => l !== "");

async function consumerCount(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.consumers.list(STREAM).next()).length;
}

/** Waits until the CLI's ephemeral consumer exists (it then sees everything published after). */
async function waitForConsumer(nc: NatsConnection): Promise<void> {
  const deadline = Date.now() + 20_000;
  // oxlint-disable-next-line eslint/no-await-in-loop -- polling
  while ((await consumerCount(nc)) === 0) {
    if (Date.now() > deadline) throw new Error("the CLI created no consumer in time");
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

void describe("events tail", () => {
  let server: NatsServerProcess;
  let nc: NatsConnection;
  let url: string;
  /** Stream sequences by label. */
  const seq: Record<string, number> = {};
  /** A time between the first batch and the last event. */
  let mid: string;
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    server = await startNatsServer({ after: (fn) => cleanups.push(fn) });
    url = server.url;
    nc = await connect({ servers: url });
    cleanups.unshift(() => nc.close());
    await ensureStream(nc, {
      name: STREAM,
      subjects: ["kl.>"],
      maxAgeMs: 0,
      maxBytes: -1,
      duplicateWindowMs: 60_000,
    });
    const v1 = { spec: { replicas: 1 }, metadata: { name: "api", labels: { app: "api" } } };
    const v2 = { spec: { replicas: 3 }, metadata: { name: "api", labels: { app: "api2" } } };
    const first: [string, Made][] = [
      ["apiAdded", { ...dep("api", 1, "added"), object: v1 }],
      ["apiModified", { ...dep("api", 2, "modified"), object: v2, previous: v1 }],
      [
        "pod",
        {
          resource: PODS,
          kind: "Pod",
          namespace: "payments",
          name: "p.1",
          rv: 3,
          type: "added",
          object: {},
        },
      ],
      [
        "metricPod",
        {
          resource: METRIC_PODS,
          kind: "PodMetrics",
          namespace: "payments",
          name: "p.1",
          rv: 4,
          type: "added",
          object: {},
        },
      ],
      [
        "namespace",
        {
          resource: NAMESPACES,
          kind: "Namespace",
          namespace: "",
          name: "payments",
          rv: 5,
          type: "added",
          object: {},
        },
      ],
      ["webDeleted", { ...dep("web", 6, "deleted"), namespace: "other", object: {} }],
    ];
    for (const [label, made] of first) seq[label] = await publish(nc, eventOf(made)); // oxlint-disable-line eslint/no-await-in-loop
    const helm = helmFindingsEvent(
      {
        namespace: "payments",
        release: "shop",
        revision: 3,
        findings: [{ kind: "CronJob" }, { kind: "PodSecurityPolicy" }],
        observedAt: T0,
      },
      {
        source: "prod",
        subject: helmSubject({
          prefix: "kl",
          cluster: "prod",
          namespace: "payments",
          release: "shop",
        }),
      },
    );
    seq["helm"] = await publish(nc, helm);
    await sleep(50);
    mid = new Date().toISOString();
    await sleep(50);
    seq["apiDeleted"] = await publish(nc, eventOf({ ...dep("api", 7, "deleted"), object: v2 }));
  });

  after(async () => {
    for (const fn of cleanups) await fn(); // oxlint-disable-line eslint/no-await-in-loop
    await assertNoActiveHandles();
  });

  void test("text: one object's events in order, a modified one with its patch op count", async () => {
    const r = await cli([
      "--nats",
      url,
      "--stream",
      STREAM,
      "--since",
      "all",
      "--count",
      "3",
      "--resource",
      "apps/v1/deployments",
      "--namespace",
      "payments",
    ]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(lines(r), [
      "2026-11-01T10:00:01.000Z added Deployment payments/api rv=1",
      "2026-11-01T10:00:02.000Z modified Deployment payments/api rv=2 changes=2",
      "2026-11-01T10:00:07.000Z deleted Deployment payments/api rv=7",
    ]);
    assert.equal(await consumerCount(nc), 0, "the consumer is deleted when the command ends");
  });

  void test("json: RESOURCE alone matches every group; subject, sequence, headers and body", async () => {
    const r = await cli(
      ["--nats", url, "--stream", STREAM, "--since", "all", "--count", "2"].concat([
        "--resource",
        "pods",
        "--output",
        "json",
      ]),
    );
    assert.equal(r.code, 0, r.err);
    const got = lines(r).map((l) => {
      const v: unknown = JSON.parse(l);
      assert.ok(typeof v === "object" && v !== null);
      return v;
    });
    assert.deepEqual(got, [
      {
        subject: "kl.prod.core.v1.pods.payments.p%2E1.added",
        sequence: seq["pod"],
        headers: {
          "ce-id": "uid-p.1:3:added",
          "ce-type": "io.kube-lookout.resource.added",
          "ce-source": "prod",
          "ce-time": "2026-11-01T10:00:03.000Z",
        },
        body: {
          apiVersion: "v1",
          kind: "Pod",
          namespace: "payments",
          name: "p.1",
          uid: "uid-p.1",
          resourceVersion: "3",
          object: {},
        },
      },
      {
        subject: "kl.prod.metrics%2Ek8s%2Eio.v1beta1.pods.payments.p%2E1.added",
        sequence: seq["metricPod"],
        headers: {
          "ce-id": "uid-p.1:4:added",
          "ce-type": "io.kube-lookout.resource.added",
          "ce-source": "prod",
          "ce-time": "2026-11-01T10:00:04.000Z",
        },
        body: {
          apiVersion: "metrics.k8s.io/v1",
          kind: "PodMetrics",
          namespace: "payments",
          name: "p.1",
          uid: "uid-p.1",
          resourceVersion: "4",
          object: {},
        },
      },
    ]);
  });

  void test("cluster-scoped (_), --type, --name, --helm, --since SEQUENCE and --since TIME", async () => {
    const base = ["--nats", url, "--stream", STREAM, "--count", "1"];
    const [scoped, deleted, named, helm, fromSeq, fromTime] = await Promise.all([
      cli([...base, "--since", "all", "--namespace", "_"]),
      cli([...base, "--since", "all", "--type", "deleted", "--count", "2"]),
      cli([...base, "--since", "all", "--name", "web"]),
      cli([...base, "--since", "all", "--helm", "--name", "shop"]),
      cli([...base, "--since", String(seq["webDeleted"]), "--type", "added,deleted"]),
      cli([...base, "--since", mid]),
    ]);
    for (const r of [scoped, deleted, named, helm, fromSeq, fromTime])
      assert.equal(r?.code, 0, r?.err);
    assert.deepEqual(lines(scoped), ["2026-11-01T10:00:05.000Z added Namespace payments rv=5"]);
    assert.deepEqual(lines(deleted), [
      "2026-11-01T10:00:06.000Z deleted Deployment other/web rv=6",
      "2026-11-01T10:00:07.000Z deleted Deployment payments/api rv=7",
    ]);
    assert.deepEqual(lines(named), ["2026-11-01T10:00:06.000Z deleted Deployment other/web rv=6"]);
    assert.deepEqual(lines(helm), [
      "2026-11-01T10:00:00.000Z findings payments/shop revision=3 findings=2",
    ]);
    assert.deepEqual(lines(fromSeq), [
      "2026-11-01T10:00:06.000Z deleted Deployment other/web rv=6",
    ]);
    assert.deepEqual(lines(fromTime), [
      "2026-11-01T10:00:07.000Z deleted Deployment payments/api rv=7",
    ]);
  });

  void test("--since new shows only what is published after it started; Ctrl-C exits 0", async () => {
    const counted = startCli(["--nats", url, "--stream", STREAM, "--count", "1"]);
    await waitForConsumer(nc);
    const late = eventOf({ ...dep("late", 100, "added"), object: {} });
    await publish(nc, late);
    const r = await counted.done;
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(lines(r), ["2026-11-01T10:01:40.000Z added Deployment payments/late rv=100"]);

    const endless = startCli(["--nats", url, "--stream", STREAM, "--since", "all"]);
    await endless.firstLine;
    await waitForConsumer(nc);
    endless.kill("SIGINT");
    const stopped = await endless.done;
    assert.equal(stopped.code, 0, stopped.err);
    assert.ok(lines(stopped).length >= 8, stopped.out);
    assert.equal(await consumerCount(nc), 0);
  });

  void test("a missing stream exits 1 naming it, the streams there and --stream", async () => {
    const r = await cli(["--nats", url, "--stream", "NOPE", "--since", "all"]);
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.match(r.err, /\(LOOKOUT_EVENTS_STREAM_FAILED\)/);
    assert.match(r.err, /"NOPE"/);
    assert.match(r.err, /KL_CLI/);
    assert.match(r.err, /--stream/);
  });
});

function dep(name: string, rv: number, type: ChangeType): Omit<Made, "object"> {
  return { resource: DEPLOYMENTS, kind: "Deployment", namespace: "payments", name, rv, type };
}

void describe("events tail errors", () => {
  after(assertNoActiveHandles);

  void test("a bad flag value exits 2 naming the flag and the value", async () => {
    const cases: [string[], RegExp][] = [
      [["--since", "yesterday"], /--since .*got "yesterday"/],
      [["--type", "added,changed"], /--type .*got "changed"/],
      [["--resource", "deployments.apps/v1"], /--resource "deployments\.apps\/v1"/],
      [["--output", "yaml"], /--output .*got "yaml"/],
      [["--count", "0"], /--count .*got "0"/],
      [["--connect-timeout", "soon"], /--connect-timeout .*got "soon"/],
      [["--prefix", "kl.*"], /--prefix .*got "kl\.\*"/],
      [["--nats", "http://x/y"], /--nats .*got "http:\/\/x\/y"/],
      [["--helm", "--type", "added"], /--type is for resource events/],
      [["-o", "yaml"], /--output .*got "yaml"/],
      [["--user", "bob"], /--user and --password go together .*got only a user/],
      [["--password", "pw"], /--user and --password go together .*got only a password/],
      [
        ["--token", "t", "--user", "u", "--password", "p"],
        /--token, or --user and --password: not both/,
      ],
      [["--tls-cert", "c.pem"], /--tls-cert and --tls-key go together; got only a certificate/],
      [["--tls-key", "k.pem"], /--tls-cert and --tls-key go together; got only a key/],
      [
        ["--tls-ca", "/nonexistent/ca.pem"],
        /--tls-ca "\/nonexistent\/ca\.pem": cannot read it \(ENOENT\)/,
      ],
      [["--tls-ca", ""], /--tls-ca must not be empty/],
    ];
    for (const [args, message] of cases) {
      let err = "";
      // oxlint-disable-next-line eslint/no-await-in-loop -- one at a time, in-process
      const code = await main(["events", "tail", ...args], {
        stdout: () => {},
        stderr: (t) => void (err += t),
        signal: new AbortController().signal,
      });
      assert.equal(code, 2, args.join(" "));
      assert.match(err, message);
    }
    const child = await cli(["--sincee", "all"]);
    assert.equal(child.code, 2);
    assert.match(child.err, /'--sincee'/);
  });

  void test("an unreachable NATS exits 1 after --connect-timeout", async () => {
    const port = await freePort();
    const help = await cli(["--help"]);
    assert.equal(help.code, 0);
    // Credentials in the URL are not printed back.
    const r = await cli(["--nats", `nats://kl:pw-7@127.0.0.1:${port}`, "--connect-timeout", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot connect to NATS at nats:\/\/kl:\*\*\*@127\.0\.0\.1:\d+ within 1 s/);
    assert.ok(!r.err.includes("pw-7"), r.err);
    assert.ok(r.ms >= 1000, `exited after ${r.ms} ms`);
    assert.ok(r.ms < help.ms + 1000 + 3000, `exited after ${r.ms} ms (help: ${help.ms} ms)`);
  });

  void test("token auth from the environment; a wrong token exits 1 without printing it", async (t) => {
    const server = await startNatsServer(t, { extraArgs: ["--auth", "s3cret-token"] });
    const nc = await connect({ servers: server.url, token: "s3cret-token" });
    t.after(() => nc.close());
    await oneEventInDefaultStream(nc);
    const [good, bad] = await Promise.all([
      cli(["--nats", server.url, "--since", "all", "--count", "1"], {
        KUBE_LOOKOUT_NATS_TOKEN: "s3cret-token",
      }),
      cli(["--nats", server.url, "--connect-timeout", "1", "--token", "wrong-t0ken"]),
    ]);
    assert.equal(good.code, 0, good.err);
    assert.deepEqual(lines(good), ["2026-11-01T10:00:01.000Z added Deployment payments/api rv=1"]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /cannot connect to NATS/);
    assert.ok(!bad.err.includes("wrong-t0ken") && !bad.out.includes("wrong-t0ken"));
  });

  void test("TLS: --tls-ca with a client certificate reads events from a server that verifies clients; without one, exit 1", async (t) => {
    const pki = makeTestPki(t);
    const server = await startNatsServer(t, { extraArgs: natsTlsArgs(pki, true) });
    const tls = { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile };
    const nc = await connect({ servers: server.url, tls });
    t.after(() => nc.close());
    await oneEventInDefaultStream(nc);
    const url = `tls://127.0.0.1:${server.port}`;
    const client = ["--tls-cert", pki.clientCertFile, "--tls-key", pki.clientKeyFile];
    const [good, noCert, otherCa] = await Promise.all([
      cli(["--nats", url, "--since", "all", "--count", "1", "--tls-ca", pki.caFile, ...client]),
      cli(["--nats", url, "--connect-timeout", "1", "--tls-ca", pki.caFile]),
      cli(["--nats", url, "--connect-timeout", "1", "--tls-ca", pki.otherCaFile, ...client]),
    ]);
    assert.equal(good.code, 0, good.err);
    assert.deepEqual(lines(good), ["2026-11-01T10:00:01.000Z added Deployment payments/api rv=1"]);
    assert.equal(noCert.code, 1);
    assert.match(
      noCert.err,
      /cannot connect to NATS at tls:\/\/127\.0\.0\.1:\d+ within 1 s .*a server that verifies clients needs --tls-cert and --tls-key/,
    );
    assert.equal(otherCa.code, 1);
    assert.match(otherCa.err, /cannot connect to NATS .*unable to verify the first certificate/);
    assert.doesNotMatch(otherCa.err, /needs --tls-cert/);
  });
});

/** The stream `KUBE_LOOKOUT` (the command's default) with one `added` event of payments/api. */
async function oneEventInDefaultStream(nc: NatsConnection): Promise<void> {
  await ensureStream(nc, {
    name: "KUBE_LOOKOUT",
    subjects: ["kl.>"],
    maxAgeMs: 0,
    maxBytes: -1,
    duplicateWindowMs: 60_000,
  });
  await publish(nc, eventOf({ ...dep("api", 1, "added"), object: {} }));
}
