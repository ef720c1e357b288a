/**
 * The cold-start prefetch: while discovery is still listing metadata, LIST the payloads of the
 * wanted statuses, scan them at once and hand each scanned page to the checker, which commits
 * it. The first full scan then finds those releases unchanged and reads only what differs.
 */
import type { ScanPool, ScanResult } from "../decode/index.ts";
import type { ResolvedCheckerOptions } from "./options.ts";
import { listPayloadPages, type ListedPayload } from "./payload-fetch.ts";
import type { RevisionRef, StorageDriver } from "./storage-object.ts";

/** One scanned payload of the prefetch. */
export interface PrefetchedScan {
  readonly ref: RevisionRef;
  readonly result: ScanResult;
}

/**
 * Cold start only (nothing known yet): lists the payloads of the wanted statuses per driver (and
 * namespace in namespaced mode), scans each page on the pool as it arrives (a bounded number of
 * pages at once) and passes the results to `sink`, which may be async (it is awaited before the
 * prefetch resolves). The revisions are speculative: discovery has not settled, so a page may
 * hold a revision that is not the one the first scan picks; that scan corrects it. Resolves
 * with how many payloads were scanned. Never rejects: a forbidden scope, a failed page or a
 * failed sink leaves the rest to the first scan.
 */
export async function prefetchPayloads(
  o: ResolvedCheckerOptions,
  pool: ScanPool,
  apiVersions: readonly string[],
  sink: (scanned: PrefetchedScan[]) => void | Promise<void>,
  signal: AbortSignal,
): Promise<number> {
  const maxInFlight = Math.max(2, o.maxThreads * 2);
  let scannedCount = 0;
  const inFlight = new Set<Promise<void>>();
  const scanPage = async (
    driver: StorageDriver,
    items: (ListedPayload & { ref: RevisionRef; value: string })[],
  ): Promise<void> => {
    const results = await pool.scanMany(
      items.map((i) => ({ value: i.value, driver, apiVersions })),
      signal,
    );
    scannedCount += results.length;
    await sink(results.map((result, k) => ({ ref: items[k]!.ref, result })));
  };
  try {
    for (const driver of o.drivers) {
      for (const namespace of o.namespaces ?? [""]) {
        const pages = listPayloadPages(o.client, driver, namespace, {
          pageSize: o.pageSize,
          statuses: [...o.statuses],
          stallTimeoutMs: o.stallTimeoutMs,
          signal,
        });
        // oxlint-disable-next-line eslint/no-await-in-loop -- one list at a time bounds memory
        for await (const page of pages) {
          const items = page.filter(isScannable);
          if (items.length === 0) continue;
          const job = scanPage(driver, items).catch(() => undefined);
          inFlight.add(job);
          void job.finally(() => inFlight.delete(job));
          // oxlint-disable-next-line eslint/no-await-in-loop -- backpressure on the pool
          if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        }
      }
    }
  } catch {
    // A forbidden scope or a failed page: the scan reads what is missing.
  }
  await Promise.all(inFlight);
  return scannedCount;
}

function isScannable(
  item: ListedPayload,
): item is ListedPayload & { ref: RevisionRef; value: string } {
  return item.ref !== undefined && item.value !== undefined;
}
