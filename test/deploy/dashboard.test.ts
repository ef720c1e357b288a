/**
 * The Grafana dashboard in manifests/monitoring/dashboards: every query of every panel (rows'
 * nested panels included) and of every template variable names only metrics of docs/metrics.md,
 * and only labels those metrics carry (attributes with dots as underscores, plus `job`,
 * `instance`, `otel_scope_name`, `le` on histogram buckets; `target_info` with the resource
 * attributes). A mutated copy fails the check. The panels the issue asks for are there, and
 * `kubectl kustomize manifests/monitoring` renders the dashboard's ConfigMap for Grafana's
 * sidecar.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { assertNoActiveHandles } from "../support/handles.ts";
import { parseCatalogue, problemsOf, type Catalogue } from "./promql-support.ts";
import { isRecord, renderKustomize } from "./support.ts";

after(assertNoActiveHandles);

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MONITORING = join(ROOT, "manifests/monitoring");
const DASHBOARD = join(MONITORING, "dashboards/kube-lookout.json");
const METRICS_DOC = join(ROOT, "docs/metrics.md");
const PROMTOOL = process.env["PROMTOOL"] ?? "promtool";

// --- the dashboard ----------------------------------------------------------------------------

/** One query of the dashboard, with where it is. */
interface Query {
  readonly where: string;
  readonly panelType: string;
  readonly expr: string;
  /** Labels the legend reads (`{{x}}`). */
  readonly legendLabels: readonly string[];
}

/** Every panel, rows' nested `panels` included, in order. */
function allPanels(dashboard: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (!isRecord(p)) continue;
      out.push(p);
      walk(p["panels"]);
    }
  };
  walk(dashboard["panels"]);
  return out;
}

