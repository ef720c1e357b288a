/**
 * A structural JSON scanner over UTF-8 bytes: it finds where values begin and end (string- and
 * escape-aware bracket matching) without building them. All JSON structure is ASCII and every
 * byte of a multi-byte UTF-8 character is >= 0x80, so scanning bytes is exact.
 *
 * It accepts exactly what JSON.parse accepts, skipped values included: string escapes and
 * control characters, literals, the number grammar, members, commas and matching brackets are
 * all checked, so text it accepts always parses later. Positions are byte offsets; `end` is
 * exclusive.
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

/**
 * After an object member's value ending at `i`: returns the index of the next member's key
 * (past `,` and whitespace) or of the object's closing `}`, so a caller's loop goes on while
 * `b[i]` is not `}`. A trailing comma, or anything but `,` or `}`, fails.
 */
export function nextMember(b: Uint8Array, i: number, end: number): number {
  i = skipWs(b, i, end);
  const c = b[i];
  if (c === CLOSE_BRACE) return i;
  if (c !== COMMA) fail("expected ',' or '}'", i);
  i = skipWs(b, i + 1, end);
  if (b[i] !== QUOTE) fail("expected a key", i);
  return i;
}

/** Expects byte `c` at the first non-whitespace position from `i`; returns the index after it. */
export function expectByte(b: Uint8Array, i: number, end: number, c: number, what: string): number {
  i = skipWs(b, i, end);
  if (i >= end || b[i] !== c) fail(`expected ${what}`, i);
  return i + 1;
}

/**
 * `i` is at an opening quote: returns the index after the closing quote. Rejects what JSON.parse
 * rejects: raw control characters (< 0x20) and escapes other than `\" \\ \/ \b \f \n \r \t`
 * and `\uXXXX` (four hex digits).
 */
export function skipString(b: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    const c = b[i]!;
    // Most bytes (letters, UTF-8) are above the backslash: one comparison for them.
    if (c > BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
    else if (c === BACKSLASH) i = skipEscape(b, i, end);
    else if (c < 0x20) fail("control character in a string", i);
    else i++;
  }
  return fail("unterminated string", i);
}

/** `i` is at a backslash inside a string: returns the index after the escape. */
function skipEscape(b: Uint8Array, i: number, end: number): number {
  const e = b[i + 1];
  // " \ / b f n r t
  if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114) {
    return i + 2;
  }
  if (e === 116) return i + 2;
  if (e === 117 && i + 6 <= end) {
    for (let k = i + 2; k < i + 6; k++) if (!isHex(b[k]!)) fail("bad \\u escape", i);
    return i + 6;
  }
  return fail("bad escape in a string", i);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** True when the string whose quotes are at `start` and `stop - 1` contains a backslash. */
export function hasEscape(b: Uint8Array, start: number, stop: number): boolean {
  for (let i = start + 1; i < stop - 1; i++) if (b[i] === BACKSLASH) return true;
  return false;
}

/**
 * `i` is at the first byte of a value: returns the index after its last byte. Validates the
 * whole value as JSON.parse does (strings and escapes, `true`/`false`/`null`, the number grammar,
 * object members, commas and matching brackets) without building anything.
 */
export function skipValue(b: Uint8Array, i: number, end: number): number {
  if (i >= end) fail("expected a value", i);
  const first = b[i]!;
  if (first === QUOTE) return skipString(b, i, end);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return skipContainer(b, i, end);
  return skipScalar(b, i, end);
}

/**
 * An object or array, iteratively (no recursion: depth is bounded by memory only). Which
 * containers are open is a bit stack (bit d set: the container at depth d is an object), in one
 * number for the first 31 levels and in `deeper` beyond. Hot loop: bytes are read without a
 * bounds check where a byte past `end` can only lead to a failure or to the final check.
 */
