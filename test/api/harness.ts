/**
 * Shared setup of the cache API tests: a simulated cluster, informers on it, the cache API on
 * a real loopback server, and plain HTTP helpers (no keep-alive, so nothing stays open).
 */
import assert from "node:assert/strict";
import { request, type IncomingHttpHeaders } from "node:http";
import type { TestContext } from "node:test";
import {
  createCacheApi,
  startApiServer,
  type ApiServer,
  type CacheApiOptions,
} from "../../src/api/index.ts";
import { Informer } from "../../src/informer/index.ts";
import { KubeClient, type KubeObject, type ResourceId } from "../../src/kube/index.ts";
import {
  startSimulatedCluster,
  type SimulatedCluster,
  type SimulatedClusterOptions,
} from "../../src/sim/index.ts";

export const PODS: ResourceId = { group: "", version: "v1", resource: "pods" };
export const SECRETS: ResourceId = { group: "", version: "v1", resource: "secrets" };

/** A running cluster and a client of it, closed after the test (in reverse order). */
export interface Fixture {
  readonly cluster: SimulatedCluster;
  readonly kube: KubeClient;
  /** Closers run in reverse registration order after the test. */
  readonly closers: (() => Promise<void> | void)[];
}

/** Starts a simulated cluster on 127.0.0.1:0 seeded with `pods` pods. */
export async function startFixture(
  t: TestContext,
  pods = 0,
  options: SimulatedClusterOptions = {},
): Promise<Fixture> {
  const cluster = await startSimulatedCluster({ host: "127.0.0.1", port: 0, ...options });
  const kube = new KubeClient({ server: cluster.url });
  const closers: (() => Promise<void> | void)[] = [];
  t.after(async () => {
    for (const close of closers.toReversed()) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- reverse start order, one at a time
      await close();
    }
    kube.close();
    await cluster.close();
  });
  if (pods > 0) cluster.load.seed(PODS, pods);
  return { cluster, kube, closers };
}

/** A started informer on `resource`, closed after the test. */
export function startInformer(f: Fixture, resource: ResourceId = PODS): Informer {
  const informer = new Informer({
    client: f.kube,
    resource,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  f.closers.push(() => informer.close());
  void informer.start();
  return informer;
}

/** Waits for `informer` to sync (20 s at most). */
export function synced(informer: Informer): Promise<void> {
  return informer.waitForSync(AbortSignal.timeout(20_000));
}

/** The served resource entry of a pods or secrets informer. */
export function served(
  informer: Informer,
  resource: ResourceId = PODS,
): CacheApiOptions["resources"][number] {
  return {
    resource,
    kind: resource.resource === "secrets" ? "Secret" : "Pod",
    namespaced: true,
    informer,
  };
}

/** Starts the cache API with `options` on 127.0.0.1:0, closed after the test. */
export async function startApi(
  f: Fixture,
  options: CacheApiOptions,
  tokenFile?: string,
): Promise<ApiServer> {
  const server = await startApiServer({
    handler: createCacheApi(options),
    ...(tokenFile === undefined ? {} : { tokenFile }),
  });
  f.closers.push(() => server.close());
  return server;
}

/** One HTTP answer, its body read whole. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** How many `data` chunks the body arrived in. */
  readonly chunks: number;
}

/** One request without keep-alive. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? "GET",
      headers: options.headers ?? {},
      agent: false,
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(parts).toString("utf8"),
          chunks: parts.length,
        }),
      );
    });
    req.end();
  });
}

/** The parsed JSON body of a 2xx answer to `url` (asserts the status). */
export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const a = await send(url, { headers });
  assert.equal(a.status, 200, `GET ${url}: ${a.text.slice(0, 300)}`);
  const body: unknown = JSON.parse(a.text);
  assert.ok(typeof body === "object" && body !== null && !Array.isArray(body));
  return { ...body };
}

/** The `items` of a List body. */
export function itemsOf(body: Record<string, unknown>): KubeObject[] {
  const items = body["items"];
  assert.ok(Array.isArray(items), "a List has items");
  return items.map((i: unknown) => {
    assert.ok(typeof i === "object" && i !== null && "metadata" in i);
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- a List item of the API
    return i as KubeObject;
  });
}

/** An object without `metadata.managedFields` (the informer strips them). */
export function withoutManagedFields(o: KubeObject): KubeObject {
  const { managedFields: _, ...metadata } = o.metadata;
  return { ...o, metadata };
}

/** The status, reason and code of a Status answer. */
export function statusOf(a: Answer): { code: unknown; reason: unknown; kind: unknown } {
  const body: unknown = JSON.parse(a.text);
  assert.ok(typeof body === "object" && body !== null);
  return {
    kind: Reflect.get(body, "kind"),
    code: Reflect.get(body, "code"),
    reason: Reflect.get(body, "reason"),
  };
}
