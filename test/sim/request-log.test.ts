/**
 * The request recorder: every request the simulator receives, over real HTTP, classified as the
 * apiserver's RequestInfo (requestinfo.go) would classify it; and the classifier on crafted
 * paths, including the corner cases of that file.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, test } from "node:test";
import { recordRequests, requestInfo } from "../../src/sim/index.ts";
import type { RecordedRequest } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster, http } from "./support.ts";

after(assertNoActiveHandles);

/** The authorizer's view of an entry, without the fields that vary. */
function brief(r: RecordedRequest): string {
  const where = r.namespace === "" ? "" : ` ns=${r.namespace}`;
  const name = r.name === "" ? "" : ` name=${r.name}`;
  if (!r.isResourceRequest) return `${r.verb} ${r.path}`;
  const res = r.subresource === "" ? r.resource : `${r.resource}/${r.subresource}`;
  return `${r.verb} ${r.apiGroup}/${r.apiVersion} ${res}${where}${name}`;
}

void test("recordRequests: every request over HTTP, classified, errors and metrics.k8s.io included", async (t) => {
  const c = await cluster(t);
  c.create("pods", { metadata: { name: "web", namespace: "shop" }, spec: { containers: [] } });
  const log = recordRequests(c);
  t.after(() => log.stop());
  assert.equal(log.recording, true);

  await http(c, "GET", "/version");
  await http(c, "GET", "/api");
  await http(c, "GET", "/api/v1");
  await http(c, "GET", "/apis");
  await http(c, "GET", "/apis/apps/v1");
  await http(c, "GET", "/healthz");
  await http(c, "GET", "/openapi/v2"); // 404 here, recorded all the same
  await http(c, "GET", "/api/v1/pods?limit=10&labelSelector=app%3Dweb");
  await http(c, "GET", "/api/v1/namespaces/shop/pods?watch=1&resourceVersion=0&timeoutSeconds=1");
  await http(c, "GET", "/api/v1/namespaces/shop/pods/web");
  await http(c, "GET", "/apis/apps/v1/namespaces/shop/deployments?watch=false");
  await http(c, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-lookout/leases", {
    metadata: { name: "kube-lookout" },
    spec: {},
  });
  await http(c, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-lookout/leases/kube-lookout", {
    metadata: { name: "kube-lookout" },
    spec: { holderIdentity: "a" },
  });
  await http(
    c,
    "PATCH",
    "/api/v1/namespaces/shop/pods/web",
    { metadata: { labels: { a: "b" } } },
    {
      "Content-Type": "application/merge-patch+json",
    },
  );
  await http(c, "DELETE", "/api/v1/namespaces/shop/pods/web");
  await http(c, "DELETE", "/api/v1/namespaces/shop/pods"); // 405 from the simulator
  await http(c, "GET", "/apis/metrics.k8s.io/v1beta1/pods");
  await http(c, "GET", "/apis/metrics.k8s.io/v1beta1/nodes/node-a");
  await http(c, "GET", "/api/v1/namespaces/shop/pods/web/status"); // not served: 404

  assert.deepEqual(log.entries().map(brief), [
    "get /version",
    "get /api",
    "get /api/v1",
    "get /apis",
    "get /apis/apps/v1",
    "get /healthz",
    "get /openapi/v2",
    "list /v1 pods",
    "watch /v1 pods ns=shop",
    "get /v1 pods ns=shop name=web",
    "list apps/v1 deployments ns=shop",
    "create coordination.k8s.io/v1 leases ns=kube-lookout",
    "update coordination.k8s.io/v1 leases ns=kube-lookout name=kube-lookout",
    "patch /v1 pods ns=shop name=web",
    "delete /v1 pods ns=shop name=web",
    "deletecollection /v1 pods ns=shop",
    "list metrics.k8s.io/v1beta1 pods",
    "get metrics.k8s.io/v1beta1 nodes name=node-a",
    "get /v1 pods/status ns=shop name=web",
  ]);
  const [, , , , , , , list] = log.entries();
  assert.equal(list?.labelSelector, "app=web");
  assert.equal(list?.query, "limit=10&labelSelector=app%3Dweb");
  assert.equal(list?.method, "GET");
  assert.equal(list?.apiPrefix, "api");
  assert.equal(typeof list?.time, "number");
  // Entries are copies; clear() forgets; stop() ends recording and is idempotent.
  log.entries().pop();
  assert.equal(log.entries().length, 19);
  log.clear();
  assert.deepEqual(log.entries(), []);
  await http(c, "GET", "/api/v1/namespaces");
  assert.deepEqual(log.entries().map(brief), ["list /v1 namespaces"]);
  log.stop();
  log.stop();
  assert.equal(log.recording, false);
  await http(c, "GET", "/api/v1/nodes");
  assert.equal(log.entries().length, 1);
});

