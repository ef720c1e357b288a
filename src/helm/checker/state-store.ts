/**
 * What the checker needs from persistent storage: `openStore(...).helm` is one. Declared here so
 * the checker runs without a store (one-shot CLI checks) and embedders can bring their own.
 */
import type { HelmStateChange, ReleaseFindings, StoredRelease } from "../../store/index.ts";

export type { HelmStateChange, ReleaseFindings, StoredRelease };

/** The Helm checker's persistent state. Every method is synchronous. */
export interface HelmStateStore {
  /** Every stored release scan. */
  loadReleases(): StoredRelease[];
  /** Every stored release's findings. */
  loadFindings(): ReleaseFindings[];
  /** Applies one change atomically. */
  apply(change: HelmStateChange): void;
  /** A small setting of the checker's, if the store keeps them (undefined when unset). */
  getMeta?(key: string): string | undefined;
  /** Sets a small setting of the checker's. */
  setMeta?(key: string, value: string): void;
}
