/**
 * Manual benchmark (not a test): `npx node test/store/outbox-speed.manual.ts [events] [batch]`
 *
 * The recorder's write pattern: `events` (default 100,000) changes, each one `snapshots.put` of
 * a ~2 KiB object plus one ~2 KiB outbox row, `batch` (default 500) changes per
 * `store.transaction`, into a fresh file, once with synchronous=FULL and once with NORMAL.
 * Phases: `insert` (new objects), `update` (the same objects again, new resourceVersions; the
 * outbox keeps growing), then the relay's `drain` (`read` 500 + `ack` 500 until empty).
 * Inputs are built before timing, so the figures are the store's. Rows/s counts snapshot and
 * outbox rows (two per change); events/s counts changes. `limit*` is the same insert phase
 * through plain better-sqlite3 statements on the same pragmas and page size, with no
 * validation, no AUTOINCREMENT and no counter triggers: what SQLite on this machine allows.
 * `[body]`: `object` (default) puts the object in the event body (~2 KiB), `meta` only the
 * identifying fields (~150 bytes; the "omit the full object" option).
 * The last line is one JSON object.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import Sqlite from "better-sqlite3";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  openStore,
  type OutboxInsert,
  type SnapshotRow,
  type StoreSynchronous,
} from "../../src/store/index.ts";

const EVENTS = Number(process.argv[2] ?? "100000");
const BATCH = Number(process.argv[3] ?? "500");
/** `object`: the event body carries the object (~2 KiB); `meta`: only the identifying fields. */
const BODY = process.argv[4] ?? "object";
const RESOURCE = "apps/v1/deployments";

/** A Deployment-like object of about 2 KiB. */
function objectJson(i: number, rv: number): string {
  const labels: Record<string, string> = {};
  for (let l = 0; l < 6; l++) labels[`app.kubernetes.io/label-${l}`] = `value-${i % 97}-${l}`;
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: `service-${i}`,
      namespace: `team-${i % 60}`,
      uid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      resourceVersion: String(rv),
      generation: 3,
      labels,
      annotations: { "deployment.kubernetes.io/revision": "3", note: "x".repeat(600) },
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: "app",
              image: `registry.example.com/team-${i % 60}/service-${i}:1.2.${rv % 100}`,
              ports: [{ containerPort: 8080, protocol: "TCP" }],
              resources: { requests: { cpu: "100m", memory: "128Mi" } },
              env: [
                { name: "LOG_LEVEL", value: "info" },
                { name: "REGION", value: "eu-west-1" },
              ],
            },
          ],
        },
      },
    },
    status: { replicas: 3, readyReplicas: 3, updatedReplicas: 3, observedGeneration: 3 },
  });
}

interface Change {
  readonly snapshot: SnapshotRow;
  readonly event: OutboxInsert;
}

function changes(rvBase: number): Change[] {
  const out: Change[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < EVENTS; i++) {
    const rv = rvBase + i;
    const object = objectJson(i, rv);
    const namespace = `team-${i % 60}`;
    const name = `service-${i}`;
    const uid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
    out.push({
      snapshot: {
        resource: RESOURCE,
        namespace,
        name,
        uid,
        resourceVersion: String(rv),
        hash: (rv * 2654435761).toString(16).padStart(16, "0"),
        object,
      },
      event: {
        subject: `kl.prod.apps.v1.deployments.${namespace}.${name}.modified`,
        msgId: `${uid}:${rv}:modified`,
        orderKey: `${RESOURCE}/${namespace}/${name}`,
        headers: {
          "ce-specversion": "1.0",
          "ce-id": `${uid}:${rv}:modified`,
          "ce-type": "io.kube-lookout.resource.modified",
          "ce-source": "prod",
          "ce-subject": `${namespace}/${name}`,
          "ce-time": new Date(1_700_000_000_000 + i).toISOString(),
          "content-type": "application/json",
        },
        body: encoder.encode(
          BODY === "object"
            ? `{"kind":"Deployment","object":${object}}`
            : JSON.stringify({
                apiVersion: "apps/v1",
                kind: "Deployment",
                namespace,
                name,
                uid,
                resourceVersion: String(rv),
              }),
        ),
        observedAt: 1_700_000_000_000 + i,
      },
    });
  }
  return out;
}

