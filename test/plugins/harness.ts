/**
 * Shared setup for plugin tests: an in-memory OpenTelemetry reader, and a simulated cluster
 * with a client and an informer factory, closed in reverse start order.
 */
import type { TestContext } from "node:test";
import { InformerFactory, type InformerFactoryOptions } from "../../src/informer/index.ts";
import { KubeClient } from "../../src/kube/index.ts";
import { PluginHost, type PluginEntry } from "../../src/plugins/index.ts";
import {
  startSimulatedCluster,
  type SimulatedCluster,
  type SimulatedClusterOptions,
} from "../../src/sim/index.ts";

export { testMetrics, type Metrics } from "../support/metrics.ts";

export const PODS = { group: "", version: "v1", resource: "pods" } as const;

/** A running simulator, a client and an informer factory, closed after the test. */
export interface ClusterSetup {
  readonly cluster: SimulatedCluster;
  readonly client: KubeClient;
  readonly factory: InformerFactory;
}

/**
 * Starts a cluster on 127.0.0.1:0, a client and a factory. Cleanup (registered first, so it
 * runs after hooks registered later by the test, e.g. the plugin host's close) closes the
 * factory, then the client, then the cluster.
 */
export async function startCluster(
  t: TestContext,
  options: SimulatedClusterOptions = {},
  factoryOptions: Partial<InformerFactoryOptions> = {},
): Promise<ClusterSetup> {
  const cluster = await startSimulatedCluster({ host: "127.0.0.1", port: 0, ...options });
  const client = new KubeClient({ server: cluster.url });
  const factory = new InformerFactory({
    client,
    backoff: { initialMs: 20, maxMs: 200 },
    ...factoryOptions,
  });
  t.after(async () => {
    await factory.close();
    client.close();
    await cluster.close();
  });
  return { cluster, client, factory };
}

/** Polls `check` every 10 ms until it returns true; rejects with `what` after `ms`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The `code` of an error, or undefined. */
export function codeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null ? Reflect.get(err, "code") : undefined;
}

/**
 * A PluginHost over `setup` on pods (restart backoff 5 ms doubling to 20 ms unless `extra` says
 * otherwise), closed after the test; the close is bounded, so that a hang fails the test
 * instead of holding the suite.
 */
export function startHost(
  t: TestContext,
  setup: ClusterSetup,
  plugins: PluginEntry[],
  extra: Partial<ConstructorParameters<typeof PluginHost>[0]> = {},
): PluginHost {
  const h = new PluginHost({
    plugins,
    informers: setup.factory,
    client: setup.client,
    resources: [{ resource: PODS }],
    backoff: { initialMs: 5, maxMs: 20 },
    ...extra,
  });
  t.after(() => within("close()", h.close(), 10_000));
  return h;
}

/** Resolves with `promise`'s value, or rejects after `ms` (so a hang fails the test). */
export async function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
