/**
 * `npm run bench -- NAME [args]`: runs `bench/NAME.ts` in a fresh Node process with `--expose-gc`
 * (heap figures need a full GC). Each benchmark prints one JSON object as its last line.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";

const here = new URL(".", import.meta.url);
const names = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (name === undefined || !names.includes(name)) {
  process.stderr.write(
    `${name === undefined ? "no benchmark named" : `unknown benchmark "${name}"`}; ` +
      `usage: npm run bench -- NAME [options]; benchmarks: ${names.join(", ")}\n`,
  );
  process.exitCode = 2;
} else {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--max-old-space-size=8192", new URL(`${name}.ts`, here).pathname, ...args],
    { stdio: "inherit" },
  );
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128);
  });
}
