/**
 * The cache API: read-only HTTP over the informers' caches and the Helm checker's results,
 * with probes, a bearer token option and Secret redaction. See docs/api.md.
 */
export { DEFAULT_LIST_CACHE_BYTES, createCacheApi } from "./cache-api.ts";
export type {
  CacheApiHandler,
  CacheApiOptions,
  HelmSource,
  Readiness,
  Verification,
} from "./cache-api.ts";
export { compositeSource } from "./composite-source.ts";
export { routeName } from "./registry.ts";
export type { CacheSource, ServedResource } from "./registry.ts";
export { readTokenFile, withBearerToken } from "./auth.ts";
export type { RequestHandler } from "./auth.ts";
export { startApiServer } from "./server.ts";
export type { ApiServer, ApiServerOptions } from "./server.ts";
export { ApiInvalidOptionError, ApiTokenFileError } from "./errors.ts";
