/**
 * README.md does what it says: every block marked `sh runnable` or `ts runnable` is run, in
 * order, from the repository root as a newcomer would paste it (TypeScript blocks from a scratch
 * folder inside the package, with the pinned Node), and must exit 0 and print what it should;
 * the TypeScript blocks type-check; every relative link and anchor leads somewhere. Two lines are
 * not run as written (see REWRITES): `npm ci` (it would replace node_modules under the tests that
 * run beside this one; CI runs it on a fresh clone, .ci/run) and `npm test` (it runs this test).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { withBuildLock } from "./support/build-lock.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import {
  brokenLinks,
  codeBlocks,
  githubSlug,
  headingAnchors,
  runBlock,
  runShell,
  shellScript,
  tsBlockFile,
  type CodeBlock,
  type LineRewrite,
  type RunResult,
} from "./support/readme-blocks.ts";

after(assertNoActiveHandles);

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const README = join(ROOT, "README.md");
/** Pages whose links are checked: the README and the pages written with it. */
const PAGES = ["README.md", "docs/embedding.md", "docs/faq.md"];
const BLOCK_TIMEOUT_MS = 60_000;

const REWRITES: readonly LineRewrite[] = [
  {
    line: "npm ci && npm run demo",
    run: "npm run demo -- --duration 15",
    why:
      "npm ci is not run (it would replace node_modules under the tests beside this one; CI runs " +
      "it on a fresh clone); the demo runs until Ctrl-C, so the same script is bounded by --duration",
  },
  {
    line: "npm ci && npm test",
    run: undefined,
    why: "npm test runs this very test; CI (.ci/run) runs exactly this line on a fresh clone",
  },
];

/** What each runnable block must print (on stdout), found by a piece of its text. */
const EXPECTED: readonly { readonly block: string; readonly stdout: readonly RegExp[] }[] = [
  {
    block: "npm run demo",
    stdout: [
      /the sidecar runs on http:\/\/127\.0\.0\.1:\d+/,
      /^\s+metrics\s+http:\/\/127\.0\.0\.1:\d+\/metrics$/m,
      /ready: every cache synced, first Helm scan done/,
      /demo stopped/,
    ],
  },
  { block: "npm test", stdout: [] },
  { block: "npm run build", stdout: [/tsc -p tsconfig\.build\.json/] },
  {
    block: "npx kube-lookout --help",
    stdout: [
      /^Usage: kube-lookout <command>/m,
      /^Usage: kube-lookout demo .*--duration SECONDS/m,
      /^ok: manifests\/base\/config\.yaml: /m,
    ],
  },
  {
    block: "helm check --files -",
    stdout: [
      /^removed\s.*PodDisruptionBudget\s+web\s+policy\/v1beta1\s.*policy\/v1$/m,
      /^exit code: 3$/m,
    ],
  },
  {
    block: "kubectl kustomize manifests/overlays/standalone-ha",
    stdout: [
      /^ok: manifests\/overlays\/standalone-ha\/config\.yaml: .*leader election on/m,
      /^\s*1 kind: Deployment$/m,
      /^\s*1 kind: ClusterRole$/m,
      /^\s*1 kind: PrometheusRule$/m,
      /^\s*1 kind: ServiceMonitor$/m,
    ],
  },
  { block: "npx kube-lookout events tail --help", stdout: [/^Usage: kube-lookout events tail/m] },
  {
    block: "createLookout",
    stdout: [/^[1-9]\d* pods in ns-0, served by http:\/\/127\.0\.0\.1:\d+$/m],
  },
  { block: "definePlugin", stdout: [] },
];

function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function explain(block: CodeBlock, r: RunResult): string {
  return (
    `README block at line ${block.line} (${block.lang}) ended with ` +
    `${r.code === null ? `signal ${r.signal}` : `exit code ${r.code}`} after ${r.ms} ms\n` +
    `--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`
  );
}

/** A scratch folder inside the package (so `kube-lookout/...` resolves), removed afterwards. */
function workDir(t: { after(fn: () => void): void }): string {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, ".tmp", "readme-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function expectationOf(b: CodeBlock): (typeof EXPECTED)[number][] {
  return EXPECTED.filter((e) => b.code.includes(e.block));
}

function shBlock(code: string): CodeBlock {
  return { lang: "sh", runnable: true, code, line: 1 };
}

const runnable = codeBlocks(readFileSync(README, "utf8")).filter((b) => b.runnable);

void test("every runnable block of README.md exits 0, in order, and prints what it should", async (t) => {
  assert.ok(runnable.length >= 8, `only ${runnable.length} runnable blocks found in README.md`);
  for (const b of runnable) {
    assert.equal(expectationOf(b).length, 1, `README line ${b.line}: one expectation per block`);
  }
  for (const e of EXPECTED) {
    assert.ok(
      runnable.some((b) => b.code.includes(e.block)),
      `no runnable README block contains "${e.block}" any more: update EXPECTED`,
    );
  }

  const dir = workDir(t);
  // Files a block writes with mktemp land here, not in the shared /tmp.
  const env = { ...process.env, TMPDIR: dir };
  const used = new Set<LineRewrite>();
  // The blocks build dist/ and import it: no other test builds it meanwhile.
  await withBuildLock(async () => {
    for (const b of runnable) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- the blocks run in order, as pasted
      await t.test(`line ${b.line}: ${b.code.split("\n")[0] ?? ""}`, async () => {
        const r = await runBlock(b, {
          cwd: ROOT,
          workDir: dir,
          env,
          timeoutMs: BLOCK_TIMEOUT_MS,
          rewrites: REWRITES,
          used,
        });
        assert.equal(r.code, 0, explain(b, r));
        for (const pattern of expectationOf(b)[0]?.stdout ?? []) {
          assert.match(r.stdout, pattern, explain(b, r));
        }
      });
    }
  });
  assert.deepEqual(
    REWRITES.filter((r) => !used.has(r)).map((r) => r.line),
    [],
    "a rewritten line is no longer in README.md",
  );
});

