/**
 * The cold-start prefetch: while discovery is still listing metadata, LIST the payloads of the
 * wanted statuses and scan them at once, keeping only the (small) scan results.
 */
import type { ScanPool, ScanResult } from "../decode/index.ts";
import type { ResolvedCheckerOptions } from "./options.ts";
import { listPayloadPages, type ListedPayload } from "./payload-fetch.ts";
import type { RevisionRef, StorageDriver } from "./storage-object.ts";

/** Scan results of payloads read before discovery settled, by storage object uid. */
export type Prefetched = Map<
  string,
  { readonly resourceVersion: string; readonly result: ScanResult }
>;

/**
 * Cold start only (nothing known yet): while discovery lists metadata, LIST the payloads of
 * the wanted statuses and scan them at once, keeping only the (small) scan results by storage
 * uid; the first full scan then uses those whose object is still the wanted revision. Reads
 * that fail leave the scan to fetch what is missing.
 */
export async function prefetchPayloads(
  o: ResolvedCheckerOptions,
  pool: ScanPool,
  apiVersions: readonly string[],
  signal: AbortSignal,
): Promise<Prefetched> {
  const maxInFlight = Math.max(2, o.maxThreads * 2);
  const out: Prefetched = new Map();
  const inFlight = new Set<Promise<void>>();
  const scanPage = async (driver: StorageDriver, items: ListedPayload[]): Promise<void> => {
    const results = await pool.scanMany(
      items.map((i) => ({ value: i.value!, driver, apiVersions })),
      signal,
    );
    results.forEach((result, k) => {
      const item = items[k]!;
      out.set(item.uid, { resourceVersion: item.resourceVersion, result });
    });
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
          const items = page.filter((i) => i.value !== undefined);
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
  return out;
}

/**
 * Splits `wants` into the revisions whose prefetched scan is still theirs (same storage object
 * uid and resourceVersion) and the rest, which must be read.
 */
export function takePrefetched(
  wants: readonly RevisionRef[],
  prefetched: Prefetched | undefined,
): { hits: { ref: RevisionRef; result: ScanResult }[]; rest: RevisionRef[] } {
  if (prefetched === undefined || prefetched.size === 0) return { hits: [], rest: [...wants] };
  const hits: { ref: RevisionRef; result: ScanResult }[] = [];
  const rest: RevisionRef[] = [];
  for (const ref of wants) {
    const p = prefetched.get(ref.uid);
    if (p === undefined || p.resourceVersion !== ref.resourceVersion) rest.push(ref);
    else hits.push({ ref, result: p.result });
  }
  return { hits, rest };
}
