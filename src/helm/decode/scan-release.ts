/**
 * The whole per-release job, as data in and data out so it can cross a thread boundary:
 * decode a payload, scan its manifest and every hook's manifest.
 */
import { createHash } from "node:crypto";
import { isHelmPayloadError, type HelmBadYamlError, type HelmPayloadError } from "./errors.ts";
import { ApiVersionFilter, scanManifest } from "./manifest-scan.ts";
import {
  decodeRelease,
  type DecodeLimits,
  type ReleaseDriver,
  type ReleaseSummary,
} from "./payload.ts";
import type { ScannedObject } from "./scanned-object.ts";

/** An error as plain data (structured-clone safe): the typed error's `code` and message. */
export interface ScanIssue {
  code: string;
  message: string;
  /** For `LOOKOUT_HELM_BAD_YAML`: where the document is. */
  documentIndex?: number;
  source?: "manifest" | "hook";
  hookIndex?: number;
  /** For `LOOKOUT_HELM_BAD_PAYLOAD`: the offending field. */
  field?: string;
  /** For `LOOKOUT_HELM_TOO_LARGE`: the cap in bytes. */
  limit?: number;
}

/** What scanning one release payload gives. `release` is absent when decoding failed. */
export interface ScanResult {
  /** SHA-256 (hex) of the payload as given (the `release` value's bytes), decodable or not. */
  payloadHash: string;
  release?: ReleaseSummary;
  objects: ScannedObject[];
  errors: ScanIssue[];
}

/** The input of one scan. */
export interface ScanInput {
  /** The `release` value as read from the API object (text or its bytes). */
  value: string | Buffer | Uint8Array;
  driver: ReleaseDriver;
  /**
   * Keep only objects of these apiVersions (documents that cannot hold one are not read; see
   * `ApiVersionFilter`). Default: every object.
   */
  apiVersions?: readonly string[];
}

// The filters of the last few apiVersion lists (a table changes rarely): compiled once each.
const filters = new Map<string, ApiVersionFilter>();

function filterFor(apiVersions: readonly string[]): ApiVersionFilter {
  const key = apiVersions.join("\n");
  let filter = filters.get(key);
  if (filter === undefined) {
    if (filters.size >= 4) filters.clear();
    filter = new ApiVersionFilter(apiVersions);
    filters.set(key, filter);
  }
  return filter;
}

/** Turns a typed error of this folder into {@link ScanIssue} data. */
export function toIssue(err: HelmPayloadError | HelmBadYamlError): ScanIssue {
  const issue: ScanIssue = { code: err.code, message: err.message };
  if ("documentIndex" in err) {
    issue.documentIndex = err.documentIndex;
    issue.source = err.source;
    if (err.hookIndex !== undefined) issue.hookIndex = err.hookIndex;
  }
  if ("field" in err) issue.field = err.field;
  if ("limit" in err) issue.limit = err.limit;
  return issue;
}

/**
 * Decodes and scans one payload in the calling thread. Bad input never throws: a payload that
 * cannot be decoded gives `{objects: [], errors: [one issue]}`; unreadable YAML documents give
 * one issue each beside the objects of the others. Throws only for bugs and invalid `limits`.
 */
export function scanRelease(input: ScanInput, limits: DecodeLimits = {}): ScanResult {
  const value =
    input.value instanceof Uint8Array && !Buffer.isBuffer(input.value)
      ? Buffer.from(input.value.buffer, input.value.byteOffset, input.value.byteLength)
      : input.value;
  const payloadHash = createHash("sha256").update(value).digest("hex");
  let release;
  try {
    release = decodeRelease(value, input.driver, limits);
  } catch (err) {
    if (isHelmPayloadError(err)) return { payloadHash, objects: [], errors: [toIssue(err)] };
    throw err;
  }
  const only = input.apiVersions === undefined ? undefined : filterFor(input.apiVersions);
  const main = scanManifest(release.manifest, {
    source: "manifest",
    ...(only === undefined ? {} : { only }),
  });
  const objects = main.objects;
  const errors = main.errors.map(toIssue);
  for (const [hookIndex, hook] of release.hooks.entries()) {
    const scan = scanManifest(hook.manifest, {
      source: "hook",
      hookIndex,
      ...(only === undefined ? {} : { only }),
    });
    // A loop, not push(...objects): a hook of 100,000+ objects would overflow the stack.
    for (const o of scan.objects) objects.push(o);
    for (const e of scan.errors) errors.push(toIssue(e));
  }
  const { manifest: _manifest, hooks: _hooks, ...summary } = release;
  return { payloadHash, release: summary, objects, errors };
}
