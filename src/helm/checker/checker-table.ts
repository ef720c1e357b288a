/**
 * The deprecation table a checker uses: the configured one plus the rows of an extra-rows file,
 * reloaded when the file changes. Scans keep only the objects of the table's apiVersions, so a
 * new table comes with a new generation: what was scanned under an older one is read again.
 */
import type { Logger } from "../../logging/index.ts";
import type { ScannedObject } from "../decode/index.ts";
import { mergeExtraRows, watchExtraRows, type DeprecationTable } from "../deprecations/index.ts";
import { apiVersionsOf } from "../findings.ts";

/** The current table, its apiVersions and its generation. */
export class CheckerTable {
  readonly #base: DeprecationTable;
  #table: DeprecationTable;
  #apiVersions: readonly string[];
  #generation = 0;

  constructor(base: DeprecationTable) {
    this.#base = base;
    this.#table = base;
    this.#apiVersions = sortedApiVersions(base);
  }

  /** The table findings are computed with. */
  get table(): DeprecationTable {
    return this.#table;
  }

  /** The table's apiVersions, sorted: the scans keep only objects of these. */
  get apiVersions(): readonly string[] {
    return this.#apiVersions;
  }

  /** Bumped at each reload (the initial read of the extra rows is generation 0). */
  get generation(): number {
    return this.#generation;
  }

  /** Objects some row of the current table matches: all the checker keeps in memory. */
  readonly keep = (objects: readonly ScannedObject[]): ScannedObject[] => {
    const apis = apiVersionsOf(this.#table);
    return objects.filter((o) => o.kind !== "" && apis.has(o.apiVersion));
  };

  /**
   * Reads the extra rows of `file` into the table, then watches it until `signal` aborts:
   * `reloaded` runs after each change has been applied. A bad file is passed to `error` (the
   * rows read last stay, none at first). Rejects as `watchExtraRows` does when the file's folder
   * cannot be watched.
   */
  async watch(
    file: string,
    handlers: { reloaded: () => void; error: (err: unknown) => void },
    options: { signal: AbortSignal; logger: Logger },
  ): Promise<void> {
    const initial = await watchExtraRows(
      file,
      (change) => {
        this.#set(mergeExtraRows(this.#base, change.rows).table);
        this.#generation++;
        handlers.reloaded();
        if (change.error !== undefined) handlers.error(change.error);
      },
      options,
    );
    this.#set(mergeExtraRows(this.#base, initial.rows).table);
    if (initial.error !== undefined) handlers.error(initial.error);
  }

  #set(table: DeprecationTable): void {
    this.#table = table;
    this.#apiVersions = sortedApiVersions(table);
  }
}

function sortedApiVersions(table: DeprecationTable): readonly string[] {
  return [...apiVersionsOf(table)].sort();
}
