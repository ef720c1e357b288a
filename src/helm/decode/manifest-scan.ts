/**
 * Scanning a rendered manifest into the objects it holds: documents split on `---` lines, each
 * read by the fast path when it is certain and by the `yaml` package otherwise.
 */
import { isMap, isNode, type Document } from "yaml";
import type { HelmBadYamlError, ManifestSource } from "./errors.ts";
import { fastReadDocument } from "./fast-scan.ts";
import { makeObject, type ScannedObject } from "./scanned-object.ts";
import { needsWholeParse, splitDocuments, templateOf } from "./split-documents.ts";
import { yamlScan, type ScanOutput } from "./yaml-scan.ts";

/** Options of {@link scanManifest}. */
export interface ScanManifestOptions {
  /** Where the manifest comes from; default `"manifest"`. */
  readonly source?: ManifestSource;
  /** Index in the release's `hooks[]`, for a hook's manifest. */
  readonly hookIndex?: number;
  /** Use the fast path where it is certain; default true. False parses everything with `yaml`. */
  readonly fast?: boolean;
}

/** What a manifest scan found: the objects, plus one error per unreadable document. */
export interface ManifestScan {
  objects: ScannedObject[];
  errors: HelmBadYamlError[];
  /** How many documents the fast path read (the rest went to the `yaml` package). */
  fastDocuments: number;
}

const SOURCE_COMMENT = /^ ?Source: (.*?)[ \t]*$/m;

/**
 * The template of a document parsed by `yaml`, from its leading comment: `yaml` attaches it to
 * the document, its contents or the first key, depending on the blank lines and markers around.
 */
export function templateFromComment(doc: Document.Parsed): string | undefined {
  const contents = doc.contents;
  const key: unknown = isMap(contents) ? contents.items[0]?.key : undefined;
  const firstKey = isNode(key) ? key : undefined;
  const comment = [doc.commentBefore, contents?.commentBefore, firstKey?.commentBefore]
    .filter((c) => typeof c === "string")
    .join("\n");
  const m = SOURCE_COMMENT.exec(comment);
  return m === null || m[1] === "" ? undefined : m[1];
}

/**
 * The objects of `manifest` in document order (`kind: List` documents expanded into their
 * items; empty and comment-only documents skipped). A document the `yaml` package rejects
 * gives a `LOOKOUT_HELM_BAD_YAML` error with its index, and the rest is still scanned. Never
 * throws for bad input.
 */
export function scanManifest(manifest: string, options: ScanManifestOptions = {}): ManifestScan {
  const source = options.source ?? "manifest";
  const base = { source, hookIndex: options.hookIndex };
  const out: ScanOutput = { objects: [], errors: [] };
  let fastDocuments = 0;
  if (needsWholeParse(manifest)) {
    yamlScan(manifest, 0, base, templateFromComment, out);
    return { ...out, fastDocuments };
  }
  for (const chunk of splitDocuments(manifest)) {
    const fields = options.fast === false ? undefined : fastReadDocument(chunk.text);
    if (fields === undefined) {
      const template = templateOf(chunk.text);
      yamlScan(chunk.text, chunk.index, base, () => template, out);
      continue;
    }
    fastDocuments++;
    if (!fields.empty) {
      out.objects.push(makeObject(fields, { ...base, template: templateOf(chunk.text) }));
    }
  }
  return { ...out, fastDocuments };
}
