/**
 * Hot reload of the extra-rows file: `fs.watch` on the file's folder (so that editors which
 * replace the file by a rename are seen), debounced, re-validated, never two reads at once.
 */
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "../../logging/index.ts";
import { silentLogger } from "../../logging/index.ts";
import { BadExtraRowsError } from "./errors.ts";
import { parseExtraRows } from "./extra-rows.ts";
import type { DeprecationRule } from "./row-schema.ts";

/**
 * The state after a (re)load. When `error` is set the new content was rejected and `rows` are
 * the last good rows (empty if none ever loaded).
 */
export interface ExtraRowsChange {
  readonly rows: readonly DeprecationRule[];
  readonly error: BadExtraRowsError | undefined;
}

/** Options of {@link watchExtraRows}. */
export interface WatchExtraRowsOptions {
  /** Stops the watch; required so that the watch always has an end. */
  readonly signal: AbortSignal;
  /** Quiet time after the last file event before reloading (default 100 ms). */
  readonly debounceMs?: number;
  /** Where a throwing `onChange` is reported (default: nowhere). */
  readonly logger?: Logger;
  /**
   * Seam for tests and embedders: starts watching a folder (default: `fs.watch` with
   * `persistent: false`). The returned watcher is closed on abort.
   */
  readonly watchFolder?: (folder: string, listener: (changed: string | null) => void) => FSWatcher;
}

function watchFolderDefault(folder: string, listener: (changed: string | null) => void): FSWatcher {
  return watch(folder, { persistent: false }, (_event, changed) => listener(changed));
}

/**
 * Loads `file`, then watches it until `signal` aborts. Resolves with the initial state (a bad or
 * missing file gives `rows: []` and the error: the watch still starts, so fixing the file later
 * is picked up). After each change of the file's content, `onChange` receives the new state:
 * valid content replaces the rows; invalid content (or a deleted file) keeps the old rows and
 * carries the {@link BadExtraRowsError}. Unchanged content is not reported again. An `onChange`
 * that throws is logged as the callback's error and the watch goes on. Rejects with the signal's
 * reason if it is already aborted, and with a {@link BadExtraRowsError} (no row) when the file's
 * folder cannot be watched (e.g. it does not exist). After abort no callback runs and no handle stays open; the
 * watcher never keeps the process alive.
 */
export async function watchExtraRows(
  file: string,
  onChange: (change: ExtraRowsChange) => void,
  options: WatchExtraRowsOptions,
): Promise<ExtraRowsChange> {
  const { signal } = options;
  signal.throwIfAborted();
  const debounceMs = options.debounceMs ?? 100;
  const logger = options.logger ?? silentLogger;
  const name = basename(file);

  let rows: readonly DeprecationRule[] = [];
  let lastText: string | undefined;
  let lastError: BadExtraRowsError | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let again = false;

  /** Reads and validates; returns undefined when the content did not change. */
  const load = async (): Promise<ExtraRowsChange | undefined> => {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      const failure = new BadExtraRowsError(file, "cannot read the file", { cause: error });
      const unchanged = lastText === undefined && lastError?.message === failure.message;
      lastText = undefined;
      lastError = failure;
      return unchanged ? undefined : { rows, error: failure };
    }
    if (text === lastText) return undefined;
    lastText = text;
    try {
      rows = parseExtraRows(text, file);
      lastError = undefined;
      return { rows, error: undefined };
    } catch (error) {
      if (!(error instanceof BadExtraRowsError)) throw error;
      lastError = error;
      return { rows, error };
    }
  };

  /** One read after another: a change seen while reading triggers one more read at the end. */
  const reload = async (): Promise<void> => {
    again = false;
    const change = await load();
    if (change !== undefined && !signal.aborted) {
      try {
        onChange(change);
      } catch (error) {
        logger.error("extra rows onChange callback threw", { file, error });
      }
    }
    if (again && !signal.aborted) return reload();
  };

  const schedule = (): void => {
    if (signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (inFlight !== undefined) {
        again = true; // join: the running reload reads once more when it ends
        return;
      }
      inFlight = reload().finally(() => {
        again = false;
        inFlight = undefined;
      });
      void inFlight.catch((error: unknown) =>
        logger.error("extra rows reload failed", { file, error }),
      );
    }, debounceMs);
    timer.unref();
  };

  let watcher: FSWatcher;
  try {
    watcher = (options.watchFolder ?? watchFolderDefault)(dirname(file), (changed) => {
      if (changed === null || changed === name) schedule();
    });
  } catch (error) {
    throw new BadExtraRowsError(file, "cannot watch the file's folder", { cause: error });
  }
  watcher.on("error", (error: unknown) => {
    logger.error("extra rows watcher failed", { file, error });
  });
  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
    watcher.close();
  };
  signal.addEventListener("abort", stop, { once: true });

  // The initial read counts as in flight: a change seen meanwhile is read again after it.
  const first = load();
  inFlight = (async () => {
    try {
      await first;
    } catch {
      // reported to the caller by `await first` below
    } finally {
      inFlight = undefined;
      if (again) schedule();
    }
  })();
  const initial = await first;
  return initial ?? { rows, error: lastError };
}
