import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, test } from "node:test";
import { main } from "../../src/cli/main.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { CRON, DEPLOY, parseReport, run, tempDir } from "./helm-fixtures.ts";

after(assertNoActiveHandles);

const UTF16LE_BOM = Buffer.from([0xff, 0xfe]);

/** `text` as Windows PowerShell's `>` writes it: UTF-16LE with a byte order mark. */
function powershell(text: string): Buffer {
  return Buffer.concat([UTF16LE_BOM, Buffer.from(text, "utf16le")]);
}

void test("helm check --files: a UTF-16 file (PowerShell's >) is checked as its text says", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "cron.yaml"), powershell(CRON));
  await writeFile(join(dir, "deploy.yaml"), DEPLOY);
  const r = await run([
    "helm",
    "check",
    "--files",
    dir,
    "--target-version",
    "v1.25",
    "--format",
    "json",
  ]);
  assert.equal(r.code, 3, r.err);
  const report = parseReport(r.out);
  assert.deepEqual(report.errors, []);
  assert.deepEqual(
    report.findings.map((f) => [f["release"], f["kind"], f["status"]]),
    [[join(dir, "cron.yaml"), "CronJob", "removed"]],
  );
});

void test("helm check --files -: UTF-16 on stdin (PowerShell's pipe) is checked as its text says", async () => {
  let out = "";
  let err = "";
  const code = await main(
    ["helm", "check", "--files", "-", "--target-version", "v1.25", "--format", "json"],
    {
      stdout: (text) => void (out += text),
      stderr: (text) => void (err += text),
      stdin: Readable.from([powershell(CRON)]),
      stderrIsTTY: false,
      signal: new AbortController().signal,
    },
  );
  assert.equal(code, 3, err);
  const report = parseReport(out);
  assert.deepEqual(report.errors, []);
  assert.deepEqual(
    report.findings.map((f) => [f["release"], f["kind"], f["status"]]),
    [["-", "CronJob", "removed"]],
  );
});
