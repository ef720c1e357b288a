/**
 * Building Helm release payloads the way Helm writes them (JSON → gzip → base64, and once more
 * base64 for a Secret as it appears in the API JSON), for tests and the benchmark.
 */
import { encodeHelmPayload } from "../../../src/sim/index.ts";

/** A Helm release JSON object (the fields the checker reads plus a few Helm always writes). */
export interface ReleaseJson {
  name: string;
  namespace: string;
  version: number;
  info: { status: string; [key: string]: unknown };
  chart: {
    metadata: { name: string; version: string; appVersion?: string };
    [key: string]: unknown;
  };
  manifest?: string;
  hooks?: { name?: string; path?: string; kind?: string; manifest?: string; events?: string[] }[];
  [key: string]: unknown;
}

/** A release JSON with a manifest and hooks. */
export function releaseJson(
  name: string,
  manifest: string,
  hooks: { name: string; path: string; manifest: string }[] = [],
  revision = 1,
): ReleaseJson {
  return {
    name,
    namespace: "apps",
    version: revision,
    info: {
      status: "deployed",
      first_deployed: "2026-01-01T00:00:00Z",
      description: "Install complete",
    },
    chart: {
      metadata: { name: `${name}-chart`, version: "1.2.3", appVersion: "4.5.6" },
      values: { replicaCount: 1 },
      templates: [],
    },
    config: {},
    manifest,
    hooks: hooks.map((h) => ({ ...h, kind: "Job", events: ["pre-install"] })),
  };
}

/**
 * The `release` value as the API returns it for `driver`: the simulator's `encodeHelmPayload`
 * (at zlib's default level, so payload hashes stay as before).
 */
export function encodePayload(
  release: unknown,
  driver: "secret" | "configmap",
  options: { gzip?: boolean } = {},
): string {
  const json = typeof release === "string" ? release : JSON.stringify(release);
  return encodeHelmPayload(json, driver, { level: 6, ...options });
}
