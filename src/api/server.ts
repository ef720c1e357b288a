/**
 * `startApiServer`: an HTTP server on loopback for a request handler (the cache API's, maybe
 * composed with `/metrics`), optionally behind a bearer token read from a file.
 */
import { createServer, type Server } from "node:http";
import type { RequestHandler } from "./auth.ts";
import { readTokenFile, withBearerToken } from "./auth.ts";
import { ApiInvalidOptionError } from "./errors.ts";
import { pathNotFound, sendStatus } from "./status.ts";
import { MAX_TIMER_MS } from "../timers/index.ts";

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  /** Default "127.0.0.1": only this host can reach it. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /** Answers requests; those it returns false for get a 404 Status. */
  readonly handler: RequestHandler;
  /** A file holding the bearer token, read once at start (see `withBearerToken`). */
  readonly tokenFile?: string;
  /**
   * A connection with nothing sent or received for this long is closed (ms; default 60,000; 0:
   * never). A list is written only as fast as the reader takes it, so a reader that stops
   * reading would otherwise hold its connection and the list's memory for good.
   */
  readonly idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** A running API server. */
export interface ApiServer extends AsyncDisposable {
  /** `http://HOST:PORT` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly port: number;
  /** The underlying server (unref'd: it does not keep the process alive). */
  readonly server: Server;
  /** Stops listening and closes every connection. Idempotent; never rejects. */
  close(): Promise<void>;
}

/**
 * Starts listening. Resolves once the port is bound. Rejects with `ApiInvalidOptionError`
 * (`LOOKOUT_API_INVALID_OPTION`) for a bad option, `ApiTokenFileError`
 * (`LOOKOUT_API_TOKEN_FILE`) when the token file cannot be read or is empty, or the listen
 * error (e.g. `EADDRINUSE`).
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (typeof options.handler !== "function") {
    throw new ApiInvalidOptionError("handler", options.handler, "a function (req, res) => boolean");
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ApiInvalidOptionError("port", port, "an integer in [0, 65535]");
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 0 || idleTimeoutMs > MAX_TIMER_MS) {
    throw new ApiInvalidOptionError("idleTimeoutMs", idleTimeoutMs, "0 to 2^31-1 ms");
  }
  let handler = options.handler;
  if (options.tokenFile !== undefined) {
    handler = withBearerToken(await readTokenFile(options.tokenFile), handler);
  }
  const server = createServer((req, res) => {
    if (!handler(req, res)) sendStatus(res, pathNotFound());
  });
  // Without a 'timeout' listener, Node destroys a socket idle for this long.
  server.setTimeout(idleTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new ApiInvalidOptionError("host", host, "a TCP host (not a pipe)");
  }
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    server,
    close,
    [Symbol.asyncDispose]: close,
  };
}
