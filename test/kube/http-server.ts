/** Small real HTTP servers on loopback port 0 for the KubeClient tests. */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { TestContext } from "node:test";

export interface TestServer {
  readonly url: string;
  /** Every request seen, in order. */
  readonly requests: IncomingMessage[];
}

/** Starts a server on 127.0.0.1:0; closes it (and its connections) after the test. */
export async function startServer(
  t: TestContext,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { url: `http://127.0.0.1:${address.port}`, requests };
}

/**
 * Resolves when the client side of `res` has gone (socket closed). A client that goes while
 * data is unread may reset the connection: the socket's ECONNRESET still ends in "close", so
 * the error is not a rejection here (events.once would reject on it).
 */
export function socketClosed(res: ServerResponse): Promise<void> {
  const socket = res.socket;
  if (socket === null || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.on("error", () => {});
    socket.once("close", () => resolve());
  });
}

/** Fails the test when a socket, server or timer is still open after the suite. */
export async function assertNoActiveHandles(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  // PipeWrap: the test runner's own stdio/IPC pipes in the per-file child process.
  const ignored = new Set(["TTYWrap", "PipeWrap", "FSReqCallback"]);
  const active = process.getActiveResourcesInfo().filter((r) => !ignored.has(r));
  if (active.length > 0) throw new Error(`active handles left: ${active.join(", ")}`);
}

export const POD_RESOURCE = { group: "", version: "v1", resource: "pods" } as const;

/** `{"kind":"Status",...}` body text. */
export function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: object,
): string {
  return JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  });
}

/** The `code` of an error-like value, or undefined. */
export function codeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}
