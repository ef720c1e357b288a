/**
 * Object snapshots: the last transformed state of each watched object, so that a restart can
 * diff the first list against what was seen before it. Keyed by (resource, namespace, name);
 * `resource` is a string chosen by the caller (e.g. `apps/v1/deployments`), namespace "" for a
 * cluster-scoped object. Statements are prepared once.
 */
import type { Statement } from "better-sqlite3";
import { StoreBadInputError } from "./errors.ts";
import type { StoreHandle } from "./handle.ts";

/** One stored snapshot. `object` is JSON text, stored and returned as given. */
export interface SnapshotRow {
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  /** The caller's hash of `object` (what a relist compares to find unchanged objects). */
  readonly hash: string;
  readonly object: string;
}

/** A snapshot without its object JSON. */
export interface SnapshotMeta {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly hash: string;
}

/**
 * The `snapshots` table. Every write is one statement and joins an open `store.transaction(fn)`.
 * Every member throws `LOOKOUT_STORE_CLOSED` after close; writes throw `LOOKOUT_STORE_BAD_INPUT`
 * (`field` names the value) for a non-string field, `LOOKOUT_STORE_FULL` when the size bound or
 * the disk is full, `LOOKOUT_STORE_WRITE_FAILED` for other SQLite errors; nothing is written then.
 */
export interface SnapshotRepository {
  /** Metadata (no object JSON) of every stored snapshot of `resource`, keyed `namespace/name`. */
  loadMeta(resource: string): Map<string, SnapshotMeta>;
  /** One snapshot with its object JSON, or undefined. */
  get(resource: string, namespace: string, name: string): SnapshotRow | undefined;
  /** Inserts or replaces. */
  put(row: SnapshotRow): void;
  /** Removes one; false when absent. */
  remove(resource: string, namespace: string, name: string): boolean;
  /** Removes every snapshot of `resource`; returns how many. */
  removeResource(resource: string): number;
  /**
   * Moves every snapshot of `from` to `to`, or those of one `namespace` (a watched resource's
   * version changed: the last recorded state of its objects carries over); returns how many (0
   * when `from` has none there). Throws `LOOKOUT_STORE_BAD_INPUT` when both have snapshots there.
   */
  moveResource(from: string, to: string, namespace?: string): number;
  /** The resources that have snapshots, in ascending order. */
  resources(): string[];
}

type Key = [resource: string, namespace: string, name: string];
type PutBind = [string, string, string, string, string, string, string];
type UpdateBind = [uid: string, rv: string, hash: string, object: string, ...key: Key];

const META = "namespace, name, uid, resource_version AS resourceVersion, hash";
const FIELDS = [
  "resource",
  "namespace",
  "name",
  "uid",
  "resourceVersion",
  "hash",
  "object",
] as const;

/** The {@link SnapshotRepository} over one connection. */
export class SqliteSnapshots implements SnapshotRepository {
  readonly #handle: StoreHandle;
  readonly #meta: Statement<[string], SnapshotMeta>;
  readonly #get: Statement<Key, SnapshotRow>;
  readonly #insert: Statement<PutBind>;
  readonly #update: Statement<UpdateBind>;
  readonly #remove: Statement<Key>;
  readonly #removeResource: Statement<[string]>;
  readonly #moveResource: Statement<[to: string, from: string]>;
  readonly #moveNamespace: Statement<[to: string, from: string, namespace: string]>;
  readonly #any: Statement<[string], number>;
  readonly #anyIn: Statement<[string, string], number>;
  readonly #resources: Statement<[], string>;
  /** Rows per resource as committed (resources with none absent); see {@link counts}. */
  readonly #counts = new Map<string, number>();

