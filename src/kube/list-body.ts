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
  keyIs,
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
      if (keyIs(b, ks, ke, "items") && b[i] === BYTES.OPEN_BRACKET) {
        items = [];
        i = readItems(b, i, end, strip, items);
      } else if (keyIs(b, ks, ke, "metadata") && b[i] === BYTES.OPEN_BRACE) {
        i = skipWs(b, i + 1, end);
        if (b[i] === BYTES.CLOSE_BRACE) i++;
        else {
          for (;;) {
            if (b[i] !== BYTES.QUOTE) fail("expected a key", i);
            const mks = i;
            const mke = skipString(b, i, end);
            i = skipWs(b, expectByte(b, mke, end, BYTES.COLON, "':'"), end);
            const vs = i;
            i = skipValue(b, i, end);
            const isString = b[vs] === BYTES.QUOTE;
            if (isString && keyIs(b, mks, mke, "resourceVersion")) {
              resourceVersion = decodeString(b, vs, i);
            } else if (isString && keyIs(b, mks, mke, "continue")) {
              const token = decodeString(b, vs, i);
              continueToken = token === "" ? undefined : token;
            } else if (!isString && keyIs(b, mks, mke, "remainingItemCount")) {
              const n = Number(b.toString("latin1", vs, i));
              remainingItemCount = Number.isFinite(n) ? n : undefined;
            }
            i = skipWs(b, i, end);
            if (b[i] === BYTES.COMMA) {
              i = skipWs(b, i + 1, end);
              continue;
            }
            if (b[i] === BYTES.CLOSE_BRACE) {
              i++;
              break;
            }
            fail("expected ',' or '}'", i);
          }
        }
      } else {
        i = skipValue(b, i, end);
      }
      i = skipWs(b, i, end);
      if (b[i] === BYTES.COMMA) {
        i = skipWs(b, i + 1, end);
        continue;
      }
      if (b[i] === BYTES.CLOSE_BRACE) break;
      fail("expected ',' or '}'", i);
    }
  }
  i = skipWs(b, i + 1, end);
  if (i !== end) fail("unexpected bytes after the list", i);
  return { resourceVersion, continue: continueToken, remainingItemCount, items };
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
