/**
 * The PrometheusRule in manifests/monitoring: its groups pass `promtool check rules`, the
 * promtool unit tests pass (and fail when an alert's expression is made to never or always
 * fire), the committed copy the unit tests load is the same groups, every metric and label an
 * expression or annotation names is one kube-lookout exports (docs/metrics.md), and every
 * alert has a severity, a summary, a description and a runbook in docs/alerts.md.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { HelmChecker } from "../../src/helm/index.ts";
import { KubeClient } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { createTelemetry } from "../../src/telemetry/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { familyOf, parseCatalogue, problemsOf, type Catalogue } from "./promql-support.ts";
import { isRecord } from "./support.ts";

after(assertNoActiveHandles);

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RULE_FILE = join(ROOT, "manifests/monitoring/prometheus-rule.yaml");
const TESTS_DIR = join(ROOT, "manifests/monitoring/tests");
const COMMITTED_RULES = join(TESTS_DIR, "rules.yaml");
const METRICS_DOC = join(ROOT, "docs/metrics.md");
const ALERTS_DOC = join(ROOT, "docs/alerts.md");
const PROMTOOL = process.env["PROMTOOL"] ?? "promtool";
/** Series that are not kube-lookout's own, with the labels the rules may use on them. */
const FOREIGN: ReadonlyMap<string, readonly string[]> = new Map([["up", []]]);

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}
interface Group {
  readonly name: string;
  readonly rules: readonly Rule[];
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === "string");
}
function isRule(v: unknown): v is Rule {
  return (
    isRecord(v) &&
    typeof v["alert"] === "string" &&
    typeof v["expr"] === "string" &&
    isStringRecord(v["labels"]) &&
    isStringRecord(v["annotations"])
  );
}
function isGroup(v: unknown): v is Group {
  return (
    isRecord(v) &&
    typeof v["name"] === "string" &&
    Array.isArray(v["rules"]) &&
    v["rules"].every(isRule)
  );
}

/** The PrometheusRule's `spec.groups` as parsed (plain data, for comparison and writing). */
async function ruleGroups(): Promise<unknown[]> {
  const doc: unknown = parse(await readFile(RULE_FILE, "utf8"));
  assert.ok(isRecord(doc));
  assert.equal(doc["apiVersion"], "monitoring.coreos.com/v1");
  assert.equal(doc["kind"], "PrometheusRule");
  const spec = doc["spec"];
  assert.ok(isRecord(spec) && Array.isArray(spec["groups"]), "spec.groups");
  return spec["groups"];
}

async function typedGroups(): Promise<Group[]> {
  const groups = await ruleGroups();
  const out: Group[] = [];
  for (const g of groups) {
    assert.ok(
      isGroup(g),
      `a group without name, or a rule without alert/expr/labels/annotations: ${JSON.stringify(g)}`,
    );
    out.push(g);
  }
  return out;
}

/** A copy of `groups` with each rule replaced by `change(rule)` (for mutated copies). */
function mapRules(groups: readonly Group[], change: (rule: Rule) => Rule): Group[] {
  const out: Group[] = [];
  for (const g of groups) out.push({ name: g.name, rules: g.rules.map(change) });
  return out;
}

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
function run(bin: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd: ROOT }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (err === null) return resolve({ code: 0, output });
      if (typeof err.code === "number") return resolve({ code: err.code, output });
      reject(err); // not started (ENOENT ...)
    });
  });
}

/** A temp directory removed after the test. */
async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kl-alerts-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The promtool unit-test files (`*.test.yaml`) of manifests/monitoring/tests. */
async function unitTestFiles(): Promise<string[]> {
  return (await readdir(TESTS_DIR)).filter((f) => f.endsWith(".test.yaml")).sort();
}

// --- the rules against docs/metrics.md ---------------------------------------------------

/** Label names an annotation template reads (`$labels.x`). */
function templateLabels(text: string): string[] {
  return [...text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)].map((m) => m[1] ?? "");
}

/**
 * Every rule's problems: its expression's, plus annotation templates reading labels the
 * expression's result cannot carry.
 */
function ruleProblems(groups: readonly Group[], catalogue: Catalogue): string[] {
  return groups.flatMap((g) =>
    g.rules.flatMap((r) =>
      problemsOf(r.expr, catalogue, {
        extra: Object.values(r.annotations).flatMap(templateLabels),
        foreign: FOREIGN,
      }).map((p) => `${r.alert}: ${p}`),
    ),
  );
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}

// --- tests ------------------------------------------------------------------------------------

