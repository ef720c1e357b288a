/**
 * Shared fixtures of the `helm check` CLI tests: an in-process runner and rendered manifests.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { TestContext } from "node:test";
import { main } from "../../src/cli/main.ts";
import { builtinTable } from "../../src/helm/deprecations/index.ts";

/** What one in-process run of the CLI gave. */
export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs `main(args)` in-process with captured output, the given stdin and TTY flag. */
export async function run(
  args: readonly string[],
  options: { stdin?: string; tty?: boolean } = {},
): Promise<Run> {
  let out = "";
  let err = "";
  const code = await main(args, {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stderrIsTTY: options.tty ?? false,
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

/** A temp folder removed after the test. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lookout-helm-check-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const CRON =
  "# Source: app/templates/cron.yaml\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n";
export const DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
export const FLOW =
  "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: fs\n";
export const LIST = `apiVersion: v1
kind: List
items:
- apiVersion: policy/v1beta1
  kind: PodSecurityPolicy
  metadata: {name: 'psp, "restricted"'}
- ${FLOW.trimEnd().replaceAll("\n", "\n  ")}
`;
export const BAD = "foo: [\n";

/** A chart's rendered output over a folder: a file, a sub-folder with a List and a bad document. */
export async function chartDir(t: TestContext): Promise<string> {
  const dir = await tempDir(t);
  await mkdir(join(dir, "sub"));
  await writeFile(join(dir, "a.yaml"), `${CRON}---\n${DEPLOY}`);
  await writeFile(join(dir, "sub", "b.yml"), `${LIST}---\n${BAD}`);
  await writeFile(
    join(dir, "sub", "c.json"),
    JSON.stringify({ apiVersion: "v1", kind: "ConfigMap" }),
  );
  await writeFile(join(dir, "sub", "README.md"), "apiVersion: batch/v1beta1\nkind: CronJob\n");
  return dir;
}

/** The JSON report, checked for its three top-level keys. */
export interface JsonShape {
  target: string;
  findings: Record<string, unknown>[];
  errors: Record<string, unknown>[];
}

/** Parses a JSON report, asserting its top-level shape. */
export function parseReport(text: string): JsonShape {
  const data: unknown = JSON.parse(text);
  assert.ok(typeof data === "object" && data !== null);
  assert.ok("target" in data && typeof data.target === "string");
  assert.ok("findings" in data && Array.isArray(data.findings));
  assert.ok("errors" in data && Array.isArray(data.errors));
  return { target: data.target, findings: data.findings, errors: data.errors };
}

/** The newest minor the built-in table covers, `v1.35`. */
export const COVERED = `v${builtinTable().coversUpTo.major}.${builtinTable().coversUpTo.minor}`;
