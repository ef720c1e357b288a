/**
 * The read-and-scan pipeline of a scan: payloads of the wanted revisions are read (one GET each,
 * or LIST pages), each batch is scanned on the pool as it arrives (a bounded number at once),
 * and each scanned batch is committed as it completes, so reading, scanning and the store's
 * writes overlap.
 */
import { createHash } from "node:crypto";
import type { ScanPool } from "../decode/index.ts";
import {
  entryFromBadPayload,
  entryFromFailure,
  entryFromScan,
  withoutReadErrors,
  type Entry,
  type EntryChange,
} from "./release-entry.ts";
import {
  fetchPayloads,
  type FetchedPayload,
  type FetchOptions,
  type HelmApiClient,
} from "./payload-fetch.ts";
import { releaseKey, type RevisionRef } from "./storage-object.ts";

/** What the pipeline reads with, scans on, and reports to. */
export interface PipelineContext {
  readonly client: HelmApiClient;
  readonly pool: ScanPool;
  readonly fetch: FetchOptions;
  /** Batches being scanned at once, at most (backpressure on the pool). */
  readonly maxInFlight: number;
  /** The scan keeps only objects of these apiVersions. */
  readonly apiVersions: readonly string[];
  readonly now: number;
  /** The checked state of a release, if any. */
  entry(key: string): Entry | undefined;
  /** The entry with its findings computed. */
  evaluate(entry: Entry): Entry;
  /** Commits a scanned batch. */
  commit(change: EntryChange): void;
  /** A wanted revision's object changed or went away meanwhile: check the release again. */
  changedMeanwhile(key: string): void;
}

/**
 * What the pipeline did; `failed` are entries of revisions whose payload could not be read (to
 * read again), `bad` of revisions whose storage object has no payload (bad input).
 */
export interface PipelineResult {
  readonly decoded: number;
  readonly unchanged: number;
  readonly failed: Entry[];
  readonly bad: Entry[];
}

/**
 * Reads and scans `wants`. Resolves when every batch is committed; rejects with the abort
 * reason, or a pool failure (a bug).
 */
export async function readAndScan(
  wants: readonly RevisionRef[],
  ctx: PipelineContext,
  signal: AbortSignal,
): Promise<PipelineResult> {
  const result = { decoded: 0, unchanged: 0, failed: [] as Entry[], bad: [] as Entry[] };
  const inFlight = new Set<Promise<void>>();
  for await (const batch of fetchPayloads(ctx.client, wants, ctx.fetch)) {
    for (const failure of batch.failures) {
      const key = releaseKey(failure.ref.namespace, failure.ref.release);
      if (failure.kind === "gone") ctx.changedMeanwhile(key);
      else if (failure.kind === "bad")
        result.bad.push(ctx.evaluate(entryFromBadPayload(failure, ctx.now)));
      else result.failed.push(entryFromFailure(failure, ctx.entry(key), ctx.now));
    }
    if (batch.payloads.length === 0) continue;
    const job = scanBatch(batch.payloads, ctx, signal).then((n) => {
      result.decoded += n.decoded;
      result.unchanged += n.unchanged;
      return undefined;
    });
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job)).catch(() => undefined);
    if (inFlight.size >= ctx.maxInFlight) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- backpressure on the pool
      await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  return result;
}

/** Scans one batch in the pool; a payload whose hash is known is not decoded again. */
async function scanBatch(
  payloads: readonly FetchedPayload[],
  ctx: PipelineContext,
  signal: AbortSignal,
): Promise<{ decoded: number; unchanged: number }> {
  const counts = { decoded: 0, unchanged: 0 };
  const change: EntryChange = { upsert: [], replace: [], remove: [] };
  const toScan: FetchedPayload[] = [];
  for (const p of payloads) {
    const entry = ctx.entry(releaseKey(p.ref.namespace, p.ref.release));
    if (entry !== undefined && entry.revision === p.ref.revision && entry.payloadHash !== "") {
      const hash = createHash("sha256").update(p.value).digest("hex");
      if (hash === entry.payloadHash) {
        counts.unchanged++;
        // Read again after a failed read: the payload is the one scanned, the read error goes.
        const moved = {
          ...withoutReadErrors(entry),
          storageUid: p.ref.uid,
          storageResourceVersion: p.ref.resourceVersion,
        };
        change.upsert.push(ctx.evaluate(moved));
        continue;
      }
    }
    toScan.push(p);
  }
  if (toScan.length > 0) {
    const results = await ctx.pool.scanMany(
      toScan.map((p) => ({ value: p.value, driver: p.ref.driver, apiVersions: ctx.apiVersions })),
      signal,
    );
    results.forEach((result, i) => {
      counts.decoded++;
      change.upsert.push(ctx.evaluate(entryFromScan(toScan[i]!.ref, result, ctx.now)));
    });
  }
  if (!signal.aborted) ctx.commit(change);
  return counts;
}
