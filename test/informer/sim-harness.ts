/**
 * Shared setup for informer tests against the simulated API server over real HTTP.
 */
import type { TestContext } from "node:test";
import { KubeClient } from "../../src/kube/index.ts";
import { Informer, type InformerOptions } from "../../src/informer/index.ts";
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
  t.after(() => cluster.close());
  const client = new KubeClient({ server: cluster.url });
  t.after(() => client.close());
  return { cluster, client };
}

/** An informer with fast test backoff, closed after the test. */
export function startInformer(
  t: TestContext,
  client: KubeClient,
  options: Partial<InformerOptions> = {},
): Informer {
  const informer = new Informer({
    client,
    resource: PODS,
    backoff: { initialMs: 20, maxMs: 200 },
    ...options,
  });
  t.after(() => informer.close());
  void informer.start();
  return informer;
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
    if (Date.now() > deadline) throw new Error(`informer did not converge: ${d}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
