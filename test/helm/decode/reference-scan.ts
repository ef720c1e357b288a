/**
 * An independent reference for the scanner tests: the whole manifest parsed by the `yaml`
 * package in one call, objects taken from `toJS()`, the template from each document's leading
 * comment. It shares no code with `src/helm/decode/` apart from the `yaml` package.
 */
import { isMap as isMapNode, isNode, parseAllDocuments } from "yaml";

/** An object as the reference sees it (same shape as `ScannedObject`, source fixed). */
export interface RefObject {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
  source: "manifest";
  template?: string;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function toRef(v: Record<string, unknown>, template: string | undefined): RefObject {
  const meta = isMap(v["metadata"]) ? v["metadata"] : {};
  const out: RefObject = {
    apiVersion: typeof v["apiVersion"] === "string" ? v["apiVersion"] : "",
    kind: typeof v["kind"] === "string" ? v["kind"] : "",
    source: "manifest",
  };
  if (typeof meta["name"] === "string") out.name = meta["name"];
  if (typeof meta["namespace"] === "string") out.namespace = meta["namespace"];
  if (template !== undefined) out.template = template;
  return out;
}

/** Objects and the number of unreadable documents of `manifest`, per the `yaml` package. */
export function referenceScan(manifest: string): { objects: RefObject[]; errors: number } {
  const objects: RefObject[] = [];
  let errors = 0;
  const docs = parseAllDocuments(manifest);
  if (!Array.isArray(docs)) return { objects, errors };
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      errors++;
      continue;
    }
    const c = doc.contents;
    const k: unknown = isMapNode(c) ? c.items[0]?.key : undefined;
    const key = isNode(k) ? k : undefined;
    const comment = [doc.commentBefore, c?.commentBefore, key?.commentBefore]
      .filter((x) => typeof x === "string")
      .join("\n");
    const template = /^ ?Source: (.+?)\s*$/m.exec(comment)?.[1];
    let v: unknown;
    try {
      v = doc.toJS();
    } catch {
      errors++; // an unresolved alias, say
      continue;
    }
    if (v === null || v === undefined) continue;
    if (!isMap(v)) {
      errors++;
      continue;
    }
    const items = v["items"];
    if (typeof v["kind"] === "string" && v["kind"].endsWith("List") && Array.isArray(items)) {
      for (const item of items) {
        if (isMap(item)) objects.push(toRef(item, template));
        else errors++;
      }
    } else objects.push(toRef(v, template));
  }
  return { objects, errors };
}
