/**
 * `KubeClient`: the {@link ListWatchClient} over HTTP(S), with a keep-alive agent it owns.
 * Lists are read with the targeted scanner (`list-body.ts`), watches with the line decoder
 * (`watch-lines.ts`, `watch-event.ts`), so no object is JSON.parsed on the way in.
 */
import type { IncomingMessage, RequestOptions } from "node:http";
import type { AgentOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { silentLogger, type Logger } from "../logging/index.ts";
import { KubeBadResponseError } from "./errors.ts";
import { UNREF_TIMERS, type HttpExchange, type Timers } from "./http-exchange.ts";
import { HttpRequester } from "./http-requester.ts";
import { kubeConfigAuthenticator, usableCluster } from "./kube-config-auth.ts";
import { objectOf } from "./object-response.ts";
import { apiErrorFromResponse, readBody } from "./http-body.ts";
import { parseListBody } from "./list-body.ts";
import { listQuery, watchQuery } from "./query.ts";
import { formatResourceId, requestTarget, resourcePath, type ResourceId } from "./resource.ts";
import { rawObjectFromJson } from "./raw-object.ts";
import type {
  KubeObject,
  ListOptions,
  ListPage,
  ListWatchClient,
  RawObject,
  WatchEvent,
  WatchOptions,
} from "./types.ts";
import { watchEvents } from "./watch-stream.ts";

/** Cheap, synchronous callbacks for metrics. A hook that throws is logged, never propagated. */
export interface KubeClientHooks {
  /** After each response's headers (watch) or whole body (list); `statusCode` 0 = no response. */
  onRequest?(info: {
    verb: RequestVerb;
    resource: ResourceId;
    statusCode: number;
    durationMs: number;
  }): void;
  /** A watch line that could not be decoded and was skipped; `sample` is its first 200 chars. */
  onMalformedLine?(error: Error, sample: string): void;
  /** A watch stream ended inside a line; the partial line (`bytes` long) was dropped. */
  onTruncatedLine?(bytes: number): void;
  /** Body bytes received (list and watch), as they arrive. */
  onBytes?(bytes: number): void;
}

/** Options of {@link KubeClient.get} and {@link KubeClient.getJson}. */
export interface GetOptions {
  /** Fail with `LOOKOUT_WATCH_STALLED` when no byte arrives for this long. */
  readonly stallTimeoutMs?: number;
  /** Remove `metadata.managedFields` (default true). */
  readonly stripManagedFields?: boolean;
}

/** The API verbs this client sends (all are HTTP GETs). */
export type RequestVerb = "get" | "list" | "watch" | "create" | "update";

/** Options of {@link KubeClient}. */
export interface KubeClientOptions {
  /** `http(s)://host:port[/prefix]` of the API server. */
  readonly server: string;
  /** Sent with every request (after `Accept`, before authentication headers). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Options of the keep-alive agent the client owns (TLS material, `maxSockets`, ...). */
  readonly agentOptions?: AgentOptions;
  readonly logger?: Logger;
  readonly hooks?: KubeClientHooks;
  /**
   * Ask for gzip on list responses (`Accept-Encoding: gzip`) and inflate them. Default false:
   * measured on loopback it costs more CPU than it saves (see test/kube/scan-speed.manual.ts).
   */
  readonly gzip?: boolean;
  /**
   * Applied to every request's options before it is sent, may be async (tokens refresh): sets
   * `headers` (e.g. Authorization), `auth`, and TLS fields `ca`, `cert`, `key`, `pfx`,
   * `passphrase`, `rejectUnauthorized`, `servername`. `fromKubeConfig` passes client-node's
   * `applyToHTTPSOptions`. A rejection fails the request with `LOOKOUT_KUBE_CONFIG`.
   */
  readonly authenticate?: (options: RequestOptions & AgentOptions) => Promise<void>;
  /**
   * The timers used for stall timeouts (`stallTimeoutMs` of lists and watches), a seam for
   * tests. Default: the global `setTimeout`/`clearTimeout`, unref'd. Handles from a custom
   * `setTimeout` must not be undefined and are not unref'd by the client. One timer is pending
   * per request at most, and every timer set is cleared or has fired once the request ends.
   */
  readonly timers?: KubeClientTimers;
}

/**
 * Timer functions for {@link KubeClientOptions.timers}: `setTimeout` calls `callback` once after
 * `ms` and returns a handle; `clearTimeout` cancels a pending one (a fired one is a no-op).
 */
export type KubeClientTimers = Timers;

const SAMPLE_CHARS = 200;

/** Accept headers of a whole-object client and of the metadata-only view. */
interface AcceptHeaders {
  readonly list: string;
  readonly watch: string;
}

const JSON_ACCEPT: AcceptHeaders = { list: "application/json", watch: "application/json" };

/**
 * Metadata only, falling back to whole objects where the server cannot transform (as client-go's
 * metadata client does). A server without the transformation answers plain JSON objects; the
 * client decodes either, so the caller gets RawObjects in both cases.
 */
const METADATA_ACCEPT: AcceptHeaders = {
  list: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
  watch: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
};

function checkStallTimeout(ms: number | undefined): number | undefined {
  if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) {
    throw new RangeError(`stallTimeoutMs must be a positive number, got ${String(ms)}`);
  }
  return ms;
}

