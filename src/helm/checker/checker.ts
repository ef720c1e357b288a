/**
 * The Helm checker: discovers releases from their storage objects' metadata, decodes and scans
 * only the newest checked revision of each (in the worker pool), computes findings at every
 * target, persists them, keeps them fresh with incremental checks and periodic full reconciles.
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ScanPool, type ScannedObject } from "../decode/index.ts";
import {
  formatKubeVersion,
  mergeExtraRows,
  watchExtraRows,
  type DeprecationTable,
} from "../deprecations/index.ts";
import {
  apiVersionsOf,
  findingsFor,
  type HelmFinding,
  type HelmReleaseError,
} from "../findings.ts";
import { HelmDiscovery, type ForbiddenScope } from "./discovery.ts";
import { HelmCheckerClosedError } from "./errors.ts";
import { HelmCheckerMetrics } from "./metrics.ts";
import {
  resolveCheckerOptions,
  type HelmCheckerOptions,
  type ResolvedCheckerOptions,
} from "./options.ts";
import { fetchPayloads, type FetchedPayload } from "./payload-fetch.ts";
import { prefetchPayloads, type Prefetched } from "./prefetch.ts";
import { ClusterTargets } from "./cluster-targets.ts";
import {
  codeOf,
  messageOf,
  entryFromFailure,
  entryFromScan,
  entryFromStored,
  sameFindings,
  toStateChange,
  type Entry,
  type EntryChange,
  type ReleaseState,
} from "./release-entry.ts";
import { pickRevision, releaseKey, type RevisionRef } from "./storage-object.ts";

export type { ReleaseState };

/** A change of one release's findings, for the events issue to publish. */
export interface FindingsChange {
  readonly namespace: string;
  readonly release: string;
  /** The revision now checked; undefined when the release is gone. */
  readonly revision: number | undefined;
  readonly findings: readonly HelmFinding[];
  readonly previous: readonly HelmFinding[];
  readonly at: number;
}

/** What one scan did. */
export interface ScanSummary {
  readonly mode: "full" | "incremental";
  /** Releases looked at. */
  readonly releases: number;
  /** Payloads fetched and decoded. */
  readonly decoded: number;
  /** Releases whose payload was unchanged (same object, or same hash). */
  readonly unchanged: number;
  readonly removed: number;
  readonly durationMs: number;
}

/** The checker's status, for `/readyz` and the cache API. */
export interface HelmCheckerStatus {
  readonly ready: boolean;
  /** Findings restored from the store and not yet rechecked. */
  readonly restored: boolean;
  readonly clusterVersion: string | undefined;
  readonly targets: readonly string[];
  readonly uncoveredTargets: readonly string[];
  readonly lastFullScanAt: number | undefined;
  readonly lastScan: ScanSummary | undefined;
  readonly forbidden: readonly ForbiddenScope[];
  readonly releases: number;
  /** The checker's (or discovery's) last error, if any: where, code, message, when. */
  readonly lastError: CheckerError | undefined;
}

/** An error of the checker itself (not of one release). */
export interface CheckerError {
  readonly where: string;
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

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
  readonly #entries = new Map<string, Entry>();
  readonly #dirty = new Set<string>();
  readonly #listeners = new Set<(change: FindingsChange) => void>();
  readonly #loggedErrors = new Set<string>();
  readonly #duplicates = new Map<string, number>();
  #table: DeprecationTable;
  /** The table's apiVersions, sorted: the scan keeps only objects of these. */
  #apiVersions: readonly string[];
  readonly #targets: ClusterTargets;
  #restored = false;
  #ready = false;
  #readyResolve!: () => void;
  readonly #readyPromise: Promise<void>;
  #started: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #fullPending: Promise<ScanSummary> | undefined;
  #incrementalTimer: NodeJS.Timeout | undefined;
  #fullTimer: NodeJS.Timeout | undefined;
  #versionTimer: NodeJS.Timeout | undefined;
  #lastFullScanAt: number | undefined;
  #lastScan: ScanSummary | undefined;
  #needsReevaluation = false;
  #lastError: CheckerError | undefined;

