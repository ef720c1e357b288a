import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, test } from "node:test";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.ts";
import { builtinTable } from "../../src/helm/deprecations/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { parseCsv } from "../helm/report/csv-parse.ts";

after(assertNoActiveHandles);

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(
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

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lookout-helm-check-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const CRON =
  "# Source: app/templates/cron.yaml\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n";
const DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
const FLOW =
  "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: fs\n";
const LIST = `apiVersion: v1
kind: List
items:
- apiVersion: policy/v1beta1
  kind: PodSecurityPolicy
  metadata: {name: 'psp, "restricted"'}
- ${FLOW.trimEnd().replaceAll("\n", "\n  ")}
`;
const BAD = "foo: [\n";

/** A chart's rendered output over a folder: a file, a sub-folder with a List and a bad document. */
async function chartDir(t: TestContext): Promise<string> {
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

interface JsonShape {
  target: string;
  findings: Record<string, unknown>[];
  errors: Record<string, unknown>[];
}

function parseReport(text: string): JsonShape {
  const data: unknown = JSON.parse(text);
  assert.ok(typeof data === "object" && data !== null);
  assert.ok("target" in data && typeof data.target === "string");
  assert.ok("findings" in data && Array.isArray(data.findings));
  assert.ok("errors" in data && Array.isArray(data.errors));
  return { target: data.target, findings: data.findings, errors: data.errors };
}

const COVERED = `v${builtinTable().coversUpTo.major}.${builtinTable().coversUpTo.minor}`;

void test("json: exact shape over a folder (recursive, List expanded, bad document reported), exit 3", async (t) => {
  const dir = await chartDir(t);
  const r = await run([
    "helm",
    "check",
    "--files",
    dir,
    "--target-version",
    "v1.30",
    "--format",
    "json",
  ]);
  assert.equal(r.code, 3, r.err);
  const b = join(dir, "sub", "b.yml");
  assert.deepEqual(JSON.parse(r.out), {
    target: "v1.30.0",
    findings: [
      {
        namespace: "",
        release: join(dir, "a.yaml"),
        revision: 0,
        name: "nightly",
        kind: "CronJob",
        apiVersion: "batch/v1beta1",
        deprecatedIn: "v1.21.0",
        removedIn: "v1.25.0",
        replacementApi: "batch/v1",
        status: "removed",
      },
      {
        namespace: "",
        release: b,
        revision: 0,
        name: 'psp, "restricted"',
        kind: "PodSecurityPolicy",
        apiVersion: "policy/v1beta1",
        deprecatedIn: "v1.21.0",
        removedIn: "v1.25.0",
        replacementApi: null,
        status: "removed",
      },
      {
        namespace: "",
        release: b,
        revision: 0,
        name: "fs",
        kind: "FlowSchema",
        apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3",
        deprecatedIn: "v1.29.0",
        removedIn: "v1.32.0",
        replacementApi: "flowcontrol.apiserver.k8s.io/v1",
        status: "deprecated",
      },
    ],
    errors: [
      {
        namespace: "",
        release: b,
        code: "LOOKOUT_HELM_BAD_YAML",
        message: parseReport(r.out).errors[0]?.["message"],
      },
    ],
  });
  assert.match(String(parseReport(r.out).errors[0]?.["message"]), /^document 1 /);
  assert.equal(r.err, "");
});

void test("table is the default format: sorted rows, summary line and errors, exit 3", async (t) => {
  const dir = await chartDir(t);
  const r = await run(["helm", "check", "--files", dir, "--target-version", "v1.30.2"]);
  assert.equal(r.code, 3, r.err);
  const lines = r.out.split("\n");
  assert.match(lines[0]!, /^STATUS +NAMESPACE +RELEASE/);
  assert.deepEqual(
    lines.slice(1, 4).map((l) => l.split(/ {2,}/)[0]),
    ["removed", "removed", "deprecated"],
  );
  assert.ok(lines.includes("3 findings at v1.30.2: 2 removed, 1 deprecated; 1 error"));
  assert.ok(lines.some((l) => l.includes("LOOKOUT_HELM_BAD_YAML")));
});

void test("csv: RFC 4180 round-trip of commas and quotes; errors go to stderr", async (t) => {
  const dir = await chartDir(t);
  const r = await run([
    "helm",
    "check",
    "--files",
    dir,
    "--target-version",
    "v1.30",
    "--format",
    "csv",
  ]);
  assert.equal(r.code, 3);
  const rows = parseCsv(r.out);
  assert.equal(rows.length, 4);
  assert.deepEqual(rows[0], [
    "namespace",
    "release",
    "revision",
    "name",
    "kind",
    "apiVersion",
    "deprecatedIn",
    "removedIn",
    "replacementApi",
    "status",
  ]);
  assert.deepEqual(rows[2]?.slice(3, 6), [
    'psp, "restricted"',
    "PodSecurityPolicy",
    "policy/v1beta1",
  ]);
  assert.equal(rows[2]?.[8], "");
  assert.match(r.err, /LOOKOUT_HELM_BAD_YAML/);
});

void test("markdown: a GitHub table, exit by findings", async (t) => {
  const dir = await chartDir(t);
  const r = await run([
    "helm",
    "check",
    "--files",
    dir,
    "--target-version",
    "v1.30",
    "--format",
    "markdown",
  ]);
  assert.equal(r.code, 3);
  assert.match(r.out, /^\*\*kube-lookout helm check\*\*: 3 findings at v1\.30\.0/);
  assert.match(r.out, /\n\| namespace \| release \| revision \| name \|/);
  assert.match(r.out, /\n- `LOOKOUT_HELM_BAD_YAML` /);
});

void test("exit 2 when only deprecated, 0 when clean at the default (newest covered) target", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "flow.yaml"), FLOW);
  await writeFile(join(dir, "deploy.yaml"), DEPLOY);
  const deprecated = await run([
    "helm",
    "check",
    "--files",
    join(dir, "flow.yaml"),
    "--target-version",
    "v1.29.0",
  ]);
  assert.equal(deprecated.code, 2, deprecated.err);
  const clean = await run([
    "helm",
    "check",
    "--files",
    join(dir, "deploy.yaml"),
    "--format",
    "json",
  ]);
  assert.equal(clean.code, 0, clean.err);
  assert.deepEqual(JSON.parse(clean.out), { target: `${COVERED}.0`, findings: [], errors: [] });
});

