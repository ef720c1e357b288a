/**
 * The object store of the simulated cluster: one table per resource, one global
 * resourceVersion counter (etcd-revision style), and the bounded watch history. Every change
 * goes through here, gets the next RV, is serialized once and is handed to `onEvent`.
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { groupVersion } from "../kube/resource.ts";
import type { ResourceDefinition } from "../kube/resource.ts";
import type { KubeObject, ObjectMeta } from "../kube/types.ts";
import { History } from "./history.ts";
import { isKubeObject } from "./json.ts";
import { applyMergePatch } from "./merge-patch.ts";
import { alreadyExists, badRequest, conflict, expired, invalid, notFound } from "./status.ts";
import { objectKey, sortedObjects, StoredObject } from "./stored.ts";
import type { ChangeType, ResourceTable, StoredEvent } from "./stored.ts";

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const NAME_MAX = 253;

/** Options of an {@link ObjectStore}. */
export interface StoreOptions {
  readonly historySize: number;
  readonly clock: () => number;
  readonly onEvent: (event: StoredEvent) => void;
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The JSON of everything outside metadata/status/apiVersion/kind: a change bumps generation. */
function specText(object: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return JSON.stringify(rest);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects, RV counter and history. Not exported from the package. */
export class ObjectStore {
  readonly #tables = new Map<string, ResourceTable>();
  readonly #history: History;
  readonly #clock: () => number;
  readonly #onEvent: (event: StoredEvent) => void;
  #rv = 0;

  constructor(options: StoreOptions) {
    this.#history = new History(options.historySize);
    this.#clock = options.clock;
    this.#onEvent = options.onEvent;
  }

  /** The current global resourceVersion. */
  get rv(): number {
    return this.#rv;
  }

  /** The history (for watches replaying from an RV). */
  get history(): History {
    return this.#history;
  }

  /** The table of `def`, created empty on first use. */
  table(def: ResourceDefinition): ResourceTable {
    const id = `${def.group}/${def.version}/${def.resource}`;
    let t = this.#tables.get(id);
    if (t === undefined) {
      t = { def, id, objects: new Map(), sorted: undefined };
      this.#tables.set(id, t);
    }
    return t;
  }

  /** The stored object, or undefined. */
  get(def: ResourceDefinition, namespace: string, name: string): StoredObject | undefined {
    return this.table(def).objects.get(objectKey(def.namespaced ? namespace : "", name));
  }

  #commit(
    table: ResourceTable,
    type: ChangeType,
    object: KubeObject,
    prev: StoredObject | undefined,
  ): StoredObject {
    const rv = ++this.#rv;
    object.metadata.resourceVersion = String(rv);
    const stored = new StoredObject(object, rv);
    prev?.retire();
    if (type === "DELETED") {
      stored.retire();
      table.objects.delete(stored.key);
    } else {
      table.objects.set(stored.key, stored);
    }
    table.sorted = undefined;
    const event: StoredEvent = {
      rv,
      table,
      type,
      object: stored,
      prev,
    };
    this.#history.push(event);
    this.#onEvent(event);
    return stored;
  }

  #checkType(def: ResourceDefinition, object: KubeObject): void {
    const gv = groupVersion(def);
    if (object.apiVersion !== undefined && object.apiVersion !== gv) {
      throw badRequest(
        `the API version in the data (${JSON.stringify(object.apiVersion)}) does not match the expected API version (${gv})`,
      );
    }
    if (object.kind !== undefined && object.kind !== def.kind) {
      throw badRequest(
        `the kind in the data (${JSON.stringify(object.kind)}) does not match the expected kind (${def.kind})`,
      );
    }
  }

  /**
   * Creates an object. Namespaced objects without a namespace go to "default"; the namespace
   * need not exist (kept simple on purpose: real clusters reject it). Throws ALREADY_EXISTS,
   * INVALID (no name nor generateName), BAD_REQUEST (wrong apiVersion/kind).
   */
  create(def: ResourceDefinition, input: KubeObject): StoredObject {
    if (!isObject(input) || !isObject(input.metadata)) {
      throw invalid(def.kind, def.group, "", [
        { field: "metadata", type: "Required value", detail: "metadata is required" },
      ]);
    }
    this.#checkType(def, input);
    const table = this.table(def);
    const meta: ObjectMeta = { ...input.metadata };
    if (def.namespaced) meta.namespace = meta.namespace || "default";
    else delete meta.namespace;
    if (meta.name === undefined || meta.name === "") {
      if (typeof meta.generateName !== "string" || meta.generateName === "") {
        throw invalid(def.kind, def.group, "", [
          {
            field: "metadata.name",
            type: "Required value",
            detail: "name or generateName is required",
          },
        ]);
      }
      do {
        let suffix = "";
        for (let i = 0; i < 5; i++) {
          suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
        }
        meta.name = meta.generateName.slice(0, NAME_MAX - 5) + suffix;
      } while (table.objects.has(objectKey(meta.namespace ?? "", meta.name)));
    }
    if (typeof meta.name !== "string" || meta.name.length > NAME_MAX || meta.name.includes("/")) {
      throw invalid(def.kind, def.group, JSON.stringify(meta.name), [
        {
          field: "metadata.name",
          type: "Invalid value",
          detail: `${JSON.stringify(meta.name)}: a valid name is required`,
        },
      ]);
    }
    if (table.objects.has(objectKey(meta.namespace ?? "", meta.name))) {
      throw alreadyExists(def, meta.name);
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.#clock());
    meta.generation = 1;
    delete meta.deletionTimestamp;
    const object: KubeObject = {
      ...input,
      apiVersion: groupVersion(def),
      kind: def.kind,
      metadata: meta,
    };
    return this.#commit(table, "ADDED", object, undefined);
  }

  /**
   * Replaces an object. A stale `metadata.resourceVersion` throws CONFLICT with the apiserver
   * message; no resourceVersion means an unconditional update. An update that changes nothing
   * returns the current version (no new RV, no event). Throws NOT_FOUND.
   */
  update(def: ResourceDefinition, input: KubeObject): StoredObject {
    if (!isObject(input) || !isObject(input.metadata) || typeof input.metadata.name !== "string") {
      throw invalid(def.kind, def.group, "", [
        { field: "metadata.name", type: "Required value", detail: "name is required" },
      ]);
    }
    this.#checkType(def, input);
    const namespace = def.namespaced ? input.metadata.namespace || "default" : "";
    const prev = this.get(def, namespace, input.metadata.name);
    if (prev === undefined) throw notFound(def, input.metadata.name);
    const rv = input.metadata.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== String(prev.rv)) {
      throw conflict(def, input.metadata.name);
    }
    return this.#replace(def, prev, input, undefined);
  }

