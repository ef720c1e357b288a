import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { ApiVersionFilter, scanManifest } from "../../../src/helm/decode/index.ts";
import { fastReadDocument } from "../../../src/helm/decode/fast-scan.ts";
import {
  documentEnd,
  documentStart,
  dropDocumentBoms,
  splitDocuments,
} from "../../../src/helm/decode/split-documents.ts";
import { FIXTURES } from "./manifest-fixtures.ts";
import { referenceScan } from "./reference-scan.ts";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function strip<T extends { source?: unknown; hookIndex?: unknown }>(
  o: T,
): Omit<T, "source" | "hookIndex"> {
  const { source: _s, hookIndex: _h, ...rest } = o;
  return rest;
}

void test("every fixture: the scan (fast path + fallback) equals the yaml package's reading", () => {
  for (const f of FIXTURES) {
    const scan = scanManifest(f.manifest);
    const ref = referenceScan(f.manifest);
    assert.deepEqual(scan.objects.map(strip), ref.objects.map(strip), f.name);
    assert.equal(scan.errors.length, ref.errors, `${f.name}: error count`);
    assert.equal(scan.objects.length, f.objects, `${f.name}: object count`);
    assert.equal(scan.errors.length, f.errors ?? 0, `${f.name}: expected errors`);
    for (const e of scan.errors) assert.equal(e.code, "LOOKOUT_HELM_BAD_YAML");
    const slow = scanManifest(f.manifest, { fast: false });
    assert.deepEqual(slow.objects, scan.objects, `${f.name}: fast: false`);
    assert.equal(slow.fastDocuments, 0);
  }
});

void test("every document the fast path claims, read with fallback disabled, equals yaml's", () => {
  let claimed = 0;
  for (const f of FIXTURES) {
    for (const chunk of splitDocuments(f.manifest)) {
      const fast = fastReadDocument(chunk.text);
      const where = `${f.name} #${chunk.index}`;
      if (f.slow?.includes(chunk.index) === true)
        assert.equal(fast, undefined, `${where}: must fall back`);
      if (f.allFast === true && !f.manifest.startsWith("%"))
        assert.notEqual(fast, undefined, `${where}: must be fast`);
      if (fast === undefined) continue;
      claimed++;
      const docs = parseAllDocuments(chunk.text);
      assert.ok(Array.isArray(docs));
      const contents = docs.filter((d) => d.errors.length > 0 || d.toJS() !== null);
      if (fast.empty) {
        assert.equal(contents.length, 0, `${where}: empty`);
        continue;
      }
      assert.equal(contents.length, 1, where);
      const doc = contents[0]!;
      assert.deepEqual(doc.errors, [], `${where}: yaml rejects a document the fast path read`);
      const v: unknown = doc.toJS();
      assert.ok(isRecord(v), where);
      const meta = isRecord(v["metadata"]) ? v["metadata"] : {};
      const expected: Record<string, unknown> = { empty: false };
      if (typeof v["apiVersion"] === "string") expected["apiVersion"] = v["apiVersion"];
      if (typeof v["kind"] === "string") expected["kind"] = v["kind"];
      if (typeof meta["name"] === "string") expected["name"] = meta["name"];
      if (typeof meta["namespace"] === "string") expected["namespace"] = meta["namespace"];
      assert.deepEqual({ ...fast }, expected, where);
    }
  }
  assert.ok(claimed > 20, `the fast path claimed only ${claimed} documents`);
});

void test("kind: List is expanded into its items, with the document's template", () => {
  const f = FIXTURES.find((x) => x.name === "kind List")!;
  const scan = scanManifest(f.manifest);
  assert.deepEqual(
    scan.objects.slice(0, 2).map((o) => [o.kind, o.name, o.namespace, o.template]),
    [
      ["ConfigMap", "a", undefined, "l/templates/list.yaml"],
      ["Secret", "b", "c", "l/templates/list.yaml"],
    ],
  );
});

void test("a bad document gives LOOKOUT_HELM_BAD_YAML with its index; the others are scanned", () => {
  const f = FIXTURES.find((x) => x.name === "bad YAML in one document")!;
  const scan = scanManifest(f.manifest, { source: "hook", hookIndex: 3 });
  assert.deepEqual(
    scan.objects.map((o) => [o.name, o.source, o.hookIndex]),
    [
      ["before", "hook", 3],
      ["after", "hook", 3],
    ],
  );
  assert.equal(scan.errors.length, 1);
  const e = scan.errors[0]!;
  assert.equal(e.code, "LOOKOUT_HELM_BAD_YAML");
  assert.equal(e.documentIndex, 1);
  assert.equal(e.source, "hook");
  assert.equal(e.hookIndex, 3);
});

