import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test, type TestContext } from "node:test";
import Sqlite from "better-sqlite3";
import { openStore } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { codeOf, damagedDatabase, tempDir } from "./support.ts";

after(assertNoActiveHandles);

const STORE_MODULE = new URL("../../src/store/index.ts", import.meta.url).href;

/**
 * A second process: prints `opening`, opens the store at argv[1] with busyTimeoutMs argv[2],
 * prints `{"code": ..., "recovered": ...}` (code "OK" when it opened), and when it opened sets
 * kv owner=child and holds the store until its stdin ends.
 */
const OPENER = `
import { openStore } from ${JSON.stringify(STORE_MODULE)};
const [path, timeout] = process.argv.slice(1);
process.stdout.write("opening\\n");
let store;
try {
  store = openStore({ path, busyTimeoutMs: Number(timeout) });
  process.stdout.write(JSON.stringify({ code: "OK", recovered: store.recovered }) + "\\n");
  store.kv.set("owner", "child");
} catch (err) {
  process.stdout.write(
    JSON.stringify({ code: err.code ?? String(err), message: err.message, path: err.path }) + "\\n",
  );
}
process.stdin.resume();
process.stdin.on("end", () => store?.close());
`;

/** Root may write any file: a test of permissions runs its opener as nobody then. */
const AS_ROOT = process.getuid?.() === 0;

function startOpener(
  t: TestContext,
  path: string,
  busyTimeoutMs: number,
  asNobody = false,
): { line(): Promise<string>; end(): Promise<void> } {
  const proc = spawn(
    process.execPath,
    ["--input-type=module", "-e", OPENER, path, String(busyTimeoutMs)],
    {
      stdio: ["pipe", "pipe", "pipe"],
      ...(asNobody && AS_ROOT ? { uid: 65_534, gid: 65_534 } : {}),
    },
  );
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  const end = async (): Promise<void> => {
    proc.stdin.end();
    await exited;
  };
  t.after(end);
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return {
    async line() {
      const next = await lines.next();
      if (next.done === true) throw new Error(`opener ended without output; stderr: ${stderr}`);
      return next.value;
    },
    end,
  };
}

void test("an opener waiting on a corrupt file does not open it after another opener moved it aside", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "s.db");
  const bytes = damagedDatabase(path);
  // Hold the damaged file's lock, so the other process's open waits on it.
  const holder = new Sqlite(path);
  holder.pragma("locking_mode = EXCLUSIVE");
  holder.exec("BEGIN EXCLUSIVE");
  const other = startOpener(t, path, 3000);
  assert.equal(await other.line(), "opening");
  await new Promise((resolve) => setTimeout(resolve, 300));
  holder.close();
  // Both now race for the damaged file: one moves it aside and opens a fresh file; the other
  // must then wait on that fresh file (LOCKED), not open the old one or the fresh one's -wal.
  let mine: ReturnType<typeof openStore> | undefined;
  let myCode: unknown = "OK";
  try {
    mine = openStore({ path, busyTimeoutMs: 1000 });
    mine.kv.set("owner", "parent");
  } catch (err) {
    myCode = codeOf(err);
  }
  const theirs: unknown = JSON.parse(await other.line());
  const theirCode = codeOf(theirs);
  const opened = [myCode, theirCode].filter((c) => c === "OK").length;
  assert.equal(opened, 1, `parent ${String(myCode)}, child ${JSON.stringify(theirs)}`);
  assert.deepEqual(
    [myCode, theirCode].filter((c) => c !== "OK"),
    ["LOOKOUT_STORE_LOCKED"],
  );
  const owner = mine === undefined ? "child" : "parent";
  mine?.close();
  await other.end();
  // The file at `path` is the winner's fresh store; the damaged one was moved aside untouched.
  const store = openStore({ path, busyTimeoutMs: 0 });
  t.after(() => store.close());
  assert.equal(store.recovered, false);
  assert.equal(store.kv.get("owner"), owner);
  const aside = readdirSync(dir).filter((f) => /\.corrupt-\d+$/.test(f));
  assert.equal(aside.length, 1, readdirSync(dir).join(" "));
  assert.deepEqual(readFileSync(join(dir, aside[0] ?? "")), bytes);
});

void test("a read-only file or directory is OPEN_FAILED saying so, and the file is left alone", async (t) => {
  const dir = tempDir(t);
  chmodSync(dir, 0o777); // the opener may run as nobody
  // A read-only file (its directory writable).
  mkdirSync(join(dir, "ro-file"), { mode: 0o777 });
  chmodSync(join(dir, "ro-file"), 0o777);
  const roFile = join(dir, "ro-file", "s.db");
  openStore({ path: roFile }).close();
  chmodSync(roFile, 0o444);
  // A writable file in a read-only directory (SQLite cannot create the -wal).
  mkdirSync(join(dir, "ro-dir"));
  const roDir = join(dir, "ro-dir", "s.db");
  openStore({ path: roDir }).close();
  chmodSync(roDir, 0o666);
  chmodSync(join(dir, "ro-dir"), 0o555);
  const before = [readFileSync(roFile), readFileSync(roDir)];
  try {
    await expectNotWritable(t, [
      [roFile, /file is not writable/],
      [roDir, /directory .*ro-dir is not writable/],
    ]);
  } finally {
    chmodSync(join(dir, "ro-dir"), 0o755); // so that the temp dir can be removed
  }
  assert.deepEqual([readFileSync(roFile), readFileSync(roDir)], before);
  assert.deepEqual(readdirSync(join(dir, "ro-file")), ["s.db"]);
});

/** Opens each path in a process of its own (as nobody when root), all at once, and checks the error. */
async function expectNotWritable(
  t: TestContext,
  cases: readonly (readonly [string, RegExp])[],
): Promise<void> {
  const answers = await Promise.all(
    cases.map(async ([path]) => {
      const opener = startOpener(t, path, 0, true);
      assert.equal(await opener.line(), "opening");
      const answer: unknown = JSON.parse(await opener.line());
      await opener.end();
      return answer;
    }),
  );
  for (const [i, [path, says]] of cases.entries()) {
    const answer = answers[i];
    assert.ok(typeof answer === "object" && answer !== null && "message" in answer);
    assert.equal(codeOf(answer), "LOOKOUT_STORE_OPEN_FAILED", JSON.stringify(answer));
    assert.ok("path" in answer && answer.path === path, JSON.stringify(answer));
    assert.match(String(answer.message), says);
  }
}