void test("stdin (-) is read and reported as release -, alongside files", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "deploy.yaml"), DEPLOY);
  const r = await run(
    [
      "helm",
      "check",
      "--files",
      "-",
      join(dir, "deploy.yaml"),
      "--target-version",
      "v1.24",
      "--format",
      "json",
    ],
    { stdin: CRON },
  );
  assert.equal(r.code, 2, r.err);
  const report = parseReport(r.out);
  assert.deepEqual(
    report.findings.map((f) => [f["release"], f["kind"], f["status"]]),
    [["-", "CronJob", "deprecated"]],
  );
});

void test("a real process: bin/kube-lookout.js reads stdin, prints JSON and exits 3", async (t) => {
  const bin = fileURLToPath(new URL("../../bin/kube-lookout.js", import.meta.url));
  const child = spawn(
    process.execPath,
    [bin, "helm", "check", "--files", "-", "--target-version", "v1.29", "--format", "json"],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  t.after(() => child.kill());
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => resolve(code)),
  );
  child.stdin.end(`${LIST}---\n${CRON}`);
  assert.equal(await exited, 3, err);
  const report = parseReport(out);
  assert.equal(report.target, "v1.29.0");
  assert.deepEqual(
    report.findings.map((f) => [f["kind"], f["status"]]),
    [
      ["CronJob", "removed"],
      ["PodSecurityPolicy", "removed"],
      ["FlowSchema", "deprecated"],
    ],
  );
});

void test("a target beyond the table's coverage exits 1 and says so", async (t) => {
  const dir = await chartDir(t);
  const table = builtinTable();
  const beyond = `v${table.coversUpTo.major}.${table.coversUpTo.minor + 1}`;
  const r = await run(["helm", "check", "--files", dir, "--target-version", beyond]);
  assert.equal(r.code, 1);
  assert.equal(r.out, "");
  assert.match(r.err, /\(LOOKOUT_HELM_TARGET_UNCOVERED\)/);
  assert.ok(r.err.includes(COVERED));
});

