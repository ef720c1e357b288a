import assert from "node:assert/strict";
import { watch, writeFileSync } from "node:fs";
import type { FSWatcher } from "node:fs";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TestContext } from "node:test";
import type { Logger } from "../../../src/logging/index.ts";
import { BadExtraRowsError, watchExtraRows } from "../../../src/helm/deprecations/index.ts";
import type { ExtraRowsChange } from "../../../src/helm/deprecations/index.ts";
import { assertNoActiveHandles } from "../../support/handles.ts";

const DEBOUNCE_MS = 30;
const WAIT_MS = 5_000;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lookout-watch-rows-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function rowsYaml(kinds: string[], removedIn = "v1.30.0"): string {
  return kinds
    .map(
      (kind) =>
        `- apiVersion: example.com/v1beta1\n  kind: ${kind}\n  deprecatedIn: v1.28.0\n  removedIn: ${removedIn}\n  replacementApi: example.com/v1\n  replacementAvailableIn: v1.28.0\n  component: example\n`,
    )
    .join("");
}

/** Writes by temp file + rename, as editors and config-map mounts do. */
async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** Collects changes; `next()` resolves with the next one or rejects after WAIT_MS. */
function changeQueue(): {
  onChange: (change: ExtraRowsChange) => void;
  next: () => Promise<ExtraRowsChange>;
  seen: ExtraRowsChange[];
} {
  const seen: ExtraRowsChange[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  return {
    seen,
    onChange(change) {
      seen.push(change);
      wake?.();
    },
    async next() {
      const deadline = Date.now() + WAIT_MS;
      while (seen.length <= taken) {
        if (Date.now() > deadline) throw new Error(`no change within ${WAIT_MS} ms`);
        // oxlint-disable-next-line eslint/no-await-in-loop -- polling
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      const change = seen[taken++];
      assert.ok(change);
      return change;
    },
  };
}

/** Resources keeping the loop alive, without the test's own timers. */
const resources = (): string[] =>
  process
    .getActiveResourcesInfo()
    .filter((r) => r !== "Timeout")
    .sort();
const kindsOf = (change: ExtraRowsChange): string[] => change.rows.map((r) => r.kind);
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

void test("hot reload: new rows, a bad file keeps the old rows, abort leaves no handle", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "extra.yaml");
  await writeFile(file, rowsYaml(["Alpha"]));
  await settle(20);
  const baseline = resources();
  assert.ok(!baseline.includes("FSEventWrap"));

  const controller = new AbortController();
  t.after(() => controller.abort());
  const queue = changeQueue();
  // The real fs.watch, only observed: was the watcher closed?
  let closed = 0;
  const watchFolder = (folder: string, listener: (changed: string | null) => void): FSWatcher => {
    const watcher = watch(folder, { persistent: false }, (_event, changed) => listener(changed));
    watcher.on("close", () => closed++);
    return watcher;
  };
  const initial = await watchExtraRows(file, queue.onChange, {
    signal: controller.signal,
    debounceMs: DEBOUNCE_MS,
    watchFolder,
  });
  assert.deepEqual(kindsOf(initial), ["Alpha"]);
  assert.equal(initial.error, undefined);
  // The watcher and its timers never keep the process alive (library rule): nothing ref'd added.
  await settle(20);
  assert.deepEqual(resources(), baseline);

  await replaceFile(file, rowsYaml(["Alpha", "Beta"]));
  const second = await queue.next();
  assert.equal(second.error, undefined);
  assert.deepEqual(kindsOf(second), ["Alpha", "Beta"]);

  // In-place write (truncate + write) is seen as well.
  await writeFile(file, rowsYaml(["Gamma"]));
  const third = await queue.next();
  assert.deepEqual(kindsOf(third), ["Gamma"]);

  // A bad file: the error is reported, the old rows are kept.
  await replaceFile(file, rowsYaml(["Delta"], "v1.20.0"));
  const bad = await queue.next();
  assert.ok(bad.error instanceof BadExtraRowsError);
  assert.equal(bad.error.code, "LOOKOUT_HELM_BAD_EXTRA_ROWS");
  assert.equal(bad.error.file, file);
  assert.equal(bad.error.row, 0);
  assert.equal(bad.error.field, "removedIn");
  assert.deepEqual(kindsOf(bad), ["Gamma"]);

  // Deleting the file is an error too; the rows stay.
  await rm(file);
  const gone = await queue.next();
  assert.equal(gone.error?.code, "LOOKOUT_HELM_BAD_EXTRA_ROWS");
  assert.deepEqual(kindsOf(gone), ["Gamma"]);

  // Fixed again.
  await replaceFile(file, rowsYaml(["Epsilon"]));
  const fixed = await queue.next();
  assert.equal(fixed.error, undefined);
  assert.deepEqual(kindsOf(fixed), ["Epsilon"]);

  // Rewriting the same content is not a change; a burst of writes ends in one reload.
  const count = queue.seen.length;
  await writeFile(file, rowsYaml(["Epsilon"]));
  await settle(DEBOUNCE_MS * 6);
  assert.equal(queue.seen.length, count);
  // Synchronous writes: no event-loop turn between them, so the debounce cannot fire in between.
  for (const kinds of [["Z1"], ["Z2"], ["Z3"]]) writeFileSync(file, rowsYaml(kinds));
  assert.deepEqual(kindsOf(await queue.next()), ["Z3"]);
  await settle(DEBOUNCE_MS * 6);
  assert.equal(queue.seen.length, count + 1);

  assert.equal(closed, 0);
  controller.abort();
  await new Promise((resolve) => setImmediate(resolve)); // "close" is emitted on the next tick
  assert.equal(closed, 1, "the watcher is closed on abort");
  await replaceFile(file, rowsYaml(["AfterAbort"]));
  await settle(DEBOUNCE_MS * 6);
  assert.equal(queue.seen.length, count + 1, "no change reported after abort");
  assert.deepEqual(resources(), baseline);
});