  constructor(options: HelmCheckerOptions) {
    this.#o = resolveCheckerOptions(options);
    this.#table = this.#o.table;
    this.#targets = new ClusterTargets(this.#o.client, this.#o.targets, this.#o.stallTimeoutMs);
    this.#apiVersions = [...apiVersionsOf(this.#table)].sort();
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
      onError: (err) => {
        this.#lastError = {
          where: "discovery",
          code: codeOf(err),
          message: messageOf(err),
          at: this.#o.now(),
        };
      },
    });
    this.#ownPool = this.#o.pool === undefined;
    this.#pool =
      this.#o.pool ?? new ScanPool({ maxThreads: this.#o.maxThreads, limits: this.#o.limits });
    this.#metrics = new HelmCheckerMetrics(this.#o.meterProvider, () => this.#snapshotForMetrics());
    this.#readyPromise = new Promise((resolve) => {
      this.#readyResolve = resolve;
    });
  }

  /**
   * Resolves once the first complete scan after {@link start} is done (findings of every
   * readable release computed). Never rejects; stays pending if the checker closes first.
   */
  get ready(): Promise<void> {
    return this.#readyPromise;
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
    this.#restore();
    if (this.#o.extraRowsFile !== undefined) {
      const base = this.#o.table;
      const initial = await watchExtraRows(
        this.#o.extraRowsFile,
        (change) => {
          this.#useTable(mergeExtraRows(base, change.rows).table);
          if (change.error !== undefined) this.#reportError("extra-rows", change.error);
        },
        { signal: this.#abort.signal, logger: this.#o.logger },
      );
      this.#table = mergeExtraRows(base, initial.rows).table;
      this.#apiVersions = [...apiVersionsOf(this.#table)].sort();
      if (initial.error !== undefined) this.#reportError("extra-rows", initial.error);
    }
    this.#discovery.start();
    void this.#pool.warm();
    void this.#firstScan();
  }

  /** The first complete scan, retried with backoff (1 s doubling to 30 s) until it succeeds. */
  async #firstScan(): Promise<void> {
    const signal = this.#abort.signal;
    let prefetch =
      this.#entries.size === 0
        ? prefetchPayloads(
            {
              client: this.#o.client,
              pool: this.#pool,
              drivers: this.#o.drivers,
              namespaces: this.#o.namespaces,
              pageSize: this.#o.pageSize,
              statuses: [...this.#o.statuses],
              stallTimeoutMs: this.#o.stallTimeoutMs,
              maxInFlight: Math.max(2, this.#o.maxThreads * 2),
              apiVersions: this.#apiVersions,
            },
            signal,
          )
        : undefined;
    for (let delay = 1000; !signal.aborted; delay = Math.min(delay * 2, 30_000)) {
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- retries are sequential
        await this.#refreshVersion();
        // oxlint-disable-next-line eslint/no-await-in-loop -- retries are sequential
        await this.#discovery.settled(signal);
        // oxlint-disable-next-line eslint/no-await-in-loop -- retries are sequential
        const prefetched = prefetch === undefined ? undefined : await prefetch;
        prefetch = undefined;
        // oxlint-disable-next-line eslint/no-await-in-loop -- retries are sequential
        await this.#reconcile(prefetched);
        this.#ready = true;
        this.#readyResolve();
        this.#scheduleFull();
        this.#scheduleVersion();
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#reportError("first-scan", err);
      }
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- backoff between retries
        await sleep(delay, undefined, { signal, ref: false });
      } catch {
        return;
      }
    }
  }

  /**
   * Resolves once {@link ready}; rejects with `signal.reason` when `signal` aborts first (the
   * checker keeps running). For one-shot callers that must not wait forever.
   */
  async waitUntilReady(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const { promise, reject } = Promise.withResolvers<never>();
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.race([this.#readyPromise, promise]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Loads stored scans and findings (so they are served before the first scan finishes). */
  #restore(): void {
    const store = this.#o.store;
    if (store === undefined) return;
    const findings = new Map<string, readonly HelmFinding[]>();
    const computed = new Map<string, number>();
    for (const f of store.loadFindings()) {
      const key = releaseKey(f.namespace, f.release);
      findings.set(key, f.findings);
      computed.set(key, f.computedAt);
    }
    for (const r of store.loadReleases()) {
      const key = releaseKey(r.namespace, r.release);
      this.#entries.set(
        key,
        entryFromStored(r, findings.get(key) ?? [], computed.get(key) ?? r.scannedAt, (o) =>
          this.#interesting(o),
        ),
      );
    }
    this.#restored = this.#entries.size > 0;
    this.#o.logger.info("helm checker: restored stored findings", { releases: this.#entries.size });
  }

  /** Objects some table row matches: all the checker keeps in memory. */
  #interesting(objects: readonly ScannedObject[]): ScannedObject[] {
    const apis = apiVersionsOf(this.#table);
    return objects.filter((o) => o.kind !== "" && apis.has(o.apiVersion));
  }

  /** Reads /version and re-plans the targets; see {@link ClusterTargets.refresh}. */
  async #refreshVersion(): Promise<void> {
    let result;
    try {
      result = await this.#targets.refresh(this.#table.coversUpTo, this.#abort.signal);
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#reportError("version", err);
      throw err;
    }
    if (result.error !== undefined) this.#reportError("version", result.error);
    for (const err of this.#targets.uncovered) this.#reportError(`target:${err.target}`, err);
    if (result.changed) this.#needsReevaluation = true;
  }

  /**
   * A new table (extra rows reloaded). Scans keep only the objects of the table's apiVersions
   * (documents that cannot hold one are not even read), so every release is decoded again.
   */
  #useTable(table: DeprecationTable): void {
    this.#table = table;
    this.#apiVersions = [...apiVersionsOf(table)].sort();
    this.#needsReevaluation = true;
    for (const [key, entry] of this.#entries) {
      this.#entries.set(key, { ...entry, storageUid: "", payloadHash: "" });
    }
    void this.reconcile().catch(() => undefined);
  }

  #markDirty(key: string): void {
    if (this.#closed !== undefined) return;
    this.#dirty.add(key);
    if (!this.#ready || this.#incrementalTimer !== undefined) return;
    this.#incrementalTimer = setTimeout(() => {
      this.#incrementalTimer = undefined;
      void this.#enqueue(() => this.#scan("incremental")).catch((err: unknown) => {
        if (!this.#abort.signal.aborted) this.#reportError("incremental", err);
      });
    }, this.#o.incrementalDelayMs);
    this.#incrementalTimer.unref();
  }

  #scheduleFull(): void {
    if (this.#o.fullScanIntervalMs === 0 || this.#closed !== undefined) return;
    this.#fullTimer = setTimeout(() => void this.#fullTick(), this.#o.fullScanIntervalMs);
    this.#fullTimer.unref();
  }

  async #fullTick(): Promise<void> {
    try {
      await this.reconcile();
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#reportError("full-scan", err);
    }
    this.#scheduleFull();
  }

  #scheduleVersion(): void {
    if (this.#closed !== undefined) return;
    this.#versionTimer = setTimeout(() => void this.#versionTick(), this.#o.versionIntervalMs);
    this.#versionTimer.unref();
  }

  async #versionTick(): Promise<void> {
    try {
      await this.#refreshVersion();
      if (this.#needsReevaluation) await this.reconcile();
    } catch {
      // Reported where it happened; the next tick tries again.
    }
    this.#scheduleVersion();
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A full reconcile now: every release rechecked against the caches (only changed payloads are
   * fetched and decoded), every finding re-evaluated when the table or targets changed.
   * Never two at once: a call while one is queued or running joins it. Rejects with
   * `LOOKOUT_HELM_CHECKER_CLOSED` when the checker closes first.
   */
  reconcile(): Promise<ScanSummary> {
    return this.#reconcile(undefined);
  }

  #reconcile(prefetched: Prefetched | undefined): Promise<ScanSummary> {
    if (this.#closed !== undefined) return Promise.reject(new HelmCheckerClosedError());
    this.#fullPending ??= this.#enqueue(async () => {
      this.#fullPending = undefined;
      return this.#scan("full", prefetched);
    });
    return this.#fullPending;
  }

  async #scan(mode: "full" | "incremental", prefetched?: Prefetched): Promise<ScanSummary> {
    const signal = this.#abort.signal;
    if (signal.aborted) throw new HelmCheckerClosedError();
    const started = performance.now();
    let keys: Set<string>;
    if (mode === "full") {
      keys = this.#discovery.releaseKeys();
      for (const key of this.#entries.keys()) keys.add(key);
      this.#dirty.clear();
    } else {
      keys = new Set(this.#dirty);
      this.#dirty.clear();
    }
    const reevaluate = this.#needsReevaluation;
    this.#needsReevaluation = false;
    const now = this.#o.now();
    const change: EntryChange = { upsert: [], replace: [], remove: [] };
    const wants: RevisionRef[] = [];
    let unchanged = 0;
    const forbidden = new Set(this.#discovery.forbidden().map((f) => f.namespace));
    for (const key of keys) {
      const pick = pickRevision(this.#discovery.revisions(key), this.#o.statuses);
      if (pick.deployed > 1) this.#duplicates.set(key, pick.deployed);
      else this.#duplicates.delete(key);
      const entry = this.#entries.get(key);
      const chosen = pick.chosen;
      if (chosen === undefined) {
        // Keep what we know of releases in namespaces we cannot read now.
        if (entry !== undefined && !forbidden.has(entry.namespace) && !forbidden.has("")) {
          change.remove.push(entry);
        }
        continue;
      }
      if (
        entry !== undefined &&
        entry.storageUid === chosen.uid &&
        entry.storageResourceVersion === chosen.resourceVersion
      ) {
        unchanged++;
        if (reevaluate || this.#restored) change.replace.push(this.#evaluate(entry, now));
        continue;
      }
      wants.push(chosen);
    }
    let decoded = 0;
    if (prefetched !== undefined && prefetched.size > 0) {
      const hits: Entry[] = [];
      const rest: RevisionRef[] = [];
      for (const want of wants) {
        const p = prefetched.get(want.uid);
        if (p === undefined || p.resourceVersion !== want.resourceVersion) rest.push(want);
        else hits.push(this.#evaluate(entryFromScan(want, p.result, now), now));
      }
      decoded += hits.length;
      wants.length = 0;
      wants.push(...rest);
      this.#commit({ upsert: hits, replace: [], remove: [] }, now);
    }
    const inFlight = new Set<Promise<void>>();
    const maxInFlight = Math.max(2, this.#o.maxThreads * 2);
    for await (const batch of fetchPayloads(this.#o.client, wants, {
      bulkThreshold: this.#o.bulkThreshold,
      pageSize: this.#o.pageSize,
      statuses: [...this.#o.statuses],
      concurrency: this.#o.fetchConcurrency,
      stallTimeoutMs: this.#o.stallTimeoutMs,
      namespaced: this.#o.namespaces !== undefined,
      signal,
    })) {
      for (const failure of batch.failures) {
        const key = releaseKey(failure.ref.namespace, failure.ref.release);
        // A release that changed meanwhile is checked again after its watch event.
        if (failure.kind === "gone") this.#dirty.add(key);
        else change.upsert.push(entryFromFailure(failure, this.#entries.get(key), now));
      }
      if (batch.payloads.length === 0) continue;
      const job = this.#scanBatch(batch.payloads, now, signal).then((n) => {
        decoded += n.decoded;
        unchanged += n.unchanged;
        return undefined;
      });
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job)).catch(() => undefined);
      if (inFlight.size >= maxInFlight) {
        // oxlint-disable-next-line eslint/no-await-in-loop -- backpressure on the pool
        await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
    if (signal.aborted) throw new HelmCheckerClosedError();
    this.#commit(change, now);
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

  /** Scans one batch of payloads in the pool; a payload whose hash is known is not re-decoded. */
  async #scanBatch(
    payloads: readonly FetchedPayload[],
    now: number,
    signal: AbortSignal,
  ): Promise<{ decoded: number; unchanged: number }> {
    const counts = { decoded: 0, unchanged: 0 };
    const change: EntryChange = { upsert: [], replace: [], remove: [] };
    const toScan: FetchedPayload[] = [];
    for (const p of payloads) {
      const entry = this.#entries.get(releaseKey(p.ref.namespace, p.ref.release));
      if (entry !== undefined && entry.revision === p.ref.revision && entry.payloadHash !== "") {
        const hash = createHash("sha256").update(p.value).digest("hex");
        if (hash === entry.payloadHash) {
          counts.unchanged++;
          const moved = {
            ...entry,
            storageUid: p.ref.uid,
            storageResourceVersion: p.ref.resourceVersion,
          };
          change.upsert.push(this.#evaluate(moved, now));
          continue;
        }
      }
      toScan.push(p);
    }
    if (toScan.length > 0) {
      const results = await this.#pool.scanMany(
        toScan.map((p) => ({
          value: p.value,
          driver: p.ref.driver,
          apiVersions: this.#apiVersions,
        })),
        signal,
      );
      results.forEach((result, i) => {
        counts.decoded++;
        change.upsert.push(this.#evaluate(entryFromScan(toScan[i]!.ref, result, now), now));
      });
    }
    // Each batch is committed as it completes, so the store's work overlaps the next scans.
    if (!signal.aborted) this.#commit(change, now);
    return counts;
  }

  /** The entry with findings computed at the current targets and table. */
  #evaluate(entry: Entry, now: number): Entry {
    const findings = findingsFor(entry, entry.objects, this.#table, {
      kubernetes: this.#targets.targets,
      components: this.#o.componentVersions,
    });
    return { ...entry, findings, computedAt: now };
  }

  #commit(change: EntryChange, now: number): void {
    const store = this.#o.store;
    if (
      store !== undefined &&
      change.upsert.length + change.replace.length + change.remove.length > 0
    ) {
      const persisted = toStateChange(change);
      try {
        store.apply(persisted);
      } catch (err) {
        this.#reportError("store", err);
      }
    }
    for (const e of [...change.upsert, ...change.replace]) {
      const key = releaseKey(e.namespace, e.release);
      const before = this.#entries.get(key);
      const kept: Entry = { ...e, objects: this.#interesting(e.objects) };
      this.#entries.set(key, kept);
      for (const err of e.errors) this.#logOnce(err);
      if (
        before === undefined ||
        !sameFindings(before.findings, e.findings) ||
        before.revision !== e.revision
      ) {
        this.#emit({
          namespace: e.namespace,
          release: e.release,
          revision: e.revision,
          findings: e.findings,
          previous: before?.findings ?? [],
          at: now,
        });
      }
    }
    for (const e of change.remove) {
      const key = releaseKey(e.namespace, e.release);
      this.#entries.delete(key);
      this.#duplicates.delete(key);
      this.#emit({
        namespace: e.namespace,
        release: e.release,
        revision: undefined,
        findings: [],
        previous: e.findings,
        at: now,
      });
    }
  }

  #logOnce(err: HelmReleaseError): void {
    const key = `${err.namespace}/${err.release}/${String(err.revision)}/${err.code}`;
    if (this.#loggedErrors.has(key)) return;
    this.#loggedErrors.add(key);
    this.#metrics.releaseError(err.code);
    this.#o.logger.warn("helm checker: release could not be fully checked", { ...err });
  }

  #emit(change: FindingsChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#o.logger.error("helm checker: a findings listener threw", { error: err });
      }
    }
  }

  #reportError(where: string, err: unknown): void {
    this.#lastError = { where, code: codeOf(err), message: messageOf(err), at: this.#o.now() };
    this.#metrics.checkerError(codeOf(err));
    this.#o.logger.warn("helm checker: error", { where, error: err });
  }

  #snapshotForMetrics() {
    return {
      entries: this.#entries.values(),
      duplicates: this.#duplicates.size,
      lastFullScanAt: this.#lastFullScanAt,
    };
  }

  /**
   * Calls `listener` after each change of a release's findings (or its revision), and when a
   * release goes away. Returns the unsubscribe function. A throwing listener is logged.
   */
  onFindingsChanged(listener: (change: FindingsChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every current finding (all releases, all targets). */
  findings(): HelmFinding[] {
    const out: HelmFinding[] = [];
    for (const e of this.#entries.values()) out.push(...e.findings);
    return out;
  }

  /** Every release that could not be fully checked, with the reason. */
  errors(): HelmReleaseError[] {
    const out: HelmReleaseError[] = [];
    for (const e of this.#entries.values()) out.push(...e.errors);
    return out;
  }

  /** The checked releases. */
  releases(): ReleaseState[] {
    return [...this.#entries.values()].map(({ objects: _o, issues: _i, ...state }) => state);
  }

  /**
   * How far the checking is: releases with a checked state, and releases known from discovery
   * (counting them walks the discovery caches: for progress displays, not hot paths).
   */
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
      releases: this.#entries.size,
      lastError: this.#lastError,
    };
  }

  /** The metric producer of the findings gauge (see `HelmCheckerMetrics`). */
  get metricProducer() {
    return this.#metrics.producer;
  }

  /**
   * Stops timers, discovery and scans (a running scan rejects with
   * `LOOKOUT_HELM_CHECKER_CLOSED`), and closes the checker's own pool. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#abort.abort(new HelmCheckerClosedError());
      clearTimeout(this.#incrementalTimer);
      clearTimeout(this.#fullTimer);
      clearTimeout(this.#versionTimer);
      await this.#discovery.close();
      await this.#queue;
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