void test("extra rows: a user row makes a CRD a finding; a bad rows file exits 1", async (t) => {
  const dir = await tempDir(t);
  const rows = join(dir, "rows.json");
  await writeFile(
    rows,
    JSON.stringify([
      {
        apiVersion: "widgets.example.com/v1beta1",
        kind: "Widget",
        deprecatedIn: "v1.20.0",
        removedIn: "v1.30.0",
        replacementApi: "widgets.example.com/v1",
        replacementAvailableIn: "v1.20.0",
      },
    ]),
  );
  const manifest = join(dir, "widget.yaml");
  await writeFile(
    manifest,
    "apiVersion: widgets.example.com/v1beta1\nkind: Widget\nmetadata: {name: w}\n",
  );
  const without = await run(["helm", "check", "--files", manifest, "--target-version", "v1.25"]);
  assert.equal(without.code, 0);
  const withRows = await run([
    "helm",
    "check",
    "--files",
    manifest,
    "--target-version",
    "v1.25",
    "--extra-rows",
    rows,
    "--format",
    "json",
  ]);
  assert.equal(withRows.code, 2, withRows.err);
  assert.deepEqual(
    parseReport(withRows.out).findings.map((f) => [f["kind"], f["replacementApi"]]),
    [["Widget", "widgets.example.com/v1"]],
  );
  await writeFile(join(dir, "bad.json"), '[{"apiVersion": "nope"}]');
  const bad = await run([
    "helm",
    "check",
    "--files",
    manifest,
    "--extra-rows",
    join(dir, "bad.json"),
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /\(LOOKOUT_HELM_BAD_EXTRA_ROWS\)/);
});

void test("--component-version judges a component's CRDs at that version (repeatable)", async (t) => {
  const dir = await tempDir(t);
  const manifest = join(dir, "cert.yaml");
  await writeFile(
    manifest,
    "apiVersion: cert-manager.io/v1alpha2\nkind: Certificate\nmetadata: {name: c}\n---\n" +
      "apiVersion: snapshot.storage.k8s.io/v1beta1\nkind: VolumeSnapshot\nmetadata: {name: s}\n",
  );
  const base = ["helm", "check", "--files", manifest, "--target-version", "v1.30"];
  assert.equal(
    (await run(base)).code,
    3,
    "components without a version are judged at their newest",
  );
  const deprecated = await run([
    ...base,
    "--component-version",
    "cert-manager=v1.5.0",
    "--component-version",
    "external-snapshotter=v5.0.0",
  ]);
  assert.equal(deprecated.code, 2, deprecated.err);
  const fine = await run([
    ...base,
    "--component-version",
    "cert-manager=v1.3.0",
    "--component-version",
    "external-snapshotter=v4.0.0",
  ]);
  assert.equal(fine.code, 0, fine.err);
  for (const bad of ["cert-manager", "certmanager=v1.5.0", "cert-manager=latest"]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- cases run one at a time
    const r = await run([...base, "--component-version", bad]);
    assert.equal(r.code, 1, bad);
    assert.match(r.err, /--component-version/);
  }
});

void test("nothing checked exits 1: only bad documents (report still printed), missing path, no manifests", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "bad.yaml"), BAD);
  const onlyBad = await run([
    "helm",
    "check",
    "--files",
    join(dir, "bad.yaml"),
    "--format",
    "json",
  ]);
  assert.equal(onlyBad.code, 1);
  assert.deepEqual(
    parseReport(onlyBad.out).errors.map((e) => e["code"]),
    ["LOOKOUT_HELM_BAD_YAML"],
  );
  assert.match(onlyBad.err, /nothing could be checked/);

  const emptyStdin = await run(["helm", "check", "--files", "-"], { stdin: "" });
  assert.equal(emptyStdin.code, 1, "empty helm template output must not pass");
  assert.match(emptyStdin.err, /nothing could be checked/);

  const missing = await run(["helm", "check", "--files", join(dir, "bad.yaml"), join(dir, "nope")]);
  assert.equal(missing.code, 1);
  assert.equal(missing.out, "");
  assert.match(missing.err, /\(LOOKOUT_HELM_PATH_NOT_FOUND\)/);
  assert.ok(missing.err.includes(join(dir, "nope")));

  await mkdir(join(dir, "empty"));
  const empty = await run(["helm", "check", "--files", join(dir, "empty")]);
  assert.equal(empty.code, 1);
  assert.match(empty.err, /\(LOOKOUT_HELM_NO_MANIFESTS\)/);
});

