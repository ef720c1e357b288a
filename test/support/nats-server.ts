/**
 * A real `nats-server` for tests, on 127.0.0.1 only. The first start lets the server pick a free
 * port (`-p -1`) and reads it from the log; restarts pass that port again, so clients that keep
 * reconnecting to the same URL find the server back. The JetStream store lives in a temp dir
 * that is removed when the test ends, unless the caller gave its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** A running (or stopped) nats-server of one test. */
export interface NatsServerProcess {
  /** `nats://127.0.0.1:<port>`; the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory (`-sd`); the same across restarts. */
  readonly storeDir: string;
  /** Whether the process is alive. */
  readonly running: boolean;
  /** SIGTERM; resolves once the process has exited. No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL; resolves once the process has exited. No-op when not running. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and store; resolves when it is ready. */
  start(): Promise<void>;
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** `-js`; default true. */
  readonly jetstream?: boolean;
  /** Default: a new temp dir, removed after the test. */
  readonly storeDir?: string;
  /** More nats-server arguments, e.g. `["--auth", "secret"]`. */
  readonly extraArgs?: readonly string[];
}

/** `$NATS_SERVER`, else `nats-server` on PATH, else /usr/sbin/nats-server (Debian's package). */
export function natsServerBinary(): string {
  const fromEnv = process.env["NATS_SERVER"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const dirs = [...(process.env["PATH"] ?? "").split(delimiter), "/usr/sbin", "/usr/local/bin"];
  for (const dir of dirs) {
    const candidate = join(dir, "nats-server");
    if (dir !== "" && existsSync(candidate)) return candidate;
  }
  throw new Error(
    "nats-server not found on PATH or in /usr/sbin: install it (apt-get install nats-server) or set NATS_SERVER",
  );
}
const READY_TIMEOUT_MS = 10_000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/**
 * Starts a nats-server on 127.0.0.1 and resolves once it logs "Server is ready". `t.after`
 * stops it (and removes a temp store dir); a process still alive when Node exits is killed.
 * Rejects with a clear message when the binary is missing or the server does not get ready.
 */
export async function startNatsServer(
  t: { after(fn: () => unknown): void },
  options: NatsServerOptions = {},
): Promise<NatsServerProcess> {
  installExitHook();
  const bin = natsServerBinary();
  const jetstream = options.jetstream ?? true;
  const ownDir = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), "lookout-nats-"));
  let port = -1;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    if (child !== undefined) throw new Error("nats-server is already running");
    const args = ["-a", "127.0.0.1", "-p", String(port)];
    if (jetstream) args.push("-js", "-sd", storeDir);
    args.push(...(options.extraArgs ?? []));
    const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
    child = proc;
    live.add(proc);
    exited = new Promise<void>((resolve) => {
      proc.once("close", () => {
        live.delete(proc);
        if (child === proc) child = undefined;
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      let log = "";
      const timer = setTimeout(
        () => fail(new Error("nats-server not ready in time")),
        READY_TIMEOUT_MS,
      );
      const fail = (err: Error): void => {
        clearTimeout(timer);
        proc.kill("SIGKILL");
        reject(new Error(`cannot start ${bin} ${args.join(" ")}: ${err.message}\n${log}`));
      };
      proc.once("error", fail);
      proc.once("exit", (code) => fail(new Error(`exited with ${code}`)));
      proc.stderr?.setEncoding("utf8");
      proc.stderr?.on("data", (chunk: string) => {
        if (log.length < 20_000) log += chunk;
        const listening = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
        if (listening?.[1] !== undefined && port === -1) port = Number(listening[1]);
        if (log.includes("Server is ready")) {
          clearTimeout(timer);
          proc.removeAllListeners("exit");
          proc.removeAllListeners("error");
          proc.stderr?.removeAllListeners("data");
          proc.stderr?.resume();
          resolve();
        }
      });
    });
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child === undefined) return;
    child.kill(sig);
    await exited;
  };

  const server: NatsServerProcess = {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    get running() {
      return child !== undefined;
    },
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    start: launch,
  };
  t.after(async () => {
    await server.kill();
    if (ownDir) rmSync(storeDir, { recursive: true, force: true });
  });
  await launch();
  return server;
}