  #replace(
    def: ResourceDefinition,
    prev: StoredObject,
    input: KubeObject,
    specChanged: boolean | undefined,
  ): StoredObject {
    const old = prev.object.metadata;
    const meta: ObjectMeta = { ...input.metadata };
    meta.name = prev.name;
    if (def.namespaced) meta.namespace = prev.namespace;
    else delete meta.namespace;
    meta.uid = old.uid ?? "";
    meta.creationTimestamp = old.creationTimestamp ?? "";
    const object: KubeObject = {
      ...input,
      apiVersion: groupVersion(def),
      kind: def.kind,
      metadata: meta,
    };
    const current = prev.object;
    const changed = specChanged ?? specText(object) !== specText(current);
    meta.generation = (old.generation ?? 1) + (changed ? 1 : 0);
    // A write that changes nothing is skipped, as the apiserver does: no new RV, no event.
    // Compared as values (key order does not matter), the RV taken as the current one.
    meta.resourceVersion = String(prev.rv);
    if (isDeepStrictEqual(object, current)) return prev;
    return this.#commit(this.table(def), "MODIFIED", object, prev);
  }

  /**
   * Applies a JSON merge patch (RFC 7386); a patch that changes nothing returns the current
   * version (no new RV, no event). Throws NOT_FOUND, CONFLICT (stale RV in the patch).
   */
  patch(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    mergePatch: unknown,
  ): StoredObject {
    const prev = this.get(def, namespace, name);
    if (prev === undefined) throw notFound(def, name);
    if (!isObject(mergePatch)) throw badRequest("the merge patch must be a JSON object");
    const patchMeta = mergePatch["metadata"];
    if (isObject(patchMeta)) {
      const rv = patchMeta["resourceVersion"];
      if (typeof rv === "string" && rv !== "" && rv !== String(prev.rv)) throw conflict(def, name);
    }
    // The merge shares untouched subtrees with the current version: stored objects are never
    // mutated, so that is safe and saves a parse per patch.
    const next = applyMergePatch(prev.object, mergePatch);
    if (!isKubeObject(next)) throw badRequest("the merge patch must keep metadata an object");
    const onlyMeta = Object.keys(mergePatch).every((k) => k === "metadata" || k === "status");
    return this.#replace(def, prev, next, onlyMeta ? false : undefined);
  }

  /** Deletes an object; returns its last state (deletionTimestamp set, new RV). NOT_FOUND. */
  delete(def: ResourceDefinition, namespace: string, name: string): StoredObject {
    const prev = this.get(def, namespace, name);
    if (prev === undefined) throw notFound(def, name);
    const current = prev.object;
    const last: KubeObject = {
      ...current,
      metadata: {
        ...current.metadata,
        deletionTimestamp: timestamp(this.#clock()),
        deletionGracePeriodSeconds: 0,
      },
    };
    return this.#commit(this.table(def), "DELETED", last, prev);
  }

  /**
   * The sorted objects of `table` as they were at `rv`, rebuilt from the history. Throws
   * EXPIRED when history no longer reaches back to `rv`.
   */
  stateAt(table: ResourceTable, rv: number): StoredObject[] {
    if (rv >= this.#rv) return sortedObjects(table);
    if (rv < this.#history.compactedRv) {
      throw expired("The resourceVersion for the provided list is too old.");
    }
    const state = new Map(table.objects);
    for (const ev of this.#history.newestDownTo(rv)) {
      if (ev.table !== table) continue;
      if (ev.prev === undefined) state.delete(ev.object.key);
      else state.set(ev.prev.key, ev.prev);
    }
    return [...state.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Forgets all history now. */
  compact(): void {
    this.#history.compact(this.#rv);
  }
}
