/**
 * The Helm benchmark's baseline: the way kdave and Pluto check Helm releases. Paged LISTs (256
 * per page) of every Helm Secret and ConfigMap (`owner=helm`) with their payloads; EVERY
 * revision decoded (base64, base64, gunzip, JSON.parse) and every document of its manifest and
 * hooks parsed by the `yaml` package; one thread. Then, per release, the newest `deployed`
 * revision's objects give the findings (`findingsFor`, built-in table).
 */
import { parseAllDocuments } from "yaml";
import { builtinTable, findingsFor } from "../../src/helm/index.ts";
import type { FindingTargets, HelmFinding, ScannedObject } from "../../src/helm/index.ts";
import { HELM_COLLECTIONS, inflatePayload, listPaged } from "./helm-http.ts";

/** What the baseline found: releases checked (those with a deployed revision) and findings. */
export interface HelmBaselineResult {
  releases: number;
  findings: HelmFinding[];
}

interface Revision {
  readonly namespace: string;
  readonly name: string;
  readonly revision: number;
  readonly status: string;
  readonly chart: string;
  readonly chartVersion: string;
  readonly objects: ScannedObject[];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function text(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function toObject(v: Record<string, unknown>, source: ScannedObject["source"]): ScannedObject {
  const meta = isRecord(v["metadata"]) ? v["metadata"] : {};
  const out: ScannedObject = { apiVersion: text(v["apiVersion"]), kind: text(v["kind"]), source };
  if (typeof meta["name"] === "string") out.name = meta["name"];
  if (typeof meta["namespace"] === "string") out.namespace = meta["namespace"];
  return out;
}

/** Every object of a manifest, `kind: *List` items expanded; unreadable documents skipped. */
function objectsOf(manifest: string, source: ScannedObject["source"], out: ScannedObject[]): void {
  for (const doc of parseAllDocuments(manifest)) {
    if (doc.errors.length > 0) continue;
    const v: unknown = doc.toJS();
    if (!isRecord(v)) continue;
    const items = v["items"];
    if (text(v["kind"]).endsWith("List") && Array.isArray(items)) {
      for (const item of items) if (isRecord(item)) out.push(toObject(item, source));
    } else {
      out.push(toObject(v, source));
    }
  }
}

function decode(namespace: string, value: string, secret: boolean): Revision | undefined {
  const release: unknown = JSON.parse(inflatePayload(value, secret).toString("utf8"));
  if (!isRecord(release) || !isRecord(release["info"]) || !isRecord(release["chart"])) {
    return undefined;
  }
  const meta = isRecord(release["chart"]["metadata"]) ? release["chart"]["metadata"] : {};
  const objects: ScannedObject[] = [];
  objectsOf(text(release["manifest"]), "manifest", objects);
  const hooks = release["hooks"];
  if (Array.isArray(hooks)) {
    for (const h of hooks) if (isRecord(h)) objectsOf(text(h["manifest"]), "hook", objects);
  }
  return {
    namespace,
    name: text(release["name"]),
    revision: typeof release["version"] === "number" ? release["version"] : 0,
    status: text(release["info"]["status"]),
    chart: text(meta["name"]),
    chartVersion: text(meta["version"]),
    objects,
  };
}

/**
 * Runs the baseline against the API server at `url`. Findings are ordered by release
 * (namespace, then name), each release's as `findingsFor` orders them. Rejects on any HTTP,
 * base64/gzip or JSON error (the baseline does not recover).
 */
export async function helmBaseline(options: {
  url: string;
  targets: FindingTargets;
}): Promise<HelmBaselineResult> {
  const newest = new Map<string, Revision>();
  for (const { path, secret } of HELM_COLLECTIONS) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one thread, one list at a time
    await listPaged(options.url, path, "owner=helm", (item) => {
      if (item.release === undefined) return;
      const rev = decode(item.namespace, item.release, secret);
      if (rev === undefined || rev.status !== "deployed") return;
      const key = `${rev.namespace}/${rev.name}`;
      const seen = newest.get(key);
      if (seen === undefined || seen.revision < rev.revision) newest.set(key, rev);
    });
  }
  const table = builtinTable();
  const releases = [...newest.values()].sort(
    (a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name),
  );
  const findings: HelmFinding[] = [];
  for (const r of releases) {
    const ref = {
      namespace: r.namespace,
      release: r.name,
      revision: r.revision,
      chart: r.chart,
      chartVersion: r.chartVersion,
    };
    findings.push(...findingsFor(ref, r.objects, table, options.targets));
  }
  return { releases: releases.length, findings };
}