void test("promtool check rules accepts the PrometheusRule's groups (extracted to a temp file)", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "rules.yaml");
  await writeFile(file, stringify({ groups: await ruleGroups() }));
  const checked = await run(PROMTOOL, ["check", "rules", file]);
  assert.equal(checked.code, 0, checked.output);
  const alerts = (await typedGroups()).flatMap((g) => g.rules).length;
  assert.match(checked.output, new RegExp(`SUCCESS: ${alerts} rules found`));

  // And refuses a broken expression, so the check above means something.
  const groups = await typedGroups();
  const broken = mapRules(groups, (r) => ({ ...r, expr: `${r.expr} )` }));
  await writeFile(file, stringify({ groups: broken }));
  assert.notEqual((await run(PROMTOOL, ["check", "rules", file])).code, 0);
});

void test("the promtool unit tests' rules.yaml is the PrometheusRule's groups (UPDATE_RULES=1 rewrites it)", async () => {
  const groups = await ruleGroups();
  if (process.env["UPDATE_RULES"] === "1") {
    const header =
      "# GENERATED from ../prometheus-rule.yaml (spec.groups) by UPDATE_RULES=1 npx node --test test/deploy/alerts.test.ts\n# Do not edit: the test fails when it differs. Run prettier on it after regenerating.\n";
    await writeFile(COMMITTED_RULES, header + stringify({ groups }, { lineWidth: 0 }));
  }
  const committed: unknown = parse(await readFile(COMMITTED_RULES, "utf8"));
  assert.deepEqual(
    committed,
    { groups },
    "manifests/monitoring/tests/rules.yaml differs from the PrometheusRule: regenerate it with UPDATE_RULES=1",
  );
});

void test("promtool test rules: the unit tests pass, and cover every alert both firing and not firing", async () => {
  const files = await unitTestFiles();
  assert.ok(files.length > 0, "no *.test.yaml in manifests/monitoring/tests");
  const result = await run(PROMTOOL, ["test", "rules", ...files.map((f) => join(TESTS_DIR, f))]);
  assert.equal(result.code, 0, result.output);

  const fires = new Set<string>();
  const silent = new Set<string>();
  for (const f of files) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- a handful of small files
    const doc: unknown = parse(await readFile(join(TESTS_DIR, f), "utf8"));
    assert.ok(isRecord(doc) && Array.isArray(doc["tests"]), f);
    assert.deepEqual(doc["rule_files"], ["rules.yaml"], `${f} must load the committed rules.yaml`);
    for (const group of doc["tests"]) {
      const cases: unknown = isRecord(group) ? group["alert_rule_test"] : undefined;
      for (const c of Array.isArray(cases) ? cases : []) {
        if (!isRecord(c) || typeof c["alertname"] !== "string") continue;
        const expected = c["exp_alerts"];
        (Array.isArray(expected) && expected.length > 0 ? fires : silent).add(c["alertname"]);
      }
    }
  }
  for (const rule of (await typedGroups()).flatMap((g) => g.rules)) {
    assert.ok(fires.has(rule.alert), `${rule.alert}: no unit test where it fires`);
    assert.ok(silent.has(rule.alert), `${rule.alert}: no unit test where it must not fire`);
  }
});

void test("the unit tests catch each alert made to never fire or to always fire", async (t) => {
  const dir = await tempDir(t);
  const files = await unitTestFiles();
  const texts = new Map<string, string>();
  for (const f of files) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- a handful of small files
    await copyFile(join(TESTS_DIR, f), join(dir, f));
    // oxlint-disable-next-line eslint/no-await-in-loop -- same
    texts.set(f, await readFile(join(TESTS_DIR, f), "utf8"));
  }
  const groups = await typedGroups();
  const mutate = (alert: string, expr: string): Group[] =>
    mapRules(groups, (r) => (r.alert === alert ? { ...r, expr } : r));
  for (const rule of groups.flatMap((g) => g.rules)) {
    // Only the files that test this alert: the others would pass whatever it does.
    const mine = files.filter((f) => texts.get(f)?.includes(`alertname: ${rule.alert}\n`));
    assert.ok(mine.length > 0, `no unit test file tests ${rule.alert}`);
    for (const expr of ["vector(1) unless vector(1)", "vector(1)"]) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one rules.yaml in the dir at a time
      await writeFile(join(dir, "rules.yaml"), stringify({ groups: mutate(rule.alert, expr) }));
      // oxlint-disable-next-line eslint/no-await-in-loop -- same
      const result = await run(PROMTOOL, ["test", "rules", ...mine.map((f) => join(dir, f))]);
      assert.notEqual(result.code, 0, `${rule.alert} with expr ${expr}: the unit tests still pass`);
      assert.match(
        result.output,
        new RegExp(`alertname: ${rule.alert}\\b`),
        `${rule.alert} (${expr})`,
      );
    }
  }
});

