/**
 * The fallback path: reading documents with the `yaml` package (YAML 1.2 core schema, unique
 * keys), for whatever the fast path cannot read with certainty. Also expands `kind: List` (and
 * every `*List` kind that has an `items` array) into its items.
 */
import type { Document } from "yaml";
import { yamlLib } from "./yaml-lib.ts";
import { HelmBadYamlError } from "./errors.ts";
import { makeObject, type DocumentOrigin, type ScannedObject } from "./scanned-object.ts";

/** Objects and errors of some documents. */
export interface ScanOutput {
  objects: ScannedObject[];
  errors: HelmBadYamlError[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringField(obj: Json | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === "string" ? v : undefined;
}

function fieldsOf(value: Json): {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
} {
  const meta = isObject(value["metadata"]) ? value["metadata"] : undefined;
  const out: { apiVersion?: string; kind?: string; name?: string; namespace?: string } = {};
  const apiVersion = stringField(value, "apiVersion");
  const kind = stringField(value, "kind");
  const name = stringField(meta, "name");
  const namespace = stringField(meta, "namespace");
  if (apiVersion !== undefined) out.apiVersion = apiVersion;
  if (kind !== undefined) out.kind = kind;
  if (name !== undefined) out.name = name;
  if (namespace !== undefined) out.namespace = namespace;
  return out;
}

/**
 * Adds the objects of one parsed document (or its error) to `out`. `index` is the document's
 * index in its manifest.
 */
export function collectDocument(
  doc: Document.Parsed,
  index: number,
  origin: DocumentOrigin,
  out: ScanOutput,
): void {
  const where = { documentIndex: index, source: origin.source, hookIndex: origin.hookIndex };
  const first = doc.errors[0];
  if (first !== undefined) {
    out.errors.push(
      new HelmBadYamlError(`document ${index} is not valid YAML: ${first.message}`, where, {
        cause: first,
      }),
    );
    return;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    out.errors.push(
      new HelmBadYamlError(
        `document ${index} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
        where,
        {
          cause: err,
        },
      ),
    );
    return;
  }
  if (value === null || value === undefined) return;
  if (!isObject(value)) {
    out.errors.push(new HelmBadYamlError(`document ${index} is not a mapping`, where));
    return;
  }
  const kind = stringField(value, "kind");
  const items = value["items"];
  if (kind !== undefined && kind.endsWith("List") && Array.isArray(items)) {
    for (const [i, item] of items.entries()) {
      if (isObject(item)) out.objects.push(makeObject(fieldsOf(item), origin));
      else {
        out.errors.push(
          new HelmBadYamlError(`document ${index}: ${kind} item ${i} is not a mapping`, where),
        );
      }
    }
    return;
  }
  out.objects.push(makeObject(fieldsOf(value), origin));
}

/**
 * Parses `text` with the `yaml` package and adds the objects and errors of each document it
 * holds to `out`, numbering documents from `firstIndex`; `templateOf` names each document's
 * template. Never throws for bad input.
 */
export function yamlScan(
  text: string,
  firstIndex: number,
  origin: Omit<DocumentOrigin, "template">,
  templateOf: (doc: Document.Parsed, index: number) => string | undefined,
  out: ScanOutput,
): void {
  const docs = yamlLib().parseAllDocuments(text);
  if (!Array.isArray(docs)) return;
  for (const [i, doc] of docs.entries()) {
    const index = firstIndex + i;
    collectDocument(doc, index, { ...origin, template: templateOf(doc, index) }, out);
  }
}
