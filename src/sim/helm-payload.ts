/**
 * Helm 3 release storage as Helm writes it: the release JSON (`release.Release`), its payload
 * (gzip, base64; base64 once more inside a Secret's API JSON) and the Secret or ConfigMap
 * `sh.helm.release.v1.<release>.v<revision>` that holds one revision.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { KubeObject } from "../kube/types.ts";
import { SimError, SimErrorCode } from "./errors.ts";
import { failure } from "./status.ts";

/** Which Helm storage driver keeps a release: `secret` (Helm's default) or `configmap`. */
export type HelmDriver = "secret" | "configmap";

/** One hook of a release (`release.Hook`). */
export interface HelmHookJson {
  name: string;
  kind: string;
  path: string;
  manifest: string;
  events: string[];
  last_run: { started_at: string; completed_at: string; phase: string };
  weight: number;
  delete_policies?: string[];
}

/** A Helm 3 release revision as stored (`release.Release`, JSON field names as Helm's). */
export interface HelmReleaseJson {
  name: string;
  namespace: string;
  version: number;
  info: {
    first_deployed: string;
    last_deployed: string;
    deleted: string;
    description: string;
    status: string;
    notes?: string;
  };
  chart: {
    metadata: {
      name: string;
      version: string;
      appVersion?: string;
      apiVersion: string;
      description?: string;
      type?: string;
    };
    templates: { name: string; data: string }[];
    values: Record<string, unknown>;
  };
  config: Record<string, unknown>;
  manifest: string;
  hooks?: HelmHookJson[];
}

/** Options of {@link encodeHelmPayload}. */
export interface EncodeHelmPayloadOptions {
  /** Default true; false writes the JSON uncompressed, as very old Helm 3 releases are. */
  readonly gzip?: boolean;
  /** zlib level, default 9 (Helm writes with gzip.BestCompression). */
  readonly level?: number;
}

/**
 * The `release` data value as it appears in the API JSON: ConfigMap base64(gzip(json)), Secret
 * base64(base64(gzip(json))). A string `release` is taken as the JSON text itself (for bad
 * payloads in tests). Pure.
 */
export function encodeHelmPayload(
  release: HelmReleaseJson | string,
  driver: HelmDriver,
  options: EncodeHelmPayloadOptions = {},
): string {
  const json = Buffer.from(typeof release === "string" ? release : JSON.stringify(release));
  const body = options.gzip === false ? json : gzipSync(json, { level: options.level ?? 9 });
  const once = body.toString("base64");
  return driver === "secret" ? Buffer.from(once, "latin1").toString("base64") : once;
}

/** Decodes a payload written by {@link encodeHelmPayload}; throws LOOKOUT_SIM_INVALID when it is not one. */
export function decodeHelmPayload(value: string, driver: HelmDriver): HelmReleaseJson {
  try {
    let bytes = Buffer.from(value, "base64");
    if (driver === "secret") bytes = Buffer.from(bytes.toString("latin1"), "base64");
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    const parsed: unknown = JSON.parse(bytes.toString("utf8"));
    if (!isReleaseJson(parsed)) throw new TypeError("not a Helm release object");
    return parsed;
  } catch (error: unknown) {
    throw new SimError(
      SimErrorCode.Invalid,
      failure(422, "Invalid", `stored Helm release payload is unreadable: ${String(error)}`),
      { cause: error },
    );
  }
}

function isReleaseJson(value: unknown): value is HelmReleaseJson {
  if (typeof value !== "object" || value === null) return false;
  const v: { version?: unknown; info?: unknown; chart?: unknown } = value;
  return typeof v.version === "number" && typeof v.info === "object" && v.info !== null;
}

/** The storage object name of one revision: `sh.helm.release.v1.<release>.v<revision>`. */
export function helmObjectName(release: string, revision: number): string {
  return `sh.helm.release.v1.${release}.v${revision}`;
}

/** The simulated resource a driver stores into. */
export function helmResourceOf(driver: HelmDriver): "secrets" | "configmaps" {
  return driver === "secret" ? "secrets" : "configmaps";
}

/** Options of {@link helmStorageObject}. */
export interface HelmStorageOptions {
  /** The `status` label; default `release.info.status`. */
  readonly status?: string;
  /** The `modifiedAt` label, unix seconds; default from `info.last_deployed`. */
  readonly modifiedAt?: number;
  /** The payload; default {@link encodeHelmPayload}(release, driver). */
  readonly payload?: string;
}

/**
 * The Secret (`type: helm.sh/release.v1`) or ConfigMap Helm writes for one revision: labels
 * `name`, `owner=helm`, `status`, `version`, `modifiedAt`; data key `release`. Pure.
 */
export function helmStorageObject(
  release: HelmReleaseJson,
  driver: HelmDriver,
  options: HelmStorageOptions = {},
): KubeObject {
  const modifiedAt =
    options.modifiedAt ?? Math.floor(Date.parse(release.info.last_deployed) / 1000);
  const object: KubeObject = {
    apiVersion: "v1",
    kind: driver === "secret" ? "Secret" : "ConfigMap",
    metadata: {
      name: helmObjectName(release.name, release.version),
      namespace: release.namespace,
      labels: {
        modifiedAt: String(Number.isFinite(modifiedAt) ? modifiedAt : 0),
        name: release.name,
        owner: "helm",
        status: options.status ?? release.info.status,
        version: String(release.version),
      },
    },
    data: { release: options.payload ?? encodeHelmPayload(release, driver) },
  };
  if (driver === "secret") object["type"] = "helm.sh/release.v1";
  return object;
}
