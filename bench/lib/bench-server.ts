/**
 * The benchmark's API server lives in one child process (bench/lib/informer-server.ts) and
 * each measured client in another, so neither serving nor an earlier client's garbage is
 * counted against a client. The parent relays the clients' requests to the server.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";

/** What a measuring client can ask of the server. */
export interface ServerControl {
  readonly url: string;
  readonly kubeconfig: string;
  /** The server's current resourceVersion. */
  resourceVersion(): Promise<string>;
  /** Applies `count` pod updates in one batch; resolves once they are in the watch history. */
  release(count: number): Promise<{ rv: string; applyMs: number }>;
}

type Reply =
  | { type: "ready"; url: string; kubeconfig: string; rv: string }
  | { type: "rv"; rv: string }
  | { type: "released"; rv: string; applyMs: number };

type Request = { type: "rv" } | { type: "release"; count: number };

function nextMessage<T extends { type: string }>(
  child: ChildProcess | NodeJS.Process,
  type: T["type"],
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`process exited (${code}) while waiting for "${type}"`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** `BENCH_CPU_PROFILE=DIR` writes a V8 CPU profile of every measured client into DIR. */
function profileArgs(): string[] {
  const dir = process.env["BENCH_CPU_PROFILE"];
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}

/** The server process, seen from the parent. */
export class BenchServer implements ServerControl {
  readonly #child: ChildProcess;
  url = "";
  kubeconfig = "";

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(objects: number, maxEvents: number): Promise<BenchServer> {
    const child = fork(
      new URL("informer-server.ts", import.meta.url).pathname,
      [String(objects), String(maxEvents)],
      { execArgv: ["--max-old-space-size=8192"], stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    const server = new BenchServer(child);
    const ready = await nextMessage<Extract<Reply, { type: "ready" }>>(child, "ready");
    server.url = ready.url;
    server.kubeconfig = ready.kubeconfig;
    return server;
  }

  async resourceVersion(): Promise<string> {
    const reply = nextMessage<Extract<Reply, { type: "rv" }>>(this.#child, "rv");
    this.#child.send({ type: "rv" });
    return (await reply).rv;
  }

  async release(count: number): Promise<{ rv: string; applyMs: number }> {
    const reply = nextMessage<Extract<Reply, { type: "released" }>>(this.#child, "released");
    this.#child.send({ type: "release", count });
    return reply;
  }

  /**
   * Runs `script` with `args` in a fresh process (with --expose-gc), relays its server requests,
   * and resolves with the `result` it sends.
   */
  async measure<R>(script: URL, args: readonly string[]): Promise<R> {
    const client = fork(
      script.pathname,
      [...args, "--url", this.url, "--kubeconfig", this.kubeconfig],
      {
        execArgv: ["--expose-gc", "--max-old-space-size=8192", ...profileArgs()],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    client.on("message", (message: Request) => {
      if (message.type === "rv")
        void this.resourceVersion().then((rv) => client.send({ type: "rv", rv }));
      if (message.type === "release")
        void this.release(message.count).then((r) => client.send({ type: "released", ...r }));
    });
    const result = await nextMessage<{ type: "result"; result: R }>(client, "result");
    await new Promise((resolve) =>
      client.exitCode === null ? client.once("exit", resolve) : resolve(null),
    );
    return result.result;
  }

  /** Stops the server process. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.send({ type: "stop" });
    await exited;
  }
}

/** The server, seen from a measuring child started by {@link BenchServer.measure}. */
export class RelayedServer implements ServerControl {
  readonly url: string;
  readonly kubeconfig: string;

  constructor(url: string, kubeconfig: string) {
    this.url = url;
    this.kubeconfig = kubeconfig;
  }

  async resourceVersion(): Promise<string> {
    const reply = nextMessage<Extract<Reply, { type: "rv" }>>(process, "rv");
    process.send?.({ type: "rv" });
    return (await reply).rv;
  }

  async release(count: number): Promise<{ rv: string; applyMs: number }> {
    const reply = nextMessage<Extract<Reply, { type: "released" }>>(process, "released");
    process.send?.({ type: "release", count });
    return reply;
  }
}

/** Sends a measuring child's result to the parent and lets the process end. */
export function sendResult(result: unknown): void {
  process.send?.({ type: "result", result }, () => process.disconnect());
}
