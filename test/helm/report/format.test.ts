import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { HelmFinding, HelmReleaseError } from "../../../src/helm/index.ts";
import {
  BadReportFormatError,
  FINDING_FIELDS,
  REPORT_FORMATS,
  csvField,
  exitCodeFor,
  formatCsv,
  formatJson,
  formatMarkdown,
  formatReport,
  formatTable,
  markdownCell,
  sortFindings,
  summaryLine,
  toJsonReport,
  type HelmReport,
  type ReportFormat,
} from "../../../src/helm/report/index.ts";
import { assertNoActiveHandles } from "../../support/handles.ts";
import { parseCsv } from "./csv-parse.ts";

after(assertNoActiveHandles);

function finding(over: Partial<HelmFinding> = {}): HelmFinding {
  return {
    namespace: "apps",
    release: "web",
    revision: 4,
    chart: "web",
    chartVersion: "1.2.3",
    name: "nightly",
    objectNamespace: "apps",
    kind: "CronJob",
    apiVersion: "batch/v1beta1",
    source: "manifest",
    component: "k8s",
    deprecatedIn: "v1.21.0",
    removedIn: "v1.25.0",
    replacementApi: "batch/v1",
    target: "v1.25.0",
    status: "removed",
    minorsUntilRemoval: 0,
    ...over,
  };
}

const ERROR: HelmReleaseError = {
  namespace: "apps",
  release: "broken",
  revision: 2,
  code: "LOOKOUT_HELM_BAD_YAML",
  message: "document 1 is not valid YAML:\nline 3",
};

const REPORT: HelmReport = {
  target: "v1.25.0",
  findings: [
    finding({
      status: "deprecated",
      kind: "FlowSchema",
      name: "fs",
      apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3",
    }),
    finding({ namespace: "zeta", name: "b" }),
    finding({ name: "a", replacementApi: null }),
  ],
  errors: [ERROR],
};

void test("exitCodeFor: 3 when anything is removed, 2 when only deprecated, 0 when none", () => {
  const base = { target: "v1.25.0", errors: [ERROR] };
  assert.equal(exitCodeFor({ ...base, findings: [] }), 0);
  assert.equal(exitCodeFor({ ...base, findings: [finding({ status: "deprecated" })] }), 2);
  assert.equal(
    exitCodeFor({
      ...base,
      findings: [finding({ status: "deprecated" }), finding({ status: "removed" })],
    }),
    3,
  );
});

void test("sortFindings: removed first, then namespace, release, kind, name; input untouched", () => {
  const input = [
    finding({ status: "deprecated", namespace: "a" }),
    finding({ namespace: "b", release: "r2" }),
    finding({ namespace: "b", release: "r1", kind: "Z" }),
    finding({ namespace: "b", release: "r1", kind: "A", name: "y" }),
    finding({ namespace: "b", release: "r1", kind: "A", name: "x" }),
    finding({ namespace: "a", release: "r9" }),
  ];
  const copy = [...input];
  const sorted = sortFindings(input);
  assert.deepEqual(input, copy);
  assert.deepEqual(
    sorted.map((f) => `${f.status} ${f.namespace} ${f.release} ${f.kind} ${f.name}`),
    [
      "removed a r9 CronJob nightly",
      "removed b r1 A x",
      "removed b r1 A y",
      "removed b r1 Z nightly",
      "removed b r2 CronJob nightly",
      "deprecated a web CronJob nightly",
    ],
  );
});

void test("summaryLine counts findings by status and errors", () => {
  assert.equal(summaryLine(REPORT), "3 findings at v1.25.0: 2 removed, 1 deprecated; 1 error");
  assert.equal(
    summaryLine({ target: "v1.30.0", findings: [], errors: [] }),
    "no deprecated or removed APIs at v1.30.0",
  );
});

