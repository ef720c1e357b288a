/**
 * The sidecar's one NATS connection. `start()` connects in the background and keeps trying
 * while NATS is unreachable (an unreachable NATS at start is logged once and never thrown);
 * once connected, the client reconnects by itself forever and the link follows its status.
 *
 * nats.js's `connect()` takes no AbortSignal and hands out no socket before it resolves, and an
 * attempt that times out after the TCP connect (a listener that never sends INFO, a TLS
 * handshake never answered) leaves its socket open (nats.js 3.4: the transport's close ignores
 * a socket that never connected). So the link watches the sockets its attempt opens (Node's
 * `net.client.socket` diagnostics channel, scoped to the attempt by an AsyncLocalStorage):
 * `close()` destroys them, which ends the attempt at once, and a failed attempt's are destroyed
 * when it fails.
 */
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { maskUrlCredentials, silentLogger, type Logger } from "../logging/index.ts";
import { NatsLinkClosedError, NatsOptionError } from "./nats-errors.ts";

/** Where the link is: no connection yet, up, lost and being re-established, or closed. */
export type NatsLinkState = "connecting" | "connected" | "reconnecting" | "closed";

/** Options of {@link NatsLink}. */
export interface NatsLinkOptions {
  /** `nats://host:port` (or `tls://`) URLs, at least one. */
  readonly servers: readonly string[];
  /** The client name shown by the server (default `kube-lookout`). */
  readonly name?: string;
  readonly token?: string;
  readonly user?: string;
  readonly pass?: string;
  /** PEM files, read at each connection attempt; setting `tls` requires TLS. */
  readonly tls?: {
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
  };
  readonly logger?: Logger;
  /** Time allowed for one connection attempt (default 5000). */
  readonly connectTimeoutMs?: number;
  /** First retry delay while NATS is unreachable (default 500; doubles up to `retryMaxMs`). */
  readonly retryInitialMs?: number;
  /** Longest retry delay (default 30000). */
  readonly retryMaxMs?: number;
  /** Randomness seam for the retry jitter (default `Math.random`). */
  readonly random?: () => number;
}

type Waiter = { resolve(nc: NatsConnection): void; reject(err: unknown): void };

/** Where Node publishes `{ socket }` for each socket `net.connect` creates. */
const CLIENT_SOCKET_CHANNEL = "net.client.socket";

