import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { builtinTable } from "../../src/helm/deprecations/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import {
  BAD,
  COVERED,
  CRON,
  DEPLOY,
  chartDir,
  parseReport,
  run,
  tempDir,
} from "./helm-fixtures.ts";

after(assertNoActiveHandles);

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
    ["helm", "check", "--files", ".", "--context", "x"],
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
    assert.match(r.out, /\n  check +Check Helm releases in a cluster, or rendered manifests/);
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
      assert.ok(
        r.out.includes(`  ${flag}`) || r.out.includes(`, ${flag}`),
        `${args.join(" ")} lacks ${flag}`,
      );
    }
    assert.match(r.out, /--format FORMAT .*\(default: table\)/);
    assert.match(r.out, /Repeatable/);
    assert.match(r.out, /Exit codes:\n  0 .*\n  1 .*\n  2 .*\n  3 /);
    assert.ok(r.out.includes(`covers Kubernetes up to ${COVERED}`));
    assert.match(r.out, /Examples:\n  kube-lookout helm check --context prod/);
    assert.match(r.out, /\n  helm template my-app/);
  }
  // An unknown topic is a usage error however it is asked for.
  for (const args of [
    ["help", "helm", "bogus"],
    ["helm", "help", "bogus"],
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- cases run one at a time
    const r = await run(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.out, "", args.join(" "));
    assert.match(r.err, /unknown command "(helm )?bogus"/);
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
