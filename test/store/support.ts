/**
 * Shared pieces of the store tests: a temp dir per test, fixtures and a log recorder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import Sqlite from "better-sqlite3";
import type { HelmFinding, ScannedObject } from "../../src/helm/index.ts";
import type { Logger } from "../../src/logging/index.ts";
import type { OutboxInsert, SnapshotRow, StoredRelease } from "../../src/store/index.ts";

/** A fresh directory under os.tmpdir(), removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-store-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The `code` of an error, for `assert.throws` matchers. */
export function codeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}

/** A matcher for `assert.throws`: the error has this `code`. */
export function withCode(code: string): (err: unknown) => boolean {
  return (err) => codeOf(err) === code;
}

/** A release with `n` objects. */
export function release(
  namespace: string,
  name: string,
  revision: number,
  n = 3,
  extra: Partial<StoredRelease> = {},
): StoredRelease {
  const objects: ScannedObject[] = [];
  for (let i = 0; i < n; i++) {
    const o: ScannedObject = {
      apiVersion: i % 2 === 0 ? "extensions/v1beta1" : "apps/v1",
      kind: i % 2 === 0 ? "Ingress" : "Deployment",
      name: `${name}-obj-${i}`,
      source: i === n - 1 ? "hook" : "manifest",
      template: `${name}/templates/t${i}.yaml`,
    };
    if (i % 3 === 0) o.namespace = namespace;
    if (o.source === "hook") o.hookIndex = 0;
    objects.push(o);
  }
  return {
    namespace,
    release: name,
    revision,
    payloadHash: `hash-${name}-${revision}`,
    driver: "secret",
    storageName: `sh.helm.release.v1.${name}.v${revision}`,
    storageUid: `uid-${name}-${revision}`,
    storageResourceVersion: String(1000 + revision),
    chart: "demo",
    chartVersion: "1.2.3",
    appVersion: "4.5.6",
    status: "deployed",
    scannedAt: 1_700_000_000_000 + revision,
    objects,
    errors: [],
    ...extra,
  };
}

/** The findings of `r`: one per Ingress object per target. */
export function findingsOf(r: StoredRelease, targets = ["v1.22.0", "v1.25.0"]): HelmFinding[] {
  const out: HelmFinding[] = [];
  for (const target of targets) {
    for (const o of r.objects) {
      if (o.kind !== "Ingress") continue;
      out.push({
        namespace: r.namespace,
        release: r.release,
        revision: r.revision,
        chart: r.chart,
        chartVersion: r.chartVersion,
        name: o.name ?? "",
        objectNamespace: o.namespace ?? "",
        kind: o.kind,
        apiVersion: o.apiVersion,
        source: o.source,
        component: "k8s",
        deprecatedIn: "v1.14.0",
        removedIn: "v1.22.0",
        replacementApi: "networking.k8s.io/v1",
        target,
        status: "removed",
        minorsUntilRemoval: target === "v1.22.0" ? 0 : null,
      });
    }
  }
  return out;
}

/** One recorded log call. */
export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A logger that records what it is given. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Readonly<Record<string, unknown>> = {}): void => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
  };
}

/** A snapshot row of object `i` of `resource`. */
export function snapshotRow(
  i: number,
  resource = "apps/v1/deployments",
  extra: Partial<SnapshotRow> = {},
): SnapshotRow {
  return {
    resource,
    namespace: i % 3 === 0 ? "" : `ns-${i % 3}`,
    name: `obj.${i}`,
    uid: `uid-${i}`,
    resourceVersion: String(100 + i),
    hash: `hash-${i}`,
    object: JSON.stringify({ metadata: { name: `obj.${i}` }, spec: { n: i, note: "é✓" } }),
    ...extra,
  };
}