/** Every PromQL query: panels' targets (`expr`) and query variables (`query.query` or `query`). */
function queriesOf(dashboard: Record<string, unknown>): Query[] {
  const out: Query[] = [];
  for (const panel of allPanels(dashboard)) {
    const targets = panel["targets"];
    for (const t of Array.isArray(targets) ? targets : []) {
      if (!isRecord(t) || typeof t["expr"] !== "string") continue;
      const legend = typeof t["legendFormat"] === "string" ? t["legendFormat"] : "";
      out.push({
        where: `panel "${String(panel["title"])}" target ${String(t["refId"])}`,
        panelType: String(panel["type"]),
        expr: t["expr"],
        legendLabels: [...legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map(
          (m) => m[1] ?? "",
        ),
      });
    }
  }
  const templating = dashboard["templating"];
  const list = isRecord(templating) ? templating["list"] : undefined;
  for (const v of Array.isArray(list) ? list : []) {
    if (!isRecord(v) || v["type"] !== "query") continue;
    const q = v["query"];
    const expr = isRecord(q) ? q["query"] : q;
    if (typeof expr !== "string") continue;
    out.push({ where: `variable ${String(v["name"])}`, panelType: "", expr, legendLabels: [] });
  }
  return out;
}

/** Every problem of every query of `dashboard`. */
function dashboardProblems(dashboard: Record<string, unknown>, catalogue: Catalogue): string[] {
  return queriesOf(dashboard).flatMap((q) =>
    problemsOf(q.expr, catalogue, { extra: q.legendLabels, catalogued: ["target_info"] }).map(
      (p) => `${q.where}: ${p}`,
    ),
  );
}

async function load(): Promise<{ dashboard: Record<string, unknown>; catalogue: Catalogue }> {
  const dashboard: unknown = JSON.parse(await readFile(DASHBOARD, "utf8"));
  assert.ok(isRecord(dashboard));
  return {
    dashboard,
    catalogue: parseCatalogue(await readFile(METRICS_DOC, "utf8"), { targetInfo: true }),
  };
}

// --- tests ------------------------------------------------------------------------------------

void test("every query names only metrics of docs/metrics.md and labels those metrics carry", async () => {
  const { dashboard, catalogue } = await load();
  assert.ok(catalogue.size > 30, `only ${catalogue.size} families parsed from docs/metrics.md`);
  assert.deepEqual([...(catalogue.get("target_info")?.labels ?? [])].sort(), [
    "k8s_cluster_name",
    "k8s_namespace_name",
    "k8s_node_name",
    "k8s_pod_name",
    "service_instance_id",
    "service_name",
    "service_version",
  ]);
  const queries = queriesOf(dashboard);
  assert.ok(queries.length >= 30, `only ${queries.length} queries found`);
  assert.deepEqual(dashboardProblems(dashboard, catalogue), []);
});

/** Asserts that one of `problems` mentions `what`. */
function has(problems: readonly string[], what: string): void {
  assert.ok(
    problems.some((p) => p.includes(what)),
    `expected a problem with "${what}" in:\n${problems.join("\n")}`,
  );
}

void test("a mutated copy fails the check: renamed metric, wrong label, suffix on a gauge, nested panel, legend", async () => {
  const { catalogue } = await load();
  const text = await readFile(DASHBOARD, "utf8");
  const mutated = (from: string, to: string): string[] => {
    assert.ok(text.includes(from), `the dashboard has no ${from}`);
    const copy: unknown = JSON.parse(text.replaceAll(from, to));
    assert.ok(isRecord(copy));
    return dashboardProblems(copy, catalogue);
  };
  has(
    mutated("kube_lookout_informer_events_total", "kube_lookout_informer_events"),
    "metric kube_lookout_informer_events is not in docs/metrics.md",
  );
  has(
    mutated("sum by (k8s_resource) (rate(", "sum by (resource) (rate("),
    "label resource is carried by no series",
  );
  has(
    mutated('kube_lookout_scope=\\"workload\\"', 'kube_lookout_scopes=\\"workload\\"'),
    "label kube_lookout_scopes is not a label of kube_lookout_resource_cpu_usage",
  );
  has(
    mutated("kube_lookout_outbox_backlog{", "kube_lookout_outbox_backlog_count{"),
    "metric kube_lookout_outbox_backlog_count",
  );
  has(
    mutated("kube_lookout_helm_findings{status=~", "kube_lookout_helm_findings{state=~"),
    "label state is not a label of kube_lookout_helm_findings",
  );
  // Only inside the collapsed row's nested panels:
  has(
    mutated("kube_lookout_plugin_restarts_total", "kube_lookout_plugins_restarts_total"),
    'panel "Plugin restarts"',
  );
  has(mutated("{{k8s_watch_event_type}}", "{{event_type}}"), "label event_type");
  has(mutated("k8s_cluster_name)", "cluster)"), "variable cluster: label cluster");
});

/** Grafana's variables in a query replaced by values a plain PromQL parser accepts. */
function substituted(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "5m")
    .replaceAll("$__interval", "1m")
    .replaceAll("$__range", "1h")
    .replace(/\$\{?[a-zA-Z_]+\}?/g, ".*");
}