void test("every metric and label the rules name is in docs/metrics.md (histogram suffixes map to the family)", async () => {
  const catalogue = parseCatalogue(await readFile(METRICS_DOC, "utf8"));
  assert.ok(catalogue.size > 30, `only ${catalogue.size} families parsed from docs/metrics.md`);
  assert.deepEqual(
    catalogue.get("kube_lookout_helm_findings")?.labels.has("helm_release_name"),
    true,
  );
  assert.equal(catalogue.get("kube_lookout_watch_stream_delay")?.histogram, true);
  assert.equal(catalogue.get("kube_lookout_outbox_backlog")?.histogram, false);
  const groups = await typedGroups();
  assert.deepEqual(ruleProblems(groups, catalogue), []);
  const used = new Set(
    groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/\bkube_lookout_[a-z0-9_]+/g) ?? [])),
  );
  assert.ok(used.size >= 10, `only ${used.size} metric names found in the expressions`);
});

void test("the name check fails on a mutated copy: a renamed metric, a histogram suffix on a gauge, a wrong label", async () => {
  const catalogue = parseCatalogue(await readFile(METRICS_DOC, "utf8"));
  const groups = await typedGroups();
  const rename = (from: string | RegExp, to: string): Group[] =>
    mapRules(groups, (r) => ({ ...r, expr: r.expr.replace(from, to) }));

  const renamed = ruleProblems(
    rename("kube_lookout_outbox_backlog_age", "kube_lookout_outbox_backlog_age_seconds"),
    catalogue,
  );
  assert.ok(
    renamed.some((p) =>
      p.includes("metric kube_lookout_outbox_backlog_age_seconds is not in docs/metrics.md"),
    ),
    renamed.join("\n"),
  );

  const suffixed = ruleProblems(
    rename("kube_lookout_informer_last_event_age", "kube_lookout_informer_last_event_age_count"),
    catalogue,
  );
  assert.ok(
    suffixed.some((p) => p.includes("kube_lookout_informer_last_event_age_count")),
    suffixed.join("\n"),
  );

  const label = ruleProblems(rename('status="removed"', 'state="removed"'), catalogue);
  assert.ok(
    label.some((p) => p.includes("label state is not a label of kube_lookout_helm_findings")),
    label.join("\n"),
  );

  const grouping = ruleProblems(rename("without (reason,", "without (cause,"), catalogue);
  assert.ok(
    grouping.some((p) => p.includes("label cause")),
    grouping.join("\n"),
  );

  const template = ruleProblems(
    mapRules(groups, (r) => ({
      ...r,
      annotations: { ...r.annotations, summary: "{{ $labels.k8s_resource_name }}" },
    })),
    catalogue,
  );
  assert.ok(
    template.some((p) => p.includes("label k8s_resource_name")),
    template.join("\n"),
  );
});

void test("every input series of the unit tests has the labels a scrape gives it: its attributes, otel_scope_name, job, instance", async () => {
  const catalogue = parseCatalogue(await readFile(METRICS_DOC, "utf8"));
  let checked = 0;
  for (const f of await unitTestFiles()) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- a handful of small files
    const text = await readFile(join(TESTS_DIR, f), "utf8");
    for (const m of text.matchAll(/series: '([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^']*\})'/g)) {
      const name = m[1] ?? "";
      const family = familyOf(name, catalogue);
      const expected =
        name === "up"
          ? ["instance", "job"]
          : [
              ...(catalogue.get(family ?? "")?.labels ?? []),
              "otel_scope_name",
              "job",
              "instance",
              ...(family !== name ? ["le"] : []),
            ].sort();
      assert.ok(name === "up" || family !== undefined, `${f}: ${name} is not in docs/metrics.md`);
      assert.deepEqual(labelNames(m[2] ?? ""), expected, `${f}: ${name}${m[2] ?? ""}`);
      checked++;
    }
  }
  assert.ok(checked >= 30, `only ${checked} series checked`);
});

void test("every alert: a severity, a summary, a description, and a runbook_url whose anchor is a heading of docs/alerts.md", async () => {
  const doc = await readFile(ALERTS_DOC, "utf8");
  const anchors = new Set([...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] ?? "")));
  const rules = (await typedGroups()).flatMap((g) => g.rules);
  assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length, "alert names are unique");
  for (const r of rules) {
    assert.match(r.alert, /^KubeLookout[A-Z][A-Za-z]+$/, r.alert);
    assert.ok(
      ["critical", "warning", "info"].includes(r.labels["severity"] ?? ""),
      `${r.alert}: severity`,
    );
    assert.ok((r.annotations["summary"] ?? "").length > 10, `${r.alert}: summary`);
    assert.ok((r.annotations["description"] ?? "").length > 20, `${r.alert}: description`);
    const url = r.annotations["runbook_url"] ?? "";
    const anchor = /\/docs\/alerts\.md#([a-z0-9_-]+)$/.exec(url)?.[1];
    assert.equal(anchor, anchorOf(r.alert), `${r.alert}: runbook_url ${url}`);
    assert.ok(anchors.has(anchor), `${r.alert}: docs/alerts.md has no heading for #${anchor}`);
  }
});

