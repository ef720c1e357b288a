/**
 * `LookoutClient`: the typed client of the cache API (docs/api.md), over node:http with its
 * own keep-alive agent. Returns `@kubernetes/client-node` model types.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import type { HelmFinding, ReleaseState } from "../helm/index.ts";
import { isStatus, type Status } from "../kube/index.ts";
import {
  LookoutApiError,
  LookoutBadResponseError,
  LookoutClientInvalidOptionError,
  LookoutRequestError,
} from "./errors.ts";
import type { ResourceType } from "./known-resources.ts";

/** Options of {@link LookoutClient}. */
export interface LookoutClientOptions {
  /** The sidecar's URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`: visible ASCII, no spaces or control characters. */
  readonly token?: string;
  /** Per-request deadline in ms (headers and body). Default 30 000; 0 disables. */
  readonly timeoutMs?: number;
}

/** Options of {@link LookoutClient.list}. */
export interface ListOptions {
  /** One namespace; all namespaces when undefined or "". */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly signal?: AbortSignal;
}

/** What the response headers say about the cache that answered. */
export interface CacheInfo {
  /** The informer's resourceVersion (also the list's `metadata.resourceVersion`). */
  readonly resourceVersion: string;
  /** When the cache last synced, if the sidecar knows. */
  readonly syncedAt: Date | undefined;
  /** When the cache was last verified against the API server, if it was. */
  readonly verifiedAt: Date | undefined;
}

/** A list with the cache's headers. */
export interface ListResult<T extends KubernetesObject> {
  readonly list: KubernetesListObject<T>;
  readonly cache: CacheInfo;
}

