/**
 * Choosing the cached objects of a list request: the namespace index for one namespace (also
 * when a field selector pins `metadata.namespace`), then the label and field selectors. Field
 * selectors on `metadata.name`/`metadata.namespace` only are matched without parsing objects.
 */
import type { RawObject } from "../kube/index.ts";
import type { FieldMatcher } from "../selectors/index.ts";
import {
  compileFieldSelector,
  compileLabelSelector,
  parseFieldSelector,
} from "../selectors/index.ts";
import type { ResourceEntry } from "./registry.ts";
import { objectKey } from "../informer/index.ts";

const IDENTITY_FIELDS = new Set(["metadata.name", "metadata.namespace"]);

/** A compiled list request. Throws `SelectorError` for a bad or unsupported selector. */
export interface Selection {
  readonly matches: (obj: RawObject) => boolean;
  /** A namespace pinned by `metadata.namespace=X` in the field selector, if any. */
  readonly pinnedNamespace: string | undefined;
}

/**
 * Compiles the selectors of a request on `entry`. Throws `SelectorError`
 * (`LOOKOUT_SELECTOR_PARSE`, `LOOKOUT_SELECTOR_UNSUPPORTED_FIELD`) for bad ones.
 */
export function compileSelection(
  entry: ResourceEntry,
  labelSelector: string,
  fieldSelector: string,
): Selection {
  const labels = labelSelector.trim() === "" ? undefined : compileLabelSelector(labelSelector);
  const terms = parseFieldSelector(fieldSelector);
  let fields: ((obj: RawObject) => boolean) | undefined;
  let pinnedNamespace: string | undefined;
  if (terms.length > 0) {
    const matcher: FieldMatcher = compileFieldSelector(fieldSelector, entry.resource);
    if (terms.every((t) => IDENTITY_FIELDS.has(t.field))) {
      fields = (obj) => matcher({ metadata: { name: obj.name, namespace: obj.namespace } });
    } else {
      fields = (obj) => matcher(obj.object);
    }
    const pins = terms.filter((t) => t.field === "metadata.namespace" && t.operator === "=");
    if (pins.length === 1) pinnedNamespace = pins[0]!.value;
  }
  let matches: (obj: RawObject) => boolean;
  if (labels === undefined && fields === undefined) matches = () => true;
  else if (fields === undefined) matches = (obj) => labels!(obj.labels);
  else if (labels === undefined) matches = fields;
  else matches = (obj) => labels(obj.labels) && fields(obj);
  return { matches, pinnedNamespace };
}

/**
 * The matching objects of `entry` in `namespace` (undefined: all), sorted by their key
 * `namespace/name` like the apiserver's lists (etcd key order). A snapshot: references to the
 * cached objects.
 */
export function selectObjects(
  entry: ResourceEntry,
  namespace: string | undefined,
  selection: Selection,
): RawObject[] {
  const store = entry.informer.store;
  const ns = namespace ?? selection.pinnedNamespace;
  let candidates: RawObject[];
  if (ns !== undefined && entry.namespaced) candidates = store.byIndex("namespace", ns);
  else candidates = store.list();
  const keyed: { key: string; obj: RawObject }[] = [];
  for (const obj of candidates) {
    if (selection.matches(obj)) keyed.push({ key: objectKey(obj.namespace, obj.name), obj });
  }
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.obj);
}