/** An outbox event `i` (a UTF-8 subject and header, a binary body). */
export function outboxEvent(i: number, bodyBytes = 16): OutboxInsert {
  const body = new Uint8Array(bodyBytes);
  for (let b = 0; b < bodyBytes; b++) body[b] = (i + b) % 256;
  return {
    subject: `kl.prod.apps.v1.deployments.ns.obj-${i}.modified`,
    msgId: `uid-${i}:${100 + i}:modified`,
    orderKey: `apps/v1/deployments/ns/obj-${i % 4}`,
    headers: { "ce-id": `uid-${i}:${100 + i}:modified`, "ce-subject": `ns/obj-${i}`, note: "é✓" },
    body,
    observedAt: 1_700_000_000_000 + i,
  };
}

/** The bytes `outbox.stats()` counts for `e`. */
export function outboxBytes(e: OutboxInsert): number {
  return (
    e.body.length + Buffer.byteLength(JSON.stringify(e.headers)) + Buffer.byteLength(e.subject)
  );
}

/** A matcher for `assert.throws`: `LOOKOUT_STORE_BAD_INPUT` naming `field`. */
export function badInput(field: string): (err: unknown) => boolean {
  return (err) =>
    codeOf(err) === "LOOKOUT_STORE_BAD_INPUT" &&
    err instanceof Error &&
    "field" in err &&
    err.field === field;
}

/**
 * Writes at `path` a SQLite file whose header is fine but whose pages 3 and 4 (b-tree pages of a
 * table or index) are garbage, so `quick_check` fails; returns its bytes.
 */
export function damagedDatabase(path: string): Buffer {
  const raw = new Sqlite(path);
  raw.exec("CREATE TABLE t (x TEXT); CREATE INDEX tx ON t (x);");
  const insert = raw.prepare("INSERT INTO t VALUES (?)");
  raw.transaction(() => {
    for (let i = 0; i < 3000; i++) insert.run(`row ${i} ${"-".repeat(20)}`);
  })();
  raw.close();
  const bytes = readFileSync(path);
  const pageSize = bytes.readUInt16BE(16);
  for (let i = pageSize * 2; i < pageSize * 4; i++) bytes[i] = (i * 7) & 0xff;
  writeFileSync(path, bytes);
  return bytes;
}

/**
 * Writes at `path` a SQLite file that `quick_check` finds fine but whose index disagrees with
 * its table: one value in a leaf page of index `tx` differs from the row it indexes in `t`
 * (`integrity_check` reports the row missing from the index). Returns its bytes.
 */
export function indexMismatchDatabase(path: string): Buffer {
  const raw = new Sqlite(path);
  raw.exec("CREATE TABLE t (x TEXT); CREATE INDEX tx ON t (x);");
  const insert = raw.prepare("INSERT INTO t VALUES (?)");
  raw.transaction(() => {
    for (let i = 0; i < 3000; i++) insert.run(`row ${1000 + i} ${"-".repeat(20)}`);
  })();
  const pageSize = Number(raw.pragma("page_size", { simple: true }));
  const pages = raw
    .prepare<[], { pageno: number }>(
      "SELECT pageno FROM dbstat WHERE name = 'tx' AND pagetype = 'leaf' ORDER BY pageno",
    )
    .all();
  raw.close();
  const bytes = readFileSync(path);
  // The last character of the values in one leaf page, in the index only: still in key order.
  const page = pages[0]?.pageno;
  if (page === undefined) throw new Error("index tx has no leaf page");
  const start = (page - 1) * pageSize;
  const dashes = "-".repeat(20);
  for (let at = bytes.indexOf(dashes, start); at >= 0 && at < start + pageSize;) {
    bytes[at + 19] = "+".charCodeAt(0);
    at = bytes.indexOf(dashes, at + 20);
  }
  writeFileSync(path, bytes);
  const check = new Sqlite(path, { readonly: true });
  try {
    const quick = String(check.pragma("quick_check", { simple: true }));
    const full = String(check.pragma("integrity_check", { simple: true }));
    if (quick !== "ok" || full === "ok") {
      throw new Error(`expected quick_check ok and integrity_check not: ${quick} / ${full}`);
    }
  } finally {
    check.close();
  }
  return bytes;
}
