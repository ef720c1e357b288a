/**
 * Shared setup for informer tests against the simulated API server over real HTTP.
 */
import type { TestContext } from "node:test";
import { KubeClient } from "../../src/kube/index.ts";
import { Informer, type InformerOptions } from "../../src/informer/index.ts";
import assert from "node:assert/strict";
import { countingTimers, type CountingTimers } from "./counting-timers.ts";
import { codeOf } from "./fake-client.ts";
import {
  startSimulatedCluster,
  type SimulatedCluster,
  type SimulatedClusterOptions,
} from "../../src/sim/index.ts";

export const PODS = { group: "", version: "v1", resource: "pods" } as const;

/** Starts a cluster on 127.0.0.1:0 and a client, with cleanup registered. */
export async function startCluster(
  t: TestContext,
  options: SimulatedClusterOptions = {},
): Promise<{ cluster: SimulatedCluster; client: KubeClient }> {
  const cluster = await startSimulatedCluster({ host: "127.0.0.1", port: 0, ...options });
  const client = new KubeClient({ server: cluster.url });
  // One hook, in reverse start order: informers, then the client, then the server (hooks run
  // in registration order, and a server closed under a live informer may race a reconnect).
  t.after(async () => {
    const informers = owned.get(t) ?? [];
    await Promise.all(informers.map((i) => i.close()));
    client.close();
    await cluster.close();
    // Unref'd timers are invisible to getActiveResourcesInfo(): count them instead.
    for (const i of informers) {
      assert.equal(timersOf.get(i)?.live ?? 0, 0, `live timers after close() of ${i.resource}`);
    }
  });
  return { cluster, client };
}

const journals = new WeakMap<Informer, string[]>();
const timersOf = new WeakMap<Informer, CountingTimers>();
const owned = new WeakMap<TestContext, Informer[]>();

/**
 * An informer with fast test backoff and a journal for diagnostics, closed after the test
 * (before the cluster started with {@link startCluster} in the same test).
 */
export function startInformer(
  t: TestContext,
  client: KubeClient,
  options: Partial<InformerOptions> = {},
): Informer {
  const journal: string[] = [];
  const user = options.metrics ?? {};
  const note = (line: string): void => {
    journal.push(`${Date.now() % 100_000} ${line}`);
    if (journal.length > 200) journal.splice(0, 100);
  };
  const timers = countingTimers();
  const informer = new Informer({
    client,
    resource: PODS,
    backoff: { initialMs: 20, maxMs: 200 },
    timers,
    ...options,
    metrics: {
      ...user,
      error: (i) => {
        note(`error ${String(codeOf(i.error))} ${String(i.error)}`);
        user.error?.(i);
      },
      restart: (i) => {
        note(`restart ${i.reason}`);
        user.restart?.(i);
      },
      watchStarted: (r) => {
        note("watchStarted");
        user.watchStarted?.(r);
      },
      watchEnded: (i) => {
        note(`watchEnded ${i.reason} events=${i.events}`);
        user.watchEnded?.(i);
      },
      listRequest: (i) => {
        note(`list pages=${i.pages} items=${i.items} error=${String(i.error)}`);
        user.listRequest?.(i);
      },
    },
  });
  journals.set(informer, journal);
  timersOf.set(informer, timers);
  const list = owned.get(t) ?? [];
  list.push(informer);
  owned.set(t, list);
  void informer.start();
  return informer;
}

/** What happened inside an informer started by {@link startInformer}, for failure messages. */
export function journalOf(informer: Informer): string {
  return (journals.get(informer) ?? []).join("\n");
}

/** waitForSync with a deadline; on failure, says what the informer and the server did. */
export async function synced(
  informer: Informer,
  cluster: SimulatedCluster,
  ms = 20_000,
): Promise<void> {
  try {
    await informer.waitForSync(AbortSignal.timeout(ms));
  } catch (err) {
    const requests = cluster.requests
      .slice(-10)
      .map((r) => `${r.method} ${r.path}?${r.query} -> ${r.status}`)
      .join("\n");
    throw new Error(
      `informer not synced within ${ms} ms\njournal:\n${journalOf(informer)}\nrequests:\n${requests}`,
      { cause: err },
    );
  }
}

/** key → resourceVersion of the simulator's objects (optionally filtered). */
export function simState(
  cluster: SimulatedCluster,
  filter: (o: { namespace: string; labels: Record<string, string> }) => boolean = () => true,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of cluster.list(PODS)) {
    const ns = o.metadata.namespace ?? "";
    if (!filter({ namespace: ns, labels: o.metadata.labels ?? {} })) continue;
    out.set(ns === "" ? o.metadata.name! : `${ns}/${o.metadata.name}`, o.metadata.resourceVersion!);
  }
  return out;
}

/** key → resourceVersion of the informer's store. */
export function informerState(informer: Informer): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of informer.store.keys()) out.set(key, informer.store.get(key)!.resourceVersion);
  return out;
}

/** A short description of how two states differ ("" when equal). */
export function diff(want: Map<string, string>, got: Map<string, string>): string {
  const lost: string[] = [];
  const ghost: string[] = [];
  const stale: string[] = [];
  for (const [k, rv] of want) {
    const g = got.get(k);
    if (g === undefined) lost.push(k);
    else if (g !== rv) stale.push(`${k}@${g}≠${rv}`);
  }
  for (const k of got.keys()) if (!want.has(k)) ghost.push(k);
  if (lost.length + ghost.length + stale.length === 0) return "";
  return `lost ${lost.length} [${lost.slice(0, 5).join(" ")}], ghost ${ghost.length} [${ghost
    .slice(0, 5)
    .join(" ")}], stale ${stale.length} [${stale.slice(0, 5).join(" ")}]`;
}

/** Waits until the informer's store equals the simulator's state; throws the diff otherwise. */
export async function converge(
  cluster: SimulatedCluster,
  informer: Informer,
  ms = 10_000,
  filter?: (o: { namespace: string; labels: Record<string, string> }) => boolean,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = diff(simState(cluster, filter), informerState(informer));
    if (d === "") return;
    if (Date.now() > deadline) {
      throw new Error(`informer did not converge: ${d}\njournal:\n${journalOf(informer)}`);
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
