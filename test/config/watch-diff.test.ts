import assert from "node:assert/strict";
import { test } from "node:test";
import {
  diffWatchConfig,
  resolveConfig,
  watchIdentity,
  type WatchEntry,
} from "../../src/config/index.ts";

function watch(yaml: string): readonly WatchEntry[] {
  return resolveConfig({ text: `watch:\n${yaml}`, env: {} }).watch;
}

const BASE = watch(`
  - { version: v1, resource: pods, labelSelector: app=web }
  - { group: apps, version: v1, resource: deployments, namespaces: [a, b] }
  - { version: v1, resource: services }
`);

void test("same list: everything unchanged", () => {
  const d = diffWatchConfig(BASE, BASE);
  assert.deepEqual(d, { added: [], removed: [], changed: [], unchanged: [...BASE] });
});

void test("a new selector is a new watch: the old one removed, the new one added, the rest kept", () => {
  const next = watch(`
  - { version: v1, resource: pods, labelSelector: app=api }
  - { group: apps, version: v1, resource: deployments, namespaces: [a, b] }
  - { version: v1, resource: services }
`);
  const d = diffWatchConfig(BASE, next);
  assert.deepEqual(
    d.added.map((e) => e.labelSelector),
    ["app=api"],
  );
  assert.deepEqual(
    d.removed.map((e) => e.labelSelector),
    ["app=web"],
  );
  assert.deepEqual(d.changed, []);
  assert.deepEqual(
    d.unchanged.map((e) => e.resource),
    ["deployments", "services"],
  );
});

void test("settings that do not change the selection are 'changed', not removed and added", () => {
  const next = watch(`
  - { version: v1, resource: pods, labelSelector: app=web, resyncSeconds: 1m }
  - { group: apps, version: v1, resource: deployments, namespaces: [a, b], feeds: [cache] }
  - { version: v1, resource: services, dropFields: [/spec/clusterIP] }
`);
  const d = diffWatchConfig(BASE, next);
  assert.deepEqual(d.added, []);
  assert.deepEqual(d.removed, []);
  assert.deepEqual(d.unchanged, []);
  assert.deepEqual(
    d.changed.map((c) => [c.old.resource, c.next.resource]),
    [
      ["pods", "pods"],
      ["deployments", "deployments"],
      ["services", "services"],
    ],
  );
  assert.equal(d.changed[0]?.old.resyncSeconds, 0);
  assert.equal(d.changed[0]?.next.resyncSeconds, 60);
});

void test("identity ignores namespace order, selector whitespace and list order; namespaces and groups count", () => {
  const reordered = watch(`
  - { version: v1, resource: services }
  - { group: apps, version: v1, resource: deployments, namespaces: [b, a] }
  - { version: v1, resource: pods, labelSelector: " app = web " }
`);
  const d = diffWatchConfig(BASE, reordered);
  assert.equal(d.unchanged.length, 3);
  const other = watch(`
  - { version: v1, resource: pods, labelSelector: app=web, namespaces: [a] }
  - { group: apps, version: v1, resource: deployments, namespaces: { labelSelector: env=prod } }
  - { group: extensions, version: v1, resource: services }
`);
  const d2 = diffWatchConfig(BASE, other);
  assert.equal(d2.added.length, 3);
  assert.equal(d2.removed.length, 3);
  assert.notEqual(watchIdentity(BASE[0]!), watchIdentity(other[0]!));
});

void test("from and to nothing; inputs untouched", () => {
  const copy = structuredClone(BASE);
  assert.deepEqual(diffWatchConfig([], BASE).added, [...BASE]);
  assert.deepEqual(diffWatchConfig(BASE, []).removed, [...BASE]);
  assert.deepEqual(BASE, copy);
});