void test("a block scalar holding --- and kind: lines does not split the document", () => {
  const scan = scanManifest(FIXTURES[0]!.manifest);
  assert.deepEqual(
    scan.objects.map((o) => [o.kind, o.name, o.template]),
    [
      ["Service", "web", "web/templates/service.yaml"],
      ["Deployment", "web", "web/templates/deployment.yaml"],
      ["ConfigMap", "web-config", "web/templates/configmap.yaml"],
    ],
  );
  assert.equal(scan.fastDocuments, 3);
});

void test("the document around an offset has the bounds splitDocuments gives it", () => {
  const manifest = [
    "\n---\n# Source: a.yaml\napiVersion: apps/v1\nkind: Deployment\n",
    "----\n---x\n",
    "--- # apps/v1\napiVersion: v1\nkind: Service\n",
    "---\t\ndata:\n  x: |\n    ---\n    apps/v1\n",
    "---",
  ].join("");
  const chunks = splitDocuments(manifest);
  let from = 0;
  for (const chunk of chunks) {
    const start = manifest.indexOf(chunk.text, from);
    const end = start + chunk.text.length;
    for (let at = start; at < end; at++) {
      assert.equal(documentStart(manifest, at), start, `start of offset ${at}`);
      assert.equal(documentEnd(manifest, at), end, `end of offset ${at}`);
    }
    from = end;
  }
  assert.equal(chunks.length, 4, "a blank head is no document; ---- and ---x are no markers");
});

const BOM = "\uFEFF";
const DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
const CRON = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n";

void test("a byte order mark at the start of a document counts as nothing, read fast, slow or filtered", () => {
  const both = [
    ["apps/v1", "Deployment", "web"],
    ["batch/v1beta1", "CronJob", "nightly"],
  ];
  const cases: [string, string][] = [
    ["at the start of the text", `${BOM}${DEPLOY}---\n${CRON}`],
    ["at the start, before the first marker", `${BOM}---\n${DEPLOY}---\n${CRON}`],
    ["right after a marker line", `${DEPLOY}---\n${BOM}${CRON}`],
    ["after a marker line with a comment, CRLF", `${DEPLOY}--- # c\r\n${BOM}${CRON}`],
    ["right before a marker", `${DEPLOY}${BOM}---\n${CRON}`],
    ["before a marker and after it", `${DEPLOY}${BOM}---\n${BOM}${CRON}`],
    ["after a marker that ends the text's first line", `---\n${BOM}${DEPLOY}${BOM}---\n${CRON}`],
  ];
  const only = new ApiVersionFilter(["batch/v1beta1"]);
  for (const [name, manifest] of cases) {
    for (const fast of [true, false]) {
      const scan = scanManifest(manifest, { fast });
      assert.deepEqual(scan.errors, [], `${name}, fast ${fast}`);
      assert.deepEqual(
        scan.objects.map((o) => [o.apiVersion, o.kind, o.name]),
        both,
        `${name}, fast ${fast}`,
      );
      // The checker's own scan: only the objects of the table's apiVersions.
      const filtered = scanManifest(manifest, { fast, only });
      assert.deepEqual(
        filtered.objects.map((o) => o.name),
        ["nightly"],
        `${name}, fast ${fast}, filtered`,
      );
    }
  }
});

void test("a byte order mark anywhere else is left as it is", () => {
  const elsewhere = [
    `${DEPLOY}${BOM}foo: 1\n`, // a line start inside a document
    `${DEPLOY}---\n# c\n${BOM}${CRON}`, // after a comment, not right after the marker
    `${DEPLOY}--- !!map\n${BOM}${CRON}`, // the document starts on the marker line
    `${DEPLOY}--- ${BOM}\n${CRON}`, // on the marker line
    `${DEPLOY}${BOM}----\n`, // before ----, which is no marker
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "a\uFEFFb"\n', // content
    ` ${BOM}${DEPLOY}`, // not at the start of the text
  ];
  for (const manifest of elsewhere) {
    assert.equal(dropDocumentBoms(manifest), manifest, JSON.stringify(manifest));
  }
  assert.deepEqual(
    scanManifest(elsewhere[5]!).objects.map((o) => o.name),
    ["a\uFEFFb"],
    "a BOM inside a value is content",
  );
  assert.equal(dropDocumentBoms(DEPLOY), DEPLOY);
});
