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
const NON_STRING = new Set(["true", "True", "TRUE", "false", "False", "FALSE"]);
const NON_STRING_NULL = new Set(["null", "Null", "NULL"]);
const NUMERIC_LIKE = /^[0-9][0-9a-fA-FxXoO._+-]*$/;
const BLOCK_HEADER = /^[|>][-+0-9]*(?: +#.*)? *$/;
// Characters a plain scalar may not start with (plus a few that resolve to non-strings).
const PLAIN_START_BAD = new Set("-?:,[]{}#&*!|>'\"%@`.+~".split(""));

function restIsComment(rest: string): boolean {
  const t = rest.trimStart();
  return t === "" || (t[0] === "#" && t.length < rest.length);
}

/** A one-line string scalar, or undefined when unsure. */
function readScalar(v: string | undefined): string | undefined {
  if (v === undefined || v === "" || v.includes("\t")) return undefined;
  const c = v[0];
  if (c === '"' || c === "'") {
    const end = v.indexOf(c, 1);
    if (end < 0) return undefined;
    const s = v.slice(1, end);
    if (c === '"' && s.includes("\\")) return undefined;
    if (c === "'" && v[end + 1] === "'") return undefined;
    return restIsComment(v.slice(end + 1)) ? s : undefined;
  }
  const hash = v.indexOf(" #");
  const s = (hash < 0 ? v : v.slice(0, hash)).trimEnd();
  if (s === "" || PLAIN_START_BAD.has(s[0]!)) return undefined;
  if (s.includes(": ") || s.endsWith(":")) return undefined;
  if (NON_STRING.has(s) || NON_STRING_NULL.has(s) || NUMERIC_LIKE.test(s)) return undefined;
  return s;
}

/** Whether a flow collection starting at v[0] closes on this line. */
function flowClosed(v: string): boolean {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (quote !== "") {
      if (quote === '"' && ch === "\\") i++;
      else if (ch === quote) {
        if (quote === "'" && v[i + 1] === "'") i++;
        else quote = "";
      }
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") {
      depth--;
      if (depth === 0) return restIsComment(v.slice(i + 1));
    } else if (ch === "#" && v[i - 1] === " ") return false;
  }
  return false;
}

const UNSURE_START = new Set("&*!?%@`\t".split(""));
const OK = -1;
const UNSURE = -2;

/** A one-line plain value: `a: b` inside it would be a nested mapping YAML rejects. */
function plainOk(v: string): number {
  const hash = v.indexOf(" #");
  const body = (hash < 0 ? v : v.slice(0, hash)).trimEnd();
  return body.includes(": ") || body.endsWith(":") ? UNSURE : OK;
}

/**
 * Checks a value that starts at v[0] (no leading space). Returns OK, UNSURE, or the column of
 * its key when it opens a block scalar (content lines are those indented deeper).
 */
function checkValue(v: string, keyCol: number): number {
  if (v === "") return OK;
  const c = v[0];
  switch (c) {
    case "#":
      return OK;
    case '"':
    case "'": {
      for (let i = 1; i < v.length; i++) {
        const ch = v[i];
        if (c === '"' && ch === "\\") i++;
        else if (ch === c) {
          if (c === "'" && v[i + 1] === "'") i++;
          else return restIsComment(v.slice(i + 1)) ? OK : UNSURE;
        }
      }
      return UNSURE;
    }
    case "|":
    case ">":
      return BLOCK_HEADER.test(v) ? keyCol : UNSURE;
    case "[":
    case "{":
      return flowClosed(v) ? OK : UNSURE;
    case "&":
    case "*":
    case "!":
    case "?":
    case "%":
    case "@":
    case "`":
    case "\t":
      return UNSURE;
    case "-":
      if (v.length === 1 || v[1] === " ") return UNSURE;
      return plainOk(v);
    default:
      return plainOk(v);
  }
}

