/**
 * The fast path: reads apiVersion, kind, metadata.name and metadata.namespace of one rendered
 * YAML document line by line, and answers `undefined` whenever it cannot be certain, so that the
 * caller parses that document with the `yaml` package instead.
 *
 * It is certain only when the document is a block mapping at column 0 with plain simple keys,
 * no duplicate key at the top level or in `metadata`, `metadata` a block mapping indented with
 * spaces, and the four fields plain (string-typed under the YAML 1.2 core schema, one line) or
 * quoted on one line without escapes. Nested content it does not read is checked only as far as
 * needed to know where the top level and `metadata` continue: block scalars are skipped by
 * indentation; a quoted scalar or flow collection left open at the end of its line, an anchor,
 * alias or tag, or a tab in indentation gives up. It does not validate nested content it skips
 * (Helm parsed every document of a deployed release, so it is valid YAML).
 */

import { checkNestedAt, checkValue, OK, readScalar, restIsComment, UNSURE } from "./line-checks.ts";

/** The fields of one document; `empty` for a document with no content (comments only). */
export interface DocumentFields {
  readonly empty: boolean;
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

const EMPTY: DocumentFields = { empty: true };
const KEY = /^([A-Za-z_][\w./-]*):(?: +(.*))?$/;

const TOP = 0;
const META = 1;

/**
 * Reads one document (its text from the `---` line, which may be absent). Returns the fields,
 * {@link DocumentFields.empty} for a document without content, or undefined when the fast path
 * cannot be certain; it never throws.
 */
export function fastReadDocument(text: string): DocumentFields | undefined {
  let pos = 0;
  if (text.startsWith("---")) {
    const nl = text.indexOf("\n");
    pos = nl < 0 ? text.length : nl + 1;
    if (!restIsComment(text.slice(3, nl < 0 ? text.length : nl).replace(/\r$/, ""))) {
      return undefined;
    }
  }
  let apiVersion: string | undefined;
  let kind: string | undefined;
  let name: string | undefined;
  let namespace: string | undefined;
  let content = false;
  const topKeys = new Set<string>();
  const metaKeys = new Set<string>();
  let mode = TOP;
  let metaIndent = -1;
  let block = -1; // key column of an open block scalar
  let pending = -1; // indentation of the key of a scalar just read
  for (let next = pos; pos < text.length; pos = next) {
    const nl = text.indexOf("\n", pos);
    next = nl < 0 ? text.length : nl + 1;
    let end = nl < 0 ? text.length : nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    let indent = 0;
    while (pos + indent < end && text.charCodeAt(pos + indent) === 32) indent++;
    if (pos + indent === end) continue;
    const code = text.charCodeAt(pos + indent);
    if (block >= 0) {
      if (indent > block) continue;
      // A less-indented comment ends the block scalar; content after it would be invalid.
      if (code === 35) return undefined;
      block = -1;
    }
    if (pending >= 0) {
      if (indent > pending) return undefined;
      pending = -1;
    }
    if (code === 9) return undefined; // tab
    if (code === 35) continue; // comment
    content = true;
    let r = OK;
    if (indent === 0) {
      const m = KEY.exec(text.slice(pos, end));
      if (m === null) return undefined;
      const key = m[1]!;
      if (topKeys.has(key)) return undefined;
      topKeys.add(key);
      mode = TOP;
      if (key === "apiVersion" || key === "kind") {
        const v = readScalar(m[2]);
        if (v === undefined) return undefined;
        if (key === "kind") kind = v;
        else apiVersion = v;
        pending = 0;
      } else if (key === "metadata") {
        if (!restIsComment(m[2] ?? "")) return undefined;
        mode = META;
        metaIndent = -1;
      } else r = checkValue(m[2] ?? "", 0);
    } else if (topKeys.size === 0) {
      return undefined; // content indented before any top-level key
    } else if (mode === META && (metaIndent < 0 || indent <= metaIndent)) {
      if (metaIndent < 0) metaIndent = indent;
      if (indent !== metaIndent) return undefined;
      const m = KEY.exec(text.slice(pos + indent, end));
      if (m === null) return undefined;
      const key = m[1]!;
      if (metaKeys.has(key)) return undefined;
      metaKeys.add(key);
      if (key === "name" || key === "namespace") {
        const v = readScalar(m[2]);
        if (v === undefined) return undefined;
        if (key === "name") name = v;
        else namespace = v;
        pending = indent;
      } else r = checkValue(m[2] ?? "", indent);
    } else r = checkNestedAt(text, pos, indent, end);
    if (r === UNSURE) return undefined;
    if (r >= 0) block = r;
  }
  if (!content) return EMPTY;
  if (kind !== undefined && kind.endsWith("List")) return undefined;
  return {
    empty: false,
    ...(apiVersion === undefined ? {} : { apiVersion }),
    ...(kind === undefined ? {} : { kind }),
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
  };
}
