import assert from "node:assert/strict";
import { after, test } from "node:test";
import { decodeEvent, helmFindingsEvent, resourceEvent } from "../../src/events/cloud-event.ts";
import type { ResourceChange } from "../../src/events/event-types.ts";
import { applyPatch } from "../../src/events/json-patch.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

function codeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}

/** A header reader like nats.js's MsgHdrs: "" when absent. */
function reader(headers: Readonly<Record<string, string>>): { get(name: string): string } {
  return { get: (name) => headers[name] ?? "" };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const OBSERVED = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

const previousObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", resourceVersion: "41", labels: { a: "1" } },
  spec: { replicas: 1, ports: [80] },
};
const currentObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", resourceVersion: "42", labels: { "a/b": "2" } },
  spec: { replicas: 3, ports: [80, 443] },
};

function change(overrides: Partial<ResourceChange> = {}): ResourceChange {
  return {
    type: "modified",
    resource: { group: "apps", version: "v1", resource: "deployments" },
    apiVersion: "apps/v1",
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    uid: "uid-1",
    resourceVersion: "42",
    object: currentObject,
    previous: previousObject,
    observedAt: OBSERVED,
    ...overrides,
  };
}

const OPTIONS = { source: "prod", subject: "kl.prod.apps.v1.deployments.shop.web.modified" };

void test("resource event: headers, msgId, orderKey exactly as specified", () => {
  for (const type of ["added", "modified", "deleted"] as const) {
    const event = resourceEvent(change({ type }), { ...OPTIONS, includeObject: true });
    assert.deepEqual(event.headers, {
      "ce-specversion": "1.0",
      "ce-id": `uid-1:42:${type}`,
      "ce-type": `io.kube-lookout.resource.${type}`,
      "ce-source": "prod",
      "ce-subject": "shop/web",
      "ce-time": "2026-01-02T03:04:05.678Z",
      "content-type": "application/json",
    });
    assert.equal(event.msgId, `uid-1:42:${type}`);
    assert.equal(event.orderKey, "apps/v1/deployments/shop/web");
    assert.equal(event.subject, OPTIONS.subject);
    assert.equal(event.observedAt, OBSERVED);
  }
});

void test("cluster-scoped: ce-subject is the name, orderKey has an empty namespace", () => {
  const event = resourceEvent(
    change({
      type: "added",
      resource: { group: "", version: "v1", resource: "nodes" },
      apiVersion: "v1",
      kind: "Node",
      namespace: "",
      name: "n1",
      previous: undefined,
    }),
    { ...OPTIONS, includeObject: false },
  );
  assert.equal(event.headers["ce-subject"], "n1");
  assert.equal(event.orderKey, "v1/nodes//n1");
});

void test("ce-time is the observed time, not the send time", () => {
  const event = resourceEvent(change({ observedAt: 0 }), { ...OPTIONS, includeObject: true });
  assert.equal(event.headers["ce-time"], "1970-01-01T00:00:00.000Z");
  assert.throws(
    () => resourceEvent(change({ observedAt: Number.NaN }), { ...OPTIONS, includeObject: true }),
    (err) => codeOf(err) === "LOOKOUT_EVENTS_INVALID_OPTION",
  );
});

void test("the body round-trips through decodeEvent; changes apply to previous giving object", () => {
  const event = resourceEvent(change(), { ...OPTIONS, includeObject: true });
  const decoded = decodeEvent(reader(event.headers), event.body);
  assert.deepEqual(
    { ...decoded, data: undefined },
    {
      id: "uid-1:42:modified",
      type: "io.kube-lookout.resource.modified",
      source: "prod",
      subject: "shop/web",
      time: "2026-01-02T03:04:05.678Z",
      data: undefined,
    },
  );
  const data = decoded.data;
  assert.ok(isRecord(data));
  assert.deepEqual(Object.keys(data), [
    "apiVersion",
    "kind",
    "namespace",
    "name",
    "uid",
    "resourceVersion",
    "object",
    "changes",
  ]);
  assert.deepEqual(data["object"], currentObject);
  assert.ok(Array.isArray(data["changes"]) && data["changes"].length > 0);
  // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- checked to be an array above
  assert.deepEqual(applyPatch(previousObject, data["changes"] as never), currentObject);
  assert.equal(data["resourceVersion"], "42");
  assert.equal(data["uid"], "uid-1");
});

void test("includeObject false omits the object; includeChanges false omits changes", () => {
  const noObject = resourceEvent(change(), { ...OPTIONS, includeObject: false });
  const body: unknown = JSON.parse(Buffer.from(noObject.body).toString("utf8"));
  assert.ok(isRecord(body));
  assert.equal("object" in body, false);
  assert.ok(Array.isArray(body["changes"]));
  const neither = resourceEvent(change(), {
    ...OPTIONS,
    includeObject: false,
    includeChanges: false,
  });
  const bare: unknown = JSON.parse(Buffer.from(neither.body).toString("utf8"));
  assert.deepEqual(bare, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    uid: "uid-1",
    resourceVersion: "42",
  });
});

void test("changes only for modified with a previous", () => {
  for (const c of [
    change({ type: "added", previous: undefined }),
    change({ type: "deleted", previous: previousObject }),
    change({ type: "modified", previous: undefined }),
  ]) {
    const event = resourceEvent(c, { ...OPTIONS, includeObject: true });
    const body: unknown = JSON.parse(Buffer.from(event.body).toString("utf8"));
    assert.ok(isRecord(body));
    assert.equal("changes" in body, false, c.type);
    assert.deepEqual(body["object"], currentObject);
  }
});

const FINDINGS = [{ apiVersion: "extensions/v1beta1", kind: "Ingress", removedIn: "v1.22" }];

