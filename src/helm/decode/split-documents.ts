/**
 * Splitting a rendered manifest into YAML documents on `---` marker lines. In YAML a line that
 * starts with `---` followed by a space, a tab or the line end is always a document marker: no
 * scalar may contain one at column 0 (the spec's c-forbidden), and block scalar content of a
 * document at column 0 is indented, so an indented `---` inside a block scalar never splits.
 */
import { restIsComment } from "./line-checks.ts";

/** One document of a manifest: its text from its `---` line (included) to the next marker. */
export interface ManifestChunk {
  /** 0-based position among the manifest's documents. */
  readonly index: number;
  readonly text: string;
}

const MARKER = /^---(?=[ \t\r\n]|$)/gm;
const NOT_BLANK = /\S/;

/**
 * The documents of `manifest`. Text before the first marker counts as document 0 only when it
 * is not blank. Does not interpret directives (`%YAML`) or `...` end markers: callers send
 * manifests that contain those to the `yaml` package whole ({@link needsWholeParse}).
 */
export function splitDocuments(manifest: string): ManifestChunk[] {
  const starts: number[] = [];
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(manifest); m !== null; m = MARKER.exec(manifest)) starts.push(m.index);
  const chunks: ManifestChunk[] = [];
  const first = starts[0] ?? manifest.length;
  const head = manifest.slice(0, first);
  if (NOT_BLANK.test(head)) chunks.push({ index: 0, text: head });
  for (let i = 0; i < starts.length; i++) {
    const text = manifest.slice(starts[i], starts[i + 1] ?? manifest.length);
    chunks.push({ index: chunks.length, text });
  }
  return chunks;
}

const WHOLE = /^(?:%|\.\.\.(?:[ \t\r\n]|$))|\r(?!\n)|^\uFEFF/m;

/**
 * True when the manifest has a directive line (`%YAML`, `%TAG`), a `...` document end marker,
 * or a bare carriage return (an old-Mac line break): document boundaries then depend on more
 * than `---` lines, and the whole manifest is parsed by the `yaml` package.
 */
export function needsWholeParse(manifest: string): boolean {
  return WHOLE.test(manifest);
}

const BOM = "\uFEFF";

/**
 * The manifest without the byte order marks (U+FEFF) that start a document, which YAML allows
 * and which count as nothing: at the start of the text, at the start of a line that is a `---`
 * marker, or at the start of the line right after a marker line that holds nothing else (blank
 * or a comment after `---`). Nothing else changes: a BOM anywhere else is left as it is (it is
 * content, or an error, as the `yaml` package reads it). Returns `manifest` itself when it has
 * no such BOM.
 */
export function dropDocumentBoms(manifest: string): string {
  let out = "";
  let from = 0;
  for (let at = manifest.indexOf(BOM); at !== -1; at = manifest.indexOf(BOM, at + 1)) {
    if (!startsDocument(manifest, at)) continue;
    out += manifest.slice(from, at);
    from = at + 1;
  }
  return from === 0 ? manifest : out + manifest.slice(from);
}

/** True when the BOM at `at` starts a document (see {@link dropDocumentBoms}). */
function startsDocument(manifest: string, at: number): boolean {
  if (at === 0) return true;
  if (manifest.charCodeAt(at - 1) !== 0x0a) return false;
  if (manifest.startsWith("---", at + 1) && isMarkerAt(manifest, at + 1)) return true;
  // The line before: a marker (itself perhaps after a BOM) with nothing but a comment after it.
  const end = at - 1;
  let start = end === 0 ? 0 : manifest.lastIndexOf("\n", end - 1) + 1;
  if (manifest.startsWith(BOM, start)) start++;
  if (!manifest.startsWith("---", start) || !isMarkerAt(manifest, start)) return false;
  return restIsComment(manifest.slice(start + 3, end).replace(/\r$/, ""));
}

const SOURCE = /^# Source: (.*?)[ \t\r]*$/m;

/** The path of the first column-0 `# Source: path` comment in `text` (Helm's template path). */
export function templateOf(text: string): string | undefined {
  const m = SOURCE.exec(text);
  return m === null || m[1] === "" ? undefined : m[1];
}

/** True when a `---` at `p` (at a line start) is a document marker. */
function isMarkerAt(manifest: string, p: number): boolean {
  const c = manifest.charCodeAt(p + 3);
  return p + 3 === manifest.length || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Where the document holding offset `at` starts: its `---` marker line (the marker itself may
 * be the line `at` is on), or 0 when no marker precedes it. Same bounds as {@link splitDocuments}.
 */
export function documentStart(manifest: string, at: number): number {
  for (let i = manifest.lastIndexOf("\n---", at - 1); i !== -1;) {
    if (isMarkerAt(manifest, i + 1)) return i + 1;
    i = i === 0 ? -1 : manifest.lastIndexOf("\n---", i - 1);
  }
  return 0;
}

/** Where the document holding offset `at` ends: the next `---` marker line, or the end. */
export function documentEnd(manifest: string, at: number): number {
  for (let i = manifest.indexOf("\n---", at); i !== -1; i = manifest.indexOf("\n---", i + 1)) {
    if (isMarkerAt(manifest, i + 1)) return i + 1;
  }
  return manifest.length;
}
