/**
 * Decoding one Helm 3 release payload (the `release` key of a `helm.sh/release.v1` Secret or
 * ConfigMap) into the fields the checker needs. Secret (as in the API JSON):
 * base64(base64(gzip(json))); ConfigMap: base64(gzip(json)); legacy payloads are not gzipped.
 */
import { gunzipSync } from "node:zlib";
import { decodeBase64Strict } from "./base64-strict.ts";
import {
  HelmBadGzipError,
  HelmBadJsonError,
  HelmBadPayloadError,
  HelmTooLargeError,
} from "./errors.ts";

/** Which Helm storage driver the payload comes from. */
export type ReleaseDriver = "secret" | "configmap";

/** Caps applied while decoding. */
export interface DecodeLimits {
  /** Largest decoded (inflated) release JSON in bytes; default {@link DEFAULT_MAX_OUTPUT_LENGTH}. */
  readonly maxOutputLength?: number;
}

/** Default cap on the inflated release: 64 MiB. */
export const DEFAULT_MAX_OUTPUT_LENGTH = 64 * 1024 * 1024;

/** The identity of a release revision, as written in its payload. */
export interface ReleaseSummary {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chart: { name: string; version: string; appVersion?: string };
}

/** A decoded release: its summary plus the rendered manifest and the hooks' manifests. */
export interface DecodedRelease extends ReleaseSummary {
  manifest: string;
  hooks: { name?: string; path?: string; manifest: string }[];
}

/**
 * Decodes a release payload. Synchronous and CPU-bound (run it in the worker pool for many
 * releases). Throws only the typed errors of `errors.ts`: `LOOKOUT_HELM_BAD_BASE64`,
 * `LOOKOUT_HELM_BAD_GZIP`, `LOOKOUT_HELM_TOO_LARGE` (inflation stops at the cap, so a gzip bomb
 * costs at most `maxOutputLength` bytes), `LOOKOUT_HELM_BAD_JSON`, `LOOKOUT_HELM_BAD_PAYLOAD`.
 * Throws a `RangeError` for invalid `limits` (a programming error).
 */
export function decodeRelease(
  value: string | Buffer,
  driver: ReleaseDriver,
  limits: DecodeLimits = {},
): DecodedRelease {
  const max = limits.maxOutputLength ?? DEFAULT_MAX_OUTPUT_LENGTH;
  if (!Number.isSafeInteger(max) || max <= 0) {
    throw new RangeError(`maxOutputLength must be a positive integer, got ${String(max)}`);
  }
  let bytes = decodeBase64Strict(value, 1);
  if (driver === "secret") bytes = decodeBase64Strict(bytes, 2);
  const json = inflate(bytes, max);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString("utf8"));
  } catch (err) {
    throw new HelmBadJsonError(`release payload is not JSON: ${messageOf(err)}`, {
      cause: err,
    });
  }
  return validateRelease(parsed);
}

function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08;
}

function inflate(bytes: Buffer, max: number): Buffer {
  if (!isGzip(bytes)) {
    if (bytes.length > max) {
      throw new HelmTooLargeError(`release payload is over ${max} bytes`, max);
    }
    return bytes;
  }
  try {
    return gunzipSync(bytes, { maxOutputLength: max, chunkSize: outputSizeHint(bytes, max) });
  } catch (err) {
    // zlib reports the cap as a RangeError with code ERR_BUFFER_TOO_LARGE.
    if (err instanceof RangeError) {
      throw new HelmTooLargeError(`inflated release payload is over ${max} bytes`, max, {
        cause: err,
      });
    }
    throw new HelmBadGzipError(`release payload is not valid gzip: ${messageOf(err)}`, {
      cause: err,
    });
  }
}

/** Largest output buffer sized from a gzip trailer: a lying trailer costs no more than this. */
const MAX_SIZE_HINT = 8 * 1024 * 1024;

/**
 * The buffer size for inflating `gzip` in one step: the trailer's ISIZE (the uncompressed size
 * mod 2^32 of the last member) plus one, so zlib sees the end without a second call. Only a
 * hint: a wrong one costs more calls or a larger buffer (at most {@link MAX_SIZE_HINT}), and the
 * cap still applies. About half the time of zlib's default 16 KiB steps for Helm payloads.
 */
export function outputSizeHint(gzip: Uint8Array, max: number): number {
  if (gzip.length < 18) return 64;
  const n = Buffer.from(gzip.buffer, gzip.byteOffset, gzip.byteLength).readUInt32LE(
    gzip.length - 4,
  );
  return Math.max(64, Math.min(n + 1, max + 1, MAX_SIZE_HINT));
}

type Json = Record<string, unknown>;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(obj: Json, key: string, path: string): string {
  const v = obj[key];
  if (typeof v !== "string") {
    throw new HelmBadPayloadError(`release field ${path} is missing or not a string`, path);
  }
  return v;
}

function optStr(obj: Json, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") {
    throw new HelmBadPayloadError(`release field ${path} is not a string`, path);
  }
  return v;
}

function child(parent: Json, key: string, path: string): Json {
  const v = parent[key];
  if (!isObject(v)) {
    throw new HelmBadPayloadError(`release field ${path} is missing or not an object`, path);
  }
  return v;
}

function validateRelease(value: unknown): DecodedRelease {
  if (!isObject(value)) throw new HelmBadPayloadError("release JSON is not an object", "");
  const revision = value["version"];
  if (typeof revision !== "number" || !Number.isSafeInteger(revision) || revision < 1) {
    throw new HelmBadPayloadError("release field version is not a positive integer", "version");
  }
  const metadata = child(child(value, "chart", "chart"), "metadata", "chart.metadata");
  const appVersion = optStr(metadata, "appVersion", "chart.metadata.appVersion");
  const chart: ReleaseSummary["chart"] = {
    name: str(metadata, "name", "chart.metadata.name"),
    version: str(metadata, "version", "chart.metadata.version"),
    ...(appVersion === undefined ? {} : { appVersion }),
  };
  const rawHooks = value["hooks"];
  if (rawHooks !== undefined && rawHooks !== null && !Array.isArray(rawHooks)) {
    throw new HelmBadPayloadError("release field hooks is not an array", "hooks");
  }
  const hooks: DecodedRelease["hooks"] = [];
  for (const [i, hook] of (rawHooks ?? []).entries()) {
    const path = `hooks[${i}]`;
    if (!isObject(hook)) throw new HelmBadPayloadError(`${path} is not an object`, path);
    const name = optStr(hook, "name", `${path}.name`);
    const hookPath = optStr(hook, "path", `${path}.path`);
    hooks.push({
      ...(name === undefined ? {} : { name }),
      ...(hookPath === undefined ? {} : { path: hookPath }),
      manifest: str(hook, "manifest", `${path}.manifest`),
    });
  }
  return {
    name: str(value, "name", "name"),
    namespace: str(value, "namespace", "namespace"),
    revision,
    status: str(child(value, "info", "info"), "status", "info.status"),
    chart,
    manifest: str(value, "manifest", "manifest"),
    hooks,
  };
}
