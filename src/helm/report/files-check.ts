/**
 * Files mode, the pure part: rendered manifests (`helm template` output) in, a report out.
 */
import { scanManifest } from "../decode/index.ts";
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

/**
 * Checks manifest texts: each is scanned with `scanManifest` (`kind: List` expanded), and its
 * objects' findings computed with `findingsFor` at `options.target` (release = the file's path,
 * namespace "", revision 0, chart ""). A document that cannot be read becomes an error entry
 * (`LOOKOUT_HELM_BAD_YAML`, release = the path) and the rest is still checked.
 * `unreadable` (files that could not be read) are carried into the report's errors first.
 * Pure. Throws the deprecations folder's `BadVersionError` for a component version that does
 * not parse.
 */
export function checkManifests(
  files: readonly ManifestText[],
  options: FilesCheckOptions,
  unreadable: readonly HelmReleaseError[] = [],
): FilesCheckResult {
  const findings: HelmFinding[] = [];
  const errors: HelmReleaseError[] = [...unreadable];
  let objects = 0;
  const targets = {
    kubernetes: [options.target],
    ...(options.components === undefined ? {} : { components: options.components }),
  };
  for (const file of files) {
    const scan = scanManifest(file.text);
    objects += scan.objects.length;
    const ref = { namespace: "", release: file.path, revision: 0, chart: "", chartVersion: "" };
    findings.push(...findingsFor(ref, scan.objects, options.table, targets));
    for (const error of scan.errors) {
      errors.push({
        namespace: "",
        release: file.path,
        revision: 0,
        code: error.code,
        message: error.message,
      });
    }
  }
  return {
    report: { target: formatKubeVersion(options.target), findings, errors },
    files: files.length,
    objects,
    checkedNothing: objects === 0,
  };
}
