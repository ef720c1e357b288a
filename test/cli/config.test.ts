import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { main } from "../../src/cli/main.ts";
import { EXAMPLE_CONFIG } from "../../src/config/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

const bin = fileURLToPath(new URL("../../bin/kube-lookout.js", import.meta.url));

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the real CLI as a child process with exactly `env` (no KUBE_LOOKOUT_* of ours leaks in). */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : undefined;
        if (code === undefined) reject(error ?? new Error("no exit code"));
        else resolve({ code, out: stdout, err: stderr });
      },
    );
    child.stdin?.end();
  });
}

function capture(): { out: string; err: string; stdout(t: string): void; stderr(t: string): void } {
  const c = {
    out: "",
    err: "",
    stdout: (t: string) => void (c.out += t),
    stderr: (t: string) => void (c.err += t),
  };
  return c;
}

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lookout-cli-config-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

void test("config check: a valid file exits 0 with ok and a one-line summary", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "lookout.yaml");
  await writeFile(file, EXAMPLE_CONFIG);
  const r = await cli(["config", "check", file]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split("\n");
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] ?? "",
    /^ok: .*lookout\.yaml: cluster prod-eu-1, 2 watched resources, helm on, events on \(nats:\/\/nats\.messaging:4222\), api 0\.0\.0\.0:9464, 1 plugin, leader election on$/,
  );
});

void test("config check: each plugin is loaded and its config checked, as run would; --skip-plugins skips that", async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    join(dir, "counter.mjs"),
    'export default { kind: "kube-lookout-plugin", name: "counter", start() {} };\n',
  );
  const file = join(dir, "plugins.yaml");
  await writeFile(
    file,
    [
      "plugins:",
      "  - name: stream-delay",
      "    config: { buckets: [3, 1] }",
      "  - module: ./missing.mjs",
      "  - module: ./counter.mjs",
      "  - name: resource-metrics",
      "    config: { prometheus: { url: http://p, password: hunter2, timeoutSeconds: -1 } }",
    ].join("\n"),
  );
  const io = capture();
  const cwd = process.cwd();
  process.chdir(dir); // module paths are from the working directory, as in run
  try {
    assert.equal(await main(["config", "check", file], io), 1);
  } finally {
    process.chdir(cwd);
  }
  assert.equal(io.out, "");
  const lines = io.err.trimEnd().split("\n").slice(1);
  assert.deepEqual(
    lines.map((l) => /^(plugins\[\d\]) \([^)]*\): ([A-Z_]+):/.exec(l)?.slice(1)),
    [
      ["plugins[0]", "LOOKOUT_PLUGIN_BAD_CONFIG"],
      ["plugins[1]", "LOOKOUT_PLUGIN_LOAD_FAILED"],
      ["plugins[3]", "LOOKOUT_PLUGIN_BAD_CONFIG"],
    ],
  );
  assert.ok(!io.err.includes("hunter2"), io.err);
  const skipped = capture();
  assert.equal(await main(["config", "check", file, "--skip-plugins"], skipped), 0, skipped.err);
  assert.match(skipped.out, /^ok: .*4 plugins/);
});

void test("config check: a bad file exits 1 with every problem, one per line", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "bad.yaml");
  await writeFile(
    file,
    "store:\n  synchronous: FAST\napi:\n  prot: 80\nevents:\n  nats:\n    token: s3cret\n",
  );
  const r = await cli(["config", "check", file]);
  assert.equal(r.code, 1);
  assert.equal(r.out, "");
  const lines = r.err.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /bad\.yaml: 3 problems$/);
  assert.ok(
    lines.includes(`${file}:2:16: store.synchronous: "FAST": expected "FULL" or "NORMAL"`),
    r.err,
  );
  assert.ok(
    lines.some(
      (l) =>
        l.startsWith(`${file}:4:`) &&
        l.includes("api.prot: 80: unknown key") &&
        l.includes('(did you mean "port"?)'),
    ),
    r.err,
  );
  assert.ok(
    lines.some((l) => l.includes("events.nats.token: ***: secrets are never inline")),
    r.err,
  );
  assert.ok(!r.err.includes("s3cret"));
});

void test("config check: YAML syntax error with its position; missing file exits 1 naming the code", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "broken.yaml");
  await writeFile(file, "store:\n  path: a\n  path: b\n");
  let r = await cli(["config", "check", file]);
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(`${file}:3:3: (yaml): YAML syntax:`), r.err);
  r = await cli(["config", "check", join(dir, "nope.yaml")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /LOOKOUT_CONFIG_UNREADABLE/);
});

void test("config check: the environment is ignored unless --with-env", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "lookout.yaml");
  await writeFile(file, "cluster: { name: c1 }\n");
  const env = { KUBE_LOOKOUT_API_PORT: "not-a-port" };
  assert.equal((await cli(["config", "check", file], env)).code, 0);
  const r = await cli(["config", "check", file, "--with-env"], env);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /api\.port: "not-a-port": expected integer .* \[from KUBE_LOOKOUT_API_PORT\]/,
  );
});