/** What `/readyz` says. */
export interface ReadyState {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** `T` when given, else the model type of the route name `R` (`pods` → `V1Pod`). */
export type ItemType<T, R extends string> = [T] extends [never] ? ResourceType<R> : T;

interface Answer {
  readonly statusCode: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A bearer token: one non-empty run of visible ASCII (no space, tab, newline, control). */
const TOKEN = /^[\x21-\x7e]+$/;

/**
 * `value` URI-encoded as one path segment. Rejects (`LOOKOUT_CLIENT_INVALID_OPTION`, naming
 * `argument`) "", "." and ".." (the URL would resolve to another path: the List, or its parent)
 * and anything with "/", as client-go's `IsValidPathSegmentName` does ("%" is encoded).
 */
function segment(argument: string, value: string): string {
  if (typeof value !== "string" || value === "" || value === "." || value === "..") {
    throw new LookoutClientInvalidOptionError(argument, value, 'a non-empty name, not "." or ".."');
  }
  if (value.includes("/")) {
    throw new LookoutClientInvalidOptionError(argument, value, 'a name without "/"');
  }
  return encodeURIComponent(value);
}

/**
 * Makes `agent` keep no socket alive any more, and closes its idle sockets: the busy ones are
 * closed when their request ends (the agent asks `keepSocketAlive` before pooling a socket).
 */
function retire(agent: HttpAgent): void {
  agent.keepSocketAlive = () => false;
  // A copy: each destroyed socket is spliced out of the agent's arrays when it closes.
  const idle = Object.values(agent.freeSockets).flatMap((sockets) => sockets ?? []);
  for (const socket of idle) socket.destroy();
}

function header(headers: IncomingMessage["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function dateHeader(headers: IncomingMessage["headers"], name: string): Date | undefined {
  const v = header(headers, name);
  if (v === undefined) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * A client of one sidecar's cache API. Methods resolve with parsed JSON typed as the
 * client-node models (timestamps stay the strings of the wire format, as `JSON.parse` gives
 * them: the types claim `Date`). Non-2xx answers reject with {@link LookoutApiError}
 * (`LOOKOUT_CLIENT_API_ERROR`, carrying the Status), transport failures with
 * {@link LookoutRequestError}, unparsable bodies with {@link LookoutBadResponseError}.
 */
export class LookoutClient {
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #https: boolean;
  /** The keep-alive agent; made on the first request after construction or `close()`. */
  #agent: HttpAgent | undefined;
  readonly #request: typeof httpRequest;

  /** Validates options (`LOOKOUT_CLIENT_INVALID_OPTION`); no I/O. */
  constructor(options: LookoutClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new LookoutClientInvalidOptionError("baseUrl", options.baseUrl, "an http(s) URL");
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new LookoutClientInvalidOptionError("baseUrl", options.baseUrl, "an http(s) URL");
    }
    if (
      options.token !== undefined &&
      (typeof options.token !== "string" || !TOKEN.test(options.token))
    ) {
      throw new LookoutClientInvalidOptionError(
        "token",
        options.token,
        "a non-empty string of visible ASCII (no spaces or control characters)",
      );
    }
    const timeout = options.timeoutMs ?? 30_000;
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0) {
      throw new LookoutClientInvalidOptionError("timeoutMs", timeout, "a number ≥ 0");
    }
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.#base = base;
    this.#token = options.token;
    this.#timeoutMs = timeout;
    this.#https = base.protocol === "https:";
    this.#request = this.#https ? httpsRequest : httpRequest;
  }

  /**
   * The objects of `resource` (route name: `pods`, `deployments.apps`), in one namespace or
   * all, filtered by the selectors, sorted by namespace and name. Rejects with
   * `LookoutClientInvalidOptionError` before any request when `resource` or a non-empty
   * `namespace` is not one path segment ("", ".", ".." or with "/").
   */
  async list<T extends KubernetesObject = never, R extends string = string>(
    resource: R,
    options: ListOptions = {},
  ): Promise<ItemType<T, R>[]> {
    const { list } = await this.listWithCache<T, R>(resource, options);
    return list.items;
  }

  /** Like {@link list}, with the whole List (its resourceVersion) and the cache headers. */
  async listWithCache<T extends KubernetesObject = never, R extends string = string>(
    resource: R,
    options: ListOptions = {},
  ): Promise<ListResult<ItemType<T, R> & KubernetesObject>> {
    const query = new URLSearchParams();
    if (options.labelSelector !== undefined) query.set("labelSelector", options.labelSelector);
    if (options.fieldSelector !== undefined) query.set("fieldSelector", options.fieldSelector);
    const r = segment("resource", resource);
    const ns = options.namespace;
    const path =
      ns === undefined || ns === ""
        ? `api/v1/resources/${r}`
        : `api/v1/namespaces/${segment("namespace", ns)}/${r}`;
    const qs = query.toString();
    const answer = await this.#get(qs === "" ? path : `${path}?${qs}`, options.signal);
    const body = answer.body;
    if (!isRecord(body) || !Array.isArray(body["items"])) {
      throw new LookoutBadResponseError(path, "not a List (no items array)");
    }
    return {
      // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- the server's List of T; the type is the caller's claim
      list: body as unknown as KubernetesListObject<ItemType<T, R> & KubernetesObject>,
      cache: this.#cacheInfo(answer),
    };
  }

  /**
   * One object; `namespace` "" for a cluster-scoped resource. Rejects with a
   * `LookoutApiError` whose `statusCode` is 404 when it is not in the cache; with
   * `LookoutClientInvalidOptionError`, before any request, when `resource`, `name` or a
   * non-empty `namespace` is not one path segment ("", ".", ".." or with "/"); with
   * `LookoutBadResponseError` when the answer is not one object (e.g. a List).
   */
  async get<T extends KubernetesObject = never, R extends string = string>(
    resource: R,
    namespace: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<ItemType<T, R>> {
    const r = segment("resource", resource);
    const n = segment("name", name);
    const path =
      namespace === ""
        ? `api/v1/resources/${r}/${n}`
        : `api/v1/namespaces/${segment("namespace", namespace)}/${r}/${n}`;
    const { body } = await this.#get(path, signal);
    if (!isRecord(body)) throw new LookoutBadResponseError(path, "not an object");
    const kind = body["kind"];
    if (typeof kind === "string" && kind.endsWith("List")) {
      throw new LookoutBadResponseError(path, `a ${kind}, not one object`);
    }
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- the server's object; the type is the caller's claim
    return body as unknown as ItemType<T, R>;
  }

  /** The Helm findings. Rejects with a 404 `LookoutApiError` when the sidecar runs no checker. */
  async helmFindings(signal?: AbortSignal): Promise<HelmFinding[]> {
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- the server's findings
    return (await this.#items("api/v1/helm/findings", signal)) as HelmFinding[];
  }

  /** The Helm releases with their findings. 404 `LookoutApiError` without a checker. */
  async helmReleases(signal?: AbortSignal): Promise<ReleaseState[]> {
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- the server's releases
    return (await this.#items("api/v1/helm/releases", signal)) as ReleaseState[];
  }

  /** `/readyz`: resolves (does not reject) for both 200 and 503 answers. */
  async ready(signal?: AbortSignal): Promise<ReadyState> {
    const answer = await this.#send("readyz", signal);
    const body = answer.body;
    if (
      (answer.statusCode === 200 || answer.statusCode === 503) &&
      isRecord(body) &&
      typeof body["ready"] === "boolean" &&
      Array.isArray(body["reasons"])
    ) {
      return { ready: body["ready"], reasons: body["reasons"].map(String) };
    }
    throw this.#failure("readyz", answer);
  }

  /**
   * Closes the idle keep-alive connections now; requests in flight finish, and their
   * connections are closed when they end instead of being kept alive. The client stays
   * usable: a later request opens a new connection. Idempotent; never throws.
   */
  close(): void {
    const agent = this.#agent;
    this.#agent = undefined;
    if (agent !== undefined) retire(agent);
  }

  async #items(path: string, signal: AbortSignal | undefined): Promise<unknown[]> {
    const { body } = await this.#get(path, signal);
    if (!isRecord(body) || !Array.isArray(body["items"])) {
      throw new LookoutBadResponseError(path, "no items array");
    }
    return body["items"];
  }

  #cacheInfo(answer: Answer): CacheInfo {
    return {
      resourceVersion: header(answer.headers, "x-kube-lookout-resource-version") ?? "",
      syncedAt: dateHeader(answer.headers, "x-kube-lookout-synced-at"),
      verifiedAt: dateHeader(answer.headers, "x-kube-lookout-verified-at"),
    };
  }

  async #get(path: string, signal: AbortSignal | undefined): Promise<Answer> {
    const answer = await this.#send(path, signal);
    if (answer.statusCode < 200 || answer.statusCode > 299) throw this.#failure(path, answer);
    return answer;
  }

  #failure(path: string, answer: Answer): Error {
    if (isStatus(answer.body)) return new LookoutApiError(answer.statusCode, answer.body);
    const status: Status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `unexpected answer to ${path}`,
      reason: "Unknown",
      code: answer.statusCode,
    };
    return new LookoutApiError(answer.statusCode, status);
  }

