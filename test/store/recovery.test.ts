import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { SCHEMA_VERSION, openStore } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import {
  damagedDatabase,
  indexMismatchDatabase,
  recordingLogger,
  release,
  tempDir,
} from "./support.ts";

after(assertNoActiveHandles);

const NOW = 1_763_000_000_123;

void test("garbage bytes: moved aside with its -wal, logged, fresh store, recovered", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "s.db");
  const garbage = Buffer.concat([Buffer.from("this is not sqlite\n"), randomBytes(8192)]);
  writeFileSync(path, garbage);
  writeFileSync(`${path}-wal`, "stale wal");
  const { logger, lines } = recordingLogger();
  const store = openStore({ path, logger, now: () => NOW });
  t.after(() => store.close());
  assert.equal(store.recovered, true);
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  const aside = `${path}.corrupt-${NOW}`;
  assert.deepEqual(readFileSync(aside), garbage);
  assert.equal(readFileSync(`${aside}-wal`, "utf8"), "stale wal");
  const warns = lines.filter((l) => l.level === "warn");
  assert.equal(warns.length, 1);
  assert.equal(warns[0]?.fields.path, path);
  assert.equal(warns[0]?.fields.movedTo, aside);
  // The fresh store works and survives a reopen, which is not a recovery.
  const r = release("ns", "a", 1);
  store.helm.apply({ upsert: [{ release: r, findings: [], computedAt: 1 }] });
  store.close();
  const again = openStore({ path, now: () => NOW });
  t.after(() => again.close());
  assert.equal(again.recovered, false);
  assert.equal(again.helm.releaseCount(), 1);
});

void test("a short non-database file is recovered too; a second recovery in the same ms gets its own name", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "s.db");
  writeFileSync(path, "xx");
  openStore({ path, now: () => NOW }).close();
  writeFileSync(path, "yy");
  const store = openStore({ path, now: () => NOW });
  t.after(() => store.close());
  assert.equal(store.recovered, true);
  assert.equal(readFileSync(`${path}.corrupt-${NOW}`, "utf8"), "xx");
  assert.equal(readFileSync(`${path}.corrupt-${NOW}-1`, "utf8"), "yy");
});

void test("a database with damaged pages fails the integrity check and is moved aside", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "s.db");
  const bytes = damagedDatabase(path);
  const { logger, lines } = recordingLogger();
  const store = openStore({ path, logger, now: () => NOW });
  t.after(() => store.close());
  assert.equal(store.recovered, true);
  assert.deepEqual(readFileSync(`${path}.corrupt-${NOW}`), bytes);
  assert.equal(lines.filter((l) => l.level === "warn").length, 1);
  assert.equal(store.helm.releaseCount(), 0);
});

void test("an index that disagrees with its table (quick_check cannot see it) is found, moved aside", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "s.db");
  const bytes = indexMismatchDatabase(path);
  const { logger, lines } = recordingLogger();
  const store = openStore({ path, logger, now: () => NOW });
  t.after(() => store.close());
  assert.equal(store.recovered, true);
  assert.deepEqual(readFileSync(`${path}.corrupt-${NOW}`), bytes);
  const warns = lines.filter((l) => l.level === "warn");
  assert.equal(warns.length, 1);
  assert.match(
    String(warns[0]?.fields.reason),
    /missing from index tx|wrong # of entries in index tx/,
  );
});

void test("a healthy file is not recovered and nothing is moved", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "s.db");
  openStore({ path }).close();
  const store = openStore({ path });
  t.after(() => store.close());
  assert.equal(store.recovered, false);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes("corrupt")),
    [],
  );
  assert.equal(existsSync(`${path}-shm`), false);
});
