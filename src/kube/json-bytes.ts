/**
 * A structural JSON scanner over UTF-8 bytes: it finds where values begin and end (string- and
 * escape-aware bracket matching) without building them. All JSON structure is ASCII and every
 * byte of a multi-byte UTF-8 character is >= 0x80, so scanning bytes is exact.
 *
 * It checks the structure it walks (the members of the objects it reads: keys, colons, commas,
 * quotes), and inside skipped values only quotes, escapes and bracket depth: a bad token like
 * `01` or `tru`, or a `{` closed by `]`, inside a skipped value is not rejected. Positions are byte offsets; `end` is exclusive.
 */
import { KubeBadResponseError } from "./errors.ts";

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

/** Throws the scanner's error for byte offset `at`. */
export function fail(what: string, at: number): never {
  throw new KubeBadResponseError(`invalid JSON: ${what} at byte ${at}`, at);
}

/** Index of the first non-whitespace byte at or after `i` (may be `end`). */
export function skipWs(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
  return i;
}

/** Expects byte `c` at the first non-whitespace position from `i`; returns the index after it. */
export function expectByte(b: Uint8Array, i: number, end: number, c: number, what: string): number {
  i = skipWs(b, i, end);
  if (i >= end || b[i] !== c) fail(`expected ${what}`, i);
  return i + 1;
}

/** `i` is at an opening quote: returns the index after the closing quote. */
export function skipString(b: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    i += c === BACKSLASH ? 2 : 1;
  }
  return fail("unterminated string", i);
}

/** True when the string whose quotes are at `start` and `stop - 1` contains a backslash. */
export function hasEscape(b: Uint8Array, start: number, stop: number): boolean {
  for (let i = start + 1; i < stop - 1; i++) if (b[i] === BACKSLASH) return true;
  return false;
}

/**
 * `i` is at the first byte of a value: returns the index after its last byte. Objects and
 * arrays are matched by depth with strings skipped; scalars run to the next delimiter.
 */
export function skipValue(b: Uint8Array, i: number, end: number): number {
  if (i >= end) fail("expected a value", i);
  const first = b[i]!;
  if (first === QUOTE) return skipString(b, i, end);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    while (i < end) {
      const c = b[i]!;
      if (c === QUOTE) {
        i = skipString(b, i, end);
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return fail("unterminated object or array", i);
  }
  const start = i;
  while (i < end) {
    const c = b[i]!;
    if (
      c === COMMA ||
      c === CLOSE_BRACE ||
      c === CLOSE_BRACKET ||
      c === 32 ||
      c === 10 ||
      c === 13 ||
      c === 9
    ) {
      break;
    }
    if (c === QUOTE || c === OPEN_BRACE || c === OPEN_BRACKET || c === COLON) {
      fail("unexpected character in a scalar", i);
    }
    i++;
  }
  if (i === start) fail("expected a value", i);
  return i;
}

/**
 * Decodes the JSON string whose opening quote is at `start` and whose closing quote is at
 * `stop - 1` into a fresh, flat JS string (it retains nothing of `b`).
 */
export function decodeString(b: Buffer, start: number, stop: number): string {
  if (!hasEscape(b, start, stop)) return b.toString("utf8", start + 1, stop - 1);
  // Rare: escapes. JSON.parse of just this string literal decodes them exactly.
  try {
    const value: unknown = JSON.parse(b.toString("utf8", start, stop));
    if (typeof value === "string") return value;
  } catch (err) {
    throw new KubeBadResponseError(`invalid JSON string at byte ${start}`, start, { cause: err });
  }
  return fail("invalid JSON string", start);
}

/** True when the key whose quotes are at `start` and `stop - 1` is exactly `word` (ASCII). */
export function keyIs(b: Uint8Array, start: number, stop: number, word: string): boolean {
  if (stop - start - 2 !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if (b[start + 1 + k] !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * The key of an object member as bytes to compare: when the key has escapes, its decoded form
 * re-encoded, so that `"na\u006de"` matches `name`. Returns `[buffer, start, stop]` of a quoted
 * key, where `start`/`stop` are the quote positions (`stop` exclusive).
 */
export function plainKey(b: Buffer, start: number, stop: number): [Buffer, number, number] {
  if (!hasEscape(b, start, stop)) return [b, start, stop];
  const decoded = Buffer.from(JSON.stringify(decodeString(b, start, stop)), "utf8");
  return [decoded, 0, decoded.length];
}

export const BYTES = {
  QUOTE,
  OPEN_BRACE,
  CLOSE_BRACE,
  OPEN_BRACKET,
  CLOSE_BRACKET,
  COMMA,
  COLON,
} as const;
