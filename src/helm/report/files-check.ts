/**
 * Files mode, the pure part: rendered manifests (`helm template` output) in, a report out.
 */
import { scanManifest, type ManifestScan } from "../decode/index.ts";
import {
  formatKubeVersion,
  type DeprecationTable,
  type KubeVersion,
} from "../deprecations/index.ts";
import { findingsFor, type HelmFinding, type HelmReleaseError } from "../findings.ts";
import type { HelmReport } from "./report.ts";

/** One manifest file's text; `path` is `-` for stdin. */
export interface ManifestText {
  readonly path: string;
  readonly text: string;
}

/** What to check manifests against. */
export interface FilesCheckOptions {
  readonly table: DeprecationTable;
  /** The one Kubernetes target (see `resolveTarget`). */
  readonly target: KubeVersion;
  /** Component versions (`{"cert-manager": "v1.15.0"}`); others are judged at their latest. */
  readonly components?: Readonly<Record<string, string>>;
}

/** The report of a files check and how much could be read. */
export interface FilesCheckResult {
  readonly report: HelmReport;
  /** Files whose text was scanned. */
  readonly files: number;
  /** Objects found in them (`kind: List` items counted one by one). */
  readonly objects: number;
  /**
   * True when nothing could be checked at all: no file was read, or the files hold no object
   * (empty input, only comments, or every document rejected). The CLI exits 1 then, so that
   * `helm template … | kube-lookout helm check --files -` cannot pass on empty output.
   */
  readonly checkedNothing: boolean;
}

/** One manifest file's scan (see {@link checkScannedManifests}). */
export interface ScannedManifest {
  /** The file's path; `-` for stdin. */
  readonly path: string;
  readonly scan: Pick<ManifestScan, "objects" | "errors">;
}

/**
 * Checks manifest texts: each is scanned with `scanManifest` (`kind: List` expanded), every
 * document read by the `yaml` package (`fast: false`: files were not parsed by Helm, so invalid
 * YAML must be reported whatever else the document holds), and its objects' findings computed
 * with `findingsFor` at `options.target` (release = the file's path, namespace "", revision 0,
 * chart ""). A document that cannot be read becomes an error entry (`LOOKOUT_HELM_BAD_YAML`,
 * release = the path) and the rest is still checked.
 * `unreadable` (files that could not be read) are carried into the report's errors first.
 * Pure. Throws the deprecations folder's `BadVersionError` for a component version that does
 * not parse.
 */
export function checkManifests(
  files: readonly ManifestText[],
  options: FilesCheckOptions,
  unreadable: readonly HelmReleaseError[] = [],
): FilesCheckResult {
  return checkScannedManifests(scanEach(files), options, unreadable);
}

function* scanEach(files: readonly ManifestText[]): Generator<ScannedManifest> {
  for (const file of files)
    yield { path: file.path, scan: scanManifest(file.text, { fast: false }) };
}

/**
 * The part of {@link checkManifests} after the scan: findings and errors of scanned files, in
 * order (one file's scan at a time when `scans` is lazy). Pure.
 */
export function checkScannedManifests(
  scans: Iterable<ScannedManifest>,
  options: FilesCheckOptions,
  unreadable: readonly HelmReleaseError[] = [],
): FilesCheckResult {
  const findings: HelmFinding[] = [];
  const errors: HelmReleaseError[] = [...unreadable];
  let files = 0;
  let objects = 0;
  const targets = {
    kubernetes: [options.target],
    ...(options.components === undefined ? {} : { components: options.components }),
  };
  for (const { path, scan } of scans) {
    files++;
    objects += scan.objects.length;
    const ref = { namespace: "", release: path, revision: 0, chart: "", chartVersion: "" };
    // A loop, not push(...): a spread passes every element as an argument, and a file with
    // ~126,000 findings overflows the stack.
    for (const finding of findingsFor(ref, scan.objects, options.table, targets)) {
      findings.push(finding);
    }
    for (const error of scan.errors) {
      errors.push({
        namespace: "",
        release: path,
        revision: 0,
        code: error.code,
        message: error.message,
      });
    }
  }
  return {
    report: { target: formatKubeVersion(options.target), findings, errors },
    files,
    objects,
    checkedNothing: objects === 0,
  };
}
