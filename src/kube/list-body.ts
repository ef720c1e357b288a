/**
 * Reads a list response body (`{"kind":"PodList","metadata":{...},"items":[...]}`) without
 * JSON.parse: the collection's metadata is read by a targeted scan and the `items` array is split
 * into one RawObject per element in the same pass.
 */
import {
  BYTES,
  decodeString,
  expectByte,
  fail,
  keyMatches,
  nextMember,
  skipString,
  skipValue,
  skipWs,
} from "./json-bytes.ts";
import { rawObjectFromBytes, type RawKubeObject } from "./raw-object.ts";
import type { ListPage } from "./types.ts";

/**
 * Parses a whole list body. May rewrite bytes of `b` (managedFields stripping): the caller gives
 * up the buffer. Throws `KubeBadResponseError` (`LOOKOUT_KUBE_BAD_RESPONSE`) on broken structure,
 * a non-object body, a missing `metadata.resourceVersion` is returned as "".
 */
export function parseListBody(b: Buffer, strip: boolean): ListPage {
  const end = b.length;
  let resourceVersion = "";
  let continueToken: string | undefined;
  let remainingItemCount: number | undefined;
  let items: RawKubeObject[] = [];
  let i = expectByte(b, 0, end, BYTES.OPEN_BRACE, "a list object");
  i = skipWs(b, i, end);
  if (b[i] !== BYTES.CLOSE_BRACE) {
    for (;;) {
      if (b[i] !== BYTES.QUOTE) fail("expected a key", i);
      const ks = i;
      const ke = skipString(b, i, end);
      i = skipWs(b, expectByte(b, ke, end, BYTES.COLON, "':'"), end);
      // Duplicate keys: the last one wins, whatever its value (as with JSON.parse).
      if (keyMatches(b, ks, ke, "items")) {
        items = [];
        i = b[i] === BYTES.OPEN_BRACKET ? readItems(b, i, end, strip, items) : skipValue(b, i, end);
      } else if (keyMatches(b, ks, ke, "metadata")) {
        resourceVersion = "";
        continueToken = undefined;
        remainingItemCount = undefined;
        if (b[i] === BYTES.OPEN_BRACE) {
          i = readListMeta(b, i, end, (key, vs, ve) => {
            const isString = b[vs] === BYTES.QUOTE;
            if (key === "resourceVersion") {
              resourceVersion = isString ? decodeString(b, vs, ve) : "";
            } else if (key === "continue") {
              const token = isString ? decodeString(b, vs, ve) : "";
              continueToken = token === "" ? undefined : token;
            } else {
              const c = b[vs]!;
              const n =
                c === 45 || (c >= 48 && c <= 57) ? Number(b.toString("latin1", vs, ve)) : NaN;
              remainingItemCount = Number.isFinite(n) ? n : undefined;
            }
          });
        } else i = skipValue(b, i, end);
      } else {
        i = skipValue(b, i, end);
      }
      i = nextMember(b, i, end);
      if (b[i] === BYTES.CLOSE_BRACE) break;
    }
  }
  i = skipWs(b, i + 1, end);
  if (i !== end) fail("unexpected bytes after the list", i);
  return { resourceVersion, continue: continueToken, remainingItemCount, items };
}

const LIST_META_KEYS = ["resourceVersion", "continue", "remainingItemCount"] as const;

/** Reads the list's `metadata` object at `start`, calling `found` for each key it knows. */
function readListMeta(
  b: Buffer,
  start: number,
  end: number,
  found: (key: (typeof LIST_META_KEYS)[number], vs: number, ve: number) => void,
): number {
  let i = skipWs(b, start + 1, end);
  if (b[i] === BYTES.CLOSE_BRACE) return i + 1;
  for (;;) {
    if (b[i] !== BYTES.QUOTE) fail("expected a key", i);
    const ks = i;
    const ke = skipString(b, i, end);
    i = skipWs(b, expectByte(b, ke, end, BYTES.COLON, "':'"), end);
    const vs = i;
    i = skipValue(b, i, end);
    const key = LIST_META_KEYS.find((k) => keyMatches(b, ks, ke, k));
    if (key !== undefined) found(key, vs, i);
    i = nextMember(b, i, end);
    if (b[i] === BYTES.CLOSE_BRACE) return i + 1;
  }
}

function readItems(
  b: Buffer,
  start: number,
  end: number,
  strip: boolean,
  items: RawKubeObject[],
): number {
  let i = skipWs(b, start + 1, end);
  if (b[i] === BYTES.CLOSE_BRACKET) return i + 1;
  for (;;) {
    const r = rawObjectFromBytes(b, i, end, strip);
    items.push(r.object);
    i = skipWs(b, r.end, end);
    if (b[i] === BYTES.COMMA) {
      i = skipWs(b, i + 1, end);
      continue;
    }
    if (b[i] === BYTES.CLOSE_BRACKET) return i + 1;
    fail("expected ',' or ']'", i);
  }
}
