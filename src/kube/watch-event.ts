/**
 * Decodes one watch line `{"type":T,"object":O}` into a {@link WatchEvent}. For ADDED, MODIFIED
 * and DELETED the object is never JSON.parsed: its span is scanned for identity and its text
 * kept (see `raw-object.ts`). BOOKMARK and ERROR objects are small and parsed.
 */
import { KubeBadResponseError } from "./errors.ts";
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
import { isStatus } from "./status.ts";
import type { WatchEvent } from "./types.ts";

type ObjectEventType = "ADDED" | "MODIFIED" | "DELETED";

function isObjectType(type: string | undefined): type is ObjectEventType {
  return type === "ADDED" || type === "MODIFIED" || type === "DELETED";
}

function record(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- checked to be a non-null object
  return value as Record<string, unknown>;
}

/**
 * Decodes one line (without its newline). May rewrite bytes of `line` (managedFields
 * stripping). Throws `KubeBadResponseError` (`LOOKOUT_KUBE_BAD_RESPONSE`) for a line that is not
 * one JSON object (anything JSON.parse rejects, anywhere in the line), lacks `type` or `object`,
 * has an unknown type, or an ERROR without a Status. Duplicate keys: the last one wins.
 */
export function decodeWatchLine(line: Buffer, strip: boolean): WatchEvent {
  const end = line.length;
  let type: string | undefined;
  let raw: RawKubeObject | undefined;
  let objStart = -1;
  let objEnd = -1;
  let i = expectByte(line, 0, end, BYTES.OPEN_BRACE, "'{'");
  i = skipWs(line, i, end);
  if (line[i] !== BYTES.CLOSE_BRACE) {
    for (;;) {
      if (line[i] !== BYTES.QUOTE) fail("expected a key", i);
      const ks = i;
      const ke = skipString(line, i, end);
      i = skipWs(line, expectByte(line, ke, end, BYTES.COLON, "':'"), end);
      const vs = i;
      // Duplicate keys: the last one wins, whatever its value (as with JSON.parse).
      if (keyMatches(line, ks, ke, "type")) {
        i = skipValue(line, i, end);
        type = line[vs] === BYTES.QUOTE ? decodeString(line, vs, i) : undefined;
      } else if (keyMatches(line, ks, ke, "object")) {
        if (line[vs] !== BYTES.OPEN_BRACE) {
          raw = undefined;
          objStart = -1;
          i = skipValue(line, i, end);
        } else if (isObjectType(type)) {
          // The usual order (apiserver writes type first): scan the object once, in place.
          const r = rawObjectFromBytes(line, vs, end, strip);
          raw = r.object;
          i = r.end;
          objStart = vs;
          objEnd = i;
        } else {
          raw = undefined;
          i = skipValue(line, i, end);
          objStart = vs;
          objEnd = i;
        }
      } else {
        i = skipValue(line, i, end);
      }
      i = nextMember(line, i, end);
      if (line[i] === BYTES.CLOSE_BRACE) break;
    }
  }
  i = skipWs(line, i + 1, end);
  if (i !== end) fail("unexpected bytes after the event", i);
  if (type === undefined) throw new KubeBadResponseError("watch event without a string type");
  if (objStart < 0) throw new KubeBadResponseError(`watch event ${type} without an object`);
  if (isObjectType(type)) {
    const object = raw ?? rawObjectFromBytes(line, objStart, objEnd, strip).object;
    return { type, object };
  }
  // A `type` after an object that was scanned (and maybe stripped in place): parse its text.
  const parsed = (): unknown =>
    raw !== undefined ? parseText(raw.json, objStart) : parseSpan(line, objStart, objEnd);
  if (type === "BOOKMARK") {
    const meta = record(record(parsed())?.["metadata"]);
    const rv = meta?.["resourceVersion"];
    return {
      type: "BOOKMARK",
      resourceVersion: typeof rv === "string" ? rv : "",
      initialEventsEnd: record(meta?.["annotations"])?.["k8s.io/initial-events-end"] === "true",
    };
  }
  if (type === "ERROR") {
    const status = parsed();
    if (!isStatus(status)) throw new KubeBadResponseError("watch ERROR event without a Status");
    return { type: "ERROR", status };
  }
  throw new KubeBadResponseError(`unknown watch event type ${JSON.stringify(type)}`);
}

function parseSpan(b: Buffer, start: number, end: number): unknown {
  return parseText(b.toString("utf8", start, end), start);
}

function parseText(text: string, start: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new KubeBadResponseError("watch event object is not valid JSON", start, { cause: err });
  }
}
