import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import type { TestContext } from "node:test";
import { fastReadDocument } from "../../../src/helm/decode/fast-scan.ts";
import { makeObject } from "../../../src/helm/decode/scanned-object.ts";
import { builtinTable, parseKubeVersion } from "../../../src/helm/deprecations/index.ts";
import {
  ManifestPathNotFoundError,
  NoManifestsError,
  checkManifests,
  checkScannedManifests,
  listManifestFiles,
  loadCheckTable,
  readManifests,
  resolveTarget,
  tableComponents,
} from "../../../src/helm/report/index.ts";
import { assertNoActiveHandles } from "../../support/handles.ts";

after(assertNoActiveHandles);

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lookout-report-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const CRON = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n";
const DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
const LIST = `apiVersion: v1
kind: List
items:
- apiVersion: policy/v1beta1
  kind: PodSecurityPolicy
  metadata: {name: psp}
- apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
  kind: FlowSchema
  metadata: {name: fs}
`;
const BAD = "foo: [\n";

void test("checkManifests: findings per file at one target, List expanded, bad documents as errors", () => {
  const table = builtinTable();
  const result = checkManifests(
    [
      { path: "a.yaml", text: `${CRON}---\n${DEPLOY}` },
      { path: "b.yaml", text: `${LIST}---\n${BAD}` },
    ],
    { table, target: parseKubeVersion("v1.30.0") },
  );
  assert.equal(result.report.target, "v1.30.0");
  assert.deepEqual(
    result.report.findings.map((f) => [f.release, f.namespace, f.revision, f.kind, f.status]),
    [
      ["a.yaml", "", 0, "CronJob", "removed"],
      ["b.yaml", "", 0, "PodSecurityPolicy", "removed"],
      ["b.yaml", "", 0, "FlowSchema", "deprecated"],
    ],
  );
  assert.deepEqual(
    result.report.errors.map((e) => [e.release, e.namespace, e.code]),
    [["b.yaml", "", "LOOKOUT_HELM_BAD_YAML"]],
  );
  assert.equal(result.files, 2);
  assert.equal(result.objects, 4);
  assert.equal(result.checkedNothing, false);
});

void test("checkManifests: nothing checked when no file was read or no object was found", () => {
  const options = { table: builtinTable(), target: parseKubeVersion("v1.30") };
  assert.equal(checkManifests([], options).checkedNothing, true);
  assert.equal(checkManifests([{ path: "x", text: BAD }], options).checkedNothing, true);
  assert.equal(
    checkManifests([{ path: "x", text: "# only a comment\n---\n" }], options).checkedNothing,
    true,
  );
  assert.equal(checkManifests([{ path: "x", text: DEPLOY }], options).checkedNothing, false);
  assert.equal(
    checkManifests([{ path: "x", text: `${BAD}---\n${DEPLOY}` }], options).checkedNothing,
    false,
  );
});

void test("checkManifests: component versions judge CRD APIs at that version, else at the newest", () => {
  const table = builtinTable();
  const text = "apiVersion: cert-manager.io/v1alpha2\nkind: Certificate\nmetadata: {name: c}\n";
  const target = parseKubeVersion("v1.30");
  const at = (components?: Record<string, string>): string[] =>
    checkManifests([{ path: "c.yaml", text }], {
      table,
      target,
      ...(components === undefined ? {} : { components }),
    }).report.findings.map((f) => f.status);
  assert.deepEqual(at(), ["removed"]);
  assert.deepEqual(at({ "cert-manager": "v1.5.0" }), ["deprecated"]);
  assert.deepEqual(at({ "cert-manager": "v1.3.0" }), []);
  assert.ok(tableComponents(table).includes("cert-manager"));
  assert.ok(!tableComponents(table).includes("k8s"));
});

void test("resolveTarget: default is the newest covered version, beyond coverage throws by code", () => {
  const table = builtinTable();
  assert.deepEqual(resolveTarget(undefined, table), { ...table.coversUpTo, patch: 0 });
  assert.deepEqual(resolveTarget("v1.25", table), { major: 1, minor: 25, patch: 0 });
  const beyond = `v${table.coversUpTo.major}.${table.coversUpTo.minor + 1}`;
  assert.throws(
    () => resolveTarget(beyond, table),
    (e: unknown) => e instanceof Error && "code" in e && e.code === "LOOKOUT_HELM_TARGET_UNCOVERED",
  );
  assert.throws(
    () => resolveTarget("latest", table),
    (e: unknown) => e instanceof Error && "code" in e && e.code === "LOOKOUT_HELM_BAD_VERSION",
  );
});

void test("loadCheckTable merges extra rows over the built-in table", async (t) => {
  const dir = await tempDir(t);
  const rows = join(dir, "rows.yaml");
  await writeFile(
    rows,
    '- apiVersion: widgets.example.com/v1beta1\n  kind: Widget\n  deprecatedIn: "v1.20.0"\n  removedIn: "v1.30.0"\n  replacementApi: widgets.example.com/v1\n  replacementAvailableIn: "v1.20.0"\n',
  );
  const table = await loadCheckTable(rows);
  assert.equal(table.lookup("widgets.example.com/v1beta1", "Widget")?.removedIn, "v1.30.0");
  assert.equal(builtinTable().lookup("widgets.example.com/v1beta1", "Widget"), undefined);
  assert.equal(await loadCheckTable(undefined), builtinTable());
  await assert.rejects(loadCheckTable(join(dir, "missing.yaml")), {
    code: "LOOKOUT_HELM_BAD_EXTRA_ROWS",
  });
});

