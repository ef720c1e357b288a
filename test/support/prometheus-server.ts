/**
 * A real Prometheus server for tests (Debian's `prometheus` package, which CI installs for
 * promtool), on 127.0.0.1, scraping the given targets every second into a temp TSDB removed when
 * the test ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";

/** A running Prometheus of one test. */
export interface PrometheusProcess {
  /** `http://127.0.0.1:<port>`: the base of its HTTP API. */
  readonly url: string;
  /** What it logged so far (the first 20,000 characters), for failure messages. */
  log(): string;
}

/** `$PROMETHEUS`, else /usr/bin/prometheus. Throws saying how to install it. */
function binary(): string {
  const fromEnv = process.env["PROMETHEUS"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (existsSync("/usr/bin/prometheus")) return "/usr/bin/prometheus";
  throw new Error("prometheus not found: apt-get install prometheus, or set PROMETHEUS");
}

/**
 * Starts Prometheus scraping `targets` (`host:port`) at `metricsPath` (default `/metrics`)
 * every second. Resolves once `/-/ready` answers 200; `t.after` kills it.
 */
export async function startPrometheus(
  t: { after(fn: () => unknown): void },
  targets: readonly string[],
  metricsPath = "/metrics",
): Promise<PrometheusProcess> {
  const bin = binary();
  const dir = mkdtempSync(join(tmpdir(), "lookout-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      "scrape_configs:",
      "  - job_name: test",
      `    metrics_path: ${JSON.stringify(metricsPath)}`,
      `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (log.length < 20_000) log += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  t.after(async () => {
    child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- polling readiness
      const res = await fetch(`${url}/-/ready`);
      // oxlint-disable-next-line eslint/no-await-in-loop -- polling readiness
      await res.arrayBuffer();
      if (res.ok) return { url, log: () => log };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`prometheus not ready in 20 s:\n${log}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling readiness
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
