/**
 * Fetching the `release` payloads of chosen revisions: one GET each for a few, or a paged LIST
 * of `owner=helm,status in (…)` objects per driver (and namespace in namespaced mode) when many
 * are wanted, keeping only the wanted ones. Payloads are yielded page by page, so only a page
 * of them is in memory at a time.
 */
import type {
  KubeObject,
  ListPage,
  ListOptions,
  ListWatchClient,
  RawObject,
  ResourceId,
} from "../../kube/index.ts";
import { KubeApiError, KubeBadResponseError, resourcePath } from "../../kube/index.ts";
import { statusSelector } from "./discovery.ts";
import type { ResolvedCheckerOptions } from "./options.ts";
import {
  STORAGE_RESOURCES,
  revisionOf,
  type RevisionRef,
  type StorageDriver,
} from "./storage-object.ts";

/** What the checker needs from an API client; `KubeClient` is one. */
export interface HelmApiClient {
  list(resource: ResourceId, options: ListOptions, signal?: AbortSignal): Promise<ListPage>;
  get(
    resource: ResourceId,
    namespace: string,
    name: string,
    options?: { readonly stallTimeoutMs?: number },
    signal?: AbortSignal,
  ): Promise<RawObject>;
  getJson(
    path: string,
    options?: { readonly stallTimeoutMs?: number },
    signal?: AbortSignal,
  ): Promise<unknown>;
  withMetadataOnly(): ListWatchClient;
}

/** A payload as read from its storage object. */
export interface FetchedPayload {
  readonly ref: RevisionRef;
  readonly value: string;
}

/** A wanted revision whose payload could not be read. */
export interface FetchFailure {
  readonly ref: RevisionRef;
  /**
   * `gone` when the object no longer exists (the release changed meanwhile); `bad` when it has
   * no payload (bad input: reading it again gives the same until it changes); `error` when the
   * read failed (transient: read it again later).
   */
  readonly kind: "gone" | "bad" | "error";
  readonly error: unknown;
}

/** One step of {@link fetchPayloads}: payloads read, and failures. */
export interface FetchBatch {
  readonly payloads: FetchedPayload[];
  readonly failures: FetchFailure[];
}

/** Options of {@link fetchPayloads}. */
export interface FetchOptions {
  /** More wanted payloads than this are read by LIST instead of one GET each. */
  readonly bulkThreshold: number;
  readonly pageSize: number;
  /** Statuses in the LIST label selector (the statuses the checker wants). */
  readonly statuses: readonly string[];
  /** GETs in flight at once. */
  readonly concurrency: number;
  readonly stallTimeoutMs: number;
  /** Namespaced mode: list per namespace instead of across all. */
  readonly namespaced: boolean;
  readonly signal: AbortSignal;
}

/** The fetch options of a checker's resolved options. */
export function fetchOptionsOf(o: ResolvedCheckerOptions, signal: AbortSignal): FetchOptions {
  return {
    bulkThreshold: o.bulkThreshold,
    pageSize: o.pageSize,
    statuses: [...o.statuses],
    concurrency: o.fetchConcurrency,
    stallTimeoutMs: o.stallTimeoutMs,
    namespaced: o.namespaces !== undefined,
    signal,
  };
}

/** The `release` value of a Secret or ConfigMap, or undefined when it has none. */
export function releaseValue(obj: KubeObject | object): string | undefined {
  const data: unknown = "data" in obj ? obj.data : undefined;
  if (typeof data !== "object" || data === null || !("release" in data)) return undefined;
  const value: unknown = data.release;
  return typeof value === "string" ? value : undefined;
}

function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 404;
}

/**
 * Reads the payloads of `wants`, yielding them in batches (a LIST page, or up to `concurrency`
 * GETs). A wanted object missing from a LIST (its status changed meanwhile) is then read by GET.
 * An object without a `release` value is a failure with a `LOOKOUT_HELM_BAD_PAYLOAD`-coded
 * error. Throws only the abort reason; request errors become failures.
 */
export async function* fetchPayloads(
  client: HelmApiClient,
  wants: readonly RevisionRef[],
  options: FetchOptions,
): AsyncGenerator<FetchBatch, void, undefined> {
  let rest: RevisionRef[] = [...wants];
  if (rest.length > options.bulkThreshold) {
    const byUid = new Map(rest.map((r) => [r.uid, r]));
    for (const driver of ["secret", "configmap"] as const) {
      const mine = rest.filter((r) => r.driver === driver);
      if (mine.length === 0) continue;
      const namespaces = options.namespaced ? [...new Set(mine.map((r) => r.namespace))] : [""];
      for (const namespace of namespaces) {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one list at a time bounds memory
        for await (const batch of listScope(client, driver, namespace, byUid, options)) {
          yield batch;
        }
      }
    }
    rest = [...byUid.values()];
  }
  for (let i = 0; i < rest.length; i += options.concurrency) {
    options.signal.throwIfAborted();
    const slice = rest.slice(i, i + options.concurrency);
    // oxlint-disable-next-line eslint/no-await-in-loop -- bounded concurrency, one wave at a time
    const settled = await Promise.allSettled(
      slice.map((ref) =>
        client.get(
          STORAGE_RESOURCES[ref.driver],
          ref.namespace,
          ref.name,
          { stallTimeoutMs: options.stallTimeoutMs },
          options.signal,
        ),
      ),
    );
    options.signal.throwIfAborted();
    const batch: FetchBatch = { payloads: [], failures: [] };
    settled.forEach((s, k) => {
      const ref = slice[k]!;
      if (s.status === "rejected") {
        batch.failures.push({
          ref,
          kind: isNotFound(s.reason) ? "gone" : "error",
          error: s.reason,
        });
        return;
      }
      take(ref, s.value, batch);
    });
    yield batch;
  }
}

