/**
 * `kube-lookout get`'s table: one row per object (namespace, name, age), columns padded to
 * their widest cell.
 */

/** One object as a row of the table. */
export interface GetRow {
  readonly namespace: string;
  readonly name: string;
  readonly age: string;
}

/** The age of an object created at `created` (RFC 3339) at `now` (ms), as kubectl shows it; `-` when unknown. */
function age(created: unknown, now: number): string {
  const t = typeof created === "string" ? Date.parse(created) : Number.NaN;
  if (!Number.isFinite(t)) return "-";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** The row of an object as the cache API serves it; a missing or non-text field is empty. Pure. */
export function rowOf(obj: unknown, now: number): GetRow {
  const meta: unknown = typeof obj === "object" && obj !== null ? Reflect.get(obj, "metadata") : {};
  const field = (k: string): unknown =>
    typeof meta === "object" && meta !== null ? Reflect.get(meta, k) : undefined;
  const text = (k: string): string => {
    const v = field(k);
    return typeof v === "string" ? v : "";
  };
  return {
    namespace: text("namespace"),
    name: text("name"),
    age: age(field("creationTimestamp"), now),
  };
}

/**
 * The table of `rows` under a `NAMESPACE NAME AGE` header, one line each, columns two spaces
 * apart and padded to their widest cell. Pure; any number of rows (widths are found with a
 * loop: `Math.max(...widths)` passes each row as an argument and overflows the stack past
 * some 100,000 rows).
 */
export function formatGetTable(rows: readonly GetRow[]): string {
  const header: GetRow = { namespace: "NAMESPACE", name: "NAME", age: "AGE" };
  let nw = header.namespace.length;
  let mw = header.name.length;
  for (const r of rows) {
    if (r.namespace.length > nw) nw = r.namespace.length;
    if (r.name.length > mw) mw = r.name.length;
  }
  let out = `${header.namespace.padEnd(nw)}  ${header.name.padEnd(mw)}  ${header.age}\n`;
  for (const r of rows) out += `${r.namespace.padEnd(nw)}  ${r.name.padEnd(mw)}  ${r.age}\n`;
  return out;
}