void test("JSON has exactly the documented shape, keys in order, nulls kept, findings sorted", () => {
  const parsed: unknown = JSON.parse(formatJson(REPORT));
  assert.deepEqual(parsed, {
    target: "v1.25.0",
    findings: [
      {
        namespace: "apps",
        release: "web",
        revision: 4,
        name: "a",
        kind: "CronJob",
        apiVersion: "batch/v1beta1",
        deprecatedIn: "v1.21.0",
        removedIn: "v1.25.0",
        replacementApi: null,
        status: "removed",
      },
      {
        namespace: "zeta",
        release: "web",
        revision: 4,
        name: "b",
        kind: "CronJob",
        apiVersion: "batch/v1beta1",
        deprecatedIn: "v1.21.0",
        removedIn: "v1.25.0",
        replacementApi: "batch/v1",
        status: "removed",
      },
      {
        namespace: "apps",
        release: "web",
        revision: 4,
        name: "fs",
        kind: "FlowSchema",
        apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3",
        deprecatedIn: "v1.21.0",
        removedIn: "v1.25.0",
        replacementApi: "batch/v1",
        status: "deprecated",
      },
    ],
    errors: [
      {
        namespace: "apps",
        release: "broken",
        code: "LOOKOUT_HELM_BAD_YAML",
        message: "document 1 is not valid YAML:\nline 3",
      },
    ],
  });
  const json = toJsonReport(REPORT);
  assert.deepEqual(Object.keys(json), ["target", "findings", "errors"]);
  assert.deepEqual(Object.keys(json.findings[0]!), [...FINDING_FIELDS]);
  assert.deepEqual(Object.keys(json.errors[0]!), ["namespace", "release", "code", "message"]);
});

void test("CSV: header, CRLF records, nulls empty, commas/quotes/newlines round-trip", () => {
  const tricky = 'psp, "restricted"\nsecond line';
  const report: HelmReport = {
    target: "v1.25.0",
    findings: [finding({ name: tricky, release: "a,b.yaml", replacementApi: null })],
    errors: [ERROR],
  };
  const text = formatCsv(report);
  assert.ok(text.endsWith("\r\n"));
  const rows = parseCsv(text);
  assert.deepEqual(rows, [
    [...FINDING_FIELDS],
    [
      "apps",
      "a,b.yaml",
      "4",
      tricky,
      "CronJob",
      "batch/v1beta1",
      "v1.21.0",
      "v1.25.0",
      "",
      "removed",
    ],
  ]);
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField('a"b'), '"a""b"');
  assert.equal(csvField("a\rb"), '"a\rb"');
  assert.deepEqual(parseCsv(formatCsv({ target: "v1.25.0", findings: [], errors: [] })), [
    [...FINDING_FIELDS],
  ]);
});