/** Owns one NATS connection; see the module comment. */
export class NatsLink {
  readonly #options: NatsLinkOptions;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  readonly #listeners = new Set<(state: NatsLinkState) => void>();
  readonly #waiters = new Set<Waiter>();
  /** The sockets of the connection attempt in flight, in the order they were opened. */
  readonly #attempt = new AsyncLocalStorage<Set<Socket>>();
  #state: NatsLinkState = "connecting";
  #nc: NatsConnection | undefined;
  #running: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** Validates the options (throws `LOOKOUT_EVENTS_NATS_INVALID_OPTION`); no I/O. */
  constructor(options: NatsLinkOptions) {
    validate(options);
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The current state; `connecting` before `start()`. */
  get state(): NatsLinkState {
    return this.#state;
  }

  /**
   * Starts connecting in the background; memoized, never throws for an unreachable NATS (it is
   * logged once and retried with backoff). A no-op after `close()`.
   */
  start(): void {
    if (this.#running !== undefined || this.#closing !== undefined) return;
    this.#running = this.#run();
  }

  /** The connection once established (also while it reconnects), else undefined. */
  connection(): NatsConnection | undefined {
    return this.#state === "closed" ? undefined : this.#nc;
  }

  /**
   * Resolves with the connection once established (at once if it is). Rejects with
   * `signal.reason` when aborted and with `LOOKOUT_EVENTS_NATS_CLOSED` when the link closes.
   */
  waitForConnection(signal: AbortSignal): Promise<NatsConnection> {
    if (this.#state === "closed") return Promise.reject(new NatsLinkClosedError());
    if (this.#nc !== undefined) return Promise.resolve(this.#nc);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<NatsConnection>((resolve, reject) => {
      const onAbort = (): void => settle.reject(signal.reason);
      const settle: Waiter = {
        resolve: (nc) => {
          cleanup();
          resolve(nc);
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
      };
      const cleanup = (): void => {
        this.#waiters.delete(settle);
        signal.removeEventListener("abort", onAbort);
      };
      this.#waiters.add(settle);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Calls `listener` with each new state; returns the function that removes it. */
  onStateChange(listener: (state: NatsLinkState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stops retrying, drains the connection if it is up (else closes it) and rejects waiters. A
   * connection attempt in flight is cut at once (its sockets destroyed), not waited for.
   * Idempotent: every caller awaits the same completion; leaves no timer or socket behind.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Calls {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) {
      try {
        if (this.#state === "connected") await nc.drain();
        else await nc.close();
      } catch (err) {
        this.#logger.warn("NATS connection did not close cleanly", { error: err });
        await nc.close().catch(() => undefined);
      }
    }
    this.#setState("closed");
    for (const waiter of this.#waiters) waiter.reject(new NatsLinkClosedError());
  }

  async #run(): Promise<void> {
    const retryMax = this.#options.retryMaxMs ?? 30_000;
    let delay = this.#options.retryInitialMs ?? 500;
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one attempt at a time, with backoff
        const nc = await this.#connect();
        if (this.#stop.signal.aborted) {
          // oxlint-disable-next-line eslint/no-await-in-loop -- closed while connecting
          await nc.close();
          return;
        }
        this.#adopt(nc);
        return;
      } catch (err) {
        if (this.#stop.signal.aborted) return; // cut by close(): nothing to report
        failures++;
        const fields = {
          servers: this.#options.servers.map(maskUrlCredentials),
          attempt: failures,
          retryInMs: delay,
          error: err,
        };
        if (failures === 1)
          this.#logger.error("NATS unreachable; retrying in the background", fields);
        else this.#logger.debug("NATS still unreachable", fields);
      }
      const random = this.#options.random ?? Math.random;
      // oxlint-disable-next-line eslint/no-await-in-loop -- backoff between attempts
      await sleep(delay * (0.8 + 0.4 * random()), this.#stop.signal);
      delay = Math.min(delay * 2, retryMax);
    }
  }

  /**
   * One `connect()`, whose sockets are destroyed when `close()` comes (the attempt then fails at
   * once) and when it fails; on success, those of the servers tried before the one that
   * answered (nats.js dials one at a time: the last socket is the connection's).
   */
  async #connect(): Promise<NatsConnection> {
    const sockets = new Set<Socket>();
    const stop = this.#stop.signal;
    const onSocket = (message: unknown): void => {
      if (this.#attempt.getStore() !== sockets) return; // another attempt's, or not ours
      const socket: unknown = Reflect.get(Object(message), "socket");
      if (!isSocket(socket)) return;
      sockets.add(socket);
      // The next server of an attempt close() cut. Node publishes the socket before it calls
      // connect(), which would bring a socket destroyed now back to life, with nats.js's error
      // listener already gone: it is destroyed once connect() has been called, and its errors
      // are swallowed.
      if (stop.aborted) queueMicrotask(() => destroy(socket));
    };
    const destroyAll = (): void => {
      for (const socket of sockets) destroy(socket);
    };
    subscribe(CLIENT_SOCKET_CHANNEL, onSocket);
    stop.addEventListener("abort", destroyAll, { once: true });
    try {
      const nc = await this.#attempt.run(sockets, () => connect(this.#connectOptions()));
      const open = [...sockets];
      for (const socket of open.slice(0, -1)) destroy(socket);
      return nc;
    } catch (err) {
      destroyAll();
      throw err;
    } finally {
      unsubscribe(CLIENT_SOCKET_CHANNEL, onSocket);
      stop.removeEventListener("abort", destroyAll);
      sockets.clear();
    }
  }

  #adopt(nc: NatsConnection): void {
    this.#nc = nc;
    this.#logger.info("connected to NATS", { server: nc.getServer() });
    this.#setState("connected");
    for (const waiter of this.#waiters) waiter.resolve(nc);
    void this.#follow(nc);
  }

  async #follow(nc: NatsConnection): Promise<void> {
    try {
      for await (const status of nc.status()) {
        if (this.#stop.signal.aborted) break;
        if (status.type === "disconnect" || status.type === "reconnecting") {
          if (this.#state === "connected") {
            this.#logger.warn("NATS connection lost; reconnecting", { server: nc.getServer() });
          }
          this.#setState("reconnecting");
        } else if (status.type === "reconnect") {
          this.#logger.info("reconnected to NATS", { server: status.server });
          this.#setState("connected");
        }
      }
    } catch (err) {
      this.#logger.warn("NATS status stream ended with an error", { error: err });
    }
    const err = await nc.closed();
    if (this.#stop.signal.aborted || this.#nc !== nc) return;
    // Closed by the server or the client (e.g. auth revoked), not by us: connect from scratch.
    this.#logger.error("NATS connection closed unexpectedly; connecting again", { error: err });
    this.#nc = undefined;
    this.#setState("connecting");
    this.#running = this.#run();
  }

  #setState(state: NatsLinkState): void {
    if (this.#state === state || this.#state === "closed") return;
    this.#state = state;
    for (const listener of this.#listeners) {
      try {
        listener(state);
      } catch (err) {
        this.#logger.error("NATS state listener threw", { error: err, state });
      }
    }
  }

  #connectOptions(): NodeConnectionOptions {
    const o = this.#options;
    const options: NodeConnectionOptions = {
      servers: [...o.servers],
      name: o.name ?? "kube-lookout",
      timeout: o.connectTimeoutMs ?? 5000,
      reconnect: true,
      maxReconnectAttempts: -1,
      // nats.js otherwise builds an Error (stack trace) for every request up front: a third of
      // the CPU of a JetStream publish at thousands per second.
      noAsyncTraces: true,
      reconnectTimeWait: 1000,
    };
    if (o.token !== undefined) options.token = o.token;
    if (o.user !== undefined) options.user = o.user;
    if (o.pass !== undefined) options.pass = o.pass;
    if (o.tls !== undefined) {
      // The transport reads the files at each connection attempt.
      const tls: NonNullable<NodeConnectionOptions["tls"]> = {};
      if (o.tls.caFile !== undefined) tls.caFile = o.tls.caFile;
      if (o.tls.certFile !== undefined) tls.certFile = o.tls.certFile;
      if (o.tls.keyFile !== undefined) tls.keyFile = o.tls.keyFile;
      options.tls = tls;
    }
    return options;
  }
}

function validate(o: NatsLinkOptions): void {
  if (!Array.isArray(o.servers) || o.servers.length === 0) {
    throw new NatsOptionError("servers", o.servers, "a non-empty list of nats:// URLs");
  }
  o.servers.forEach((server, i) => {
    if (
      typeof server !== "string" ||
      !/^(nats|tls|ws|wss):\/\/[^\s/]+$|^[^\s/:]+(:\d+)?$/.test(server)
    ) {
      throw new NatsOptionError(`servers[${i}]`, server, "nats://host:port");
    }
  });
  for (const key of ["name", "token", "user", "pass"] as const) {
    const value = o[key];
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new NatsOptionError(key, value, "a non-empty string");
    }
  }
  if ((o.user === undefined) !== (o.pass === undefined)) {
    throw new NatsOptionError(
      o.user === undefined ? "user" : "pass",
      undefined,
      "user and pass together",
    );
  }
  if (o.token !== undefined && o.user !== undefined) {
    throw new NatsOptionError("token", "(set)", "either token or user/pass, not both");
  }
  for (const key of ["caFile", "certFile", "keyFile"] as const) {
    const value = o.tls?.[key];
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new NatsOptionError(`tls.${key}`, value, "a file path");
    }
  }
  if ((o.tls?.certFile === undefined) !== (o.tls?.keyFile === undefined)) {
    throw new NatsOptionError("tls", "certFile/keyFile", "certFile and keyFile together");
  }
  for (const key of ["connectTimeoutMs", "retryInitialMs", "retryMaxMs"] as const) {
    const value = o[key];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      throw new NatsOptionError(key, value, "a positive integer of milliseconds");
    }
  }
}

/** Destroys an attempt's socket; an error it still emits (a refused connect) goes nowhere. */
function destroy(socket: Socket): void {
  socket.on("error", () => undefined);
  socket.destroy();
}

function isSocket(value: unknown): value is Socket {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof Reflect.get(value, "destroy") === "function"
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener("abort", done, { once: true });
  });
}
