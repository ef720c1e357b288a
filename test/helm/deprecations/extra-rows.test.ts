import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TestContext } from "node:test";
import {
  BadExtraRowsError,
  BadVersionError,
  builtinTable,
  DeprecationsErrorCode,
  evaluate,
  loadExtraRows,
  mergeExtraRows,
  parseKubeVersion,
} from "../../../src/helm/deprecations/index.ts";
import { assertNoActiveHandles } from "../../support/handles.ts";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lookout-extra-rows-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const YAML_ROWS = `# in-house CRDs
- apiVersion: widgets.example.com/v1beta1
  kind: Widget
  deprecatedIn: "v2.3.0"
  removedIn: "v3.0.0"
  replacementApi: widgets.example.com/v1
  replacementAvailableIn: "v2.3.0"
  component: widgets
- apiVersion: gadgets.example.com/v1alpha1
  kind: ""
  deprecatedIn: v1.30.0
  removedIn: v1.33.0
  replacementApi: null
  replacementAvailableIn: null
  note: gadgets are gone
`;

async function expectBad(
  promise: Promise<unknown>,
  expected: { file: string; row: number | undefined; field: string | undefined },
): Promise<BadExtraRowsError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof BadExtraRowsError,
    `expected BadExtraRowsError, got ${String(caught)}`,
  );
  assert.equal(caught.code, DeprecationsErrorCode.BadExtraRows);
  assert.deepEqual(
    { file: caught.file, row: caught.row, field: caught.field },
    expected,
    caught.message,
  );
  return caught;
}

void test("extra rows from YAML (a list) and JSON (an object with rows)", async (t) => {
  const dir = await tempDir(t);
  const yamlFile = join(dir, "extra.yaml");
  await writeFile(yamlFile, YAML_ROWS);
  const fromYaml = await loadExtraRows(yamlFile);
  assert.equal(fromYaml.length, 2);
  assert.equal(fromYaml[0]?.component, "widgets");
  assert.equal(fromYaml[1]?.component, "k8s");
  assert.equal(fromYaml[1]?.note, "gadgets are gone");

  const jsonFile = join(dir, "extra.json");
  await writeFile(
    jsonFile,
    JSON.stringify({
      rows: fromYaml.map(
        ({ deprecated: _d, removed: _r, replacementAvailable: _a, ...row }) => row,
      ),
    }),
  );
  const fromJson = await loadExtraRows(jsonFile);
  assert.deepEqual(fromJson, fromYaml);

  const { table, overrides } = mergeExtraRows(builtinTable(), fromYaml);
  assert.deepEqual(overrides, []);
  assert.equal(table.rules.length, builtinTable().rules.length + 2);
  const gadget = table.lookup("gadgets.example.com/v1alpha1", "Thing");
  assert.ok(gadget);
  assert.equal(evaluate(gadget, parseKubeVersion("v1.33.1")).status, "removed");
  assert.equal(
    table.lookup("widgets.example.com/v1beta1", "Widget", "widgets")?.removedIn,
    "v3.0.0",
  );
  // Built-in rows are still there.
  assert.equal(table.lookup("batch/v1beta1", "CronJob")?.removedIn, "v1.25.0");
  assert.equal(table.coversUpTo, builtinTable().coversUpTo);
});

void test("a user row with a built-in key replaces it and says so", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "override.yml");
  await writeFile(
    file,
    `rows:
  - apiVersion: batch/v1beta1
    kind: CronJob
    deprecatedIn: "v1.20.0"
    removedIn: "v1.24.0"
    replacementApi: batch/v1
    replacementAvailableIn: "v1.21.0"
    component: k8s
    note: our clusters drop it early
`,
  );
  const base = builtinTable();
  const before = base.lookup("batch/v1beta1", "CronJob");
  const { table, overrides } = mergeExtraRows(base, await loadExtraRows(file));
  assert.equal(overrides.length, 1);
  assert.equal(overrides[0]?.replaced, before);
  assert.equal(overrides[0]?.by.note, "our clusters drop it early");
  assert.equal(table.lookup("batch/v1beta1", "CronJob")?.removedIn, "v1.24.0");
  assert.equal(table.rules.length, base.rules.length);
  assert.equal(table.rules.indexOf(overrides[0].by), base.rules.indexOf(before!));
  // The base table is unchanged.
  assert.equal(base.lookup("batch/v1beta1", "CronJob"), before);
  assert.equal(before?.removedIn, "v1.25.0");
});

void test("bad extra rows name the file, the row and the field", async (t) => {
  const dir = await tempDir(t);
  const cases: [string, string, number | undefined, string | undefined][] = [
    // Unquoted YAML 1.20 is the number 1.2: refused, never guessed.
    ["number.yaml", YAML_ROWS.replace('removedIn: "v3.0.0"', "removedIn: 1.20"), 0, "removedIn"],
    ["version.yaml", YAML_ROWS.replace("removedIn: v1.33.0", "removedIn: soon"), 1, "removedIn"],
    ["order.yaml", YAML_ROWS.replace("removedIn: v1.33.0", "removedIn: v1.29.0"), 1, "removedIn"],
    ["typo.yaml", YAML_ROWS.replace("  component: widgets", "  compnent: widgets"), 0, "compnent"],
    [
      "dup.yaml",
      YAML_ROWS + YAML_ROWS.replace("# in-house CRDs\n", "").split("- apiVersion: gadgets")[0],
      2,
      "kind",
    ],
    ["syntax.yaml", "- apiVersion: [unclosed\n", undefined, undefined],
    ["shape.yaml", "apiVersion: v1\n", undefined, undefined],
    ["scalar.json", "42", undefined, undefined],
    ["syntax.json", '{"rows": [', undefined, undefined],
    [
      "row.json",
      JSON.stringify([{ apiVersion: "x.io/v1", kind: "X", removedIn: "v1.2.0", oops: 1 }]),
      0,
      "oops",
    ],
    [
      "api.json",
      JSON.stringify({ rows: [{ apiVersion: "rbac.istio.io", kind: "X", removedIn: "v1.2.0" }] }),
      0,
      "apiVersion",
    ],
  ];
  await Promise.all(
    cases.map(async ([name, text, row, field]) => {
      const file = join(dir, name);
      await writeFile(file, text);
      await expectBad(loadExtraRows(file), { file, row, field });
    }),
  );
  const missing = join(dir, "missing.yaml");
  const error = await expectBad(loadExtraRows(missing), {
    file: missing,
    row: undefined,
    field: undefined,
  });
  assert.ok(error.cause instanceof Error && "code" in error.cause);
  assert.equal(error.cause.code, "ENOENT");
  // The version error is chained as the cause.
  const versionError = await expectBad(loadExtraRows(join(dir, "version.yaml")), {
    file: join(dir, "version.yaml"),
    row: 1,
    field: "removedIn",
  });
  assert.ok(versionError.cause instanceof BadVersionError);
  assert.equal(versionError.cause.input, "soon");
});

void test("the suite leaves no active handles", async () => {
  await assertNoActiveHandles();
});
