/**
 * The targeted scan of one Kubernetes object's JSON bytes: walks the object's top-level members,
 * reads `metadata.{name,namespace,uid,resourceVersion,labels}` and locates the
 * `metadata.managedFields` member (with one separating comma) so it can be cut out. Every other
 * value is skipped structurally, so look-alike keys nested in `spec`, `ownerReferences` etc. are
 * never read. Key order and whitespace are free; escaped keys and values are decoded.
 *
 * Duplicate keys are read as JSON.parse reads them, the last occurrence wins: a second
 * `metadata` (whatever its value) forgets what the first one gave, a non-string `name` (or other
 * identity field) after a string one resets it to "", a non-string label value drops that label,
 * and every `managedFields` member of every top-level `metadata` is cut, so the stripped text
 * never keeps an earlier duplicate that JSON.parse would have overridden.
 */
import {
  BYTES,
  decodeString,
  expectByte,
  fail,
  hasEscape,
  keyIs,
  keyMatches,
  nextMember,
  plainKey,
  skipString,
  skipValue,
  skipWs,
} from "./json-bytes.ts";

/** What {@link scanObject} found. Positions are byte offsets into the scanned buffer. */
export interface ObjectScan {
  /** Index just after the object's closing brace. */
  end: number;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  labels: Record<string, string> | undefined;
  /**
   * Byte ranges to remove to drop every `metadata.managedFields` member, as `[start, end)` pairs
   * in ascending, non-overlapping order; empty when there is none.
   */
  cuts: number[];
}

/**
 * Scans the object whose `{` is at the first non-whitespace byte from `start`. Throws a
 * `KubeBadResponseError` (`LOOKOUT_KUBE_BAD_RESPONSE`) on broken structure.
 */
export function scanObject(b: Buffer, start: number, end: number): ObjectScan {
  const out: ObjectScan = {
    end: 0,
    name: "",
    namespace: "",
    uid: "",
    resourceVersion: "",
    labels: undefined,
    cuts: [],
  };
  let i = expectByte(b, start, end, BYTES.OPEN_BRACE, "'{'");
  i = skipWs(b, i, end);
  if (b[i] === BYTES.CLOSE_BRACE) {
    out.end = i + 1;
    return out;
  }
  for (;;) {
    if (b[i] !== BYTES.QUOTE) fail("expected a key", i);
    const ks = i;
    const ke = skipString(b, i, end);
    i = skipWs(b, expectByte(b, ke, end, BYTES.COLON, "':'"), end);
    if (keyMatches(b, ks, ke, "metadata")) {
      // A duplicate `metadata` replaces the first one entirely (JSON.parse keeps the last).
      out.name = out.namespace = out.uid = out.resourceVersion = "";
      out.labels = undefined;
      if (b[i] === BYTES.OPEN_BRACE) i = scanMetadata(b, i, end, out);
      else i = skipValue(b, i, end);
    } else i = skipValue(b, i, end);
    i = nextMember(b, i, end);
    if (b[i] === BYTES.CLOSE_BRACE) {
      out.end = i + 1;
      return out;
    }
  }
}

const META_KEYS = ["name", "namespace", "uid", "resourceVersion", "labels", "managedFields"];

function metaKey(b: Buffer, ks: number, ke: number): number {
  const len = ke - ks - 2;
  // Fast path on length, then an exact byte compare; escaped keys take the slow path.
  for (let k = 0; k < META_KEYS.length; k++) {
    const word = META_KEYS[k]!;
    if (word.length === len && keyIs(b, ks, ke, word)) return k;
  }
  if (!hasEscape(b, ks, ke)) return -1;
  const [kb, s, e] = plainKey(b, ks, ke);
  for (let k = 0; k < META_KEYS.length; k++) if (keyIs(kb, s, e, META_KEYS[k]!)) return k;
  return -1;
}

function scanMetadata(b: Buffer, start: number, end: number, out: ObjectScan): number {
  let i = skipWs(b, start + 1, end);
  if (b[i] === BYTES.CLOSE_BRACE) return i + 1;
  // Index just after the previous member's value, and whether a member before is kept (not cut).
  let prevEnd = -1;
  let kept = false;
  for (;;) {
    if (b[i] !== BYTES.QUOTE) fail("expected a key", i);
    const ks = i;
    const ke = skipString(b, i, end);
    i = skipWs(b, expectByte(b, ke, end, BYTES.COLON, "':'"), end);
    const vs = i;
    const k = metaKey(b, ks, ke);
    if (k === 4 && b[i] === BYTES.OPEN_BRACE) {
      i = scanLabels(b, i, end, out);
    } else {
      i = skipValue(b, i, end);
      if (k >= 0 && k <= 3) {
        // A non-string value after a string one resets the field (JSON.parse keeps the last).
        const value = b[vs] === BYTES.QUOTE ? decodeString(b, vs, i) : "";
        if (k === 0) out.name = value;
        else if (k === 1) out.namespace = value;
        else if (k === 2) out.uid = value;
        else out.resourceVersion = value;
      } else if (k === 4) {
        out.labels = undefined;
      } else if (k === 5) {
        if (kept) {
          // Cut from the end of the previous member: its comma, the key and the value.
          out.cuts.push(prevEnd, i);
        } else {
          // No kept member before: cut the key, the value and the comma after it, if any.
          const after = skipWs(b, i, end);
          out.cuts.push(ks, b[after] === BYTES.COMMA ? skipWs(b, after + 1, end) : i);
        }
      }
    }
    if (k !== 5) kept = true;
    prevEnd = i;
    i = nextMember(b, i, end);
    if (b[i] === BYTES.CLOSE_BRACE) return i + 1;
  }
}

function scanLabels(b: Buffer, start: number, end: number, out: ObjectScan): number {
  const labels: Record<string, string> = {};
  out.labels = labels;
  let i = skipWs(b, start + 1, end);
  if (b[i] === BYTES.CLOSE_BRACE) return i + 1;
  for (;;) {
    if (b[i] !== BYTES.QUOTE) fail("expected a key", i);
    const ks = i;
    const ke = skipString(b, i, end);
    i = skipWs(b, expectByte(b, ke, end, BYTES.COLON, "':'"), end);
    const vs = i;
    i = skipValue(b, i, end);
    const key = decodeString(b, ks, ke);
    if (b[vs] !== BYTES.QUOTE) {
      // A non-string value is not a label; it also replaces an earlier string under this key.
      Reflect.deleteProperty(labels, key);
    } else {
      const value = decodeString(b, vs, i);
      // An own "__proto__" property, as JSON.parse makes it, not a prototype change.
      if (key === "__proto__") {
        Object.defineProperty(labels, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else labels[key] = value;
    }
    i = nextMember(b, i, end);
    if (b[i] === BYTES.CLOSE_BRACE) return i + 1;
  }
}
