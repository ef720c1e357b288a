/**
 * Errors of Helm release decoding and manifest scanning. Callers match on `code`, never on
 * message text. Across the worker boundary they travel as {@link ScanIssue} data (see
 * `scan-release.ts`).
 */

/** The payload is not strict standard base64 (bad character, bad length or bad padding). */
export class HelmBadBase64Error extends Error {
  override readonly name = "HelmBadBase64Error";
  readonly code = "LOOKOUT_HELM_BAD_BASE64";
  /** Which base64 layer failed: 1 is the outermost. */
  readonly layer: number;

  constructor(message: string, layer: number, options?: ErrorOptions) {
    super(message, options);
    this.layer = layer;
  }
}

/** The payload starts with the gzip magic bytes but does not inflate. */
export class HelmBadGzipError extends Error {
  override readonly name = "HelmBadGzipError";
  readonly code = "LOOKOUT_HELM_BAD_GZIP";
}

/** The decoded (inflated) release is larger than the configured cap: a gzip bomb stops here. */
export class HelmTooLargeError extends Error {
  override readonly name = "HelmTooLargeError";
  readonly code = "LOOKOUT_HELM_TOO_LARGE";
  /** The cap in bytes that was exceeded. */
  readonly limit: number;

  constructor(message: string, limit: number, options?: ErrorOptions) {
    super(message, options);
    this.limit = limit;
  }
}

/** The decoded bytes are not JSON. */
export class HelmBadJsonError extends Error {
  override readonly name = "HelmBadJsonError";
  readonly code = "LOOKOUT_HELM_BAD_JSON";
}

/** The JSON is not a Helm release of the expected shape (e.g. no `manifest`). */
export class HelmBadPayloadError extends Error {
  override readonly name = "HelmBadPayloadError";
  readonly code = "LOOKOUT_HELM_BAD_PAYLOAD";
  /** The JSON path of the offending field, e.g. `manifest` or `hooks[2].manifest`. */
  readonly field: string;

  constructor(message: string, field: string, options?: ErrorOptions) {
    super(message, options);
    this.field = field;
  }
}

/** Where a manifest came from: the release's rendered `manifest` or one of its hooks. */
export type ManifestSource = "manifest" | "hook";

/**
 * One YAML document of a manifest cannot be read as Kubernetes objects (the `yaml` package
 * rejects it, or it is not a mapping). The other documents are still scanned.
 */
export class HelmBadYamlError extends Error {
  override readonly name = "HelmBadYamlError";
  readonly code = "LOOKOUT_HELM_BAD_YAML";
  /** 0-based index of the document in its manifest. */
  readonly documentIndex: number;
  readonly source: ManifestSource;
  /** Index in `hooks[]` when `source` is `"hook"`. */
  readonly hookIndex: number | undefined;

  constructor(
    message: string,
    fields: { documentIndex: number; source: ManifestSource; hookIndex?: number | undefined },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.documentIndex = fields.documentIndex;
    this.source = fields.source;
    this.hookIndex = fields.hookIndex;
  }
}

/** `ScanPool.scan()` was called after `close()`. */
export class ScanPoolClosedError extends Error {
  override readonly name = "ScanPoolClosedError";
  readonly code = "LOOKOUT_HELM_POOL_CLOSED";

  constructor() {
    super("ScanPool is closed");
  }
}

/** Any error of decoding a release payload. */
export type HelmPayloadError =
  | HelmBadBase64Error
  | HelmBadGzipError
  | HelmTooLargeError
  | HelmBadJsonError
  | HelmBadPayloadError;

/** True for the typed errors {@link decodeRelease} throws. */
export function isHelmPayloadError(err: unknown): err is HelmPayloadError {
  return (
    err instanceof HelmBadBase64Error ||
    err instanceof HelmBadGzipError ||
    err instanceof HelmTooLargeError ||
    err instanceof HelmBadJsonError ||
    err instanceof HelmBadPayloadError
  );
}

/**
 * The codes a {@link ScanIssue} can carry: the payload errors and `LOOKOUT_HELM_BAD_YAML`. A
 * release error with any other code did not come from its payload (a failed read, say).
 */
export const SCAN_ISSUE_CODES: ReadonlySet<string> = new Set([
  "LOOKOUT_HELM_BAD_BASE64",
  "LOOKOUT_HELM_BAD_GZIP",
  "LOOKOUT_HELM_TOO_LARGE",
  "LOOKOUT_HELM_BAD_JSON",
  "LOOKOUT_HELM_BAD_PAYLOAD",
  "LOOKOUT_HELM_BAD_YAML",
]);
