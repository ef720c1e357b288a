/**
 * Reading docs/metrics.md as a catalogue of Prometheus metric families, and checking PromQL
 * expressions against it: every kube-lookout metric an expression names is catalogued, and
 * every label it uses is one the series it selects carry. Shared by the alerting rules' test
 * (test/deploy/alerts.test.ts) and the dashboard's (test/deploy/dashboard.test.ts).
 */

/** Labels every scraped series may carry besides its attributes (Prometheus' and the exporter's). */
export const TARGET_LABELS: readonly string[] = ["job", "instance", "otel_scope_name"];

/** One metric family of docs/metrics.md. */
export interface Family {
  /** Prometheus label names of its attributes (characters outside `[a-zA-Z0-9_]` become `_`). */
  readonly labels: ReadonlySet<string>;
  /** Whether it is a histogram (its samples are `_bucket`, `_sum` and `_count`). */
  readonly histogram: boolean;
}

/** Prometheus family name → its family. */
export type Catalogue = ReadonlyMap<string, Family>;

/** The Prometheus label name of an OpenTelemetry attribute: `k8s.pod.name` → `k8s_pod_name`. */
export const toLabel = (attribute: string): string => attribute.replace(/[^a-zA-Z0-9_]/g, "_");

/** Options of {@link parseCatalogue}. */
export interface CatalogueOptions {
  /**
   * Also add a `target_info` family labelled with the `service.*` and `k8s.*` attributes of the
   * "Resource attributes" paragraph, when that paragraph lists some and the document names
   * `target_info`. Default false.
   */
  readonly targetInfo?: boolean;
}

/**
 * The catalogue of docs/metrics.md's tables: each row whose `Prometheus` cell is a
 * `kube_lookout_*` name, with the labels of its `Attributes` cell and whether its `Type` is
 * `Histogram`; plus `target_info` when `options.targetInfo` is set (see
 * {@link CatalogueOptions}). Rows of other tables are skipped; never throws.
 */
export function parseCatalogue(markdown: string, options: CatalogueOptions = {}): Catalogue {
  const out = new Map<string, Family>();
  let columns: string[] | undefined;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      columns = undefined;
      continue;
    }
    const cells = line
      .slice(1, line.endsWith("|") ? -1 : undefined)
      .split("|")
      .map((c) => c.trim());
    if (columns === undefined) {
      columns = cells;
      continue;
    }
    const cell = (column: string): string => cells[columns?.indexOf(column) ?? -1] ?? "";
    const name = /^`(kube_lookout_[a-z0-9_]+)`$/.exec(cell("Prometheus"))?.[1];
    if (name === undefined) continue;
    const labels = [...cell("Attributes").matchAll(/`([^`]+)`/g)].map((m) => toLabel(m[1] ?? ""));
    out.set(name, { labels: new Set(labels), histogram: cell("Type") === "Histogram" });
  }
  if (options.targetInfo === true) {
    const resource = /^Resource attributes[\s\S]*?(?=\n\n)/m.exec(markdown)?.[0] ?? "";
    const attributes = [...resource.matchAll(/`((?:service|k8s)\.[a-z._]+)`/g)].map((m) =>
      toLabel(m[1] ?? ""),
    );
    if (attributes.length > 0 && markdown.includes("`target_info`")) {
      out.set("target_info", { labels: new Set(attributes), histogram: false });
    }
  }
  return out;
}

/**
 * The catalogue's family of a sample name: the family itself, or for `_bucket`, `_sum` and
 * `_count` a histogram family (never a gauge or counter's); undefined when neither.
 */
export function familyOf(name: string, catalogue: Catalogue): string | undefined {
  if (catalogue.has(name)) return name;
  const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
  return base !== undefined && catalogue.get(base)?.histogram === true ? base : undefined;
}

/**
 * `expr` with label lists blanked (selector braces, `by`/`without`/`on`/`ignoring`/`group_*`
 * lists, `label_values`' label argument), so that a label named `kube_lookout_*` is not read as
 * a metric name.
 */
export function withoutLabelLists(expr: string): string {
  return expr
    .replace(/\{[^}]*\}/g, "{}")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1()")
    .replace(/(label_values\([^,]*,)\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)/g, "$1)");
}

/** Options of {@link problemsOf}. */
export interface ExpressionOptions {
  /**
   * Label names read from the expression's result elsewhere (a legend's `{{x}}`, an
   * annotation's `$labels.x`): each must be carried by some series of the expression.
   */
  readonly extra?: readonly string[];
  /**
   * Names besides `kube_lookout_*` read as metric names that must be families of the catalogue
   * (the dashboard: `["target_info"]`, with a catalogue parsed with `targetInfo`).
   */
  readonly catalogued?: readonly string[];
  /**
   * Series that are not kube-lookout's own and not catalogued (`up`), with the labels an
   * expression may use on them besides {@link TARGET_LABELS}.
   */
  readonly foreign?: ReadonlyMap<string, readonly string[]>;
}

/**
 * What is wrong with one PromQL expression against the catalogue, as messages ([] when
 * nothing): kube-lookout metric names (and `options.catalogued` names) not in the catalogue, a
 * selector's label its own metric does not carry, and labels in `by`/`without`/`on`/
 * `ignoring`/`group_left`/`group_right`, in `label_values(metric, label)` or in
 * `options.extra` that no series of the expression carries.
 */
export function problemsOf(
  expr: string,
  catalogue: Catalogue,
  options: ExpressionOptions = {},
): string[] {
  const { extra = [], catalogued = [], foreign = new Map<string, readonly string[]>() } = options;
  const problems: string[] = [];
  const allowed = new Set(TARGET_LABELS);
  const names = new RegExp(
    `\\b(?:kube_lookout_[a-z0-9_]+${catalogued.map((n) => `|${n}\\b`).join("")})`,
    "g",
  );
  for (const m of withoutLabelLists(expr).matchAll(names)) {
    const family = familyOf(m[0], catalogue);
    if (family === undefined) {
      problems.push(`metric ${m[0]} is not in docs/metrics.md`);
      continue;
    }
    for (const l of catalogue.get(family)?.labels ?? []) allowed.add(l);
    if (family !== m[0]) allowed.add("le");
  }
  for (const [name, labels] of foreign) {
    if (new RegExp(`\\b${name}\\b(?!_)`).test(expr)) for (const l of labels) allowed.add(l);
  }
  // Selectors: each label must belong to the selected metric itself.
  for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g)) {
    const metric = m[1];
    const family = metric === undefined ? undefined : familyOf(metric, catalogue);
    const foreignLabels = metric === undefined ? undefined : foreign.get(metric);
    const own =
      family !== undefined
        ? new Set([
            ...(catalogue.get(family)?.labels ?? []),
            ...TARGET_LABELS,
            ...(family === metric ? [] : ["le"]),
          ])
        : foreignLabels !== undefined
          ? new Set([...foreignLabels, ...TARGET_LABELS])
          : allowed;
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
      if (!own.has(l[1] ?? "")) {
        problems.push(`label ${l[1]} is not a label of ${metric ?? "the selector"}`);
      }
    }
  }
  const grouped = [
    ...expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g),
  ].flatMap((m) =>
    (m[1] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );
  // label_values(metric, label) (Grafana's): the label is the second argument.
  for (const m of expr.matchAll(/label_values\([^,]*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g)) {
    grouped.push(m[1] ?? "");
  }
  for (const l of [...grouped, ...extra]) {
    if (!allowed.has(l)) problems.push(`label ${l} is carried by no series of the expression`);
  }
  return problems;
}