/** Splits a Markdown table row on pipes that are not escaped. */
function markdownCells(row: string): string[] {
  const cells: string[] = [];
  let cell = "";
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!;
    if (c === "\\") {
      cell += c + (row[i + 1] ?? "");
      i++;
    } else if (c === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells.slice(1, -1);
}

void test("Markdown: a GitHub table with pipes and backslashes escaped, then the errors", () => {
  const report: HelmReport = {
    target: "v1.25.0",
    findings: [finding({ name: "a|b\\c", replacementApi: null })],
    errors: [ERROR],
  };
  const lines = formatMarkdown(report).split("\n");
  assert.match(lines[0]!, /1 finding at v1\.25\.0: 1 removed, 0 deprecated; 1 error/);
  const header = lines.findIndex((l) => l.startsWith("| namespace"));
  assert.ok(header > 0);
  assert.deepEqual(markdownCells(lines[header]!), [...FINDING_FIELDS]);
  assert.match(lines[header + 1]!, /^\|( --- \|){10}$/);
  const cells = markdownCells(lines[header + 2]!);
  assert.equal(cells.length, 10);
  assert.equal(cells[3], "a\\|b\\\\c");
  assert.equal(cells[8], "-");
  assert.ok(lines.some((l) => l.startsWith("- `LOOKOUT_HELM_BAD_YAML` apps/broken:")));
  assert.equal(markdownCell("x|y\nz"), "x\\|y z");
});

void test("Markdown: what would be emphasis, code, a link, HTML or an entity is shown as written", () => {
  assert.equal(markdownCell("charts/*_old_*.yaml"), "charts/\\*\\_old\\_\\*.yaml");
  assert.equal(markdownCell("expected <none> in `x`"), "expected \\<none\\> in \\`x\\`");
  assert.equal(markdownCell("[a](b) ~~c~~ &amp;"), "\\[a\\](b) \\~\\~c\\~\\~ \\&amp;");
  // What names, apiVersions and versions are made of stays as it is.
  const plain = "flowcontrol.apiserver.k8s.io/v1beta3 my-app:v1.29.0 #1 (x) {y} a+b=c! 'q' \"d\"";
  assert.equal(markdownCell(plain), plain);
  // Every escaped character is ASCII punctuation, which CommonMark shows as itself after `\`.
  const all = markdownCell("\\|`*_[]<>~&");
  assert.equal(all, "\\\\\\|\\`\\*\\_\\[\\]\\<\\>\\~\\&");
});

void test("table: aligned columns, sorted, summary line and errors below", () => {
  const text = formatTable(REPORT);
  const lines = text.split("\n");
  const header = lines[0]!;
  assert.match(header, /^STATUS +NAMESPACE +RELEASE +REVISION +KIND +NAME +API VERSION/);
  const starts = ["NAMESPACE", "KIND", "API VERSION", "REPLACEMENT"].map((h) => header.indexOf(h));
  const rows = lines.slice(1, 4);
  assert.deepEqual(
    rows.map((r) => r.split(/ {2,}/)[0]),
    ["removed", "removed", "deprecated"],
  );
  for (const row of rows) {
    for (const start of starts) assert.notEqual(row[start - 1], undefined);
    for (const start of starts) {
      assert.equal(row[start - 1], " ", `column at ${start} not aligned in ${row}`);
      assert.notEqual(row[start], " ", `column at ${start} not aligned in ${row}`);
    }
  }
  assert.match(rows[0]!, / - *$/, "null replacement shows as -");
  assert.ok(lines.includes("3 findings at v1.25.0: 2 removed, 1 deprecated; 1 error"));
  const errorsAt = lines.indexOf("Errors:");
  assert.ok(errorsAt > 4);
  assert.equal(
    lines[errorsAt + 1],
    "  apps/broken: LOOKOUT_HELM_BAD_YAML: document 1 is not valid YAML",
  );
  const clean = formatTable({ target: "v1.25.0", findings: [], errors: [] });
  assert.equal(clean, "no deprecated or removed APIs at v1.25.0\n");
});

void test("formatReport dispatches every format and rejects an unknown one by code", () => {
  const expected: Record<ReportFormat, string> = {
    table: formatTable(REPORT),
    json: formatJson(REPORT),
    csv: formatCsv(REPORT),
    markdown: formatMarkdown(REPORT),
  };
  for (const format of REPORT_FORMATS) assert.equal(formatReport(REPORT, format), expected[format]);
  assert.throws(
    // @ts-expect-error an unknown format from untyped callers
    () => formatReport(REPORT, "xml"),
    (error: unknown) =>
      error instanceof BadReportFormatError && error.code === "LOOKOUT_HELM_BAD_REPORT_FORMAT",
  );
});

void test("table: a report far beyond a spread's argument limit (200,000 findings and errors)", () => {
  // Math.max(...rows) and push(...errors) overflowed the stack from about 140,000 rows.
  const count = 200_000;
  const findings = Array.from({ length: count }, (_, i) => finding({ name: `cron-${i}` }));
  const errors = Array.from({ length: count }, (_, i) => ({ ...ERROR, release: `broken-${i}` }));
  const lines = formatTable({ target: "v1.25.0", findings, errors }).split("\n");
  assert.equal(lines.length, 1 + count + 1 + 1 + 2 + count + 1);
  const kindAt = lines[0]!.indexOf("KIND");
  assert.equal(lines[1]!.indexOf("CronJob"), kindAt, "the columns are aligned");
  assert.match(lines[1]!, /cron-0 {7}batch/, "NAME is as wide as its widest value, cron-199999");
  assert.equal(
    lines.at(-2),
    "  apps/broken-199999: LOOKOUT_HELM_BAD_YAML: document 1 is not valid YAML",
  );
});