void test("an unreadable file in a folder is an error entry; the rest is checked", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "a.yaml"), CRON);
  await symlink(join(dir, "gone.yaml"), join(dir, "dangling.yaml"));
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
  assert.deepEqual(
    report.errors.map((e) => [e["release"], e["code"]]),
    [[join(dir, "dangling.yaml"), "LOOKOUT_HELM_FILE_UNREADABLE"]],
  );
  assert.equal(report.findings.length, 1);
});

void test("usage errors of helm and helm check exit 1, not 2; other commands keep 2", async () => {
  for (const args of [
    ["helm"],
    ["helm", "chek"],
    ["helm", "check", "--files", ".", "--nope"],
    ["helm", "check", "--files"],
    ["helm", "check", "some/path"],
    ["helm", "check"],
    ["helm", "check", "--files", ".", "--format", "xml"],
    ["helm", "check", "--files", "-", "-"],
    ["helm", "check", "--files", ".", "--target-version"],
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- cases run one at a time
    const r = await run(args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.err}`);
    assert.equal(r.out, "");
  }
  assert.equal((await run(["sim", "--prot", "1"])).code, 2);
  assert.equal((await run(["frobnicate"])).code, 2);
});

void test("help: helm lists its subcommands; helm check shows every flag, defaults, exit codes, examples", async () => {
  const top = await run(["--help"]);
  assert.match(top.out, /\n  helm /);
  for (const args of [
    ["helm", "--help"],
    ["helm", "help"],
    ["help", "helm"],
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- cases run one at a time
    const r = await run(args);
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: kube-lookout helm <command>/);
    assert.match(r.out, /\n  check +Check rendered manifests/);
  }
  for (const args of [
    ["helm", "check", "--help"],
    ["help", "helm", "check"],
    ["helm", "help", "check"],
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- cases run one at a time
    const r = await run(args);
    assert.equal(r.code, 0, args.join(" "));
    for (const flag of [
      "--files",
      "--target-version",
      "--extra-rows",
      "--component-version",
      "--format",
      "--help",
    ]) {
      assert.ok(r.out.includes(`  ${flag}`), `${args.join(" ")} lacks ${flag}`);
    }
    assert.match(r.out, /--format FORMAT .*\(default: table\)/);
    assert.match(r.out, /Repeatable/);
    assert.match(r.out, /Exit codes:\n  0 .*\n  1 .*\n  2 .*\n  3 /);
    assert.ok(r.out.includes(`covers Kubernetes up to ${COVERED}`));
    assert.match(r.out, /Examples:\n  helm template/);
  }
});

void test("progress: drawn on stderr only when it is a TTY and there are more than 20 files", async (t) => {
  const dir = await tempDir(t);
  await Promise.all(
    Array.from({ length: 25 }, (_, i) =>
      writeFile(join(dir, `m${String(i).padStart(2, "0")}.yaml`), DEPLOY),
    ),
  );
  const tty = await run(["helm", "check", "--files", dir, "--format", "json"], { tty: true });
  assert.equal(tty.code, 0, tty.err);
  assert.ok(tty.err.startsWith("\r\u001b[2Kreading manifests 1/25 "), JSON.stringify(tty.err));
  assert.ok(tty.err.endsWith("\r\u001b[2K"), "the line is erased at the end");
  assert.deepEqual(parseReport(tty.out).findings, []);
  const pipe = await run(["helm", "check", "--files", dir, "--format", "json"], { tty: false });
  assert.equal(pipe.err, "");
  const few = await run(["helm", "check", "--files", join(dir, "m00.yaml")], { tty: true });
  assert.equal(few.err, "");
});
