/**
 * `KubeClient`: the {@link ListWatchClient} over HTTP(S), with a keep-alive agent it owns.
 * Lists are read with the targeted scanner (`list-body.ts`), watches with the line decoder
 * (`watch-lines.ts`, `watch-event.ts`), so no object is JSON.parsed on the way in.
 */
import { Agent as HttpAgent, type IncomingMessage, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, type AgentOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { silentLogger, type Logger } from "../logging/index.ts";
import { KubeBadResponseError, KubeClientClosedError, KubeConfigError } from "./errors.ts";
import { HttpExchange, UNREF_TIMERS, type Timers } from "./http-exchange.ts";
import { kubeConfigAuthenticator } from "./kube-config-auth.ts";
import { apiErrorFromResponse, readBody } from "./http-body.ts";
import { parseListBody } from "./list-body.ts";
import { listQuery, watchQuery } from "./query.ts";
import { formatResourceId, resourcePath, type ResourceId } from "./resource.ts";
import type { ListOptions, ListPage, ListWatchClient, WatchEvent, WatchOptions } from "./types.ts";
import { decodeWatchLine } from "./watch-event.ts";
import { WatchLineSplitter } from "./watch-lines.ts";

/** Cheap, synchronous callbacks for metrics. A hook that throws is logged, never propagated. */
export interface KubeClientHooks {
  /** After each response's headers (watch) or whole body (list); `statusCode` 0 = no response. */
  onRequest?(info: {
    verb: "list" | "watch";
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
  readonly #url: URL;
  readonly #basePath: string;
  readonly #secure: boolean;
  readonly #agent: HttpAgent;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #logger: Logger;
  readonly #hooks: KubeClientHooks;
  readonly #gzip: boolean;
  readonly #authenticate: KubeClientOptions["authenticate"];
  readonly #timers: Timers;
  #closed = false;
  readonly #inFlight = new Set<HttpExchange>();
  #metadataOnly: ListWatchClient | undefined;

  /** Throws `KubeConfigError` (`LOOKOUT_KUBE_CONFIG`) for a server that is not an http(s) URL. */
  constructor(options: KubeClientOptions) {
    let url: URL;
    try {
      url = new URL(options.server);
    } catch (err) {
      throw new KubeConfigError(`invalid server URL ${JSON.stringify(options.server)}`, {
        cause: err,
      });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new KubeConfigError(`server URL ${JSON.stringify(options.server)} is not http(s)`);
    }
    this.#url = url;
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.#secure = url.protocol === "https:";
    const agentOptions = { keepAlive: true, ...options.agentOptions };
    this.#agent = this.#secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.#headers = { ...options.headers };
    this.#logger = options.logger ?? silentLogger;
    this.#hooks = options.hooks ?? {};
    this.#gzip = options.gzip ?? false;
    this.#authenticate = options.authenticate;
    this.#timers = options.timers ?? UNREF_TIMERS;
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
    const cluster = kc.getCurrentCluster();
    if (cluster === null) {
      throw new KubeConfigError(
        `kubeconfig has no current cluster (current context ${JSON.stringify(kc.getCurrentContext())})`,
      );
    }
    if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== "") {
      throw new KubeConfigError(
        `cluster ${JSON.stringify(cluster.name)} uses proxy-url, which KubeClient does not support`,
      );
    }
    if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify) {
      throw new KubeConfigError(
        `cluster ${JSON.stringify(cluster.name)} uses plain http without insecure-skip-tls-verify`,
      );
    }
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
    const stall = checkStallTimeout(options.stallTimeoutMs);
    const started = performance.now();
    const { ex, res } = await this.#open(
      "list",
      resource,
      path,
      signal,
      this.#gzip,
      stall,
      started,
      accept,
    );
    let body: Buffer;
    try {
      body = await readBody(ex, res, this.#countBytes, Infinity);
    } finally {
      ex.close();
      this.#onRequest("list", resource, res.statusCode ?? 0, started);
    }
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
    const chunks: AsyncIterator<Buffer> = res[Symbol.asyncIterator]();
    const splitter = new WatchLineSplitter();
    const lines: Buffer[] = [];
    try {
      for (;;) {
        let next: IteratorResult<Buffer>;
        ex.arm();
        try {
          // oxlint-disable-next-line eslint/no-await-in-loop -- one chunk at a time: backpressure
          next = await chunks.next();
        } catch (err) {
          if (ex.failed) throw ex.reason;
          // A connection lost mid-stream ends the watch like EOF does (client-go StreamWatcher).
          this.#logger.debug("watch stream ended by a connection error", { resource, err });
          break;
        } finally {
          ex.disarm();
        }
        if (next.done === true) break;
        const chunk = next.value;
        if (this.#hooks.onBytes !== undefined) this.#countBytes(chunk.length);
        splitter.push(chunk, lines);
        for (let k = 0; k < lines.length; k++) {
          const line = lines[k]!;
          let event: WatchEvent;
          try {
            event = decodeWatchLine(line, strip);
          } catch (err) {
            this.#malformed(resource, err, line);
            continue;
          }
          yield event;
        }
        lines.length = 0;
      }
      if (ex.failed) throw ex.reason;
      const tail = splitter.end();
      if (tail !== undefined) {
        this.#logger.debug("watch stream ended inside a line; dropped it", {
          resource,
          bytes: tail.length,
        });
        this.#hook("onTruncatedLine", () => this.#hooks.onTruncatedLine?.(tail.length));
      }
    } finally {
      ex.close();
    }
  }

  /**
   * Destroys the agent and its sockets. Requests in flight, open watches included, reject with
   * `LOOKOUT_KUBE_CLOSED`. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ex of this.#inFlight) ex.fail(new KubeClientClosedError());
    this.#inFlight.clear();
    this.#agent.destroy();
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
    verb: "list" | "watch",
    resource: ResourceId,
    path: string,
    signal: AbortSignal | undefined,
    gzip: boolean,
    stallTimeoutMs: number | undefined,
    started: number,
    accept: string,
  ): Promise<{ ex: HttpExchange; res: IncomingMessage }> {
    signal?.throwIfAborted();
    if (this.#closed) throw new KubeClientClosedError();
    const headers: Record<string, string> = {
      Accept: accept,
      "User-Agent": "kube-lookout",
      ...this.#headers,
    };
    if (gzip) headers["Accept-Encoding"] = "gzip";
    const options: RequestOptions & AgentOptions = {
      method: "GET",
      protocol: this.#url.protocol,
      hostname: this.#url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: this.#url.port === "" ? (this.#secure ? 443 : 80) : Number(this.#url.port),
      path: this.#basePath + path,
      headers,
      agent: this.#agent,
    };
    if (this.#authenticate !== undefined) await this.#applyAuth(options, headers);
    signal?.throwIfAborted();
    if (this.#closed) throw new KubeClientClosedError();
    const ex = new HttpExchange(
      options,
      this.#secure,
      signal,
      stallTimeoutMs,
      this.#inFlight,
      this.#timers,
    );
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
      throw apiErrorFromResponse(verb, formatResourceId(resource), res, body);
    } finally {
      ex.close();
      this.#onRequest(verb, resource, status, started);
    }
  }

  async #applyAuth(options: RequestOptions & AgentOptions, headers: Record<string, string>) {
    const scratch: RequestOptions & AgentOptions = { headers: {} };
    try {
      await this.#authenticate!(scratch);
    } catch (err) {
      throw new KubeConfigError("authentication setup failed", { cause: err });
    }
    const extra = scratch.headers;
    if (extra !== undefined && !Array.isArray(extra)) {
      for (const [k, v] of Object.entries(extra)) if (v !== undefined) headers[k] = String(v);
    }
    if (scratch.auth !== undefined && scratch.auth !== null) options.auth = scratch.auth;
    if (scratch.ca !== undefined) options.ca = scratch.ca;
    if (scratch.cert !== undefined) options.cert = scratch.cert;
    if (scratch.key !== undefined) options.key = scratch.key;
    if (scratch.pfx !== undefined) options.pfx = scratch.pfx;
    if (scratch.passphrase !== undefined) options.passphrase = scratch.passphrase;
    if (scratch.rejectUnauthorized !== undefined) {
      options.rejectUnauthorized = scratch.rejectUnauthorized;
    }
    if (scratch.servername !== undefined) options.servername = scratch.servername;
  }

  #onRequest(verb: "list" | "watch", resource: ResourceId, statusCode: number, started: number) {
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
