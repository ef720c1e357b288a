/**
 * Parsing a request path into what the cache API serves. Paths outside the API (e.g.
 * `/metrics`) parse to undefined so that the host server can answer them.
 */

/** What a path asks for. */
export type Route =
  | { readonly type: "healthz" }
  | { readonly type: "readyz" }
  | { readonly type: "helm"; readonly what: "releases" | "findings" }
  | {
      readonly type: "resource";
      readonly resource: string;
      /** undefined: all namespaces (or a cluster-scoped resource). */
      readonly namespace: string | undefined;
      readonly name: string | undefined;
    }
  | { readonly type: "notFound" }
  | { readonly type: "badPath"; readonly message: string };

/** The prefix of every cache API path besides the probes. */
export const API_PREFIX = "/api/v1/";

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The route of `pathname` (no query), undefined when the path is not the cache API's
 * (anything but `/healthz`, `/readyz` and `/api/...`).
 */
export function parseRoute(pathname: string): Route | undefined {
  if (pathname === "/healthz") return { type: "healthz" };
  if (pathname === "/readyz") return { type: "readyz" };
  if (pathname !== "/api" && !pathname.startsWith("/api/")) return undefined;
  if (!pathname.startsWith(API_PREFIX)) return { type: "notFound" };
  const raw = pathname.slice(API_PREFIX.length).split("/");
  if (raw.at(-1) === "") raw.pop(); // a trailing slash
  const parts: string[] = [];
  for (const s of raw) {
    const d = decode(s);
    if (d === undefined) return { type: "badPath", message: `invalid percent-encoding in "${s}"` };
    if (d === "") return { type: "notFound" };
    parts.push(d);
  }
  const [a, b, c, d] = parts;
  if (a === "helm" && parts.length === 2 && (b === "releases" || b === "findings")) {
    return { type: "helm", what: b };
  }
  if (a === "resources" && b !== undefined && parts.length <= 3) {
    return { type: "resource", resource: b, namespace: undefined, name: c };
  }
  if (a === "namespaces" && b !== undefined && c !== undefined && parts.length <= 4) {
    return { type: "resource", resource: c, namespace: b, name: d };
  }
  return { type: "notFound" };
}