/**
 * The HTTP list/watch client. The constructor validates and does no I/O. `close()` destroys the
 * agent and every socket (idempotent); later calls reject with `LOOKOUT_KUBE_CLOSED`.
 */
export class KubeClient implements ListWatchClient, Disposable, AsyncDisposable {
  readonly #requester: HttpRequester;
  readonly #logger: Logger;
  readonly #hooks: KubeClientHooks;
  readonly #gzip: boolean;
  #metadataOnly: ListWatchClient | undefined;

  /** Throws `KubeConfigError` (`LOOKOUT_KUBE_CONFIG`) for a server that is not an http(s) URL. */
  constructor(options: KubeClientOptions) {
    this.#requester = new HttpRequester({
      server: options.server,
      headers: { ...options.headers },
      agentOptions: options.agentOptions,
      authenticate: options.authenticate,
      timers: options.timers ?? UNREF_TIMERS,
    });
    this.#logger = options.logger ?? silentLogger;
    this.#hooks = options.hooks ?? {};
    this.#gzip = options.gzip ?? false;
  }

  /**
   * A client for the current cluster and user of `kc`: server URL from `getCurrentCluster()`,
   * and per request `kc.applyToHTTPSOptions` (bearer tokens, basic auth, client certificates,
   * CA, exec/OIDC auth providers with their refresh), plus the cluster's CA, skip-verify and
   * TLS server name when the context has no user. Throws `KubeConfigError` for a cluster with
   * `proxy-url` (not supported: this client connects directly). Throws `KubeConfigError` when there is no
   * current cluster, or for a plain `http:` server without `insecure-skip-tls-verify` (which
   * client-node itself refuses).
   */
  static fromKubeConfig(
    kc: KubeConfig,
    options: Omit<KubeClientOptions, "server" | "authenticate"> = {},
  ): KubeClient {
    const cluster = usableCluster(kc);
    return new KubeClient({
      ...options,
      server: cluster.server,
      authenticate: kubeConfigAuthenticator(kc),
    });
  }

  /**
   * See {@link ListWatchClient.list}. With `stallTimeoutMs`, rejects with `WatchStalledError`
   * (`LOOKOUT_WATCH_STALLED`) and destroys the socket when no byte arrives for that long, before
   * the headers or between body chunks. Rejects with a `RangeError` for a `stallTimeoutMs` that
   * is not a positive finite number.
   */
  list(resource: ResourceId, options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.#list(resource, options, signal, JSON_ACCEPT.list);
  }

  /**
   * Reads one object (`GET .../namespaces/{namespace}/{resource}/{name}`; `namespace` "" for a
   * cluster-scoped resource) as a RawObject (managedFields stripped unless
   * `stripManagedFields: false`). Rejects like {@link list}: `KubeApiError` with status 404 when
   * the object does not exist, 403 when forbidden.
   */
  async get<T extends KubeObject = KubeObject>(
    resource: ResourceId,
    namespace: string,
    name: string,
    options: GetOptions = {},
    signal?: AbortSignal,
  ): Promise<RawObject<T>> {
    if (name === "" || name.includes("/")) {
      throw new RangeError(
        `object name must be non-empty without "/", got ${JSON.stringify(name)}`,
      );
    }
    const path = `${resourcePath(resource, namespace === "" ? undefined : namespace)}/${encodeURIComponent(name)}`;
    const body = await this.#read("get", resource, path, options.stallTimeoutMs, signal);
    return objectOf<T>(body, options);
  }

  /**
   * Creates an object (`POST` to its collection; `namespace` "" for a cluster-scoped resource)
   * and resolves with what the server stored. Rejects with `KubeApiError` (409 AlreadyExists,
   * 403, 422, …) and otherwise like {@link get}.
   */
  create<T extends KubeObject = KubeObject>(
    resource: ResourceId,
    namespace: string,
    object: T,
    options: GetOptions = {},
    signal?: AbortSignal,
  ): Promise<RawObject<T>> {
    const path = resourcePath(resource, namespace === "" ? undefined : namespace);
    return this.#write<T>("create", "POST", resource, path, object, options, signal);
  }

  /**
   * Replaces an object (`PUT`). With `metadata.resourceVersion` set, the server applies it only
   * if the object is still at that version, else rejects with `KubeApiError` 409 Conflict: the
   * optimistic lock a leader election relies on. Otherwise like {@link create}.
   */
  update<T extends KubeObject = KubeObject>(
    resource: ResourceId,
    namespace: string,
    object: T,
    options: GetOptions = {},
    signal?: AbortSignal,
  ): Promise<RawObject<T>> {
    const name = object.metadata?.name ?? "";
    if (name === "" || name.includes("/")) {
      throw new RangeError(
        `object name must be non-empty without "/", got ${JSON.stringify(name)}`,
      );
    }
    const path = `${resourcePath(resource, namespace === "" ? undefined : namespace)}/${encodeURIComponent(name)}`;
    return this.#write<T>("update", "PUT", resource, path, object, options, signal);
  }

  async #write<T extends KubeObject>(
    verb: "create" | "update",
    method: "POST" | "PUT",
    resource: ResourceId,
    path: string,
    object: T,
    options: GetOptions,
    signal: AbortSignal | undefined,
  ): Promise<RawObject<T>> {
    const write = { method, body: Buffer.from(JSON.stringify(object), "utf8") };
    const body = await this.#read(
      verb,
      resource,
      path,
      options.stallTimeoutMs,
      signal,
      undefined,
      write,
    );
    try {
      return rawObjectFromJson<T>(body.toString("utf8"), {
        stripManagedFields: options.stripManagedFields ?? true,
      });
    } catch (err) {
      if (err instanceof KubeBadResponseError) throw err;
      throw new KubeBadResponseError("object body is not a JSON object", undefined, { cause: err });
    }
  }

  /**
   * GETs a non-resource path such as `/version` and resolves with its parsed JSON (validate it
   * before use). Rejects with `KubeApiError` for a non-2xx answer and `KubeBadResponseError`
   * (`LOOKOUT_KUBE_BAD_RESPONSE`) for a body that is not JSON.
   */
  async getJson(path: string, options: GetOptions = {}, signal?: AbortSignal): Promise<unknown> {
    if (!path.startsWith("/")) throw new RangeError(`path must start with "/", got ${path}`);
    const resource: ResourceId = { group: "", version: "", resource: path };
    const body = await this.#read("get", resource, path, options.stallTimeoutMs, signal);
    try {
      const value: unknown = JSON.parse(body.toString("utf8"));
      return value;
    } catch (err) {
      throw new KubeBadResponseError(`${path} answered a body that is not JSON`, undefined, {
        cause: err,
      });
    }
  }

  async #read(
    verb: RequestVerb,
    resource: ResourceId,
    path: string,
    stallTimeoutMs: number | undefined,
    signal: AbortSignal | undefined,
    accept: string = JSON_ACCEPT.list,
    write?: { readonly method: "POST" | "PUT"; readonly body: Buffer },
  ): Promise<Buffer> {
    const stall = checkStallTimeout(stallTimeoutMs);
    const started = performance.now();
    const { ex, res } = await this.#open(
      verb,
      resource,
      path,
      signal,
      this.#gzip,
      stall,
      started,
      accept,
      write,
    );
    try {
      return await readBody(ex, res, this.#countBytes, Infinity);
    } finally {
      ex.close();
      this.#onRequest(verb, resource, res.statusCode ?? 0, started);
    }
  }

  /**
   * A view of this client that asks for metadata only: lists send
   * `Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json`
   * and watches the same with `as=PartialObjectMetadata`, so the server answers
   * `PartialObjectMetadata` objects (kind, apiVersion `meta.k8s.io/v1`, full `metadata`, no
   * `spec`/`data`). Everything else is this client's: agent, authentication, headers, hooks,
   * timers, decoding (RawObjects built from the PartialObjectMetadata objects), errors, and
   * `close()` (the view has no lifecycle of its own; it fails with `LOOKOUT_KUBE_CLOSED` once
   * this client is closed). A server that does not support the transformation answers whole
   * objects (the `application/json` fallback), which the view returns unchanged; check
   * `kind` when that matters. An `Accept` in `KubeClientOptions.headers` replaces these
   * headers, as it replaces the client's own. Returns the same view on every call; no I/O.
   */
  withMetadataOnly(): ListWatchClient {
    this.#metadataOnly ??= {
      list: (resource, options, signal) =>
        this.#list(resource, options, signal, METADATA_ACCEPT.list),
      watch: (resource, options, signal) =>
        this.#watchWith(resource, options, signal, METADATA_ACCEPT.watch),
    };
    return this.#metadataOnly;
  }

  async #list(
    resource: ResourceId,
    options: ListOptions,
    signal: AbortSignal | undefined,
    accept: string,
  ): Promise<ListPage> {
    const path = resourcePath(resource, options.namespace) + listQuery(options);
    const body = await this.#read("list", resource, path, options.stallTimeoutMs, signal, accept);
    return parseListBody(body, options.stripManagedFields ?? true);
  }

  /**
   * See {@link ListWatchClient.watch}. The request starts on the first `next()`; the iterable is
   * one-shot (iterate it once). A connection lost mid-stream ends it like a server close does.
   * Throws a `RangeError` at once for bad numeric options.
   */
  watch(
    resource: ResourceId,
    options: WatchOptions,
    signal?: AbortSignal,
  ): AsyncIterable<WatchEvent> {
    return this.#watchWith(resource, options, signal, JSON_ACCEPT.watch);
  }

  #watchWith(
    resource: ResourceId,
    options: WatchOptions,
    signal: AbortSignal | undefined,
    accept: string,
  ): AsyncIterable<WatchEvent> {
    const path = resourcePath(resource, options.namespace) + watchQuery(options);
    const stall = checkStallTimeout(options.stallTimeoutMs);
    const strip = options.stripManagedFields ?? true;
    return this.#watch(resource, path, strip, stall, signal, accept);
  }

  async *#watch(
    resource: ResourceId,
    path: string,
    strip: boolean,
    stallTimeoutMs: number | undefined,
    signal: AbortSignal | undefined,
    accept: string,
  ): AsyncGenerator<WatchEvent, void, undefined> {
    const started = performance.now();
    const { ex, res } = await this.#open(
      "watch",
      resource,
      path,
      signal,
      false,
      stallTimeoutMs,
      started,
      accept,
    );
    this.#onRequest("watch", resource, res.statusCode ?? 0, started);
    yield* watchEvents(ex, res, strip, {
      onBytes: this.#hooks.onBytes === undefined ? undefined : this.#countBytes,
      malformed: (err, line) => this.#malformed(resource, err, line),
      connectionLost: (err) => {
        this.#logger.debug("watch stream ended by a connection error", { resource, err });
      },
      truncated: (bytes) => {
        this.#logger.debug("watch stream ended inside a line; dropped it", { resource, bytes });
        this.#hook("onTruncatedLine", () => this.#hooks.onTruncatedLine?.(bytes));
      },
    });
  }

  /**
   * Destroys the agent and its sockets. Requests in flight, open watches included, reject with
   * `LOOKOUT_KUBE_CLOSED`. Idempotent.
   */
  close(): void {
    this.#requester.close();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as {@link close}; resolves at once (closing is synchronous). */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  async #open(
    verb: RequestVerb,
    resource: ResourceId,
    path: string,
    signal: AbortSignal | undefined,
    gzip: boolean,
    stallTimeoutMs: number | undefined,
    started: number,
    accept: string,
    write?: { readonly method: "POST" | "PUT"; readonly body: Buffer },
  ): Promise<{ ex: HttpExchange; res: IncomingMessage }> {
    const ex = await this.#requester.send(path, accept, gzip, stallTimeoutMs, signal, write);
    let res: IncomingMessage;
    try {
      res = await ex.response;
    } catch (err) {
      ex.close();
      this.#onRequest(verb, resource, 0, started);
      throw err;
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return { ex, res };
    try {
      const body = await readBody(ex, res, this.#countBytes, 1 << 20);
      throw apiErrorFromResponse(verb, requestTarget(resource), res, body);
    } finally {
      ex.close();
      this.#onRequest(verb, resource, status, started);
    }
  }

  #onRequest(verb: RequestVerb, resource: ResourceId, statusCode: number, started: number) {
    const hooks = this.#hooks;
    if (hooks.onRequest === undefined) return;
    const durationMs = performance.now() - started;
    this.#hook("onRequest", () => hooks.onRequest?.({ verb, resource, statusCode, durationMs }));
  }

  #malformed(resource: ResourceId, err: unknown, line: Buffer): void {
    const sample = line.toString("utf8", 0, Math.min(line.length, SAMPLE_CHARS * 4));
    const short = sample.length > SAMPLE_CHARS ? sample.slice(0, SAMPLE_CHARS) : sample;
    const error =
      err instanceof Error ? err : new KubeBadResponseError("malformed watch line", undefined);
    this.#logger.warn("skipping malformed watch line", {
      resource: formatResourceId(resource),
      error,
      sample: short,
    });
    this.#hook("onMalformedLine", () => this.#hooks.onMalformedLine?.(error, short));
  }

  #countBytes = (n: number): void => {
    try {
      this.#hooks.onBytes?.(n);
    } catch (err) {
      this.#logger.error("KubeClient hook threw", { hook: "onBytes", error: err });
    }
  };

  #hook(name: string, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#logger.error("KubeClient hook threw", { hook: name, error: err });
    }
  }
}
