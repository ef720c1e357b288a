import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { openStore } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { codeOf, tempDir } from "./support.ts";

after(assertNoActiveHandles);

const CHILD = fileURLToPath(new URL("./lock-child.ts", import.meta.url));
/** Slack over busyTimeoutMs for SQLite's last sleep and a loaded machine. */
const SLACK_MS = 1500;

interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  /** The next stdout line. */
  line(): Promise<string>;
}

function startChild(t: TestContext, args: string[]): Child {
  const proc = spawn(process.execPath, [CHILD, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  t.after(async () => {
    proc.stdin.end();
    await exited;
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return {
    proc,
    async line() {
      const next = await lines.next();
      if (next.done === true) throw new Error(`child ended without output; stderr: ${stderr}`);
      return next.value;
    },
  };
}

/** Opens and times; returns the error code ("OK" when it opened, then closes). */
function timedOpen(path: string, busyTimeoutMs: number): { code: unknown; ms: number } {
  const started = performance.now();
  try {
    openStore({ path, busyTimeoutMs }).close();
    return { code: "OK", ms: performance.now() - started };
  } catch (err) {
    return { code: codeOf(err), ms: performance.now() - started };
  }
}

void test("a second open in the same process is LOCKED after busyTimeoutMs", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path });
  t.after(() => store.close());
  const { code, ms } = timedOpen(path, 300);
  assert.equal(code, "LOOKOUT_STORE_LOCKED");
  assert.ok(ms >= 250 && ms < 300 + SLACK_MS, `waited ${ms} ms`);
  try {
    openStore({ path, busyTimeoutMs: 0 });
    assert.fail("opened a locked store");
  } catch (err) {
    assert.equal(codeOf(err), "LOOKOUT_STORE_LOCKED");
    assert.ok(err instanceof Error && "path" in err && err.path === path);
  }
  store.kv.set("still", "works");
  store.close();
  assert.equal(timedOpen(path, 0).code, "OK");
});

void test("a store held by another process is LOCKED here within the bound", async (t) => {
  const path = join(tempDir(t), "s.db");
  const holder = startChild(t, ["hold", path]);
  assert.equal(await holder.line(), "held");
  const { code, ms } = timedOpen(path, 400);
  assert.equal(code, "LOOKOUT_STORE_LOCKED");
  assert.ok(ms >= 350 && ms < 400 + SLACK_MS, `waited ${ms} ms`);
});

void test("a store held here is LOCKED in another process within the bound", async (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path });
  t.after(() => store.close());
  const other = startChild(t, ["try", path, "400"]);
  const answer: unknown = JSON.parse(await other.line());
  assert.ok(typeof answer === "object" && answer !== null && "code" in answer && "ms" in answer);
  assert.equal(answer.code, "LOOKOUT_STORE_LOCKED");
  assert.ok(
    typeof answer.ms === "number" && answer.ms < 400 + SLACK_MS,
    `waited ${String(answer.ms)} ms`,
  );
  store.close();
  const again = startChild(t, ["try", path, "0"]);
  assert.equal(codeOf(JSON.parse(await again.line())), "OK");
});

void test("an opener waits for a holder that lets go within busyTimeoutMs", async (t) => {
  const path = join(tempDir(t), "s.db");
  const holder = startChild(t, ["hold", path]);
  assert.equal(await holder.line(), "held");
  holder.proc.stdin.write("release 300\n");
  assert.equal(await holder.line(), "scheduled");
  const { code, ms } = timedOpen(path, 10_000);
  assert.equal(code, "OK");
  assert.ok(ms >= 150 && ms < 10_000, `waited ${ms} ms`);
  assert.equal(await holder.line(), "released");
});

void test("a killed holder leaves no stale lock", async (t) => {
  const path = join(tempDir(t), "s.db");
  const holder = startChild(t, ["hold", path]);
  assert.equal(await holder.line(), "held");
  const gone = new Promise((resolve) => holder.proc.once("close", resolve));
  holder.proc.kill("SIGKILL");
  await gone;
  const store = openStore({ path, busyTimeoutMs: 0 });
  t.after(() => store.close());
  assert.equal(store.recovered, false);
});