/** Checks a line nested below the levels we read; same answers as {@link checkValue}. */
function checkNested(line: string, indent: number): number {
  let p = indent;
  while (line[p] === "-" && (p + 1 === line.length || line[p + 1] === " ")) {
    p++;
    while (line[p] === " ") p++;
  }
  if (p >= line.length) return OK;
  const c = line[p]!;
  if (c === '"' || c === "'") {
    const close = line.indexOf(c, p + 1);
    if (
      close > 0 &&
      line[close + 1] === ":" &&
      (close + 2 === line.length || line[close + 2] === " ")
    ) {
      if (line.slice(p + 1, close).includes("\\") || line[close - 1] === c) return UNSURE;
      return checkValue(line.slice(close + 2).trimStart(), p);
    }
    return checkValue(line.slice(p), p);
  }
  if (c === "#") return OK;
  if (UNSURE_START.has(c)) return UNSURE;
  if (c === "|" || c === ">" || c === "[" || c === "{") return checkValue(line.slice(p), p);
  const sep = line.indexOf(": ", p);
  const hash = line.indexOf(" #", p);
  if (sep >= 0 && (hash < 0 || sep < hash)) return checkValue(line.slice(sep + 2).trimStart(), p);
  // A plain scalar, a `key:` whose value is nested below, or a plain continuation line.
  return OK;
}

/**
 * {@link checkNested} for the line `t[lineStart, end)` without slicing it: the common plain
 * `key: value` and `- item` lines are checked in place; anything else goes to the string version.
 */
function checkNestedAt(t: string, lineStart: number, indent: number, end: number): number {
  let p = lineStart + indent;
  while (t.charCodeAt(p) === 45 && (p + 1 === end || t.charCodeAt(p + 1) === 32)) {
    p++;
    while (p < end && t.charCodeAt(p) === 32) p++;
  }
  if (p >= end) return OK;
  let c = t.charCodeAt(p);
  if (c === 35) return OK; // '#'
  if (!PLAIN_FIRST[c]) return checkNested(t.slice(lineStart, end), indent);
  let i = p;
  // The key part (or a whole plain scalar): up to ": ", a final ':' or " #".
  for (; i < end; i++) {
    c = t.charCodeAt(i);
    if (c === 58 && (i + 1 === end || t.charCodeAt(i + 1) === 32)) break;
    if (c === 32 && t.charCodeAt(i + 1) === 35) return OK;
  }
  if (i >= end) return OK;
  let v = i + 1;
  while (v < end && t.charCodeAt(v) === 32) v++;
  if (v >= end) return OK;
  c = t.charCodeAt(v);
  if (c === 35) return OK;
  if (!PLAIN_FIRST[c]) return checkNested(t.slice(lineStart, end), indent);
  for (i = v; i < end; i++) {
    c = t.charCodeAt(i);
    if (c === 58 && (i + 1 === end || t.charCodeAt(i + 1) === 32)) return UNSURE;
    if (c === 32 && t.charCodeAt(i + 1) === 35) return OK;
  }
  return OK;
}

/** Character codes (below 128) that may start a plain scalar read in place. */
const PLAIN_FIRST: boolean[] = [];
for (let code = 0; code < 128; code++) {
  const ch = String.fromCharCode(code);
  PLAIN_FIRST[code] = code > 32 && code !== 127 && !"-?:,[]{}#&*!|>'\"%@`".includes(ch);
}

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
    if (
      indent > 0 &&
      topKeys.size > 0 &&
      !(mode === META && (metaIndent < 0 || indent <= metaIndent))
    ) {
      r = checkNestedAt(text, pos, indent, end);
      if (r === UNSURE) return undefined;
      if (r >= 0) block = r;
      continue;
    }
    const line = text.slice(pos, end);
    if (indent === 0) {
      const m = KEY.exec(line);
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
      const m = KEY.exec(line.slice(indent));
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
    } else r = checkNested(line, indent);
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
