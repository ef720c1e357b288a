/**
 * kube-lookout's state file: one SQLite database (better-sqlite3, WAL, one writer) with a
 * versioned schema, a key/value table, the Helm checker's releases and findings, object
 * snapshots and the event outbox.
 * See docs/store.md.
 */
export {
  StoreAsyncTransactionError,
  StoreBadInputError,
  StoreClosedError,
  StoreFullError,
  StoreInTransactionError,
  StoreInvalidOptionError,
  StoreLockedError,
  StoreMemoryRefusedError,
  StoreMigrationFailedError,
  StoreOpenFailedError,
  StoreTooNewError,
  StoreWriteFailedError,
} from "./errors.ts";
export type { HelmStateRepository } from "./helm-state.ts";
export type {
  FindingsReplacement,
  HelmStateChange,
  ReleaseFindings,
  ReleaseKey,
  ReleaseUpsert,
  StoredRelease,
} from "./helm-types.ts";
export type { KeyValueStore } from "./kv.ts";
export type { LookoutStore } from "./lookout-store.ts";
export { STORE_SCOPE, StoreMetricNames } from "./metrics.ts";
export type { WriteOperation } from "./metrics.ts";
export { SCHEMA_VERSION } from "./migrations.ts";
export type { Migration } from "./migrations.ts";
export { openStore } from "./open-store.ts";
export type { OutboxInsert, OutboxRepository, OutboxRow, OutboxStats } from "./outbox.ts";
export { outboxRowBytes } from "./outbox.ts";
export type { SnapshotMeta, SnapshotRepository, SnapshotRow } from "./snapshots.ts";
export type { StoreOptions, StoreSynchronous } from "./options.ts";
