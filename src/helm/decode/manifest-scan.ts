/**
 * Scanning a rendered manifest into the objects it holds: documents split on `---` lines, each
 * read by the fast path when it is certain and by the `yaml` package otherwise.
 */
import type { Document } from "yaml";
import type { HelmBadYamlError, ManifestSource } from "./errors.ts";
import { fastReadDocument } from "./fast-scan.ts";
import { yamlLib } from "./yaml-lib.ts";
import { makeObject, type ScannedObject } from "./scanned-object.ts";
import {
  documentEnd,
  documentStart,
  dropDocumentBoms,
  needsWholeParse,
  splitDocuments,
  templateOf,
} from "./split-documents.ts";
import { yamlScan, type ScanOutput } from "./yaml-scan.ts";

/** Options of {@link scanManifest}. */
export interface ScanManifestOptions {
  /** Where the manifest comes from; default `"manifest"`. */
  readonly source?: ManifestSource;
  /** Index in the release's `hooks[]`, for a hook's manifest. */
  readonly hookIndex?: number;
  /** Use the fast path where it is certain; default true. False parses everything with `yaml`. */
  readonly fast?: boolean;
  /**
   * Only the objects whose apiVersion is in this filter are wanted (see {@link ApiVersionFilter}):
   * a document whose text cannot hold one of them is skipped without being read, and objects
   * with another apiVersion are left out. Default: every object.
   */
  readonly only?: ApiVersionFilter;
}

/**
 * A set of apiVersions, with a conservative test of whether a document's text may hold an
 * object of one of them. Every apiVersion with a group has `/v` in it, and a YAML scalar's
 * characters are contiguous in the text unless a double-quoted scalar uses escapes: so unless the
 * text has a backslash, an object of apiVersion `g/vN` needs the text `g/vN` there, bounded by
 * characters that cannot belong to it. The test finds each `/v`, widens it to the run of
 * `[A-Za-z0-9./-]` around it, and looks that up: native `indexOf` and a few character reads per
 * hit, instead of reading every line. Core apiVersions (`v1`, no group) make every text a match.
 */
export class ApiVersionFilter {
  readonly apiVersions: ReadonlySet<string>;
  readonly #everything: boolean;

  constructor(apiVersions: Iterable<string>) {
    this.apiVersions = new Set(apiVersions);
    this.#everything = [...this.apiVersions].some((v) => !v.includes("/v"));
  }

  /** False only when `text` certainly holds no object of these apiVersions. */
  mayMention(text: string): boolean {
    if (this.#everything || text.includes("\\")) return true;
    return this.nextMention(text, 0) !== -1;
  }

  /**
   * Where the first token at or after `from` that names one of these apiVersions starts, or -1.
   * Only meaningful when {@link mayMention} is not answered by a backslash or a core apiVersion.
   */
  nextMention(text: string, from: number): number {
    for (let i = text.indexOf("/v", from); i !== -1;) {
      let start = i;
      while (start > 0 && isTokenChar(text.charCodeAt(start - 1))) start--;
      let end = i + 2;
      while (end < text.length && isTokenChar(text.charCodeAt(end))) end++;
      if (start >= from && this.apiVersions.has(text.slice(start, end))) return start;
      i = text.indexOf("/v", end);
    }
    return -1;
  }

  /** True when {@link mayMention} can be answered per token ({@link nextMention}). */
  get searchable(): boolean {
    return !this.#everything;
  }
}

/** `[A-Za-z0-9./-]`: the characters an apiVersion is made of. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x2e ||
    c === 0x2f ||
    c === 0x2d
  );
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
  const { isMap, isNode } = yamlLib();
  const key: unknown = isMap(contents) ? contents.items[0]?.key : undefined;
  const firstKey = isNode(key) ? key : undefined;
  const comment = [doc.commentBefore, contents?.commentBefore, firstKey?.commentBefore]
    .filter((c) => typeof c === "string")
    .join("\n");
  const m = SOURCE_COMMENT.exec(comment);
  return m === null || m[1] === "" ? undefined : m[1];
}

/**
 * The objects of the manifest `text` in document order (`kind: List` documents expanded into
 * their items; empty and comment-only documents skipped). A document the `yaml` package rejects
 * gives a `LOOKOUT_HELM_BAD_YAML` error with its index, and the rest is still scanned. A byte
 * order mark that starts a document counts as nothing ({@link dropDocumentBoms}). Never throws
 * for bad input.
 */
export function scanManifest(text: string, options: ScanManifestOptions = {}): ManifestScan {
  // A BOM at a document's start counts as nothing (YAML 1.2): with it, a key would read as
  // `\uFEFFapiVersion` and the object would be dropped, or a marker would not be one.
  const manifest = dropDocumentBoms(text);
  const source = options.source ?? "manifest";
  const base = { source, hookIndex: options.hookIndex };
  const out: ScanOutput = { objects: [], errors: [] };
  let fastDocuments = 0;
  if (needsWholeParse(manifest)) {
    yamlScan(manifest, 0, base, templateFromComment, out);
    const only = options.only;
    if (only !== undefined)
      out.objects = out.objects.filter((o) => only.apiVersions.has(o.apiVersion));
    return { ...out, fastDocuments };
  }
  const only = options.only;
  if (only !== undefined && options.fast !== false && only.searchable && !manifest.includes("\\")) {
    const found = scanMentioned(manifest, only, base);
    if (found !== undefined) return found;
  }
  for (const chunk of splitDocuments(manifest)) {
    if (only !== undefined && !only.mayMention(chunk.text)) continue;
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
  if (only !== undefined)
    out.objects = out.objects.filter((o) => only.apiVersions.has(o.apiVersion));
  return { ...out, fastDocuments };
}

/**
 * The filtered scan without splitting the whole manifest: each token naming a wanted apiVersion
 * is found in the whole text, and only the document around it is read. Tokens never cross a
 * document marker (a marker is followed by a space, tab or line end, none of them token
 * characters), so this reads exactly the documents the per-document test would. Undefined when
 * a mentioned document needs the `yaml` package: the caller then takes the general path, which
 * numbers documents.
 */
function scanMentioned(
  manifest: string,
  only: ApiVersionFilter,
  base: { source: ManifestSource; hookIndex: number | undefined },
): ManifestScan | undefined {
  const objects: ScannedObject[] = [];
  let fastDocuments = 0;
  for (let at = only.nextMention(manifest, 0); at !== -1;) {
    const start = documentStart(manifest, at);
    const end = documentEnd(manifest, at);
    const text = manifest.slice(start, end);
    const fields = fastReadDocument(text);
    if (fields === undefined) return undefined;
    fastDocuments++;
    if (!fields.empty && only.apiVersions.has(fields.apiVersion ?? "")) {
      objects.push(makeObject(fields, { ...base, template: templateOf(text) }));
    }
    at = end >= manifest.length ? -1 : only.nextMention(manifest, end);
  }
  return { objects, errors: [], fastDocuments };
}