  #send(path: string, signal: AbortSignal | undefined): Promise<Answer> {
    const url = new URL(path, this.#base);
    const ms = this.#timeoutMs;
    const timeout = ms > 0 ? AbortSignal.timeout(ms) : undefined;
    const signals = [signal, timeout].filter((s) => s !== undefined);
    const combined = signals.length === 0 ? undefined : AbortSignal.any(signals);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.#token !== undefined) headers["Authorization"] = `Bearer ${this.#token}`;
    this.#agent ??= this.#https
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    const agent = this.#agent;
    /** The request failed: because of our deadline, the caller's abort, or the transport. */
    const failure = (err: unknown): LookoutRequestError => {
      if (combined?.aborted !== true) return new LookoutRequestError(path, { cause: err });
      // `combined.reason` is the reason of whichever signal aborted first.
      const reason: unknown = combined.reason;
      if (timeout !== undefined && reason === timeout.reason) {
        return new LookoutRequestError(path, { cause: reason }, `timed out after ${ms} ms`);
      }
      return new LookoutRequestError(path, { cause: reason });
    };
    return new Promise<Answer>((resolve, reject) => {
      const req = this.#request(url, {
        method: "GET",
        headers,
        agent,
        ...(combined === undefined ? {} : { signal: combined }),
      });
      req.on("error", (err) => reject(failure(err)));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(failure(err)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = text === "" ? undefined : JSON.parse(text);
          } catch (err) {
            const ok = res.statusCode !== undefined && res.statusCode < 300;
            if (ok) {
              reject(new LookoutBadResponseError(path, "the body is not JSON", { cause: err }));
              return;
            }
            body = undefined;
          }
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body });
        });
      });
      req.end();
    });
  }
}
