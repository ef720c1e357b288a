/**
 * One plugin's supervisor: starts it, watches for failures (a throwing `start`, a reported
 * failure, a rejected `stopped`), and restarts it with backoff until the host closes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Backoff } from "../informer/index.ts";
import type { Logger } from "../logging/index.ts";
import { PluginFailedError } from "./errors.ts";
import type { Plugin, PluginContext } from "./types.ts";

/**
 * Where a plugin is. A runner is `starting`, `running`, `backoff`, `stopping`, `stopped` or
 * `ended`; the host reports an entry whose module is still loading as `loading`, and one that
 * `close()` gave up on while loading as `abandoned` (it never starts).
 */
export type PluginState =
  "loading" | "abandoned" | "starting" | "running" | "backoff" | "stopping" | "stopped" | "ended";

/** What the runner needs from the host. */
export interface RunnerDeps {
  readonly logger: Logger;
  readonly backoff: Backoff;
  /** The longest wait for a failed run's cleanup before it is restarted anyway. */
  readonly cleanupTimeoutMs: number;
  /** A fresh context for one run. */
  makeContext(signal: AbortSignal, reportFailure: (error: unknown) => void): PluginContext;
  /** Called once per failure that leads to a restart. */
  onRestart(error: PluginFailedError): void;
}

type Outcome =
  | { readonly kind: "failed"; readonly error: PluginFailedError }
  | { readonly kind: "ended" }
  | { readonly kind: "closed" };

/** Supervises one plugin. `run()` once; `stop()` ends it. */
export class PluginRunner {
  readonly plugin: Plugin;
  readonly #deps: RunnerDeps;
  readonly #closed = new AbortController();
  #state: PluginState = "starting";
  #restarts = 0;
  #lastError: PluginFailedError | undefined;
  #loop: Promise<void> | undefined;

  constructor(plugin: Plugin, deps: RunnerDeps) {
    this.plugin = plugin;
    this.#deps = deps;
  }

  get state(): PluginState {
    return this.#state;
  }

  get restarts(): number {
    return this.#restarts;
  }

  get lastError(): PluginFailedError | undefined {
    return this.#lastError;
  }

  /** Starts supervising (memoized); the promise settles when supervision ends. Never rejects. */
  run(): Promise<void> {
    this.#loop ??= this.#supervise().catch((err: unknown) => {
      this.#log("error", "plugin supervisor failed", { error: err });
    });
    return this.#loop;
  }

  /**
   * Aborts the current run and stops restarting. Resolves when the plugin has stopped, which
   * may be never for a plugin that ignores its signal: callers bound the wait.
   */
  stop(): Promise<void> {
    this.#closed.abort();
    return this.#loop ?? Promise.resolve();
  }

  async #supervise(): Promise<void> {
    while (!this.#closed.signal.aborted) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one run at a time
      const outcome = await this.#runOnce();
      if (outcome.kind === "ended") {
        this.#state = "ended";
        this.#log("info", "plugin ended on its own", {});
        return;
      }
      if (outcome.kind === "closed") break;
      this.#lastError = outcome.error;
      if (this.#closed.signal.aborted) break;
      this.#restarts++;
      this.#log("warn", "plugin failed; restarting after backoff", {
        code: outcome.error.code,
        phase: outcome.error.phase,
        error: outcome.error.cause,
        restarts: this.#restarts,
      });
      this.#deps.onRestart(outcome.error);
      this.#state = "backoff";
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- backoff between runs
        await sleep(this.#deps.backoff.next(), undefined, {
          signal: this.#closed.signal,
          ref: false,
        });
      } catch {
        break; // closed during backoff
      }
    }
    this.#state = "stopped";
  }

  async #runOnce(): Promise<Outcome> {
    this.#state = "starting";
    const run = new AbortController();
    const onClose = (): void => run.abort(this.#closed.signal.reason);
    this.#closed.signal.addEventListener("abort", onClose, { once: true });
    const { promise: failed, resolve: fail } = Promise.withResolvers<PluginFailedError>();
    const ctx = this.#deps.makeContext(run.signal, (error) => {
      if (!run.signal.aborted) fail(new PluginFailedError(this.plugin.name, "reported", error));
    });
    try {
      let result: unknown;
      try {
        // oxlint-disable-next-line typescript/await-thenable -- start may return a plain value
        result = await this.plugin.start(ctx);
      } catch (err) {
        run.abort(err);
        return this.#closed.signal.aborted
          ? { kind: "closed" }
          : { kind: "failed", error: new PluginFailedError(this.plugin.name, "start", err) };
      }
      const stopped = stoppedOf(result);
      // After an abort: resolves once the run has cleaned up (a late rejection is only logged).
      const cleanup =
        stopped === undefined
          ? Promise.resolve()
          : stopped.then(
              () => undefined,
              (err: unknown) => {
                if (!run.signal.aborted) return;
                this.#log("warn", "plugin cleanup failed", { error: err });
              },
            );
      if (this.#closed.signal.aborted) {
        this.#state = "stopping";
        await cleanup;
        return { kind: "closed" };
      }
      this.#state = "running";
      const settled: Promise<Outcome> =
        stopped === undefined
          ? new Promise<Outcome>(() => {})
          : stopped.then(
              (): Outcome => (run.signal.aborted ? { kind: "closed" } : { kind: "ended" }),
              (err: unknown): Outcome =>
                run.signal.aborted
                  ? { kind: "closed" }
                  : {
                      kind: "failed",
                      error: new PluginFailedError(this.plugin.name, "stopped", err),
                    },
            );
      // run.signal aborts only through onClose here: it stands for the host closing.
      const closed = new Promise<Outcome>((resolve) => {
        if (run.signal.aborted) resolve({ kind: "closed" });
        run.signal.addEventListener("abort", () => resolve({ kind: "closed" }), { once: true });
      });
      const reported = failed.then((error): Outcome => ({ kind: "failed", error }));
      const outcome = await Promise.race([settled, reported, closed]);
      if (outcome.kind === "ended") return outcome;
      this.#state = "stopping";
      run.abort(outcome.kind === "failed" ? outcome.error : this.#closed.signal.reason);
      if (outcome.kind === "closed") {
        await cleanup;
        return outcome;
      }
      // A failed run gets a bounded wait for its cleanup before the next one starts.
      await Promise.race([
        cleanup,
        sleep(this.#deps.cleanupTimeoutMs, undefined, { ref: false, signal: this.#closed.signal }),
      ]).catch(() => undefined);
      return outcome;
    } finally {
      this.#closed.signal.removeEventListener("abort", onClose);
    }
  }

  #log(level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>): void {
    try {
      this.#deps.logger[level](message, fields);
    } catch {
      // A logger that throws must not stop the supervisor.
    }
  }
}

/** The run's `stopped` promise, or undefined when `start` resolved without one. */
function stoppedOf(result: unknown): Promise<void> | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const stopped: unknown = Reflect.get(result, "stopped");
  if (
    (typeof stopped === "object" || typeof stopped === "function") &&
    stopped !== null &&
    typeof Reflect.get(stopped, "then") === "function"
  ) {
    return Promise.resolve(stopped).then(() => undefined);
  }
  return undefined;
}