void test("config check: usage errors exit 2 with the help (in process)", async () => {
  const cases = [
    ["config", "check"],
    ["config", "check", "a", "b"],
    ["config", "check", "a", "--frob"],
    ["config", "check", "a", "--set", "novalue"],
  ];
  for (const args of cases) {
    const io = capture();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one command line at a time
    assert.equal(await main(args, io), 2, args.join(" "));
    assert.match(io.err, /Usage: kube-lookout config check FILE/);
  }
  const io = capture();
  assert.equal(await main(["config"], io), 2);
  assert.match(io.err, /missing command/);
});

void test("config print: file + env + --set, as YAML, secrets masked; KUBE_LOOKOUT_CONFIG names the file", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "lookout.yaml");
  await writeFile(
    file,
    "store: { path: /file.db }\napi: { port: 1 }\nplugins: [{ name: stream-delay, config: { password: pw-1 } }]\n",
  );
  const env = {
    KUBE_LOOKOUT_API_PORT: "2",
    KUBE_LOOKOUT_EVENTS_NATS_SERVERS: "nats://u:pw-2@h:4222",
  };
  for (const args of [["--config", file], []]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one child process at a time
    const r = await cli(["config", "print", ...args, "--set", "cluster.name=c9"], {
      ...env,
      ...(args.length === 0 ? { KUBE_LOOKOUT_CONFIG: file } : {}),
    });
    assert.equal(r.code, 0, r.err);
    const printed: unknown = parse(r.out);
    assert.ok(typeof printed === "object" && printed !== null);
    const text = JSON.stringify(printed);
    assert.ok(text.includes('"path":"/file.db"'), "from the file");
    assert.ok(text.includes('"port":2'), "env over file");
    assert.ok(text.includes('"name":"c9"'), "flag");
    assert.ok(text.includes('"busyTimeoutMs":5000'), "defaults");
    assert.ok(!r.out.includes("pw-1") && !r.out.includes("pw-2"), r.out);
    assert.ok(text.includes('"nats://u:***@h:4222"'));
  }
});

void test("config print without a file prints the defaults; an invalid env exits 1", async () => {
  let r = await cli(["config", "print"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^cluster:\n {2}name: default\n/);
  r = await cli(["config", "print"], { KUBE_LOOKOUT_LOG_LEVL: "debug" });
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /KUBE_LOOKOUT_LOG_LEVL: unknown variable.*did you mean "KUBE_LOOKOUT_LOG_LEVEL"/,
  );
});

void test("--help of both commands shows examples (in process)", async () => {
  for (const sub of ["check", "print"]) {
    const io = capture();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one command line at a time
    assert.equal(await main(["config", sub, "--help"], io), 0);
    assert.match(io.out, new RegExp(`Usage: kube-lookout config ${sub}`));
    assert.match(io.out, /Examples:\n {2}kube-lookout config/);
  }
  const io = capture();
  assert.equal(await main(["--help"], io), 0);
  assert.match(io.out, /\n {2}config +The sidecar's configuration/);
});

void test("config check ends the process when done, though a plugin module left a timer running", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-config-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, "keepalive.mjs"),
    [
      "// A plugin whose module starts a timer at import (an eager client pool, a cache sweeper).",
      "setInterval(() => {}, 1000);",
      'export default { kind: "kube-lookout-plugin", name: "keepalive", start() {} };',
      "",
    ].join("\n"),
  );
  const module = JSON.stringify(join(dir, "keepalive.mjs"));
  await writeFile(join(dir, "plugins.yaml"), `plugins:\n  - module: ${module}\n`);
  const started = performance.now();
  const run = await cli(["config", "check", join(dir, "plugins.yaml")]);
  assert.equal(run.code, 0, run.err);
  assert.match(run.out, /^ok: .*1 plugin/);
  assert.ok(performance.now() - started < 15_000, "it did not wait for the timer");
});

void test("a plugin load that never settles is reported at the load timeout, not cut short by an empty event loop", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-config-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "stuck.mjs"), "await new Promise(() => {});\n");
  // checkPlugin in a process of its own, where nothing else keeps the event loop alive.
  const script = [
    `import { checkPlugin } from ${JSON.stringify(new URL("../../src/plugins/load.ts", import.meta.url).href)};`,
    `await checkPlugin("./stuck.mjs", undefined, { baseDir: ${JSON.stringify(dir)}, timeoutMs: 300 })`,
    '  .then(() => console.log("loaded"), (err) => console.log(err.code, err.cause?.name));',
    "",
  ].join("\n");
  await writeFile(join(dir, "check.mjs"), script);
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    execFile(process.execPath, [join(dir, "check.mjs")], { timeout: 20_000 }, (error, stdout) =>
      resolve({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
        stdout,
      }),
    );
  });
  assert.deepEqual(out, { code: 0, stdout: "LOOKOUT_PLUGIN_LOAD_FAILED TimeoutError\n" });
});