void test("recordRequests: only the cluster's own server; two logs are independent", async (t) => {
  const a = await cluster(t);
  const b = await cluster(t);
  const other = createServer((_req, res) => res.end("{}"));
  await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => other.close(() => resolve())));
  const address = other.address();
  assert.ok(address !== null && typeof address === "object");
  using logA = recordRequests(a);
  using logB = recordRequests(b);
  await http(a, "GET", "/api/v1/pods");
  await http(b, "GET", "/api/v1/secrets");
  await fetch(`http://127.0.0.1:${address.port}/api/v1/configmaps`).then((r) => r.text());
  assert.deepEqual(logA.entries().map(brief), ["list /v1 pods"]);
  assert.deepEqual(logB.entries().map(brief), ["list /v1 secrets"]);
});

void test("requestInfo: the rules of requestinfo.go on crafted requests", () => {
  const cases: [string, string, Partial<ReturnType<typeof requestInfo>>][] = [
    ["GET", "/", { isResourceRequest: false, verb: "get", path: "/" }],
    ["HEAD", "/version", { isResourceRequest: false, verb: "head" }],
    ["GET", "/apis/apps", { isResourceRequest: false, verb: "get" }],
    ["GET", "/apis/apps/v1", { isResourceRequest: false, verb: "get" }],
    ["POST", "/api/v1", { isResourceRequest: false, verb: "post" }],
    ["GET", "/metrics", { isResourceRequest: false, verb: "get" }],
    // HEAD is get; a get without a name is a list.
    ["HEAD", "/api/v1/pods", { isResourceRequest: true, verb: "list", resource: "pods" }],
    // watch: any value but false/0, case-insensitive; the /watch/ path prefix.
    ["GET", "/api/v1/pods?watch=true", { verb: "watch" }],
    ["GET", "/api/v1/pods?watch=", { verb: "watch" }],
    ["GET", "/api/v1/pods?watch=FALSE", { verb: "list" }],
    ["GET", "/api/v1/pods?watch=0", { verb: "list" }],
    [
      "GET",
      "/api/v1/watch/namespaces/a/pods",
      { verb: "watch", namespace: "a", resource: "pods", name: "" },
    ],
    [
      "GET",
      "/api/v1/watch/namespaces/a/pods/p",
      { verb: "watch", namespace: "a", resource: "pods", name: "p" },
    ],
    // A named get with watch=1 stays a get (only a nameless get becomes list/watch).
    ["GET", "/api/v1/namespaces/a/pods/p?watch=1", { verb: "get", name: "p" }],
    // A metadata.name field selector names the object of a list or watch.
    [
      "GET",
      "/apis/coordination.k8s.io/v1/namespaces/n/leases?watch=1&fieldSelector=metadata.name%3Dx",
      {
        verb: "watch",
        apiGroup: "coordination.k8s.io",
        name: "x",
        fieldSelector: "metadata.name=x",
      },
    ],
    [
      "GET",
      "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1%2Cmetadata.name%3D%3Dp",
      { verb: "list", name: "p" },
    ],
    ["GET", "/api/v1/pods?fieldSelector=metadata.name!%3Dp", { verb: "list", name: "" }],
    // Namespaces: the namespace object itself, and its subresources.
    ["GET", "/api/v1/namespaces", { verb: "list", resource: "namespaces", namespace: "" }],
    [
      "GET",
      "/api/v1/namespaces/a",
      { verb: "get", resource: "namespaces", name: "a", namespace: "a" },
    ],
    [
      "PUT",
      "/api/v1/namespaces/a/finalize",
      { verb: "update", resource: "namespaces", name: "a", subresource: "finalize" },
    ],
    // Subresources; proxy takes none.
    [
      "GET",
      "/api/v1/namespaces/a/pods/p/log",
      { verb: "get", resource: "pods", subresource: "log" },
    ],
    [
      "GET",
      "/api/v1/proxy/namespaces/a/pods/p/x",
      { verb: "proxy", resource: "pods", name: "p", subresource: "" },
    ],
    // Verbs from methods; DELETE without a name; an unknown method.
    ["POST", "/api/v1/namespaces/a/pods", { verb: "create", name: "" }],
    ["DELETE", "/api/v1/namespaces/a/pods", { verb: "deletecollection" }],
    ["OPTIONS", "/api/v1/pods", { verb: "" }],
    // Selectors only on list, watch and deletecollection.
    ["GET", "/api/v1/namespaces/a/pods/p?labelSelector=a%3Db", { labelSelector: "" }],
    ["DELETE", "/api/v1/namespaces/a/pods?labelSelector=a%3Db", { labelSelector: "a=b" }],
    // Percent-decoded path.
    [
      "GET",
      "/api/v1/namespaces/a/configmaps/x%3Ay",
      { name: "x:y", path: "/api/v1/namespaces/a/configmaps/x:y" },
    ],
  ];
  for (const [method, url, expected] of cases) {
    const info = requestInfo(method, url);
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(Reflect.get(info, key), value, `${method} ${url}: ${key}`);
    }
  }
});
