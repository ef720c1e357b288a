/**
 * The unit a manifest scan produces: the identity of one Kubernetes object in a manifest.
 */
import type { ManifestSource } from "./errors.ts";

/**
 * One object found in a manifest. `apiVersion` and `kind` are "" when the document has none
 * (or a non-string one); `name`, `namespace` and `template` are absent when unknown.
 */
export interface ScannedObject {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
  source: ManifestSource;
  /** 0-based index in the release's `hooks[]` when `source` is `"hook"`. */
  hookIndex?: number;
  /** The template path of the document's `# Source:` comment. */
  template?: string;
}

/** Where a document sits, for building its objects and errors. */
export interface DocumentOrigin {
  readonly source: ManifestSource;
  readonly hookIndex?: number | undefined;
  readonly template?: string | undefined;
}

/** Builds a {@link ScannedObject}, leaving absent fields out (so results compare deep-equal). */
export function makeObject(
  fields: { apiVersion?: string; kind?: string; name?: string; namespace?: string },
  origin: DocumentOrigin,
): ScannedObject {
  const out: ScannedObject = {
    apiVersion: fields.apiVersion ?? "",
    kind: fields.kind ?? "",
    source: origin.source,
  };
  if (fields.name !== undefined) out.name = fields.name;
  if (fields.namespace !== undefined) out.namespace = fields.namespace;
  if (origin.hookIndex !== undefined) out.hookIndex = origin.hookIndex;
  if (origin.template !== undefined) out.template = origin.template;
  return out;
}
