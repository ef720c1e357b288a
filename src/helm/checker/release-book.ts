/**
 * The checker's book of releases: the checked state of each release in memory, written through
 * to the store, with the findings-changed notifications and the log-once of release errors.
 */
import type { Logger } from "../../logging/index.ts";
import type { ScannedObject } from "../decode/index.ts";
import type { HelmFinding, HelmReleaseError } from "../findings.ts";
import {
  entryFromStored,
  sameFindings,
  toStateChange,
  type Entry,
  type EntryChange,
  type ReleaseState,
} from "./release-entry.ts";
import type { HelmStateStore } from "./state-store.ts";
import { releaseKey } from "./storage-object.ts";

/** The store setting that says which apiVersions the stored scans kept. */
const SCAN_FILTER = "scanFilter";

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

/** What the book reports to. */
export interface ReleaseBookSinks {
  readonly store: HelmStateStore | undefined;
  readonly logger: Logger;
  /** A release revision's error seen for the first time (to count it). */
  readonly releaseError: (code: string) => void;
  /** A failure of the book itself (the store). */
  readonly reportError: (where: string, err: unknown) => void;
}

/** Objects kept in memory: a filter applied to every entry written (the table's apiVersions). */
export type KeepObjects = (objects: readonly ScannedObject[]) => ScannedObject[];

/**
 * Releases by `namespace/release`. {@link commit} is the only writer of checked state: it
 * persists the change (one store transaction), then updates memory and notifies.
 */
export class ReleaseBook {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<(change: FindingsChange) => void>();
  /** Per release, the `revision/code` of the errors already logged: forgotten with the release. */
  readonly #logged = new Map<string, Set<string>>();
  readonly #sinks: ReleaseBookSinks;

  constructor(sinks: ReleaseBookSinks) {
    this.#sinks = sinks;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Entry | undefined {
    return this.#entries.get(key);
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  values(): IterableIterator<Entry> {
    return this.#entries.values();
  }

  /** Marks every entry for a new decode (the table changed): no store write, no notification. */
  forgetScans(): void {
    for (const [key, entry] of this.#entries) {
      this.#entries.set(key, { ...entry, storageUid: "", payloadHash: "" });
    }
  }

  /**
   * Loads the stored scans and findings; returns how many releases. Stored scans kept only the
   * objects of the apiVersions the table had then: when `apiVersions` differ (extra rows edited
   * while stopped), every release is marked to be decoded again (its findings still served).
   */
  restore(keep: KeepObjects, apiVersions: readonly string[]): number {
    const store = this.#sinks.store;
    if (store === undefined) return 0;
    const findings = new Map<string, { findings: readonly HelmFinding[]; at: number }>();
    for (const f of store.loadFindings()) {
      findings.set(releaseKey(f.namespace, f.release), { findings: f.findings, at: f.computedAt });
    }
    for (const r of store.loadReleases()) {
      const key = releaseKey(r.namespace, r.release);
      const stored = findings.get(key);
      this.#entries.set(
        key,
        entryFromStored(r, stored?.findings ?? [], stored?.at ?? r.scannedAt, keep),
      );
    }
    if (store.getMeta?.(SCAN_FILTER) !== apiVersions.join(" ")) this.forgetScans();
    return this.#entries.size;
  }

  /** Records that every stored scan kept the objects of `apiVersions` (after a full scan). */
  rememberFilter(apiVersions: readonly string[]): void {
    try {
      this.#sinks.store?.setMeta?.(SCAN_FILTER, apiVersions.join(" "));
    } catch (err) {
      this.#sinks.reportError("store", err);
    }
  }

  /**
   * Applies a change: one store transaction (a failure is reported and memory is still
   * updated: the next restart rescans), then the entries (objects filtered by `keep`), then a
   * notification for each release whose findings or revision changed, or that went away.
   */
  commit(change: EntryChange, now: number, keep: KeepObjects): void {
    const store = this.#sinks.store;
    if (
      store !== undefined &&
      change.upsert.length + change.replace.length + change.remove.length > 0
    ) {
      try {
        store.apply(toStateChange(change));
      } catch (err) {
        this.#sinks.reportError("store", err);
        // A replace needs the stored release row, which an earlier failed write may have left
        // out: write every entry whole so the store catches up with memory.
        const whole = {
          upsert: [...change.upsert, ...change.replace],
          replace: [],
          remove: change.remove,
        };
        try {
          store.apply(toStateChange(whole));
        } catch (again) {
          this.#sinks.reportError("store", again);
        }
      }
    }
    for (const e of [...change.upsert, ...change.replace]) {
      const key = releaseKey(e.namespace, e.release);
      const before = this.#entries.get(key);
      this.#entries.set(key, { ...e, objects: keep(e.objects) });
      this.#logErrors(key, e.errors);
      if (
        before === undefined ||
        before.revision !== e.revision ||
        !sameFindings(before.findings, e.findings)
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
      this.#logged.delete(key);
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

  /** Logs and counts each (revision, code) of a release once; keeps only the current ones. */
  #logErrors(key: string, errors: readonly HelmReleaseError[]): void {
    const before = this.#logged.get(key);
    if (errors.length === 0) {
      this.#logged.delete(key);
      return;
    }
    const now = new Set<string>();
    for (const err of errors) {
      const id = `${String(err.revision)}/${err.code}`;
      now.add(id);
      if (before?.has(id) === true) continue;
      this.#sinks.releaseError(err.code);
      this.#sinks.logger.warn("helm checker: release could not be fully checked", { ...err });
    }
    this.#logged.set(key, now);
  }

  #emit(change: FindingsChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#sinks.logger.error("helm checker: a findings listener threw", { error: err });
      }
    }
  }

  /** See `HelmChecker.onFindingsChanged`. */
  onFindingsChanged(listener: (change: FindingsChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every current finding. */
  findings(): HelmFinding[] {
    const out: HelmFinding[] = [];
    for (const e of this.#entries.values()) for (const f of e.findings) out.push(f);
    return out;
  }

  /** Every current release error. */
  errors(): HelmReleaseError[] {
    const out: HelmReleaseError[] = [];
    for (const e of this.#entries.values()) for (const x of e.errors) out.push(x);
    return out;
  }

  /** The checked releases. */
  releases(): ReleaseState[] {
    return [...this.#entries.values()].map(({ objects: _o, issues: _i, ...state }) => state);
  }
}
