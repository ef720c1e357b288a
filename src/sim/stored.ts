/**
 * How the simulated cluster keeps objects: each with its JSON text serialized once per change,
 * and events with their wire line serialized once for every watcher.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";

/** One version of one object. Immutable once built: a change makes a new StoredObject. */
export interface StoredObject {
  /** `namespace/name`, or `name` for cluster-scoped objects: the sort and paging key. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly rv: number;
  /** Internal parsed copy; never handed out (callers get `JSON.parse(json)`). */
  readonly object: KubeObject;
  readonly json: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
}

/** The event types a change produces. */
export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

/** One change, as kept in the history and sent to watchers. */
export interface StoredEvent {
  readonly rv: number;
  readonly table: ResourceTable;
  readonly type: ChangeType;
  /** The new state (for DELETED: the last state with deletionTimestamp and the new RV). */
  readonly object: StoredObject;
  /** The state before the change; undefined for ADDED. */
  readonly prev: StoredObject | undefined;
  /** `{"type":T,"object":...}\n`, shared by all watchers without selectors. */
  readonly line: string;
}

/** The objects of one resource. */
export interface ResourceTable {
  readonly def: ResourceDefinition;
  /** `group/version/resource`. */
  readonly id: string;
  readonly objects: Map<string, StoredObject>;
  /** Cached objects sorted by key; undefined after any change. */
  sorted: StoredObject[] | undefined;
}

/** The key of an object: `namespace/name` or `name`. */
export function objectKey(namespace: string, name: string): string {
  return namespace === "" ? name : `${namespace}/${name}`;
}

/** Builds a StoredObject, serializing `object` once. */
export function storeObject(object: KubeObject, rv: number): StoredObject {
  const meta = object.metadata;
  const namespace = meta.namespace ?? "";
  const name = meta.name ?? "";
  return {
    key: objectKey(namespace, name),
    namespace,
    name,
    rv,
    object,
    json: JSON.stringify(object),
    labels: meta.labels,
  };
}

/** The wire line of an event about `object`. */
export function eventLine(type: string, object: StoredObject): string {
  return `{"type":"${type}","object":${object.json}}\n`;
}

/** The objects of a table sorted by key (cached until the next change). */
export function sortedObjects(table: ResourceTable): StoredObject[] {
  if (table.sorted === undefined) {
    table.sorted = [...table.objects.values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
  }
  return table.sorted;
}
