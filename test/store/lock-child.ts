/**
 * A second process for the lock tests (not a test file). Usage:
 *   node lock-child.ts hold <path>
 *     opens the store, prints "held"; then on stdin "release <ms>" prints "scheduled" and closes
 *     the store after <ms> (printing "released"); exits when stdin ends.
 *   node lock-child.ts try <path> <busyTimeoutMs>
 *     tries to open the store and prints {"code": ..., "ms": ...} (code "OK" when it opened).
 */
import { createInterface } from "node:readline";
import { openStore } from "../../src/store/index.ts";

const [mode, path = "", timeout = "0"] = process.argv.slice(2);

if (mode === "hold") {
  const store = openStore({ path });
  process.stdout.write("held\n");
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const m = /^release (\d+)$/.exec(line);
    if (m === null) return;
    process.stdout.write("scheduled\n");
    setTimeout(() => {
      store.close();
      process.stdout.write("released\n");
    }, Number(m[1]));
  });
  lines.on("close", () => store.close());
} else if (mode === "try") {
  const started = performance.now();
  let code = "OK";
  try {
    openStore({ path, busyTimeoutMs: Number(timeout) }).close();
  } catch (err) {
    code = err instanceof Error && "code" in err ? String(err.code) : String(err);
  }
  process.stdout.write(`${JSON.stringify({ code, ms: performance.now() - started })}\n`);
} else {
  process.stderr.write(`unknown mode ${String(mode)}\n`);
  process.exitCode = 2;
}
