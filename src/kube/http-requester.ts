/**
 * Opening one HTTP(S) request to the API server: URL and base path, the keep-alive agent,
 * default headers, per-request authentication, and the set of exchanges in flight (so that
 * `close()` can fail them all). Status handling and body decoding are the caller's.
 */
import { Agent as HttpAgent, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, type AgentOptions } from "node:https";
import { KubeClientClosedError, KubeConfigError } from "./errors.ts";
import { HttpExchange, type Timers } from "./http-exchange.ts";

/** What {@link HttpRequester} needs: the client's options that concern the connection. */
export interface RequesterOptions {
  readonly server: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly agentOptions: AgentOptions | undefined;
  readonly authenticate: ((options: RequestOptions & AgentOptions) => Promise<void>) | undefined;
  readonly timers: Timers;
}

/**
 * Opens GET requests. The constructor validates the server URL (throws `KubeConfigError`,
 * `LOOKOUT_KUBE_CONFIG`) and does no I/O; `close()` is idempotent.
 */
export class HttpRequester {
  readonly #url: URL;
  readonly #basePath: string;
  readonly #secure: boolean;
  readonly #agent: HttpAgent;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #authenticate: RequesterOptions["authenticate"];
  readonly #timers: Timers;
  readonly #inFlight = new Set<HttpExchange>();
  #closed = false;

  constructor(options: RequesterOptions) {
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
    this.#headers = options.headers;
    this.#authenticate = options.authenticate;
    this.#timers = options.timers;
  }

  /**
   * Sends `GET path` (or `write.method` with a JSON body) and resolves with the exchange once the request is sent; its `response`
   * resolves with the headers whatever the status, or rejects with the abort reason,
   * `LOOKOUT_KUBE_CLOSED`, `LOOKOUT_WATCH_STALLED` (no headers within `stallTimeoutMs`) or the
   * socket's error. Rejects before sending with the abort reason, `LOOKOUT_KUBE_CLOSED` after
   * `close()`, or `LOOKOUT_KUBE_CONFIG` when authentication fails. The caller must close the
   * exchange.
   */
  async send(
    path: string,
    accept: string,
    gzip: boolean,
    stallTimeoutMs: number | undefined,
    signal: AbortSignal | undefined,
    write?: { readonly method: "POST" | "PUT"; readonly body: Buffer },
  ): Promise<HttpExchange> {
    signal?.throwIfAborted();
    if (this.#closed) throw new KubeClientClosedError();
    const headers: Record<string, string> = {
      Accept: accept,
      "User-Agent": "kube-lookout",
      ...this.#headers,
    };
    if (gzip) headers["Accept-Encoding"] = "gzip";
    if (write !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(write.body.length);
    }
    const options: RequestOptions & AgentOptions = {
      method: write?.method ?? "GET",
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
    return new HttpExchange(
      options,
      this.#secure,
      signal,
      stallTimeoutMs,
      this.#inFlight,
      this.#timers,
      write?.body,
    );
  }

  /** Fails every exchange in flight with `LOOKOUT_KUBE_CLOSED` and destroys the agent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ex of this.#inFlight) ex.fail(new KubeClientClosedError());
    this.#inFlight.clear();
    this.#agent.destroy();
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
}