void test("listManifestFiles walks folders in name order for yaml/yml/json, keeps files and -", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "b", "deep"), { recursive: true });
  await mkdir(join(dir, "a"));
  await writeFile(join(dir, "b", "deep", "z.YAML"), DEPLOY);
  await writeFile(join(dir, "b", "x.yml"), DEPLOY);
  await writeFile(join(dir, "a", "y.json"), "{}");
  await writeFile(join(dir, "a", "notes.txt"), "not a manifest");
  await writeFile(join(dir, "top.yaml"), DEPLOY);
  await writeFile(join(dir, "plain.txt"), DEPLOY);
  const list = await listManifestFiles([dir, join(dir, "plain.txt"), "-", join(dir, "top.yaml")]);
  assert.deepEqual(list.paths, [
    join(dir, "a", "y.json"),
    join(dir, "b", "deep", "z.YAML"),
    join(dir, "b", "x.yml"),
    join(dir, "top.yaml"),
    join(dir, "plain.txt"),
    "-",
  ]);
  assert.deepEqual(list.errors, []);
  await assert.rejects(
    listManifestFiles([join(dir, "nope")]),
    (e: unknown) =>
      e instanceof ManifestPathNotFoundError && e.code === "LOOKOUT_HELM_PATH_NOT_FOUND",
  );
  // One missing path among good ones still fails the whole listing.
  await assert.rejects(listManifestFiles([dir, join(dir, "top.yaml", "x")]), {
    code: "LOOKOUT_HELM_PATH_NOT_FOUND",
  });
  await mkdir(join(dir, "empty"));
  await assert.rejects(
    listManifestFiles([join(dir, "empty")]),
    (e: unknown) => e instanceof NoManifestsError && e.code === "LOOKOUT_HELM_NO_MANIFESTS",
  );
});

void test("readManifests reads in order, reports unreadable files and progress, reads stdin once", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "a.yaml"), CRON);
  await symlink(join(dir, "gone.yaml"), join(dir, "dangling.yaml"));
  const list = await listManifestFiles([dir, "-"]);
  assert.deepEqual(list.paths, [join(dir, "a.yaml"), join(dir, "dangling.yaml"), "-"]);
  const progress: string[] = [];
  let stdinReads = 0;
  const reads = await readManifests(list, {
    readStdin: () => {
      stdinReads++;
      return Promise.resolve(DEPLOY);
    },
    onProgress: (done, total) => progress.push(`${done}/${total}`),
  });
  assert.deepEqual(reads.files, [
    { path: join(dir, "a.yaml"), text: CRON },
    { path: "-", text: DEPLOY },
  ]);
  assert.deepEqual(
    reads.errors.map((e) => [e.release, e.code]),
    [[join(dir, "dangling.yaml"), "LOOKOUT_HELM_FILE_UNREADABLE"]],
  );
  assert.deepEqual(progress, ["1/3", "2/3", "3/3"]);
  assert.equal(stdinReads, 1);
  const aborted = AbortSignal.abort(new Error("stop"));
  await assert.rejects(readManifests(list, { signal: aborted }), /stop/);
});

void test("checkScannedManifests: one file with more findings than a spread's argument limit", () => {
  // findings.push(...findingsFor(...)) overflowed the stack from about 126,000 findings.
  const count = 200_000;
  const objects = Array.from({ length: count }, (_, i) =>
    makeObject(
      { apiVersion: "batch/v1beta1", kind: "CronJob", name: `c${i}` },
      { source: "manifest" },
    ),
  );
  const result = checkScannedManifests(
    [
      { path: "big.yaml", scan: { objects, errors: [] } },
      { path: "small.yaml", scan: { objects: objects.slice(0, 1), errors: [] } },
    ],
    { table: builtinTable(), target: parseKubeVersion("v1.30.0") },
  );
  assert.equal(result.report.findings.length, count + 1);
  assert.equal(result.report.findings[count - 1]?.name, `c${count - 1}`);
  assert.equal(result.report.findings[count]?.release, "small.yaml");
  assert.equal(result.files, 2);
  assert.equal(result.objects, count + 1);
});

