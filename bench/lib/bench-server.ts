/** The parent's side of bench/lib/informer-server.ts: start it, talk to it, stop it. */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";

type Reply =
  | { type: "ready"; url: string; kubeconfig: string; rv: string }
  | { type: "rv"; rv: string }
  | { type: "released"; rv: string; applyMs: number };

/** A simulated API server in a child process, seeded with `objects` pods. */
export class BenchServer {
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
    const ready = await server.#next("ready");
    server.url = ready.url;
    server.kubeconfig = ready.kubeconfig;
    return server;
  }

  #next<T extends Reply["type"]>(type: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: Reply): void => {
        if (message.type !== type) return;
        this.#child.off("message", onMessage);
        this.#child.off("exit", onExit);
        resolve(message as Extract<Reply, { type: T }>);
      };
      const onExit = (code: number | null): void =>
        reject(new Error(`benchmark server exited (${code}) while waiting for "${type}"`));
      this.#child.on("message", onMessage);
      this.#child.once("exit", onExit);
    });
  }

  /** The server's current resourceVersion. */
  async resourceVersion(): Promise<string> {
    const reply = this.#next("rv");
    this.#child.send({ type: "rv" });
    return (await reply).rv;
  }

  /** Applies `count` pod updates in one batch; resolves once they are in the history. */
  async release(count: number): Promise<{ rv: string; applyMs: number }> {
    const reply = this.#next("released");
    this.#child.send({ type: "release", count });
    return reply;
  }

  /** Stops the server process. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.send({ type: "stop" });
    await exited;
  }
}
