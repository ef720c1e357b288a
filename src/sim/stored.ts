/**
 * How the simulated cluster keeps objects: each with its JSON text serialized once per change,
 * and events with their wire line serialized once for every watcher.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import { parseKubeObject } from "./json.ts";

/**
 * One version of one object: its JSON text (serialized once) and identity. Immutable. The
 * parsed object is kept only while this is the current version (it is the base of the next
 * patch and what field selectors read); a superseded version keeps only its text, so a long
 * history costs one string per event.
 */
export class StoredObject {
  /** `namespace/name`, or `name` for cluster-scoped objects: the sort and paging key. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly rv: number;
  readonly json: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  #parsed: KubeObject | undefined;
  #metadataJson: string | undefined;

  /** Serializes `object` (which the store then never mutates nor hands out). */
  constructor(object: KubeObject, rv: number) {
    const meta = object.metadata;
    this.namespace = meta.namespace ?? "";
    this.name = meta.name ?? "";
    this.key = objectKey(this.namespace, this.name);
    this.rv = rv;
    this.json = JSON.stringify(object);
    this.labels = meta.labels;
    this.#parsed = object;
  }

  /** The parsed object, read-only: never mutate it nor hand it out (use `JSON.parse(json)`). */
  get object(): KubeObject {
    return this.#parsed ?? parseKubeObject(this.json);
  }

  /**
   * The JSON text of `metadata` alone, computed on first use and kept (metadata-only lists and
   * watches read it; full-object traffic never pays for it). From the parsed object while this
   * is the current version, else from the text.
   */
  get metadataJson(): string {
    this.#metadataJson ??= JSON.stringify(this.object.metadata);
    return this.#metadataJson;
  }

  /** This version as a `PartialObjectMetadata` of meta.k8s.io `apiVersion` (JSON text). */
  partialJson(apiVersion: string): string {
    return `{"kind":"PartialObjectMetadata","apiVersion":"${apiVersion}","metadata":${this.metadataJson}}`;
  }

  /** Drops the parsed object once a newer version replaced this one. */
  retire(): void {
    this.#parsed = undefined;
  }
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

/** The objects of a table sorted by key (cached until the next change). */
export function sortedObjects(table: ResourceTable): StoredObject[] {
  if (table.sorted === undefined) {
    table.sorted = [...table.objects.values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
  }
  return table.sorted;
}