void test("helm findings event: headers, body, orderKey; revision null when gone", () => {
  const input = {
    namespace: "shop",
    release: "web",
    revision: 7,
    chart: "web-chart",
    chartVersion: "1.2.3",
    findings: FINDINGS,
    observedAt: OBSERVED,
  };
  const event = helmFindingsEvent(input, { source: "prod", subject: "kl.prod.helm.shop.web" });
  assert.match(event.msgId, new RegExp(`^helm:shop/web:7:${OBSERVED}:[0-9a-f]{16}$`));
  // The same state at the same time is the same message (a re-send); at another time, a new
  // change (a reinstall back to the same revision and findings), which JetStream must not drop.
  assert.equal(helmFindingsEvent(input, { source: "prod", subject: "s" }).msgId, event.msgId);
  assert.notEqual(
    helmFindingsEvent({ ...input, observedAt: OBSERVED + 1 }, { source: "prod", subject: "s" })
      .msgId,
    event.msgId,
  );
  assert.deepEqual(event.headers, {
    "ce-specversion": "1.0",
    "ce-id": event.msgId,
    "ce-type": "io.kube-lookout.helm.findings.changed",
    "ce-source": "prod",
    "ce-subject": "shop/web",
    "ce-time": "2026-01-02T03:04:05.678Z",
    "content-type": "application/json",
  });
  assert.equal(event.orderKey, "helm/shop/web");
  assert.equal(event.subject, "kl.prod.helm.shop.web");
  assert.deepEqual(decodeEvent(reader(event.headers), event.body).data, {
    namespace: "shop",
    release: "web",
    revision: 7,
    chart: "web-chart",
    chartVersion: "1.2.3",
    findings: FINDINGS,
  });
  const gone = helmFindingsEvent(
    { namespace: "shop", release: "web", revision: undefined, findings: [], observedAt: OBSERVED },
    { source: "prod", subject: "kl.prod.helm.shop.web" },
  );
  assert.match(gone.msgId, new RegExp(`^helm:shop/web:gone:${OBSERVED}:[0-9a-f]{16}$`));
  assert.deepEqual(decodeEvent(reader(gone.headers), gone.body).data, {
    namespace: "shop",
    release: "web",
    revision: null,
    findings: [],
  });
});

void test("helm msgId is stable for one change and differs for different ones", () => {
  const opts = { source: "prod", subject: "s" };
  const base = { namespace: "shop", release: "web", revision: 7, observedAt: 1 };
  const a = helmFindingsEvent({ ...base, findings: structuredClone(FINDINGS) }, opts);
  const b = helmFindingsEvent({ ...base, findings: structuredClone(FINDINGS) }, opts);
  assert.equal(a.msgId, b.msgId);
  // The same state again later is a new change (e.g. after an uninstall): not a duplicate.
  const later = helmFindingsEvent({ ...base, findings: FINDINGS, observedAt: 2 }, opts);
  assert.notEqual(later.msgId, a.msgId);
  const c = helmFindingsEvent(
    { ...base, findings: [{ ...FINDINGS[0], removedIn: "v1.25" }] },
    opts,
  );
  assert.notEqual(c.msgId, a.msgId);
  assert.notEqual(helmFindingsEvent({ ...base, findings: [] }, opts).msgId, a.msgId);
  const otherRevision = helmFindingsEvent({ ...base, revision: 8, findings: FINDINGS }, opts);
  assert.notEqual(otherRevision.msgId, a.msgId);
});

function bad(header: string | undefined): (err: unknown) => boolean {
  return (err) =>
    codeOf(err) === "LOOKOUT_EVENTS_BAD_MESSAGE" && isRecord(err) && err["header"] === header;
}

void test("decodeEvent rejects missing ce-* headers and bodies that are not UTF-8 JSON", () => {
  const event = resourceEvent(change(), { ...OPTIONS, includeObject: true });
  for (const name of ["ce-specversion", "ce-id", "ce-type", "ce-source"]) {
    const headers = { ...event.headers };
    delete headers[name];
    assert.throws(() => decodeEvent(reader(headers), event.body), bad(name), name);
  }
  assert.throws(
    () => decodeEvent(reader({ ...event.headers, "ce-specversion": "0.3" }), event.body),
    bad("ce-specversion"),
  );
  for (const body of [
    Buffer.from("{not json"),
    Buffer.from(""),
    Uint8Array.of(0x22, 0xff, 0x22), // a JSON string with an invalid UTF-8 byte
  ]) {
    assert.throws(() => decodeEvent(reader(event.headers), body), bad(undefined));
  }
  // ce-subject and ce-time are optional.
  const minimal = decodeEvent(
    reader({ "ce-specversion": "1.0", "ce-id": "i", "ce-type": "t", "ce-source": "s" }),
    Buffer.from("[1]"),
  );
  assert.deepEqual(minimal, { id: "i", type: "t", source: "s", subject: "", time: "", data: [1] });
});

void test("a body built with objectJson has the same bytes as one that serializes the object", () => {
  for (const c of [change(), change({ type: "added" }), change({ type: "deleted" })]) {
    const plain = resourceEvent(c, { ...OPTIONS, includeObject: true });
    const spliced = resourceEvent(c, {
      ...OPTIONS,
      includeObject: true,
      objectJson: JSON.stringify(c.object),
    });
    assert.equal(Buffer.from(spliced.body).toString(), Buffer.from(plain.body).toString());
  }
  // Without the object, objectJson is ignored.
  const without = resourceEvent(change(), {
    ...OPTIONS,
    includeObject: false,
    objectJson: JSON.stringify(currentObject),
  });
  const body: unknown = JSON.parse(Buffer.from(without.body).toString());
  assert.ok(isRecord(body) && !("object" in body));
});
