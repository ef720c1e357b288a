/**
 * Test support for the simulated cluster: a started cluster closed after the test, plain
 * HTTP requests without connection reuse, a line-by-line watch reader and a leak check.
 */
import { request } from "node:http";
import type { IncomingMessage } from "node:http";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import type { SimulatedCluster, SimulatedClusterOptions } from "../../src/sim/index.ts";

/** Parsed JSON that tests read field by field and assert on (so `any` is deliberate here). */
// oxlint-disable-next-line typescript/no-explicit-any -- see above
export type Json = any;

/** Starts a cluster and registers its close with `t.after`. */
export async function cluster(
  t: TestContext,
  options?: SimulatedClusterOptions,
): Promise<SimulatedCluster> {
  const c = await startSimulatedCluster(options);
  t.after(() => c.close());
  return c;
}

/** A finished HTTP exchange. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly text: string;
  /** The body parsed as JSON (throws if it is not JSON). */
  readonly json: Json;
}

/** One HTTP request with `Connection: close`. */
export function http(
  c: SimulatedCluster,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data =
      body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = request(
      `${c.url}${path}`,
      {
        method,
        agent: false,
        headers: {
          ...(data === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            get json() {
              return JSON.parse(text);
            },
          });
        });
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

/** A watch stream read line by line. */
export interface WatchStream {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  /** The next event, or undefined when the stream ended. Rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Json>;
  /** Events until none arrives for `quietMs`. */
  drain(quietMs?: number): Promise<Json[]>;
  /** Resolves when the server ended the stream; `complete` false when it broke off. */
  readonly ended: Promise<{ complete: boolean; rest: string }>;
  close(): void;
}

/** Opens a watch (GET `path`, with extra request `headers`) and reads it line by line. */
export function watch(
  t: TestContext,
  c: SimulatedCluster,
  path: string,
  headers: Record<string, string> = {},
): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const req = request(`${c.url}${path}`, { agent: false, headers }, (res) => {
      const lines: Json[] = [];
      const waiters: ((v: Json) => void)[] = [];
      let buf = "";
      let done = false;
      let endResolve!: (v: { complete: boolean; rest: string }) => void;
      const ended = new Promise<{ complete: boolean; rest: string }>((r) => (endResolve = r));
      const push = (v: Json): void => {
        const w = waiters.shift();
        if (w !== undefined) w(v);
        else lines.push(v);
      };
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf("\n")) !== -1) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line !== "") push(JSON.parse(line));
        }
      });
      const finish = (complete: boolean): void => {
        if (done) return;
        done = true;
        endResolve({ complete, rest: buf });
        for (const w of waiters.splice(0)) w(undefined);
      };
      res.on("end", () => finish(true));
      res.on("aborted", () => finish(false));
      res.on("error", () => finish(false));
      res.on("close", () => finish(res.complete));
      const stream: WatchStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended,
        next(timeoutMs = 2000) {
          if (lines.length > 0) return Promise.resolve(lines.shift());
          if (done) return Promise.resolve(undefined);
          return new Promise((res2, rej2) => {
            const timer = setTimeout(() => {
              const at = waiters.indexOf(w);
              if (at !== -1) waiters.splice(at, 1);
              rej2(new Error(`no watch event within ${timeoutMs} ms`));
            }, timeoutMs);
            const w = (v: Json): void => {
              clearTimeout(timer);
              res2(v);
            };
            waiters.push(w);
          });
        },
        async drain(quietMs = 150) {
          const out: Json[] = [];
          for (;;) {
            try {
              // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
              const e = await stream.next(quietMs);
              if (e === undefined) return out;
              out.push(e);
            } catch {
              return out;
            }
          }
        },
        close: () => req.destroy(),
      };
      t.after(() => req.destroy());
      resolve(stream);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Asserts that no socket, server or timer is left active (after letting closes settle). */
export async function assertNoActiveHandles(): Promise<void> {
  await new Promise((r) => setTimeout(r, 100));
  const left = process
    .getActiveResourcesInfo()
    .filter((r) => r !== "PipeWrap" && r !== "TTYWrap" && r !== "FSReqCallback");
  assert.deepEqual(left, [], `active resources left: ${left.join(", ")}`);
}

/** A pod manifest. */
export function pod(name: string, namespace = "default", labels?: Record<string, string>): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, ...(labels === undefined ? {} : { labels }) },
    spec: { containers: [{ name: "c", image: "busybox" }], nodeName: "node-1" },
    status: { phase: "Pending" },
  };
}
