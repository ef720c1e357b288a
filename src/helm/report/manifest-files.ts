/**
 * Files mode, the reading part: paths (files, folders, `-` for stdin) to manifest texts.
 */
import { readFile, readdir, realpath, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import type { HelmReleaseError } from "../findings.ts";
import {
  ManifestEncodingError,
  ManifestPathNotFoundError,
  ManifestUnreadableError,
  NoManifestsError,
} from "./errors.ts";
import type { ManifestText } from "./files-check.ts";
import { checkManifestText, decodeManifest } from "./manifest-encoding.ts";

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/** The path that means standard input. */
export const STDIN_PATH = "-";

/** The manifest files under some paths, and the folders that could not be listed. */
export interface ManifestFileList {
  /**
   * Paths in order: as given, folders expanded in name order; `-` kept; each real file once,
   * under the first spelling given (`a.yaml ./a.yaml` is `a.yaml`).
   */
  readonly paths: readonly string[];
  /** Sub-folders that could not be listed (`LOOKOUT_HELM_FILE_UNREADABLE`). */
  readonly errors: readonly HelmReleaseError[];
}

function isNotFound(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    (error.code === "ENOENT" || error.code === "ENOTDIR")
  );
}

function unreadableEntry(path: string, cause: unknown): HelmReleaseError {
  const error = new ManifestUnreadableError(path, { cause });
  return { namespace: "", release: path, code: error.code, message: error.message };
}

async function walk(dir: string, out: string[], errors: HelmReleaseError[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    errors.push(unreadableEntry(dir, error));
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- a walk in name order, one folder at a time
      await walk(path, out, errors);
    } else if (
      (entry.isFile() || entry.isSymbolicLink()) &&
      MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())
    ) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- a walk in name order, one entry at a time
      if (entry.isSymbolicLink() && (await linksToFolder(path))) continue;
      out.push(path);
    }
  }
}

/**
 * True when the symbolic link `path` leads to a folder (`links.yaml -> dir/`): such links are
 * not followed, whatever their name. A link that cannot be followed (dangling, a loop) is
 * taken as a file, so that reading it reports it.
 */
async function linksToFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The paths without a second spelling of the same file (`a.yaml`, `./a.yaml`, `dir/../a.yaml`,
 * a symbolic link to it): each real file is checked once, under the first spelling met. `-`
 * is kept (once). A path whose real path cannot be read is compared as written, resolved.
 */
async function uniqueFiles(paths: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const path of paths) {
    let key = path;
    if (path !== STDIN_PATH) {
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one path at a time, in order
        key = await realpath(path);
      } catch {
        key = resolve(path);
      }
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(path);
  }
  return out;
}

/**
 * Expands `paths` into manifest files: a file is taken as given (whatever its extension), a
 * folder recursively for `*.yaml`, `*.yml` and `*.json` (case-insensitive; symbolic links to
 * folders are not followed, whatever their name), `-` stays (stdin). A file reached twice (two
 * spellings, or a link and its target) is listed once, under its first spelling. Rejects with
 * {@link ManifestPathNotFoundError} (`LOOKOUT_HELM_PATH_NOT_FOUND`) for a path that does not
 * exist, {@link ManifestUnreadableError} for a given path that cannot be examined, and
 * {@link NoManifestsError} when nothing is found.
 */
export async function listManifestFiles(paths: readonly string[]): Promise<ManifestFileList> {
  const out: string[] = [];
  const errors: HelmReleaseError[] = [];
  for (const path of paths) {
    if (path === STDIN_PATH) {
      out.push(path);
      continue;
    }
    let info;
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- paths are examined in the order given
      info = await stat(path);
    } catch (error) {
      if (isNotFound(error)) throw new ManifestPathNotFoundError(path, { cause: error });
      throw new ManifestUnreadableError(path, { cause: error });
    }
    if (info.isDirectory()) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- folders are walked in the order given
      await walk(path, out, errors);
    } else {
      out.push(path);
    }
  }
  const unique = await uniqueFiles(out);
  if (unique.length === 0 && errors.length === 0) throw new NoManifestsError(paths);
  return { paths: unique, errors };
}

/** How {@link readManifests} reads stdin and reports progress. */
export interface ReadManifestsOptions {
  /**
   * Reads all of standard input, for the path `-`. Required when `-` is among the paths. Bytes
   * are decoded as a file's are (UTF-16 by its byte order mark); text already decoded as UTF-8
   * can no longer be, so UTF-16 in it is refused (`LOOKOUT_HELM_BAD_ENCODING`).
   */
  readonly readStdin?: () => Promise<string | Uint8Array>;
  /** Called after each file with the number read (or failed) so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** The texts that could be read, and an error entry for each file that could not. */
export interface ManifestReads {
  readonly files: readonly ManifestText[];
  readonly errors: readonly HelmReleaseError[];
}

/**
 * Reads the files of a {@link listManifestFiles} result one at a time, in order: UTF-8, or
 * UTF-16 when a file starts with its byte order mark (see `decodeManifest`). A file that cannot
 * be read becomes an error entry (`LOOKOUT_HELM_FILE_UNREADABLE`, release = the path), one in an
 * encoding that cannot be checked (UTF-32, NUL characters, UTF-16 on stdin read as text) too
 * (`LOOKOUT_HELM_BAD_ENCODING`), after the list's own errors. Rejects only with the signal's
 * reason when aborted.
 */
export async function readManifests(
  list: ManifestFileList,
  options: ReadManifestsOptions = {},
): Promise<ManifestReads> {
  const files: ManifestText[] = [];
  const errors: HelmReleaseError[] = [...list.errors];
  let done = 0;
  for (const path of list.paths) {
    options.signal?.throwIfAborted();
    try {
      const input =
        path === STDIN_PATH
          ? // oxlint-disable-next-line eslint/no-await-in-loop -- one file at a time, in order
            await (options.readStdin ?? noStdin)()
          : // oxlint-disable-next-line eslint/no-await-in-loop -- one file at a time, in order
            await readFile(path);
      const text =
        typeof input === "string" ? checkManifestText(input, path) : decodeManifest(input, path);
      files.push({ path, text });
    } catch (error) {
      options.signal?.throwIfAborted();
      errors.push(
        error instanceof ManifestEncodingError
          ? { namespace: "", release: path, code: error.code, message: error.message }
          : unreadableEntry(path, error),
      );
    }
    done++;
    options.onProgress?.(done, list.paths.length);
  }
  return { files, errors };
}

function noStdin(): Promise<string> {
  return Promise.reject(new Error("standard input is not available"));
}
