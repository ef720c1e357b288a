import assert from "node:assert/strict";
import { test } from "node:test";
import type { RawObject } from "../../src/kube/index.ts";
import { Store, namespaceIndex } from "../../src/informer/store.ts";
import { pod } from "./fake-client.ts";

const byApp = (o: RawObject): string[] => (o.labels?.app === undefined ? [] : [o.labels.app]);
const names = (objs: RawObject[]): string[] => objs.map((o) => o.name).sort();

void test("store keys, get, getByKey, list, size", () => {
  const s = new Store();
  s.set("a/x", pod("a", "x", "1"));
  s.set("b/y", pod("b", "y", "2"));
  assert.equal(s.size, 2);
  assert.equal(s.get("a/x")?.resourceVersion, "1");
  assert.equal(s.getByKey("b", "y")?.name, "y");
  assert.equal(s.getByKey("", "y"), undefined);
  assert.deepEqual(s.keys().sort(), ["a/x", "b/y"]);
  assert.equal(s.list().length, 2);
  assert.equal(s.delete("a/x")?.name, "x");
  assert.equal(s.delete("a/x"), undefined);
  assert.equal(s.size, 1);
});

void test("indexes follow updates and deletes, and can be added later", () => {
  const s = new Store();
  s.addIndex("namespace", namespaceIndex);
  s.set("a/x", pod("a", "x", "1", { labels: { app: "web" } }));
  s.set("a/y", pod("a", "y", "1", { labels: { app: "db" } }));
  s.set("b/z", pod("b", "z", "1", { labels: { app: "web" } }));
  s.addIndex("app", byApp);
  assert.deepEqual(names(s.byIndex("app", "web")), ["x", "z"]);
  assert.deepEqual(names(s.byIndex("namespace", "a")), ["x", "y"]);
  s.set("a/x", pod("a", "x", "2", { labels: { app: "db" } }));
  assert.deepEqual(names(s.byIndex("app", "web")), ["z"]);
  assert.deepEqual(names(s.byIndex("app", "db")), ["x", "y"]);
  s.delete("a/y");
  assert.deepEqual(names(s.byIndex("app", "db")), ["x"]);
  assert.deepEqual(names(s.byIndex("namespace", "a")), ["x"]);
  assert.deepEqual(s.byIndex("app", "nothing"), []);
  assert.deepEqual(s.indexNames().sort(), ["app", "namespace"]);
});

void test("unknown or duplicate index names are typed errors", () => {
  const s = new Store();
  s.addIndex("namespace", namespaceIndex);
  assert.throws(() => s.byIndex("nope", "x"), { code: "LOOKOUT_INFORMER_INVALID_OPTION" });
  assert.throws(() => s.addIndex("namespace", namespaceIndex), {
    code: "LOOKOUT_INFORMER_INVALID_OPTION",
  });
});

void test("a throwing index function: the object is stored without that index, other indexes stay whole", () => {
  const errors: { code: string; index: string; key: string; cause: unknown }[] = [];
  const s = new Store((err) =>
    errors.push({ code: err.code, index: err.index, key: err.key, cause: err.cause }),
  );
  s.addIndex("namespace", namespaceIndex);
  s.addIndex("app", byApp);
  s.addIndex("picky", (o) => {
    if (o.labels?.bad !== undefined) throw new Error(`no ${o.name}`);
    return [o.name.toUpperCase()];
  });
  s.set("a/x", pod("a", "x", "1", { labels: { app: "web" } }));
  assert.deepEqual(names(s.byIndex("picky", "X")), ["x"]);
  // The new version fails in "picky": the store and "app" are updated, "picky" has no entry.
  s.set("a/x", pod("a", "x", "2", { labels: { app: "db", bad: "1" } }));
  assert.equal(s.get("a/x")?.resourceVersion, "2");
  assert.deepEqual(names(s.byIndex("app", "db")), ["x"]);
  assert.deepEqual(names(s.byIndex("app", "web")), []);
  assert.deepEqual(names(s.byIndex("picky", "X")), []);
  assert.equal(errors.length, 1);
  assert.deepEqual(
    { code: errors[0]!.code, index: errors[0]!.index, key: errors[0]!.key },
    { code: "LOOKOUT_INFORMER_INDEX_FAILED", index: "picky", key: "a/x" },
  );
  assert.ok(errors[0]!.cause instanceof Error);
  // A later good version is indexed again; a delete never calls the function.
  s.set("a/x", pod("a", "x", "3", { labels: { app: "db" } }));
  assert.deepEqual(names(s.byIndex("picky", "X")), ["x"]);
  s.set("a/y", pod("a", "y", "1", { labels: { bad: "1" } }));
  assert.equal(errors.length, 2);
  s.delete("a/y");
  s.delete("a/x");
  assert.equal(errors.length, 2);
  assert.deepEqual(names(s.byIndex("picky", "X")), []);
  assert.deepEqual(names(s.byIndex("app", "db")), []);
  // A function that returns something other than an array of strings fails the same way.
  // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- a bad result on purpose
  s.addIndex("broken", () => "x" as unknown as string[]);
  s.set("b/z", pod("b", "z", "1"));
  assert.equal(errors.at(-1)?.code, "LOOKOUT_INFORMER_INDEX_FAILED");
  assert.equal(errors.at(-1)?.index, "broken");
  assert.deepEqual(names(s.byIndex("namespace", "b")), ["z"]);
});
