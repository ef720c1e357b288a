/**
 * One complete LIST, page by page (client-go pager + reflector `list`): the first page at the
 * requested resourceVersion, the next ones by continue token. Expired or TooLarge at the first
 * page → the list starts over at RV "" (a consistent read); an expired continue token on a
 * later page → the whole list starts over at RV "".
 *
 * Like client-go, paging is used only at RV "" or "0": `limit` with RV N would make the list an
 * Exact read at N (API concepts, LIST table), which fails with 410 once N is compacted; without
 * `limit`, RV N is a NotOlderThan read served in one page.
 */
import type { RawObject } from "../kube/index.ts";
import { isExpiredError, isTooLargeResourceVersionError } from "./classify.ts";
import type { ResolvedOptions } from "./options.ts";
import { objectKey } from "./store.ts";

/** A complete list: items by key, and the collection's resourceVersion. */
export interface ListResult {
  readonly items: Map<string, RawObject>;
  readonly resourceVersion: string;
}

/** Hooks of one list run. */
export interface ListHooks {
  /** Prepares (transforms) each listed object; undefined (already reported) to skip it. */
  prepare(obj: RawObject): RawObject | undefined;
  /** The list fell back to RV "": the requested resourceVersion is unusable. */
  fellBack(expired: boolean): void;
}

const MAX_RESTARTS = 2;

/** Lists every page. Rejects with the client's error (after reporting `listRequest`). */
export async function listAllPages(
  o: ResolvedOptions,
  resourceName: string,
  resourceVersion: string,
  hooks: ListHooks,
  signal: AbortSignal,
): Promise<ListResult> {
  const started = o.now();
  const items = new Map<string, RawObject>();
  let rv = resourceVersion;
  let pages = 0;
  let listRV = "";
  let restarts = 0;
  for (;;) {
    items.clear();
    let cont: string | undefined;
    const paged = rv === "" || rv === "0";
    try {
      do {
        // oxlint-disable-next-line eslint/no-await-in-loop -- pages are sequential by design
        const page = await o.client.list(
          o.resource,
          {
            namespace: o.namespace,
            ...(paged ? { limit: o.pageSize } : {}),
            stripManagedFields: o.stripManagedFields,
            ...(o.stallTimeoutMs > 0 ? { stallTimeoutMs: o.stallTimeoutMs } : {}),
            ...(o.labelSelector === undefined ? {} : { labelSelector: o.labelSelector }),
            ...(o.fieldSelector === undefined ? {} : { fieldSelector: o.fieldSelector }),
            ...(cont === undefined ? { resourceVersion: rv } : { continue: cont }),
          },
          signal,
        );
        pages++;
        for (const raw of page.items) {
          const obj = hooks.prepare(raw);
          if (obj === undefined) continue;
          items.set(objectKey(obj.namespace, obj.name), obj);
        }
        listRV = page.resourceVersion;
        cont = page.continue === "" ? undefined : page.continue;
      } while (cont !== undefined);
      break;
    } catch (err) {
      if (signal.aborted) throw err;
      const expired = isExpiredError(err);
      const startOver =
        (expired || isTooLargeResourceVersionError(err)) && (rv !== "" || cont !== undefined);
      if (startOver && restarts < MAX_RESTARTS) {
        hooks.fellBack(expired);
        rv = "";
        restarts++;
        continue;
      }
      o.metrics.listRequest?.({
        resource: resourceName,
        pages,
        items: items.size,
        durationMs: o.now() - started,
        error: err,
      });
      throw err;
    }
  }
  o.metrics.listRequest?.({
    resource: resourceName,
    pages,
    items: items.size,
    durationMs: o.now() - started,
  });
  return { items, resourceVersion: listRV };
}
