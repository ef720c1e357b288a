/**
 * The informer's cache: RawObjects keyed `namespace/name` (or `name` for cluster-scoped
 * objects), with named secondary indexes. Index entries are touched only when an object's
 * index values change. Each index remembers the values it holds for each key, so removing an
 * object never calls the index function again.
 */
import type { RawObject } from "../kube/index.ts";
import { IndexFailedError, InvalidInformerOptionError } from "./errors.ts";

/**
 * Computes the index values of one object (e.g. its namespace, a label's value). Should not
 * throw: when it throws (or returns something other than an array of strings), the failure is
 * reported as `LOOKOUT_INFORMER_INDEX_FAILED` and the object is stored without entries in that
 * index (its other indexes and the cache itself are updated as usual).
 */
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
  readonly name: string;
  readonly fn: IndexFunc;
  readonly values: Map<string, Set<string>>;
  /** The values this index holds for each key (keys with none are absent). */
  readonly byKey: Map<string, readonly string[]>;
}

const EMPTY: readonly string[] = [];

/** The mutable store. Only the informer writes to it. */
export class Store implements ReadonlyStore {
  readonly #items = new Map<string, RawObject>();
  readonly #indexes = new Map<string, Index>();
  readonly #onIndexError: (err: IndexFailedError) => void;

  /** `onIndexError` receives every index function failure (it must not throw). */
  constructor(onIndexError: (err: IndexFailedError) => void = () => {}) {
    this.#onIndexError = onIndexError;
  }

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
    const index: Index = { name, fn, values: new Map(), byKey: new Map() };
    for (const [key, obj] of this.#items) addValues(index, key, this.#valuesOf(index, key, obj));
    this.#indexes.set(name, index);
  }

  /**
   * Stores `obj` under `key`, returns the previous object. Every index value is computed before
   * anything changes, so a failing index function never leaves an index half updated.
   */
  set(key: string, obj: RawObject): RawObject | undefined {
    const old = this.#items.get(key);
    let changes: { index: Index; after: readonly string[] }[] | undefined;
    for (const index of this.#indexes.values()) {
      // Fast path for the built-in namespace index: a key's namespace never changes.
      if (index.fn === namespaceIndex && old !== undefined) continue;
      const after = this.#valuesOf(index, key, obj);
      if (sameValues(index.byKey.get(key) ?? EMPTY, after)) continue;
      (changes ??= []).push({ index, after });
    }
    this.#items.set(key, obj);
    if (changes !== undefined) {
      for (const { index, after } of changes) {
        removeValues(index, key, index.byKey.get(key) ?? EMPTY);
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
    for (const index of this.#indexes.values()) {
      removeValues(index, key, index.byKey.get(key) ?? EMPTY);
    }
    return old;
  }

  /** The index values of `obj`; none (reported) when the index function fails. */
  #valuesOf(index: Index, key: string, obj: RawObject): readonly string[] {
    try {
      const values: unknown = index.fn(obj);
      if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
        throw new TypeError("an index function must return an array of strings");
      }
      return values;
    } catch (err) {
      try {
        this.#onIndexError(new IndexFailedError(index.name, key, err));
      } catch {
        // The sink must not throw; if it does, the store stays consistent anyway.
      }
      return EMPTY;
    }
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addValues(index: Index, key: string, values: readonly string[]): void {
  if (values.length > 0) index.byKey.set(key, values);
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
  index.byKey.delete(key);
  for (const v of values) {
    const keys = index.values.get(v);
    if (keys === undefined) continue;
    keys.delete(key);
    if (keys.size === 0) index.values.delete(v);
  }
}
