/**
 * The Helm checker: discovers releases from their storage objects' metadata, decodes and scans
 * only the newest checked revision of each (in the worker pool), computes findings at every
 * target, persists them, keeps them fresh with incremental checks and periodic full reconciles.
 */
import type { MetricProducer } from "@opentelemetry/sdk-metrics";
import { ScanPool } from "../decode/index.ts";
import { formatKubeVersion } from "../deprecations/index.ts";
import { findingsFor, type HelmFinding, type HelmReleaseError } from "../findings.ts";
import { CheckerTable } from "./checker-table.ts";
import { HelmDiscovery } from "./discovery.ts";
import { HelmCheckerClosedError } from "./errors.ts";
import { IncrementalChecks } from "./incremental.ts";
import { HelmCheckerMetrics } from "./metrics.ts";
import {
  resolveCheckerOptions,
  type HelmCheckerOptions,
  type ResolvedCheckerOptions,
} from "./options.ts";
import { fetchOptionsOf } from "./payload-fetch.ts";
import { readAndScan, type PipelineContext } from "./scan-pipeline.ts";
import { untilAborted } from "./abortable.ts";
import { PeriodicJob } from "./periodic.ts";
import { prefetchPayloads } from "./prefetch.ts";
import { runFirstScan } from "./first-scan.ts";
import { ClusterTargets } from "./cluster-targets.ts";
import {
  codeOf,
  messageOf,
  entryFromScan,
  type Entry,
  type EntryChange,
  type ReleaseState,
} from "./release-entry.ts";
import { ReleaseBook, type FindingsChange } from "./release-book.ts";
import type { CheckerError, HelmCheckerStatus, ScanSummary } from "./status.ts";
import { forbiddenKey, planScan } from "./scan-plan.ts";
import { ScanQueue } from "./scan-queue.ts";
import { releaseKey } from "./storage-object.ts";

export type { CheckerError, FindingsChange, HelmCheckerStatus, ReleaseState, ScanSummary };

/**
 * The continuous Helm deprecation checker. The constructor validates options
 * (`LOOKOUT_HELM_INVALID_OPTION`) and does no I/O. {@link start} is memoized; {@link close} is
 * idempotent. Background failures are logged and counted, never thrown.
 */
export class HelmChecker implements AsyncDisposable {
  readonly #o: ResolvedCheckerOptions;
  readonly #discovery: HelmDiscovery;
  readonly #pool: ScanPool;
  readonly #ownPool: boolean;
  readonly #metrics: HelmCheckerMetrics;
  readonly #abort = new AbortController();
  readonly #entries: ReleaseBook;
  readonly #duplicates = new Map<string, number>();
  readonly #table: CheckerTable;
  readonly #targets: ClusterTargets;
  #restored = false;
  #ready = false;
  readonly #readyGate = Promise.withResolvers<void>();
  #started: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  readonly #scans = new ScanQueue<ScanSummary>();
  readonly #incremental: IncrementalChecks;
  readonly #fullJob: PeriodicJob;
  readonly #versionJob: PeriodicJob;
  #lastFullScanAt: number | undefined;
  #lastScan: ScanSummary | undefined;
  #needsReevaluation = false;
  #lastError: CheckerError | undefined;
  /** The metric producer of the findings gauges, for the reader (see `HelmCheckerMetrics`). */
  readonly metricProducer: MetricProducer;

