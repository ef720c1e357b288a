/**
 * Content negotiation of list, get and watch answers: the Accept header may list several media
 * types with fallbacks; the first one the server can serve wins, as in the apiserver's
 * `negotiation.NegotiateOutputMediaType`. Served: plain JSON objects, `Table`, and metadata only
 * (`PartialObjectMetadata` for a get or watch, `PartialObjectMetadataList` for a list) in
 * `meta.k8s.io` v1 and v1beta1. Nothing servable: 406 with a Status.
 */
import type { IncomingMessage } from "node:http";
import { notAcceptable } from "./status.ts";

/** What an answer carries. `apiVersion` is the meta.k8s.io version asked for. */
export type Rendering =
  | { readonly as: "object" }
  | { readonly as: "table" }
  | { readonly as: "metadata"; readonly apiVersion: string };

/** The request verb, which decides the metadata kind that is accepted. */
export type RenderTarget = "list" | "get" | "watch";

const OBJECT: Rendering = { as: "object" };
const TABLE: Rendering = { as: "table" };
const META_VERSIONS = new Set(["v1", "v1beta1"]);

function parseMediaType(text: string): { type: string; params: Map<string, string> } {
  const [type = "", ...rest] = text.split(";");
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq === -1) continue;
    params.set(
      p.slice(0, eq).trim().toLowerCase(),
      p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, ""),
    );
  }
  return { type: type.trim().toLowerCase(), params };
}

function servable(text: string, target: RenderTarget): Rendering | undefined {
  const { type, params } = parseMediaType(text);
  if (type !== "application/json" && type !== "application/*" && type !== "*/*") return undefined;
  const as = params.get("as");
  if (as === undefined) return OBJECT;
  const g = params.get("g");
  const v = params.get("v") ?? "";
  if (g !== "meta.k8s.io" || !META_VERSIONS.has(v)) return undefined;
  if (as === "Table") return TABLE;
  const wanted = target === "list" ? "PartialObjectMetadataList" : "PartialObjectMetadata";
  if (as === wanted) return { as: "metadata", apiVersion: `meta.k8s.io/${v}` };
  return undefined;
}

/**
 * The rendering for `accept` (a raw Accept header). A missing or empty header is plain JSON. A
 * header that names no servable type is served plain JSON too unless one of its entries asks
 * for a transformation (`as=`): then it throws the 406 NotAcceptable SimError, since a client
 * asking for metadata only must not silently get whole objects.
 */
export function negotiate(accept: string | undefined, target: RenderTarget): Rendering {
  if (accept === undefined || accept.trim() === "") return OBJECT;
  let transform = false;
  for (const entry of accept.split(",")) {
    if (entry.trim() === "") continue;
    const r = servable(entry, target);
    if (r !== undefined) return r;
    if (/;\s*as=/i.test(entry)) transform = true;
  }
  if (transform) throw notAcceptable(accept);
  return OBJECT;
}

/** {@link negotiate} on a request's Accept header. */
export function negotiateRequest(req: IncomingMessage, target: RenderTarget): Rendering {
  return negotiate(req.headers.accept, target);
}
