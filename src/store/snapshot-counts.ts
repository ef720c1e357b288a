/**
 * Snapshot rows per resource, kept by triggers so the `kube_lookout.store.snapshots` gauge reads
 * a handful of rows per scrape instead of counting the `snapshots` table.
 *
 * The table and its triggers are TEMP (connection-local, gone when the connection closes), made
 * when the store opens and filled by one `GROUP BY` over the primary-key index: no schema
 * change, nothing on disk to migrate or keep consistent across versions. A TEMP trigger may
 * watch a table of `main`; it runs inside the statement that changes `snapshots`, so the counts
 * commit and roll back with the rows. An upsert that updates an existing row fires no insert
 * trigger (the count stays); `resource` never changes in an update (the repository's upsert
 * keeps it), but a trigger handles it anyway.
 */
import type { Database, Statement } from "better-sqlite3";

const SETUP = `
CREATE TEMP TABLE snapshot_counts (
  resource TEXT NOT NULL PRIMARY KEY,
  n INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO temp.snapshot_counts (resource, n)
  SELECT resource, count(*) FROM main.snapshots GROUP BY resource;

CREATE TEMP TRIGGER snapshot_counts_insert AFTER INSERT ON main.snapshots BEGIN
  INSERT INTO snapshot_counts (resource, n) VALUES (NEW.resource, 1)
    ON CONFLICT (resource) DO UPDATE SET n = n + 1;
END;

CREATE TEMP TRIGGER snapshot_counts_delete AFTER DELETE ON main.snapshots BEGIN
  UPDATE snapshot_counts SET n = n - 1 WHERE resource = OLD.resource;
  DELETE FROM snapshot_counts WHERE resource = OLD.resource AND n <= 0;
END;

CREATE TEMP TRIGGER snapshot_counts_move AFTER UPDATE OF resource ON main.snapshots
  WHEN OLD.resource IS NOT NEW.resource BEGIN
  UPDATE snapshot_counts SET n = n - 1 WHERE resource = OLD.resource;
  DELETE FROM snapshot_counts WHERE resource = OLD.resource AND n <= 0;
  INSERT INTO snapshot_counts (resource, n) VALUES (NEW.resource, 1)
    ON CONFLICT (resource) DO UPDATE SET n = n + 1;
END;
`;

/** One resource's count. */
export interface SnapshotCount {
  readonly resource: string;
  readonly n: number;
}

/** Creates the TEMP table and triggers on `db` and returns the statement that reads them. */
export function installSnapshotCounts(db: Database): Statement<[], SnapshotCount> {
  db.exec(SETUP);
  return db.prepare<[], SnapshotCount>(
    "SELECT resource, n FROM temp.snapshot_counts ORDER BY resource",
  );
}
