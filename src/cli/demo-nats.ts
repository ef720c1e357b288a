/**
 * The demo's NATS: finds a `nats-server` binary (PATH, then /usr/sbin where Debian's package
 * puts it, then /usr/local/bin) and runs it with JetStream on 127.0.0.1, on a free port the
 * server picks (`-p -1`, read back from its log), its store in the demo's temp dir.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Where nats-server is looked for after PATH. */
export const NATS_EXTRA_DIRS: readonly string[] = ["/usr/sbin", "/usr/local/bin"];

/** How to get nats-server, for the line the demo prints when it is missing. */
export const NATS_INSTALL_HINT =
  "apt-get install nats-server, brew install nats-server, or a release from https://github.com/nats-io/nats-server/releases";

/** nats-server could not be started (`LOOKOUT_CLI_DEMO_NATS`); `log` is what it printed. */
export class DemoNatsError extends Error {
  override readonly name = "DemoNatsError";
  readonly code = "LOOKOUT_CLI_DEMO_NATS";
  readonly log: string;
  constructor(message: string, log: string, options?: ErrorOptions) {
    super(message, options);
    this.log = log;
  }
}

/**
 * The first executable `nats-server` in the directories of `path` (a PATH value), then in
 * `extraDirs`; undefined when there is none.
 */
export function findNatsServer(
  path: string = process.env["PATH"] ?? "",
  extraDirs: readonly string[] = NATS_EXTRA_DIRS,
): string | undefined {
  for (const dir of [...path.split(delimiter), ...extraDirs]) {
    if (dir === "") continue;
    const candidate = join(dir, "nats-server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there, or not executable: the next directory
    }
  }
  return undefined;
}

/** A nats-server the demo started. */
export interface DemoNatsServer extends AsyncDisposable {
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  /** The binary that runs. */
  readonly binary: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. Idempotent. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Starts `binary` with JetStream on 127.0.0.1 and a free port, storing in `storeDir`; resolves
 * once it logs "Server is ready". Rejects with {@link DemoNatsError} when it exits, fails to
 * spawn or is not ready within 10 s (the process is killed then). A process left running when
 * Node exits is killed.
 */
export async function startDemoNats(binary: string, storeDir: string): Promise<DemoNatsServer> {
  const args = ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", storeDir, "-n", "kube-lookout-demo"];
  // Its own process group: Ctrl-C in a terminal signals the demo, which stops the sidecar
  // (flushing events to this server) before it stops nats-server.
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const gone = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let log = "";
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const fail = (message: string, cause?: unknown): void => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new DemoNatsError(`${binary} ${args.join(" ")}: ${message}`, log, { cause }));
      };
      const timer = setTimeout(() => fail("not ready within 10 s"), READY_TIMEOUT_MS);
      child.once("error", (err) => fail(err.message, err));
      child.once("exit", (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk: string) => {
        if (log.length < 20_000) log += chunk;
        const listening = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
        if (listening?.[1] !== undefined && log.includes("Server is ready")) {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          child.removeAllListeners("error");
          child.stderr.removeAllListeners("data");
          child.stderr.resume();
          resolve(Number(listening[1]));
        }
      });
    });
  } catch (error: unknown) {
    await gone;
    process.off("exit", killOnExit);
    throw error;
  }
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await gone;
      clearTimeout(timer);
      process.off("exit", killOnExit);
    })();
    return closed;
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    binary,
    close,
    [Symbol.asyncDispose]: close,
  };
}