function write(store: ReturnType<typeof openStore>, all: readonly Change[]): number {
  const started = performance.now();
  for (let i = 0; i < all.length; i += BATCH) {
    const part = all.slice(i, i + BATCH);
    store.transaction(() => {
      for (const c of part) store.snapshots.put(c.snapshot);
      store.outbox.append(part.map((c) => c.event));
    });
  }
  return performance.now() - started;
}

/** The insert phase through bare statements: no validation, no AUTOINCREMENT, no triggers. */
function limit(path: string, synchronous: StoreSynchronous, all: readonly Change[]): number {
  const db = new Sqlite(path);
  try {
    db.pragma("page_size = 16384");
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous}`);
    db.exec(`CREATE TABLE snapshots (resource TEXT NOT NULL, namespace TEXT NOT NULL,
        name TEXT NOT NULL, uid TEXT NOT NULL, resource_version TEXT NOT NULL, hash TEXT NOT NULL,
        object TEXT NOT NULL, PRIMARY KEY (resource, namespace, name)) STRICT;
      CREATE TABLE outbox (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, msg_id TEXT NOT NULL,
        order_key TEXT NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
        observed_at INTEGER NOT NULL) STRICT;`);
    const put = db.prepare(`INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (resource, namespace, name) DO UPDATE SET uid = excluded.uid,
        resource_version = excluded.resource_version, hash = excluded.hash,
        object = excluded.object`);
    const insert = db.prepare(`INSERT INTO outbox (subject, msg_id, order_key, headers, body,
      observed_at) VALUES (?, ?, ?, ?, ?, ?)`);
    const batch = db.transaction((part: readonly Change[]) => {
      for (const { snapshot: r } of part) {
        put.run(r.resource, r.namespace, r.name, r.uid, r.resourceVersion, r.hash, r.object);
      }
      for (const { event: e } of part) {
        insert.run(e.subject, e.msgId, e.orderKey, JSON.stringify(e.headers), e.body, e.observedAt);
      }
    });
    const started = performance.now();
    for (let i = 0; i < all.length; i += BATCH) batch(all.slice(i, i + BATCH));
    return performance.now() - started;
  } finally {
    db.close();
  }
}

function drain(store: ReturnType<typeof openStore>): { ms: number; rows: number } {
  const started = performance.now();
  let after = 0;
  let rows = 0;
  for (;;) {
    const got = store.outbox.read(after, BATCH);
    if (got.length === 0) break;
    store.outbox.ack(got.map((r) => r.id));
    after = got.at(-1)?.id ?? after;
    rows += got.length;
  }
  return { ms: performance.now() - started, rows };
}

const inserts = changes(1_000_000);
const updates = changes(2_000_000);
const bytesPerChange = inserts[0]!.snapshot.object.length + inserts[0]!.event.body.length;
const result: Record<string, unknown> = {
  events: EVENTS,
  batch: BATCH,
  body: BODY,
  bytesPerChange,
};
const modes: StoreSynchronous[] =
  process.env.SYNC === "FULL" || process.env.SYNC === "NORMAL"
    ? [process.env.SYNC]
    : ["FULL", "NORMAL"];
for (const synchronous of modes) {
  const dir = mkdtempSync(join(tmpdir(), "lookout-outbox-speed-"));
  try {
    const path = join(dir, "s.db");
    const store = openStore({ path, synchronous });
    const cpu = process.cpuUsage();
    const insertMs = write(store, inserts);
    const updateMs = write(store, updates);
    const used = process.cpuUsage(cpu);
    const { rows } = store.outbox.stats();
    const drained = drain(store);
    store.close();
    const limitMs = limit(join(dir, "limit.db"), synchronous, inserts);
    result[synchronous] = {
      insertMs: Math.round(insertMs),
      insertRowsPerS: Math.round((2 * EVENTS) / (insertMs / 1000)),
      insertEventsPerS: Math.round(EVENTS / (insertMs / 1000)),
      updateMs: Math.round(updateMs),
      updateRowsPerS: Math.round((2 * EVENTS) / (updateMs / 1000)),
      writeCpuMs: Math.round((used.user + used.system) / 1000),
      outboxRows: rows,
      drainRowsPerS: Math.round(drained.rows / (drained.ms / 1000)),
      fileMiB: Math.round(statSync(path).size / 2 ** 20),
      limitInsertRowsPerS: Math.round((2 * EVENTS) / (limitMs / 1000)),
      insertVsLimit: Math.round((limitMs / insertMs) * 100) / 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify(result));
