/**
 * The cache API benchmark's sidecar, in its own process (so that it is measured like the
 * simulated API server, which has its own): an informer on the pods of the API server at
 * `argv[2]`, synced, and the cache API on 127.0.0.1:0 (`argv[3]`: its `listCacheBytes`, default
 * the API's default).
 * Messages out: {type:"ready", url, objects}, {type:"cpu", micros}. In: {type:"cpu"},
 * {type:"stop"}.
 */
import { createCacheApi, startApiServer } from "../../src/api/index.ts";
import { Informer } from "../../src/informer/index.ts";
import { KubeClient } from "../../src/kube/index.ts";

const server = process.argv[2];
const listCacheBytes = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
if (server === undefined) throw new Error("usage: api-cache.ts API_SERVER_URL");
const resource = { group: "", version: "v1", resource: "pods" } as const;
const client = new KubeClient({ server });
const informer = new Informer({ client, resource });
await informer.start();
const api = await startApiServer({
  handler: createCacheApi({
    resources: [{ resource, kind: "Pod", namespaced: true, informer }],
    ...(listCacheBytes === undefined ? {} : { listCacheBytes }),
  }),
});
async function stop(): Promise<void> {
  await Promise.all([api.close(), informer.close()]);
  client.close();
  process.disconnect();
}
process.on("message", (m: { type: string }) => {
  if (m.type === "stop") void stop();
  else if (m.type === "cpu") {
    const u = process.cpuUsage();
    process.send?.({ type: "cpu", micros: u.user + u.system });
  }
});
process.send?.({ type: "ready", url: api.url, objects: informer.store.size });