void test("every panel query is valid PromQL: promtool check rules on them as recording rules", async (t) => {
  const { dashboard } = await load();
  const panelQueries = queriesOf(dashboard).filter((q) => q.panelType !== "");
  const rules = panelQueries.map((q, i) => ({
    record: `dashboard:query_${i}`,
    expr: substituted(q.expr),
  }));
  const dir = await mkdtemp(join(tmpdir(), "kl-dashboard-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "queries.yaml");
  const check = async (): Promise<{ code: number; output: string }> =>
    new Promise((resolve, reject) => {
      execFile(PROMTOOL, ["check", "rules", file], (err, stdout, stderr) => {
        if (err === null) resolve({ code: 0, output: stdout + stderr });
        else if (typeof err.code === "number") resolve({ code: err.code, output: stdout + stderr });
        else reject(err);
      });
    });
  await writeFile(file, stringify({ groups: [{ name: "dashboard", rules }] }));
  const ok = await check();
  assert.equal(ok.code, 0, ok.output);
  assert.match(ok.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  // A query with a syntax error is refused, so the check above means something.
  const first = rules[0];
  assert.ok(first !== undefined);
  await writeFile(
    file,
    stringify({
      groups: [{ name: "dashboard", rules: [{ ...first, expr: `sum(${first.expr}` }] }],
    }),
  );
  assert.notEqual((await check()).code, 0);
});

void test("schema version, the datasource and cluster variables, and the panels the issue asks for", async () => {
  const { dashboard } = await load();
  assert.ok(Number(dashboard["schemaVersion"]) >= 39, "schemaVersion ≥ 39");
  assert.equal(typeof dashboard["uid"], "string");
  const templating = dashboard["templating"];
  const vars = isRecord(templating) && Array.isArray(templating["list"]) ? templating["list"] : [];
  const variable = (name: string): Record<string, unknown> => {
    const v: unknown = vars.find((x) => isRecord(x) && x["name"] === name);
    assert.ok(isRecord(v), `no ${name} variable`);
    return v;
  };
  assert.equal(variable("datasource")["type"], "datasource");
  assert.equal(variable("datasource")["query"], "prometheus");
  const cluster = variable("cluster");
  assert.equal(cluster["type"], "query");
  assert.match(JSON.stringify(cluster["query"]), /label_values\(target_info.*k8s_cluster_name\)/);
  assert.match(JSON.stringify(variable("instance")["query"]), /k8s_cluster_name=~\\"\$cluster\\"/);

  const panels = allPanels(dashboard);
  const ids = panels.map((p) => p["id"]);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  for (const p of panels) {
    if (p["type"] === "row") continue;
    assert.deepEqual(
      p["datasource"],
      { type: "prometheus", uid: "${datasource}" },
      String(p["title"]),
    );
  }
  assert.ok(
    panels.some((p) => p["type"] === "row" && p["collapsed"] === true),
    "a collapsed row (nested panels)",
  );

  const queries = queriesOf(dashboard);
  const find = (panelType: string, pattern: RegExp): void =>
    assert.ok(
      queries.some((q) => q.panelType === panelType && pattern.test(q.expr)),
      `no ${panelType} panel with ${String(pattern)}`,
    );
  find("table", /kube_lookout_helm_findings\{/);
  find(
    "timeseries",
    /sum by \(k8s_resource\) \(rate\(kube_lookout_informer_events_total\{[^}]*\}\[\$__rate_interval\]\)\)/,
  );
  find("heatmap", /kube_lookout_watch_stream_delay_bucket/);
  find("timeseries", /kube_lookout_outbox_backlog\{/);
  find("timeseries", /kube_lookout_outbox_backlog_age\{/);
  find(
    "timeseries",
    /by \(k8s_namespace_name, k8s_workload_kind, k8s_workload_name\) \(kube_lookout_resource_cpu_usage\{kube_lookout_scope="workload"/,
  );
  find(
    "timeseries",
    /by \(k8s_namespace_name, k8s_workload_kind, k8s_workload_name\) \(kube_lookout_resource_memory_usage\{kube_lookout_scope="workload"/,
  );
  find("timeseries", /kube_lookout_informer_last_event_age/);
  find("timeseries", /kube_lookout_relay_delivered_total/);
  // Every kube-lookout query is narrowed to the chosen instances (which the cluster narrows).
  for (const q of queries) {
    if (q.panelType === "" && q.where.includes("cluster")) continue;
    if (q.expr.includes("kube_lookout_")) {
      assert.match(q.expr, /instance=~"\$instance"/, q.where);
    }
  }
});

void test("kubectl kustomize manifests/monitoring: the dashboard's ConfigMap for Grafana's sidecar, and the PrometheusRule", async () => {
  const objects = await renderKustomize(MONITORING);
  const kinds = objects.map((o) => (isRecord(o) ? String(o["kind"]) : "?")).sort();
  assert.deepEqual(kinds, ["ConfigMap", "PrometheusRule"]);
  const cm = objects.find((o) => isRecord(o) && o["kind"] === "ConfigMap");
  assert.ok(isRecord(cm));
  const metadata = cm["metadata"];
  assert.ok(isRecord(metadata));
  assert.equal(metadata["name"], "kube-lookout-dashboard", "no hash suffix");
  const labels = metadata["labels"];
  assert.ok(isRecord(labels));
  assert.equal(labels["grafana_dashboard"], "1");
  const data = cm["data"];
  assert.ok(isRecord(data));
  assert.deepEqual(Object.keys(data), ["kube-lookout.json"]);
  assert.equal(data["kube-lookout.json"], await readFile(DASHBOARD, "utf8"));
});
