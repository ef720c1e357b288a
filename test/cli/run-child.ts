/**
 * `kube-lookout run` as a child process for the lifecycle tests: starting it, reading its JSON
 * log lines, waiting for one, and replacing its configuration file as a ConfigMap update does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/** The CLI's entry (its sources: the child strips types as the tests do). */
export const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** The child, with everything it wrote to stdout and stderr so far. */
export type Child = ChildProcess & { out: () => string };

/** Starts `kube-lookout run ARGS` (no $KUBECONFIG from the environment). */
export function startRun(args: string[]): Child {
  const child = spawn(process.execPath, [CLI, "run", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: "" },
  });
  let text = "";
  child.stdout?.on("data", (b: Buffer) => (text += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (text += b.toString()));
  return Object.assign(child, { out: () => text });
}

/** The log lines (JSON) with `msg`, in order. */
export function logLines(child: Child, msg: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of child.out().split("\n")) {
    if (!line.startsWith("{")) continue;
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === "object" && parsed !== null && Reflect.get(parsed, "msg") === msg) {
      out.push(Object.fromEntries(Object.entries(parsed)));
    }
  }
  return out;
}

/** The `n`-th log line with `msg`, polled for up to `ms`; throws with the output otherwise. */
export async function nthLog(
  child: Child,
  msg: string,
  n = 1,
  ms = 20_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lines = logLines(child, msg);
    if (lines.length >= n) return lines[n - 1]!;
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`no ${n}× "${msg}" log line within ${ms} ms; output:\n${child.out()}`);
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the output
    await sleep(50);
  }
}

/** Writes `text` to `file` the way a ConfigMap update lands: a new file renamed over it. */
export async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.new`, text);
  await rename(`${file}.new`, file);
}

/**
 * A `run` configuration file's text: cluster `sim`, the `watch` entries (YAML flow mappings), the
 * state file in `dir`, the API on a free port, Helm off.
 */
export function watchConfigYaml(dir: string, watch: readonly string[]): string {
  return [
    "cluster: { name: sim }",
    "watch:",
    ...watch.map((w) => `  - ${w}`),
    `store: { path: ${JSON.stringify(join(dir, "state.db"))} }`,
    "api: { port: 0 }",
    "helm: { enabled: false }",
    "",
  ].join("\n");
}
