/**
 * The informer's cache: RawObjects keyed `namespace/name` (or `name` for cluster-scoped
 * objects), with named secondary indexes. Index entries are touched only when an object's
 * index values change.
 */
import type { RawObject } from "../kube/index.ts";
import { InvalidInformerOptionError } from "./errors.ts";

/** Computes the index values of one object (e.g. its namespace, a label's value). */
export type IndexFunc = (obj: RawObject) => readonly string[];

/** The read side of the cache, handed to consumers. */
export interface ReadonlyStore {
  /** Number of cached objects. */
  readonly size: number;
  /** The object under `key` (`namespace/name` or `name`), or undefined. */
  get(key: string): RawObject | undefined;
  /** The object `name` in `namespace` ("" for cluster-scoped), or undefined. */
  getByKey(namespace: string, name: string): RawObject | undefined;
  /** A snapshot array of every cached object, in no particular order. */
  list(): RawObject[];
  /** A snapshot array of every key. */
  keys(): string[];
  /**
   * The objects whose index `indexName` contains `value` (a snapshot array).
   * Throws `LOOKOUT_INFORMER_INVALID_OPTION` when no such index exists.
   */
  byIndex(indexName: string, value: string): RawObject[];
  /** The names of the indexes. */
  indexNames(): string[];
}

/** The cache key of an object: `namespace/name`, or `name` when `namespace` is "". */
export function objectKey(namespace: string, name: string): string {
  return namespace === "" ? name : `${namespace}/${name}`;
}

/** The index every informer has: an object's namespace ("" for cluster-scoped objects). */
export const namespaceIndex: IndexFunc = (obj) => [obj.namespace];

interface Index {
  readonly fn: IndexFunc;
  readonly values: Map<string, Set<string>>;
}

const EMPTY: readonly string[] = [];

/** The mutable store. Only the informer writes to it. */
export class Store implements ReadonlyStore {
  readonly #items = new Map<string, RawObject>();
  readonly #indexes = new Map<string, Index>();

  get size(): number {
    return this.#items.size;
  }

  get(key: string): RawObject | undefined {
    return this.#items.get(key);
  }

  getByKey(namespace: string, name: string): RawObject | undefined {
    return this.#items.get(objectKey(namespace, name));
  }

  list(): RawObject[] {
    return Array.from(this.#items.values());
  }

  keys(): string[] {
    return Array.from(this.#items.keys());
  }

  /** Iterates entries without a copy; do not mutate the store while iterating. */
  entries(): MapIterator<[string, RawObject]> {
    return this.#items.entries();
  }

  byIndex(indexName: string, value: string): RawObject[] {
    const index = this.#indexes.get(indexName);
    if (index === undefined) {
      throw new InvalidInformerOptionError("indexName", indexName, "the name of an existing index");
    }
    const keys = index.values.get(value);
    const out: RawObject[] = [];
    if (keys === undefined) return out;
    for (const key of keys) {
      const obj = this.#items.get(key);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  indexNames(): string[] {
    return Array.from(this.#indexes.keys());
  }

  /** Adds an index and builds it for the current items. Throws if the name is taken. */
  addIndex(name: string, fn: IndexFunc): void {
    if (this.#indexes.has(name)) {
      throw new InvalidInformerOptionError("indexName", name, "a name not yet used by an index");
    }
    const index: Index = { fn, values: new Map() };
    for (const [key, obj] of this.#items) addValues(index, key, fn(obj));
    this.#indexes.set(name, index);
  }

  /** Stores `obj` under `key`, returns the previous object. */
  set(key: string, obj: RawObject): RawObject | undefined {
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    if (this.#indexes.size > 0) {
      for (const index of this.#indexes.values()) {
        // Fast path for the built-in namespace index: a key's namespace never changes.
        if (index.fn === namespaceIndex && old !== undefined) continue;
        const before = old === undefined ? EMPTY : index.fn(old);
        const after = index.fn(obj);
        if (sameValues(before, after)) continue;
        removeValues(index, key, before);
        addValues(index, key, after);
      }
    }
    return old;
  }

  /** Removes `key`, returns the removed object. */
  delete(key: string): RawObject | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#items.delete(key);
    for (const index of this.#indexes.values()) removeValues(index, key, index.fn(old));
    return old;
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addValues(index: Index, key: string, values: readonly string[]): void {
  for (const v of values) {
    let keys = index.values.get(v);
    if (keys === undefined) {
      keys = new Set();
      index.values.set(v, keys);
    }
    keys.add(key);
  }
}

function removeValues(index: Index, key: string, values: readonly string[]): void {
  for (const v of values) {
    const keys = index.values.get(v);
    if (keys === undefined) continue;
    keys.delete(key);
    if (keys.size === 0) index.values.delete(v);
  }
}
