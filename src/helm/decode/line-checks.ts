/**
 * Line checks of the fast scanner (`fast-scan.ts`): reading a one-line string scalar for certain,
 * and telling whether a value or a nested line leaves the document's structure readable line by
 * line (a quoted scalar or flow collection left open, an anchor, alias or tag: unsure).
 */

const NON_STRING = new Set(["true", "True", "TRUE", "false", "False", "FALSE"]);
const NON_STRING_NULL = new Set(["null", "Null", "NULL"]);
const NUMERIC_LIKE = /^[0-9][0-9a-fA-FxXoO._+-]*$/;
const BLOCK_HEADER = /^[|>][-+0-9]*(?: +#.*)? *$/;
// Characters a plain scalar may not start with (plus a few that resolve to non-strings).
const PLAIN_START_BAD = new Set("-?:,[]{}#&*!|>'\"%@`.+~".split(""));

/** True when `rest` (what follows a value) is blank or a comment. */
export function restIsComment(rest: string): boolean {
  const t = rest.trimStart();
  return t === "" || (t[0] === "#" && t.length < rest.length);
}

/** A one-line string scalar (the text after `key: `), or undefined when unsure. */
export function readScalar(v: string | undefined): string | undefined {
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
/** The line is fine. */
export const OK = -1;
/** The fast path cannot be certain. */
export const UNSURE = -2;

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
export function checkValue(v: string, keyCol: number): number {
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
export function checkNestedAt(t: string, lineStart: number, indent: number, end: number): number {
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