void test("the TypeScript blocks of README.md type-check (tsc, the repository's options)", async (t) => {
  const ts = runnable.filter((b) => b.lang === "ts");
  assert.ok(ts.length >= 2, "the embedding and plugin examples");
  const dir = workDir(t);
  for (const b of ts) writeFileSync(tsBlockFile(b, dir), b.code);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ extends: "../../tsconfig.json", include: ["*.ts"] }),
  );
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  // The blocks import the package by name: its declarations are the build's (README says so).
  const r = await withBuildLock(async () => {
    const built = await runShell("npm run build", { cwd: ROOT, timeoutMs: 120_000 });
    assert.equal(built.code, 0, built.stdout + built.stderr);
    return runShell(`"${tsc}" --noEmit -p "${dir}"`, { cwd: ROOT, timeoutMs: 60_000 });
  });
  assert.equal(r.code, 0, `tsc on the README's TypeScript blocks:\n${r.stdout}${r.stderr}`);
});

void test("a README whose runnable block fails makes the runner report it", async (t) => {
  const dir = workDir(t);
  const o = { cwd: dir, workDir: dir, env: process.env, timeoutMs: 20_000, rewrites: REWRITES };
  const md = [
    "```sh runnable",
    "echo first",
    "false",
    "echo never",
    "```",
    "```sh runnable",
    "false | cat",
    "```",
    "```ts runnable",
    'throw new Error("broken example");',
    "```",
    "```sh",
    "false # not runnable: never run",
    "```",
  ].join("\n");
  const blocks = codeBlocks(md);
  assert.deepEqual(
    blocks.map((b) => [b.lang, b.runnable, b.line]),
    [
      ["sh", true, 1],
      ["sh", true, 6],
      ["ts", true, 9],
      ["sh", false, 12],
    ],
  );
  const [stops, pipe, ts] = blocks;
  assert.ok(stops !== undefined && pipe !== undefined && ts !== undefined);
  const r1 = await runBlock(stops, o);
  assert.equal(r1.code, 1);
  assert.equal(r1.stdout, "first\n", "a block stops at its first failing command");
  assert.notEqual((await runBlock(pipe, o)).code, 0, "a failure before a pipe counts");
  const r3 = await runBlock(ts, o);
  assert.notEqual(r3.code, 0);
  assert.match(r3.stderr, /broken example/);
  const slow = codeBlocks("```sh runnable\nsleep 30\n```")[0];
  assert.ok(slow !== undefined);
  const r4 = await runBlock(slow, { ...o, timeoutMs: 300 });
  assert.equal(r4.signal, "SIGKILL", "a block that runs forever is killed at the timeout");
});

void test("lines that would run npm ci, npm install or npm test are refused unless rewritten", () => {
  assert.throws(() => shellScript(shBlock("npm ci\n"), REWRITES), /npm ci\/install\/test/);
  assert.throws(() => shellScript(shBlock("npm test -- x\n"), REWRITES), /npm ci\/install\/test/);
  assert.throws(() => shellScript(shBlock("npm ci && npm run sim\n"), REWRITES));
  assert.equal(
    shellScript(shBlock("npm ci && npm run demo\n"), REWRITES),
    "npm run demo -- --duration 15\n",
  );
  assert.match(shellScript(shBlock("npm ci && npm test\n"), REWRITES), /^# not run here: /);
  assert.equal(
    shellScript(shBlock("npx kube-lookout --help\n"), REWRITES),
    "npx kube-lookout --help\n",
  );
});

void test("every relative link of README.md and its docs pages leads to a file and heading", () => {
  for (const page of PAGES) {
    assert.deepEqual(brokenLinks(join(ROOT, page)), [], `broken links in ${page}`);
  }
  const crafted = [
    "[ok](docs/rbac.md#secrets-why-the-rule-is-that-wide) [ok](#a-heading) [web](https://x.invalid/y)",
    "[gone](docs/nope.md) and [bad anchor](docs/rbac.md#no-such-heading) and [self](#nope)",
    "`[in code](docs/nope.md)`",
    "```md",
    "[in a block](docs/nope.md)",
    "```",
    "## A heading",
  ].join("\n");
  assert.deepEqual(
    brokenLinks(README, crafted).map((p) => p.split(":")[0]),
    ["line 2", "line 2", "line 2"],
  );
});

void test("GitHub heading anchors", () => {
  assert.equal(
    githubSlug("Secrets: why the rule is that wide"),
    "secrets-why-the-rule-is-that-wide",
  );
  assert.equal(githubSlug("`kube-lookout run`"), "kube-lookout-run");
  assert.equal(githubSlug("Deduplication: `Nats-Msg-Id`"), "deduplication-nats-msg-id");
  assert.equal(githubSlug("Plugins (`kube-lookout/plugins`)"), "plugins-kube-lookoutplugins");
  assert.equal(githubSlug("[Link](x.md) and **bold**"), "link-and-bold");
  assert.deepEqual(
    [...headingAnchors("# FAQ\n## Same\n```\n## not a heading\n```\n## Same\n")],
    ["faq", "same", "same-1"],
  );
});
