import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import Sqlite from "better-sqlite3";
import { SCHEMA_VERSION, openStore } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { findingsOf, release, tempDir, withCode } from "./support.ts";

after(assertNoActiveHandles);

void test('":memory:" is refused unless allowMemory, and works with it', (t) => {
  assert.throws(() => openStore({ path: ":memory:" }), withCode("LOOKOUT_STORE_MEMORY_REFUSED"));
  const store = openStore({ path: ":memory:", allowMemory: true });
  t.after(() => store.close());
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  assert.equal(store.recovered, false);
  store.kv.set("a", "1");
  assert.equal(store.kv.get("a"), "1");
});

void test("bad options are refused before any I/O", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "s.db");
  for (const bad of [
    { path: "" },
    { path: 7 },
    { path, busyTimeoutMs: -1 },
    { path, busyTimeoutMs: 1.5 },
    { path, synchronous: "OFF" },
    { path, now: 5 },
  ]) {
    assert.throws(
      () => Reflect.apply(openStore, undefined, [bad]),
      withCode("LOOKOUT_STORE_INVALID_OPTION"),
    );
  }
  assert.equal(existsSync(path), false);
});

void test("a missing directory is LOOKOUT_STORE_OPEN_FAILED naming the path", (t) => {
  const path = join(tempDir(t), "no", "such", "dir", "s.db");
  assert.throws(
    () => openStore({ path }),
    (err: unknown) =>
      withCode("LOOKOUT_STORE_OPEN_FAILED")(err) &&
      err instanceof Error &&
      "path" in err &&
      err.path === path &&
      err.cause !== undefined,
  );
});

void test("a directory as path is LOOKOUT_STORE_OPEN_FAILED and is left alone", (t) => {
  const dir = tempDir(t);
  assert.throws(() => openStore({ path: dir }), withCode("LOOKOUT_STORE_OPEN_FAILED"));
  assert.equal(existsSync(dir), true);
});

void test("a new file is WAL with the latest schema; close twice; use after close", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path, synchronous: "NORMAL" });
  t.after(() => store.close());
  assert.equal(store.path, path);
  assert.equal(store.open, true);
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  store.kv.set("k", "v");
  store.close();
  store.close();
  assert.equal(store.open, false);
  const closed = withCode("LOOKOUT_STORE_CLOSED");
  assert.throws(() => store.kv.get("k"), closed);
  assert.throws(() => store.kv.set("k", "w"), closed);
  assert.throws(() => store.kv.delete("k"), closed);
  assert.throws(() => store.helm.releaseCount(), closed);
  assert.throws(() => store.helm.loadReleases(), closed);
  assert.throws(() => store.helm.loadFindings(), closed);
  assert.throws(() => store.helm.apply({}), closed);
  assert.throws(() => store.transaction(() => 1), closed);
  assert.throws(() => store.schemaVersion, closed);
  // close() checkpointed the WAL: the main file alone has the data, and it stays in WAL mode.
  assert.equal(existsSync(`${path}-wal`), false);
  const raw = new Sqlite(path, { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
  assert.equal(raw.pragma("user_version", { simple: true }), SCHEMA_VERSION);
  assert.equal(raw.prepare("SELECT value FROM kv WHERE key = 'k'").pluck().get(), "v");
});

void test("Symbol.dispose closes the store", (t) => {
  const path = join(tempDir(t), "s.db");
  let outer;
  {
    using store = openStore({ path });
    outer = store;
    store.kv.set("x", "y");
  }
  assert.equal(outer.open, false);
  const again = openStore({ path });
  t.after(() => again.close());
  assert.equal(again.kv.get("x"), "y");
});

void test("kv: get, set replaces, delete says whether the key was set", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  assert.equal(store.kv.get("missing"), undefined);
  store.kv.set("a", "1");
  store.kv.set("a", "2");
  store.kv.set("", "empty key works");
  assert.equal(store.kv.get("a"), "2");
  assert.equal(store.kv.get(""), "empty key works");
  assert.equal(store.kv.delete("a"), true);
  assert.equal(store.kv.delete("a"), false);
  assert.equal(store.kv.get("a"), undefined);
  // Method parameters are bivariant: the untyped view lets a JavaScript caller's mistake through.
  const untyped: { set(key: unknown, value: unknown): void } = store.kv;
  assert.throws(() => untyped.set("n", 5), withCode("LOOKOUT_STORE_BAD_INPUT"));
});

void test("transaction(fn) commits, rolls back on throw, refuses async fn", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const r = release("ns", "a", 1);
  assert.equal(
    store.transaction(() => {
      store.kv.set("k", "1");
      store.helm.apply({ upsert: [{ release: r, findings: findingsOf(r), computedAt: 5 }] });
      return "done";
    }),
    "done",
  );
  const boom = new Error("boom");
  assert.throws(
    () =>
      store.transaction(() => {
        store.kv.set("k", "2");
        store.helm.apply({ delete: [{ namespace: "ns", release: "a" }] });
        throw boom;
      }),
    (err: unknown) => err === boom,
  );
  assert.equal(store.kv.get("k"), "1");
  assert.equal(store.helm.releaseCount(), 1);
  assert.throws(
    () =>
      store.transaction(() => {
        store.kv.set("k", "3");
        return Promise.resolve(1);
      }),
    withCode("LOOKOUT_STORE_ASYNC_TRANSACTION"),
  );
  assert.equal(store.kv.get("k"), "1");
  // A nested transaction that throws rolls back only its own part when the outer catches it.
  store.transaction(() => {
    store.kv.set("outer", "yes");
    assert.throws(() =>
      store.transaction(() => {
        store.kv.set("inner", "yes");
        throw boom;
      }),
    );
  });
  assert.equal(store.kv.get("outer"), "yes");
  assert.equal(store.kv.get("inner"), undefined);
  // close() inside fn is refused and the store stays usable.
  store.transaction(() => {
    store.kv.set("during", "close");
    assert.throws(() => store.close(), withCode("LOOKOUT_STORE_IN_TRANSACTION"));
  });
  assert.equal(store.open, true);
  assert.equal(store.kv.get("during"), "close");
});