function skipContainer(b: Uint8Array, i: number, end: number): number {
  let depth = 0;
  let bits = 0;
  let deeper: boolean[] | undefined;
  let inObject = false;
  let c: number;
  // At the top of the loop `i` is at the first byte of a value (maybe whitespace).
  for (;;) {
    c = b[i]!;
    if (c <= 32) {
      while (isWs(b[i]!)) i++;
      c = b[i]!;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      inObject = c === OPEN_BRACE;
      if (depth < 31) bits = inObject ? bits | (1 << depth) : bits & ~(1 << depth);
      else (deeper ??= [])[depth - 31] = inObject;
      depth++;
      c = b[++i]!;
      if (c <= 32) {
        while (isWs(b[i]!)) i++;
        c = b[i]!;
      }
      if (c !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
        if (inObject) {
          if (c !== QUOTE || i >= end) fail("expected a key", i);
          i = skipString(b, i, end);
          i = b[i] === COLON ? i + 1 : expectByte(b, i, end, COLON, "':'");
        }
        continue;
      }
      i++;
      depth--;
      if (depth > 0) inObject = isObjectAt(depth - 1, bits, deeper);
    } else if (c === QUOTE) {
      i = skipString(b, i, end);
    } else if (i < end) {
      i = skipScalar(b, i, end);
    } else {
      fail("unterminated object or array", i);
    }
    // After a value: a comma and the next member, or closing brackets.
    for (;;) {
      if (depth === 0) {
        if (i > end) fail("unterminated object or array", end);
        return i;
      }
      c = b[i]!;
      if (c <= 32) {
        while (isWs(b[i]!)) i++;
        c = b[i]!;
      }
      if (c === COMMA) {
        i++;
        if (inObject) {
          c = b[i]!;
          if (c <= 32) {
            while (isWs(b[i]!)) i++;
            c = b[i]!;
          }
          if (c !== QUOTE || i >= end) fail("expected a key", i);
          i = skipString(b, i, end);
          i = b[i] === COLON ? i + 1 : expectByte(b, i, end, COLON, "':'");
        }
        break;
      }
      if (c !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
        if (i >= end) fail("unterminated object or array", i);
        fail(inObject ? "expected ',' or '}'" : "expected ',' or ']'", i);
      }
      i++;
      depth--;
      if (depth > 0) inObject = isObjectAt(depth - 1, bits, deeper);
    }
  }
}

function isObjectAt(d: number, bits: number, deeper: boolean[] | undefined): boolean {
  return d < 31 ? (bits & (1 << d)) !== 0 : deeper![d - 31]!;
}

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** `true`, `false`, `null` or a number (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`). */
function skipScalar(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c === 116) return skipWord(b, i, end, "true");
  if (c === 102) return skipWord(b, i, end, "false");
  if (c === 110) return skipWord(b, i, end, "null");
  const start = i;
  if (c === 45) i++; // -
  const d = i < end ? b[i] : undefined;
  if (d === 48) i++;
  else if (d !== undefined && d >= 49 && d <= 57) i = skipDigits(b, i + 1, end);
  else fail(i === start ? "expected a value" : "bad number", start);
  if (i < end && b[i] === 46) {
    // .
    const from = i + 1;
    i = skipDigits(b, from, end);
    if (i === from) fail("bad number", start);
  }
  const e = i < end ? b[i] : undefined;
  if (e === 101 || e === 69) {
    // e E
    i++;
    const sign = b[i];
    if (sign === 43 || sign === 45) i++;
    const from = i;
    i = skipDigits(b, from, end);
    if (i === from) fail("bad number", start);
  }
  return i;
}

function skipDigits(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c < 48 || c > 57) return i;
    i++;
  }
  return i;
}

function skipWord(b: Uint8Array, i: number, end: number, word: string): number {
  if (i + word.length > end) fail("bad literal", i);
  for (let k = 1; k < word.length; k++) {
    if (b[i + k] !== word.charCodeAt(k)) fail("bad literal", i);
  }
  return i + word.length;
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

/**
 * True when the key whose quotes are at `start` and `stop - 1` decodes to `word` (ASCII), escaped
 * or not (`"na\u006de"` is `name`, as for JSON.parse).
 */
export function keyMatches(b: Buffer, start: number, stop: number, word: string): boolean {
  if (keyIs(b, start, stop, word)) return true;
  if (!hasEscape(b, start, stop)) return false;
  const [k, s, e] = plainKey(b, start, stop);
  return keyIs(k, s, e, word);
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