void test("checkManifests: invalid YAML that the fast line reader would skip is always BAD_YAML", () => {
  // Files were not parsed by Helm: every document is read by the yaml package. Before, these
  // gave a finding and no error, while the same document with a tag (!!str) was BAD_YAML.
  const head = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: bad\n";
  const invalid = [
    'spec:\n  schedule: "@daily"\n  schedule: "@hourly"\n', // a duplicate nested key
    'spec:\n  schedule: !!str "@daily"\n  schedule: "@hourly"\n', // the same, with a tag
    "spec:\n    a: 1\n  b: 2\n", // nested keys at two columns
    "spec:\n  a: b\n  - c\n", // a sequence entry in a mapping
    "spec:\n  a: {b: 1, b: 2}\n", // a duplicate key in a flow mapping
  ];
  const options = { table: builtinTable(), target: parseKubeVersion("v1.30.0") };
  for (const [i, body] of invalid.entries()) {
    const doc = head + body;
    if (i !== 1) assert.notEqual(fastReadDocument(doc), undefined, `the fast path reads ${i}`);
    const result = checkManifests([{ path: "f.yaml", text: `${doc}---\n${CRON}` }], options);
    assert.deepEqual(
      result.report.errors.map((e) => [e.release, e.code, e.message.split(":")[0]]),
      [["f.yaml", "LOOKOUT_HELM_BAD_YAML", "document 0 is not valid YAML"]],
      JSON.stringify(body),
    );
    assert.deepEqual(
      result.report.findings.map((f) => f.name),
      ["nightly"],
      `the rest is checked: ${JSON.stringify(body)}`,
    );
  }
});

void test("listManifestFiles: a link to a folder is skipped whatever its name; each real file once", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "charts", "sub"), { recursive: true });
  await writeFile(join(dir, "charts", "sub", "x.yaml"), CRON);
  await writeFile(join(dir, "a.yaml"), CRON);
  // A link to a folder named like a manifest was listed, then unreadable (EISDIR).
  await symlink(join(dir, "charts", "sub"), join(dir, "charts", "linked.yaml"));
  const walked = await listManifestFiles([join(dir, "charts")]);
  assert.deepEqual(walked.paths, [join(dir, "charts", "sub", "x.yaml")]);
  assert.deepEqual(walked.errors, []);

  // The same file under other spellings was checked again, its findings repeated.
  const a = join(dir, "a.yaml");
  await symlink(a, join(dir, "link-to-a.yaml"));
  const list = await listManifestFiles([
    a,
    `${dir}/./a.yaml`,
    `${dir}/charts/../a.yaml`,
    relative(process.cwd(), a),
    join(dir, "link-to-a.yaml"),
    "-",
    join(dir, "charts"),
    join(dir, "charts", "sub", "x.yaml"),
  ]);
  assert.deepEqual(list.paths, [a, "-", join(dir, "charts", "sub", "x.yaml")]);
  const reads = await readManifests(list, { readStdin: () => Promise.resolve(DEPLOY) });
  const result = checkManifests(reads.files, {
    table: builtinTable(),
    target: parseKubeVersion("v1.30.0"),
  });
  assert.deepEqual(
    result.report.findings.map((f) => f.release),
    [a, join(dir, "charts", "sub", "x.yaml")],
  );
});

void test("readManifests: UTF-16 files (PowerShell's >) are decoded; stdin bytes too, stdin text in UTF-16 is an error entry", async (t) => {
  const dir = await tempDir(t);
  const bom = Buffer.from([0xff, 0xfe]);
  await writeFile(join(dir, "le.yaml"), Buffer.concat([bom, Buffer.from(CRON, "utf16le")]));
  await writeFile(
    join(dir, "be.yaml"),
    Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(DEPLOY, "utf16le").swap16()]),
  );
  await writeFile(
    join(dir, "u8.yaml"),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CRON)]),
  );
  await writeFile(join(dir, "nul.yaml"), Buffer.from(CRON, "utf16le"));
  const list = await listManifestFiles([dir]);
  const reads = await readManifests(list);
  assert.deepEqual(reads.files, [
    { path: join(dir, "be.yaml"), text: DEPLOY },
    { path: join(dir, "le.yaml"), text: CRON },
    { path: join(dir, "u8.yaml"), text: `\uFEFF${CRON}` },
  ]);
  assert.deepEqual(
    reads.errors.map((e) => [e.release, e.code]),
    [[join(dir, "nul.yaml"), "LOOKOUT_HELM_BAD_ENCODING"]],
  );
  const result = checkManifests(reads.files, {
    table: builtinTable(),
    target: parseKubeVersion("v1.30.0"),
  });
  assert.deepEqual(
    result.report.findings.map((f) => [f.release, f.kind, f.status]),
    [
      [join(dir, "le.yaml"), "CronJob", "removed"],
      [join(dir, "u8.yaml"), "CronJob", "removed"],
    ],
  );

  const stdin = await listManifestFiles(["-"]);
  const bytes = await readManifests(stdin, {
    readStdin: () => Promise.resolve(Buffer.concat([bom, Buffer.from(CRON, "utf16le")])),
  });
  assert.deepEqual(bytes.files, [{ path: "-", text: CRON }]);
  const text = await readManifests(stdin, {
    readStdin: () =>
      Promise.resolve(new TextDecoder().decode(Buffer.concat([bom, Buffer.from(CRON, "utf16le")]))),
  });
  assert.deepEqual(text.files, []);
  assert.deepEqual(
    text.errors.map((e) => [e.release, e.code]),
    [["-", "LOOKOUT_HELM_BAD_ENCODING"]],
  );
  assert.match(text.errors[0]!.message, /standard input \(UTF-16LE\)/);
});