  constructor(options: HelmCheckerOptions) {
    this.#o = resolveCheckerOptions(options);
    this.#table = new CheckerTable(this.#o.table);
    this.#fullJob = new PeriodicJob(this.#o.fullScanIntervalMs, () =>
      this.#reporting(this.reconcile()),
    );
    this.#versionJob = new PeriodicJob(this.#o.versionIntervalMs, async () => {
      try {
        await this.#refreshVersion();
      } catch {
        return; // reported by #refreshVersion; the next run tries again
      }
      // Also re-evaluates what a failed scan left to re-evaluate (the next run tries again).
      if (this.#needsReevaluation) await this.#reporting(this.#reconcile(undefined, true));
    });
    this.#incremental = new IncrementalChecks({
      delayMs: this.#o.incrementalDelayMs,
      run: (keys) => this.#scans.enqueue(() => this.#scan("incremental", undefined, keys)),
      failed: (err) => this.#noteError("incremental", err, true),
    });
    this.#targets = new ClusterTargets(this.#o.client, this.#o.targets, this.#o.stallTimeoutMs);
    this.#discovery = new HelmDiscovery({
      client: this.#o.client.withMetadataOnly(),
      drivers: this.#o.drivers,
      namespaces: this.#o.namespaces,
      pageSize: this.#o.pageSize,
      statuses: [...this.#o.statuses],
      logger: this.#o.logger,
      now: this.#o.now,
      informerOptions: this.#o.informerOptions,
      onChange: (key) => this.#markDirty(key),
      onError: (err) => this.#noteError("discovery", err),
    });
    this.#ownPool = this.#o.pool === undefined;
    this.#pool =
      this.#o.pool ?? new ScanPool({ maxThreads: this.#o.maxThreads, limits: this.#o.limits });
    this.#entries = new ReleaseBook({
      store: this.#o.store,
      logger: this.#o.logger,
      releaseError: (code) => this.#metrics.releaseError(code),
      reportError: (where, err) => this.#noteError(where, err, true),
    });
    this.#metrics = new HelmCheckerMetrics(
      this.#o.meterProvider,
      () => ({
        entries: this.#entries.values(),
        duplicates: this.#duplicates.size,
        lastFullScanAt: this.#lastFullScanAt,
      }),
      this.#pool,
    );
    this.metricProducer = this.#metrics.producer;
  }

  /**
   * Resolves once the first complete scan after {@link start} is done (findings of every
   * readable release computed). Never rejects; stays pending if the checker closes first.
   */
  get ready(): Promise<void> {
    return this.#readyGate.promise;
  }

  /**
   * Restores the last findings from the store (served at once), reads the cluster's version,
   * starts discovery and runs the first full scan in the background. Resolves when the stored
   * state is loaded and discovery has started (not when the scan is done: see {@link ready}).
   * Memoized. Rejects with `LOOKOUT_HELM_CHECKER_CLOSED` after {@link close}.
   */
  start(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new HelmCheckerClosedError());
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    if (this.#o.extraRowsFile !== undefined) {
      await this.#table.watch(
        this.#o.extraRowsFile,
        {
          reloaded: () => this.#tableReloaded(),
          error: (err) => this.#noteError("extra-rows", err, true),
        },
        { signal: this.#abort.signal, logger: this.#o.logger },
      );
    }
    this.#restore();
    this.#discovery.start();
    void this.#pool.warm();
    void this.#firstScan();
  }

  /** The first complete scan (see {@link runFirstScan}), then the periodic jobs. */
  async #firstScan(): Promise<void> {
    const generation = this.#table.generation;
    const done = await runFirstScan(
      {
        cold: this.#entries.size === 0,
        prefetch: (sink) =>
          prefetchPayloads(this.#o, this.#pool, this.#table.apiVersions, sink, this.#abort.signal),
        refreshVersion: () => this.#refreshVersion(),
        targetsKnown: () => {
          // Nothing was evaluated yet at a cold start: all that is committed from now on is.
          if (this.#entries.size === 0) this.#needsReevaluation = false;
        },
        settled: (signal) => this.#discovery.settled(signal),
        commitPrefetched: (scanned, committed) => {
          // Scanned with a table that has since changed: the first scan reads it again.
          if (this.#table.generation !== generation) return;
          const now = this.#o.now();
          const upsert = scanned.map(({ ref, result }) => {
            committed.add(ref.uid);
            return this.#evaluate(entryFromScan(ref, result, now), now);
          });
          this.#commit({ upsert, replace: [], remove: [] }, now);
        },
        reconcile: (prefetched) => this.#reconcile(prefetched, false),
        failed: (err) => this.#noteError("first-scan", err, true),
      },
      this.#abort.signal,
    );
    if (!done) return;
    this.#ready = true;
    this.#readyGate.resolve();
    // Changes that arrived while the first scan ran are checked now.
    this.#incremental.enable();
    this.#fullJob.schedule();
    this.#versionJob.schedule();
  }

  /**
   * Resolves once {@link ready}; rejects with `signal.reason` when `signal` aborts first (the
   * checker keeps running). For one-shot callers that must not wait forever.
   */
  waitUntilReady(signal: AbortSignal): Promise<void> {
    return untilAborted(this.#readyGate.promise, signal);
  }

  /** Loads stored scans and findings (so they are served before the first scan finishes). */
  #restore(): void {
    const count = this.#entries.restore(this.#table.keep, this.#table.apiVersions);
    this.#restored = count > 0;
    if (count > 0) this.#o.logger.info("helm checker: restored stored findings", { count });
  }

  /** Reads /version and re-plans the targets; see {@link ClusterTargets.refresh}. */
  async #refreshVersion(): Promise<void> {
    let result;
    try {
      result = await this.#targets.refresh(this.#table.table.coversUpTo, this.#abort.signal);
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#noteError("version", err, true);
      throw err;
    }
    if (result.error !== undefined) this.#noteError("version", result.error, true);
    for (const err of this.#targets.uncovered) this.#noteError(`target:${err.target}`, err, true);
    if (result.changed) this.#needsReevaluation = true;
  }

  /**
   * A new table (extra rows reloaded). Scans keep only the objects of the table's apiVersions
   * (documents that cannot hold one are not even read), so every release is decoded again.
   */
  #tableReloaded(): void {
    this.#needsReevaluation = true;
    this.#entries.forgetScans();
    // Before the first scan is done, that scan reads the new table itself.
    if (this.#ready) void this.#reporting(this.#reconcile(undefined, true));
  }

  /** Awaits a full reconcile started in the background; reports its failure (not a close). */
  async #reporting(scan: Promise<unknown>): Promise<void> {
    try {
      await scan;
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#noteError("full-scan", err, true);
    }
  }

  /** A release's storage objects changed: check it soon (after the first scan is done). */
  #markDirty(key: string): void {
    this.#incremental.mark(key); // a no-op once close() has stopped it
  }

  /**
   * A full reconcile now: every release rechecked against the caches (only changed payloads are
   * fetched and decoded), every finding re-evaluated when the table or targets changed.
   * Never two at once: a call while one is queued or running joins it. Before the first scan is
   * done, waits for that scan (which can take long when the cluster is unreachable: `signal`
   * bounds the wait and rejects with its reason). Rejects with `LOOKOUT_HELM_CHECKER_CLOSED`
   * when the checker closes first.
   */
  async reconcile(signal?: AbortSignal): Promise<ScanSummary> {
    if (this.#closed !== undefined) throw new HelmCheckerClosedError();
    if (!this.#ready) {
      // Restored findings must not be re-evaluated before targets and discovery are known.
      const stop =
        signal === undefined ? this.#abort.signal : AbortSignal.any([this.#abort.signal, signal]);
      await untilAborted(this.#readyGate.promise, stop).catch((err: unknown) => {
        throw this.#abort.signal.aborted ? new HelmCheckerClosedError() : err;
      });
      if (this.#lastScan !== undefined && this.#lastScan.mode === "full") return this.#lastScan;
    }
    return this.#reconcile(undefined, false);
  }

  /**
   * Queues a full scan, or joins one: the queued one always; the running one unless `fresh`
   * (a table or target change must be seen by a scan that starts after it).
   */
  #reconcile(prefetched: ReadonlySet<string> | undefined, fresh: boolean): Promise<ScanSummary> {
    if (this.#closed !== undefined) return Promise.reject(new HelmCheckerClosedError());
    return this.#scans.full(() => this.#scan("full", prefetched), fresh);
  }

  async #scan(
    mode: "full" | "incremental",
    prefetched?: ReadonlySet<string>,
    dirty?: Set<string>,
  ): Promise<ScanSummary> {
    const signal = this.#abort.signal;
    if (signal.aborted) throw new HelmCheckerClosedError();
    const started = performance.now();
    let keys: Set<string>;
    // What a full scan takes over: given back if it fails.
    let pending: Set<string> | undefined;
    if (mode === "full") {
      keys = this.#discovery.releaseKeys();
      for (const key of this.#entries.keys()) keys.add(key);
      pending = this.#incremental.take();
    } else {
      keys = dirty ?? new Set();
    }
    const reevaluate = mode === "full" && this.#needsReevaluation;
    if (mode === "full") this.#needsReevaluation = false;
    try {
      return await this.#scanKeys(mode, keys, reevaluate, started, signal, prefetched);
    } catch (err) {
      if (reevaluate) this.#needsReevaluation = true;
      if (pending !== undefined && !signal.aborted) this.#incremental.retry(pending);
      throw err;
    }
  }

  /** The scan of `keys` (see #scan): plan, read and decode what changed, commit, summarize. */
  async #scanKeys(
    mode: "full" | "incremental",
    keys: Set<string>,
    reevaluate: boolean,
    started: number,
    signal: AbortSignal,
    prefetched: ReadonlySet<string> | undefined,
  ): Promise<ScanSummary> {
    const generation = this.#table.generation;
    const now = this.#o.now();
    const plan = planScan({
      keys,
      revisions: (key) => this.#discovery.revisions(key),
      entry: (key) => this.#entries.get(key),
      statuses: this.#o.statuses,
      forbidden: new Set(
        this.#discovery.forbidden().map((f) => forbiddenKey(f.resource, f.namespace)),
      ),
    });
    for (const key of keys) {
      const n = plan.duplicates.get(key);
      if (n === undefined) this.#duplicates.delete(key);
      else this.#duplicates.set(key, n);
    }
    const change: EntryChange = { upsert: [], replace: [], remove: plan.remove };
    if (reevaluate || this.#restored) {
      for (const entry of plan.unchanged) change.replace.push(this.#evaluate(entry, now));
    }
    const read = await readAndScan(plan.wants, this.#pipeline(now, signal), signal);
    // Releases the cold-start prefetch decoded count as decoded by this scan.
    const fromPrefetch =
      prefetched === undefined
        ? 0
        : plan.unchanged.filter((e) => prefetched.has(e.storageUid)).length;
    const decoded = fromPrefetch + read.decoded;
    const unchanged = plan.unchanged.length - fromPrefetch + read.unchanged;
    // Loops, not push(...): 100,000+ failed reads would overflow the stack.
    for (const e of read.failed) change.upsert.push(e);
    for (const e of read.bad) change.upsert.push(e);
    if (signal.aborted) throw new HelmCheckerClosedError();
    this.#commit(change, now);
    // Releases whose payload could not be read are read again after a backoff.
    this.#incremental.retry(read.failed.map((e) => releaseKey(e.namespace, e.release)));
    // The table changed while this scan ran: what it committed was read with the old one.
    if (this.#table.generation !== generation) this.#entries.forgetScans();
    else if (mode === "full") this.#entries.rememberFilter(this.#table.apiVersions);
    if (mode === "full") {
      this.#restored = false;
      this.#lastFullScanAt = now;
    }
    const summary: ScanSummary = {
      mode,
      releases: keys.size,
      decoded,
      unchanged,
      removed: change.remove.length,
      durationMs: performance.now() - started,
    };
    this.#lastScan = summary;
    this.#metrics.scanned(summary, this.#o.now());
    this.#o.logger.debug("helm checker: scan done", { ...summary });
    return summary;
  }

  /** What the read-and-scan pipeline needs of this checker for one scan. */
  #pipeline(now: number, signal: AbortSignal): PipelineContext {
    return {
      client: this.#o.client,
      pool: this.#pool,
      fetch: fetchOptionsOf(this.#o, signal),
      maxInFlight: Math.max(2, this.#o.maxThreads * 2),
      apiVersions: this.#table.apiVersions,
      now,
      entry: (key) => this.#entries.get(key),
      evaluate: (entry) => this.#evaluate(entry, now),
      commit: (change) => this.#commit(change, now),
      changedMeanwhile: (key) => this.#markDirty(key),
    };
  }

  /** The entry with findings computed at the current targets and table. */
  #evaluate(entry: Entry, now: number): Entry {
    const findings = findingsFor(entry, entry.objects, this.#table.table, {
      kubernetes: this.#targets.targets,
      components: this.#o.componentVersions,
    });
    return { ...entry, findings, computedAt: now };
  }

  #commit(change: EntryChange, now: number): void {
    this.#entries.commit(change, now, this.#table.keep);
    for (const e of change.remove) this.#duplicates.delete(releaseKey(e.namespace, e.release));
  }

  /** Records the checker's last error; `report` also counts and logs it. */
  #noteError(where: string, err: unknown, report = false): void {
    this.#lastError = { where, code: codeOf(err), message: messageOf(err), at: this.#o.now() };
    if (!report) return;
    this.#metrics.checkerError(codeOf(err));
    this.#o.logger.warn("helm checker: error", { where, error: err });
  }

  /**
   * Calls `listener` after each change of a release's findings (or its revision), and when a
   * release goes away. Returns the unsubscribe function. A throwing listener is logged.
   */
  onFindingsChanged(listener: (change: FindingsChange) => void): () => void {
    return this.#entries.onFindingsChanged(listener);
  }

  /** Every current finding (all releases, all targets). */
  findings(): HelmFinding[] {
    return this.#entries.findings();
  }

  /** Every release that could not be fully checked, with the reason. */
  errors(): HelmReleaseError[] {
    return this.#entries.errors();
  }

  /** The checked releases, each with when its findings were computed. */
  releases(): ReleaseState[] {
    return this.#entries.releases();
  }

  /** Releases checked, and releases known to discovery (walks its caches: for progress lines). */
  progress(): { readonly checked: number; readonly known: number } {
    return { checked: this.#entries.size, known: this.#discovery.releaseKeys().size };
  }

  /** The checker's status. */
  status(): HelmCheckerStatus {
    return {
      ready: this.#ready,
      restored: this.#restored,
      clusterVersion:
        this.#targets.cluster === undefined ? undefined : formatKubeVersion(this.#targets.cluster),
      targets: this.#targets.targets.map((t) => formatKubeVersion(t)),
      uncoveredTargets: this.#targets.uncovered.map((e) => e.target),
      lastFullScanAt: this.#lastFullScanAt,
      lastScan: this.#lastScan,
      forbidden: this.#discovery.forbidden(),
      unreadable: this.#discovery.nothingReadable(),
      releases: this.#entries.size,
      lastError: this.#lastError,
    };
  }

  /**
   * Stops timers, discovery and scans (a running scan rejects with
   * `LOOKOUT_HELM_CHECKER_CLOSED`), and closes the checker's own pool. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#abort.abort(new HelmCheckerClosedError());
      this.#incremental.stop();
      this.#fullJob.stop();
      this.#versionJob.stop();
      await this.#discovery.close();
      await this.#scans.idle();
      if (this.#ownPool) await this.#pool.close();
      this.#metrics.close();
    })();
    return this.#closed;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
