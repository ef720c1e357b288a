/**
 * The sidecar killed with SIGKILL during churn and restarted on the same SQLite file: whatever
 * changed arrives, nothing twice, each object's last event is its current state.
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { startNatsServer } from "../support/nats-server.ts";
import {
  CONFIGMAPS,
  SECRETS,
  churn,
  idOf,
  readStream,
  seeded,
  waitForStream,
  type MadeChange,
} from "./pipeline-support.ts";

const CHILD = new URL("pipeline-child.ts", import.meta.url).pathname;

async function startChild(args: string[]): Promise<ChildProcess> {
  const child = fork(CHILD, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = new Promise<unknown>((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", () => reject(new Error("the sidecar exited before it was ready")));
  });
  assert.deepEqual(await ready, { type: "ready" });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

void test("SIGKILL during churn, then a restart: every change arrives once; the last event of each object is its state", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const nats = await startNatsServer(t);
  const dir = await mkdtemp(join(tmpdir(), "kl-events-kill-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const args = [sim.url, nats.url, join(dir, "state.db")];
  const seed = Date.now() % 100_000;
  const rand = seeded(seed);
  let child = await startChild(args);
  t.after(() => kill(child));
  const before: MadeChange[] = [];
  for (let burst = 0; burst < 10; burst++) {
    before.push(...churn(sim, rand, 20));
    // oxlint-disable-next-line eslint/no-await-in-loop -- paced churn
    await sleep(rand() * 30);
  }
  await kill(child); // most likely mid-batch or mid-transaction
  const whileDown = churn(sim, rand, 40);
  child = await startChild(args);
  const after: MadeChange[] = [];
  for (let burst = 0; burst < 5; burst++) {
    after.push(...churn(sim, rand, 20));
    // oxlint-disable-next-line eslint/no-await-in-loop -- paced churn
    await sleep(20);
  }
  await waitForStream(nats.url, after.length, 30_000, 1000);
  const messages = await readStream(nats.url);
  const what = `seed ${seed}`;

  const ids = messages.map(idOf);
  assert.equal(new Set(ids).size, ids.length, `${what}: nothing twice`);
  // Every change made after the restart (watched continuously) arrived.
  const got = new Set(ids);
  const missingAfter = after.map(idOf).filter((id) => !got.has(id));
  assert.deepEqual(missingAfter, [], `${what}: changes after the restart`);
  // Nothing arrived that was never a state of the object.
  const states = new Set(
    [...before, ...whileDown, ...after].map((c) => `${c.uid}:${c.resourceVersion}`),
  );
  for (const m of messages) {
    assert.ok(states.has(`${m.uid}:${m.resourceVersion}`), `${what}: ${idOf(m)} is a real state`);
  }
  // The last event of each object is its current state; a vanished object's last is deleted.
  const last = new Map<string, (typeof messages)[number]>();
  for (const m of messages) last.set(m.uid, m);
  const current = new Map<string, string>();
  for (const res of [CONFIGMAPS, SECRETS]) {
    for (const o of sim.list(res)) current.set(o.metadata.uid!, o.metadata.resourceVersion!);
  }
  for (const [uid, rv] of current) {
    const m = last.get(uid);
    assert.ok(m !== undefined, `${what}: object ${uid} has events`);
    assert.notEqual(m.type, "deleted", `${what}: ${uid} exists`);
    assert.equal(m.resourceVersion, rv, `${what}: ${uid}'s last event is its state`);
  }
  for (const [uid, m] of last) {
    if (!current.has(uid)) assert.equal(m.type, "deleted", `${what}: ${uid} is gone`);
  }
  child.send({ type: "stop" });
  await once(child, "exit");
});