/** The samples of one family in a Prometheus text scrape: `name{labels}` and value. */
function samplesOf(text: string, name: string): { series: string; value: string }[] {
  const out: { series: string; value: string }[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (m?.[1] === name) out.push({ series: `${name}${m[2] ?? ""}`, value: m[3] ?? "" });
  }
  return out;
}

/** Label names of a series written as `name{a="x",b="y"}`, sorted. */
function labelNames(series: string): string[] {
  return [...series.matchAll(/[{,]\s*([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((m) => m[1] ?? "").sort();
}

void test("a real scrape of the Helm checker (cluster v1.21, a beta Ingress) fires KubeLookoutHelmRemovedApiNextVersion in promtool; the unit tests' findings have its labels", async (t) => {
  const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  sim.helm.install({
    namespace: "shop",
    name: "web",
    manifest: "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n",
  });
  const telemetry = createTelemetry({ env: {}, clusterName: "sim" });
  t.after(() => telemetry.shutdown());
  const checker = new HelmChecker({
    client,
    meterProvider: telemetry.meterProvider,
    maxThreads: 1,
    fullScanIntervalMs: 0,
  });
  t.after(() => checker.close());
  telemetry.addMetricProducer(checker.metricProducer);
  await checker.start();
  await checker.ready;
  const scraped = samplesOf(await telemetry.scrape(), "kube_lookout_helm_findings");
  assert.equal(scraped.length, 3, "deprecated at v1.21.0, removed at v1.22.0 and v1.23.0");

  // The hand-written series of the unit tests have exactly the scraped label names.
  const expected = [...labelNames(scraped[0]?.series ?? ""), "instance", "job"].sort();
  const unitTests = await readFile(join(TESTS_DIR, "helm.test.yaml"), "utf8");
  const written = [...unitTests.matchAll(/series: '(kube_lookout_helm_findings\{[^']*\})'/g)];
  assert.ok(written.length > 0);
  for (const w of written) assert.deepEqual(labelNames(w[1] ?? ""), expected, w[1]);

  // The scraped series, as Prometheus would store them, through the real rules.
  const dir = await tempDir(t);
  const series = scraped.map((s) => ({
    series: s.series.replace(/\}$/, ',job="kube-lookout",instance="10.0.0.1:8080"}'),
    values: `${s.value}+0x30`,
  }));
  const unit = {
    rule_files: [COMMITTED_RULES],
    evaluation_interval: "1m",
    tests: [
      {
        interval: "1m",
        input_series: series,
        alert_rule_test: [
          {
            eval_time: "20m",
            alertname: "KubeLookoutHelmRemovedApiNextVersion",
            exp_alerts: [
              {
                exp_labels: {
                  severity: "warning",
                  k8s_namespace_name: "shop",
                  helm_release_name: "web",
                  helm_chart_name: "web",
                  helm_chart_version: "1.0.0",
                  k8s_object_kind: "Ingress",
                  k8s_api_version: "networking.k8s.io/v1beta1",
                  k8s_api_version_replacement: "networking.k8s.io/v1",
                  removed_in: "v1.22.0",
                },
                exp_annotations: {
                  summary:
                    "Helm release shop/web uses networking.k8s.io/v1beta1 Ingress, removed in the next Kubernetes version.",
                  description:
                    "1 Ingress object(s) of release shop/web (chart web 1.0.0) use networking.k8s.io/v1beta1, which is removed in v1.22.0. Move the chart to networking.k8s.io/v1 before upgrading the cluster.",
                  runbook_url:
                    "https://github.com/kube-lookout/kube-lookout/blob/main/docs/alerts.md#kubelookouthelmremovedapinextversion",
                },
              },
            ],
          },
          {
            eval_time: "20m",
            alertname: "KubeLookoutHelmRemovedApiCurrentVersion",
            exp_alerts: [],
          },
        ],
      },
    ],
  };
  await writeFile(join(dir, "scraped.test.yaml"), stringify(unit));
  const result = await run(PROMTOOL, ["test", "rules", join(dir, "scraped.test.yaml")]);
  assert.equal(result.code, 0, `${result.output}\n${stringify(series)}`);
});