void test("a bad initial file still watches; a throwing callback is reported and the watch goes on", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "rows.yaml");
  await writeFile(file, "- [not a row\n");
  const controller = new AbortController();
  t.after(() => controller.abort());
  const logged: unknown[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error(_message, fields) {
      logged.push(fields?.["error"]);
    },
  };
  const queue = changeQueue();
  const thrown = new Error("consumer failed");
  let calls = 0;
  const initial = await watchExtraRows(
    file,
    (change) => {
      calls++;
      queue.onChange(change);
      if (calls === 1) throw thrown;
    },
    { signal: controller.signal, debounceMs: DEBOUNCE_MS, logger },
  );
  assert.equal(initial.error?.code, "LOOKOUT_HELM_BAD_EXTRA_ROWS");
  assert.equal(initial.error.row, undefined);
  assert.deepEqual(initial.rows, []);

  await replaceFile(file, rowsYaml(["One"]));
  assert.deepEqual(kindsOf(await queue.next()), ["One"]);
  await replaceFile(file, rowsYaml(["Two"]));
  assert.deepEqual(kindsOf(await queue.next()), ["Two"]);
  assert.deepEqual(logged, [thrown]);
});

void test("an aborted signal or a folder that cannot be watched rejects at once", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "rows.yaml");
  await writeFile(file, rowsYaml(["One"]));
  const reason = new Error("stop");
  await assert.rejects(
    watchExtraRows(file, () => {}, { signal: AbortSignal.abort(reason) }),
    (error: unknown) => error === reason,
  );
  const controller = new AbortController();
  t.after(() => controller.abort());
  const nowhere = join(dir, "no-such-folder", "rows.yaml");
  await assert.rejects(
    watchExtraRows(nowhere, () => {}, { signal: controller.signal }),
    {
      code: "LOOKOUT_HELM_BAD_EXTRA_ROWS",
      file: nowhere,
      row: undefined,
    },
  );
});

void test("the suite leaves no active handles", async () => {
  await assertNoActiveHandles();
});
