/**
 * The plain HTTP the Helm benchmark's reference implementations use: paged LISTs over one
 * keep-alive `node:http` agent (no KubeClient), and the payload decoding steps they share.
 */
import { Agent, request } from "node:http";
import { gunzipSync } from "node:zlib";
import { DEFAULT_MAX_OUTPUT_LENGTH, outputSizeHint } from "../../src/helm/decode/payload.ts";

/** One list item as the reference implementations read it. */
export interface HelmStorageItem {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The `data.release` value, or undefined. */
  readonly release: string | undefined;
}

/** A non-200 answer to a list request. */
export class HelmHttpError extends Error {
  override readonly name = "HelmHttpError";
  readonly code = "LOOKOUT_BENCH_HTTP";
  readonly status: number;

  constructor(url: string, status: number, body: string) {
    super(`GET ${url}: HTTP ${status}: ${body}`);
    this.status = status;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  return out;
}

/**
 * One GET. A keep-alive socket the server closed while idle (the baseline can spend seconds on
 * one page) fails with ECONNRESET on reuse: the GET is then retried once on a new socket, as
 * Node's documentation advises (`request.reusedSocket`).
 */
function get(agent: Agent, url: string, retried = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { accept: "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) {
          reject(new HelmHttpError(url, res.statusCode ?? 0, body.toString().slice(0, 300)));
        } else {
          resolve(body);
        }
      });
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (!retried && req.reusedSocket && error.code === "ECONNRESET") {
        resolve(get(agent, url, true));
      } else {
        reject(error);
      }
    });
    req.end();
  });
}

/**
 * Lists every object of `path` (`/api/v1/secrets`) matching `labelSelector`, 256 per page,
 * following `continue`, calling `onItem` for each. Rejects with {@link HelmHttpError} on any
 * non-200 answer.
 */
export async function listPaged(
  baseUrl: string,
  path: string,
  labelSelector: string,
  onItem: (item: HelmStorageItem) => void,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let token = "";
    do {
      const q = new URLSearchParams({ labelSelector, limit: "256" });
      if (token !== "") q.set("continue", token);
      // oxlint-disable-next-line eslint/no-await-in-loop -- each page needs the previous token
      const page = await get(agent, `${baseUrl}${path}?${q.toString()}`);
      const body: unknown = JSON.parse(page.toString());
      if (!isRecord(body) || !Array.isArray(body["items"]) || !isRecord(body["metadata"])) {
        throw new Error(`GET ${path}: not a list`);
      }
      for (const item of body["items"]) {
        if (!isRecord(item) || !isRecord(item["metadata"])) continue;
        const meta = item["metadata"];
        const data = stringRecord(item["data"]);
        onItem({
          namespace: typeof meta["namespace"] === "string" ? meta["namespace"] : "",
          labels: stringRecord(meta["labels"]),
          release: data["release"],
        });
      }
      const next = body["metadata"]["continue"];
      token = typeof next === "string" ? next : "";
    } while (token !== "");
  } finally {
    agent.destroy();
  }
}

/** base64 (twice for a Secret) then gunzip when gzipped: the release JSON bytes. */
export function inflatePayload(value: string, secret: boolean): Buffer {
  let bytes = Buffer.from(value, "base64");
  if (secret) bytes = Buffer.from(bytes.toString("latin1"), "base64");
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  // Sized from the gzip trailer, as ours does: one zlib step instead of 16 KiB ones.
  return gunzipSync(bytes, { chunkSize: outputSizeHint(bytes, DEFAULT_MAX_OUTPUT_LENGTH) });
}

/** The two Helm storage drivers' collections. */
export const HELM_COLLECTIONS = [
  { path: "/api/v1/secrets", secret: true },
  { path: "/api/v1/configmaps", secret: false },
] as const;
