/**
 * The Helm benchmark's limit: the least work that yields the decoded newest payloads. Paged
 * LISTs (256 per page) of Secrets and ConfigMaps selected by `owner=helm,status=deployed`,
 * base64 (twice for Secrets) and gunzip of each payload, no JSON or YAML parsing, one thread.
 */
import { HELM_COLLECTIONS, inflatePayload, listPaged } from "./helm-http.ts";

/** What the limit did: payloads decoded and bytes inflated. */
export interface HelmLimitResult {
  releases: number;
  bytes: number;
}

/** Runs the limit against the API server at `url`; rejects on any HTTP or gzip error. */
export async function helmLimit(options: { url: string }): Promise<HelmLimitResult> {
  let releases = 0;
  let bytes = 0;
  for (const { path, secret } of HELM_COLLECTIONS) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one thread, one list at a time
    await listPaged(options.url, path, "owner=helm,status=deployed", (item) => {
      if (item.release === undefined) return;
      bytes += inflatePayload(item.release, secret).length;
      releases++;
    });
  }
  return { releases, bytes };
}