function take(ref: RevisionRef, obj: RawObject, batch: FetchBatch): void {
  if (obj.uid !== ref.uid) {
    batch.failures.push({ ref, kind: "gone", error: new Error("the object was replaced") });
    return;
  }
  const value = releaseValue(obj.object);
  if (value === undefined) {
    batch.failures.push({ ref, kind: "bad", error: new MissingPayloadError(ref.name) });
    return;
  }
  batch.payloads.push({ ref: { ...ref, resourceVersion: obj.resourceVersion }, value });
}

/** A storage object without `data.release`. */
export class MissingPayloadError extends Error {
  override readonly name = "MissingPayloadError";
  readonly code = "LOOKOUT_HELM_BAD_PAYLOAD";
  constructor(object: string) {
    super(`storage object ${object} has no data.release`);
  }
}

/**
 * One object of a payload LIST page: identity, the revision its metadata describes (undefined
 * when it is not a Helm 3 release record), and its `release` value (undefined if none).
 */
export interface ListedPayload {
  readonly uid: string;
  readonly resourceVersion: string;
  readonly ref: RevisionRef | undefined;
  readonly value: string | undefined;
}

/**
 * Reads a LIST page parsed by JSON.parse; throws a `LOOKOUT_KUBE_BAD_RESPONSE` error when it is
 * not a List. Items without a uid are skipped.
 */
function readPage(
  body: unknown,
  driver: StorageDriver,
): { items: ListedPayload[]; continue: string | undefined } {
  if (
    typeof body !== "object" ||
    body === null ||
    !("items" in body) ||
    !Array.isArray(body.items)
  ) {
    throw new KubeBadResponseError("a LIST of Helm storage objects without items");
  }
  const meta: unknown = "metadata" in body ? body.metadata : undefined;
  const next = stringField(meta, "continue");
  const items: ListedPayload[] = [];
  for (const item of body.items as unknown[]) {
    if (typeof item !== "object" || item === null || !("metadata" in item)) continue;
    const m: unknown = item.metadata;
    const uid = stringField(m, "uid");
    if (uid === undefined) continue;
    const resourceVersion = stringField(m, "resourceVersion") ?? "";
    const ref = revisionOf(
      {
        name: stringField(m, "name") ?? "",
        namespace: stringField(m, "namespace") ?? "",
        uid,
        resourceVersion,
        labels: labelsOf(m),
      },
      driver,
    );
    items.push({ uid, resourceVersion, ref, value: releaseValue(item) });
  }
  return { items, continue: next };
}

/** `obj[key]` when `obj` is an object and that is a non-empty string. */
function stringField(obj: unknown, key: string): string | undefined {
  if (typeof obj !== "object" || obj === null) return undefined;
  const value: unknown = Reflect.get(obj, key);
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The string-valued labels of a parsed metadata object. */
function labelsOf(meta: unknown): Record<string, string> | undefined {
  if (typeof meta !== "object" || meta === null || !("labels" in meta)) return undefined;
  const labels: unknown = meta.labels;
  if (typeof labels !== "object" || labels === null) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === "string") out[k] = v;
  return out;
}

/** What {@link listPayloadPages} needs. */
export interface ListPagesOptions {
  readonly pageSize: number;
  readonly statuses: readonly string[];
  readonly stallTimeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * The Helm storage objects of one driver and scope ("" = all namespaces) whose status is wanted,
 * page by page (`owner=helm,status in (…)`, `limit` = pageSize). Pages are parsed with
 * `JSON.parse` (native, several times faster than the informer's byte scanner on objects that
 * are mostly one long payload string). Rejects with the request's error.
 */
export async function* listPayloadPages(
  client: HelmApiClient,
  driver: StorageDriver,
  namespace: string,
  options: ListPagesOptions,
): AsyncGenerator<ListedPayload[], void, undefined> {
  const labelSelector = statusSelector(options.statuses);
  const base = resourcePath(STORAGE_RESOURCES[driver], namespace === "" ? undefined : namespace);
  let token: string | undefined;
  do {
    const query = new URLSearchParams({ labelSelector, limit: String(options.pageSize) });
    if (token !== undefined) query.set("continue", token);
    // oxlint-disable-next-line eslint/no-await-in-loop -- pages are sequential
    const body = await client.getJson(
      `${base}?${query.toString()}`,
      { stallTimeoutMs: options.stallTimeoutMs },
      options.signal,
    );
    const page = readPage(body, driver);
    token = page.continue;
    yield page.items;
  } while (token !== undefined);
}

/** One scope's LIST, keeping only the wanted payloads; on a failed page the rest go by GET. */
async function* listScope(
  client: HelmApiClient,
  driver: StorageDriver,
  namespace: string,
  byUid: Map<string, RevisionRef>,
  options: FetchOptions,
): AsyncGenerator<FetchBatch, void, undefined> {
  try {
    for await (const items of listPayloadPages(client, driver, namespace, options)) {
      const batch: FetchBatch = { payloads: [], failures: [] };
      for (const item of items) {
        const ref = byUid.get(item.uid);
        if (ref === undefined || ref.driver !== driver) continue;
        byUid.delete(item.uid);
        if (item.value === undefined) {
          batch.failures.push({ ref, kind: "bad", error: new MissingPayloadError(ref.name) });
        } else {
          batch.payloads.push({
            ref: { ...ref, resourceVersion: item.resourceVersion },
            value: item.value,
          });
        }
      }
      if (batch.payloads.length > 0 || batch.failures.length > 0) yield batch;
    }
  } catch {
    options.signal.throwIfAborted();
    // The wanted objects still in byUid are read by GET instead.
  }
}