  constructor(handle: StoreHandle) {
    this.#handle = handle;
    const db = handle.db;
    this.#meta = db.prepare<[string], SnapshotMeta>(
      `SELECT ${META} FROM snapshots WHERE resource = ?`,
    );
    this.#get = db.prepare<Key, SnapshotRow>(
      `SELECT resource, ${META}, object FROM snapshots
        WHERE resource = ? AND namespace = ? AND name = ?`,
    );
    this.#insert = db.prepare<PutBind>(
      `INSERT INTO snapshots (resource, namespace, name, uid, resource_version, hash, object)
        VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#update = db.prepare<UpdateBind>(
      `UPDATE snapshots SET uid = ?, resource_version = ?, hash = ?, object = ?
        WHERE resource = ? AND namespace = ? AND name = ?`,
    );
    this.#remove = db.prepare<Key>(
      "DELETE FROM snapshots WHERE resource = ? AND namespace = ? AND name = ?",
    );
    this.#removeResource = db.prepare<[string]>("DELETE FROM snapshots WHERE resource = ?");
    this.#moveResource = db.prepare<[string, string]>(
      "UPDATE snapshots SET resource = ? WHERE resource = ?",
    );
    this.#moveNamespace = db.prepare<[string, string, string]>(
      "UPDATE snapshots SET resource = ? WHERE resource = ? AND namespace = ?",
    );
    this.#any = db
      .prepare<[string], number>("SELECT 1 FROM snapshots WHERE resource = ? LIMIT 1")
      .pluck();
    this.#anyIn = db
      .prepare<[string, string], number>(
        "SELECT 1 FROM snapshots WHERE resource = ? AND namespace = ? LIMIT 1",
      )
      .pluck();
    this.#resources = db
      .prepare<[], string>("SELECT DISTINCT resource FROM snapshots ORDER BY resource")
      .pluck();
    const count = db.prepare<[], { resource: string; n: number }>(
      "SELECT resource, count(*) AS n FROM snapshots GROUP BY resource",
    );
    for (const { resource, n } of count.iterate()) this.#counts.set(resource, n);
  }

  /**
   * Snapshot rows per resource, as committed: counted once at open (one pass over the primary
   * key's index), then kept by the writes (a change counts when its transaction commits, see
   * `StoreHandle.afterCommit`). For the `kube_lookout.store.snapshots` gauge: O(resources).
   */
  counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  #add(resource: string, delta: number): void {
    if (delta === 0) return;
    this.#handle.afterCommit(() => {
      const n = (this.#counts.get(resource) ?? 0) + delta;
      if (n > 0) this.#counts.set(resource, n);
      else this.#counts.delete(resource);
    });
  }

  loadMeta(resource: string): Map<string, SnapshotMeta> {
    this.#handle.assertOpen();
    checkString("resource", resource);
    const out = new Map<string, SnapshotMeta>();
    for (const m of this.#meta.iterate(resource)) out.set(`${m.namespace}/${m.name}`, m);
    return out;
  }

  get(resource: string, namespace: string, name: string): SnapshotRow | undefined {
    this.#handle.assertOpen();
    checkKey(resource, namespace, name);
    return this.#get.get(resource, namespace, name);
  }

  put(row: SnapshotRow): void {
    this.#handle.write("snapshots", "snapshots.put", () => {
      if (typeof row !== "object" || row === null) {
        throw new StoreBadInputError("row", row, "must be a snapshot row");
      }
      for (const field of FIELDS) checkString(field, row[field]);
      const { resource, namespace, name, uid, resourceVersion, hash, object } = row;
      // An UPDATE, then an INSERT when no row matched: the same as an upsert, and it tells a new
      // object from a changed one (for the counts) without a trigger (any trigger on the table
      // doubled the CPU time of a put: docs/store.md, "Metrics"). No transaction is needed around
      // the two: an UPDATE that matched nothing wrote nothing.
      const updated = this.#update.run(
        uid,
        resourceVersion,
        hash,
        object,
        resource,
        namespace,
        name,
      );
      if (updated.changes > 0) return;
      this.#insert.run(resource, namespace, name, uid, resourceVersion, hash, object);
      this.#add(resource, 1);
    });
  }

  remove(resource: string, namespace: string, name: string): boolean {
    return this.#handle.write("snapshots", "snapshots.remove", () => {
      checkKey(resource, namespace, name);
      const removed = this.#remove.run(resource, namespace, name).changes;
      this.#add(resource, -removed);
      return removed > 0;
    });
  }

  removeResource(resource: string): number {
    return this.#handle.write("snapshots", "snapshots.removeResource", () => {
      checkString("resource", resource);
      const removed = this.#removeResource.run(resource).changes;
      this.#add(resource, -removed);
      return removed;
    });
  }

  moveResource(from: string, to: string, namespace?: string): number {
    return this.#handle.write("snapshots", "snapshots.moveResource", () => {
      checkString("from", from);
      checkString("to", to);
      if (namespace !== undefined) checkString("namespace", namespace);
      const has = (resource: string): boolean =>
        (namespace === undefined
          ? this.#any.get(resource)
          : this.#anyIn.get(resource, namespace)) !== undefined;
      if (from === to || !has(from)) return 0;
      if (has(to)) {
        throw new StoreBadInputError(
          "to",
          to,
          namespace === undefined
            ? "a resource without snapshots"
            : `a resource without snapshots in namespace "${namespace}"`,
        );
      }
      const moved = (
        namespace === undefined
          ? this.#moveResource.run(to, from)
          : this.#moveNamespace.run(to, from, namespace)
      ).changes;
      this.#add(from, -moved);
      this.#add(to, moved);
      return moved;
    });
  }

  resources(): string[] {
    this.#handle.assertOpen();
    return this.#resources.all();
  }
}

function checkKey(resource: unknown, namespace: unknown, name: unknown): void {
  checkString("resource", resource);
  checkString("namespace", namespace);
  checkString("name", name);
}

function checkString(field: string, value: unknown): void {
  if (typeof value !== "string") throw new StoreBadInputError(field, value, "must be a string");
}
