/**
 * What `npm pack` ships (package.json `files`), which is also what the image copies: the CLI's
 * entry points, the sources, the built-in plugins, the manifests; no tests, benchmarks,
 * scratch files or dependencies. Every import of every packed module resolves inside the
 * package (a relative one to a packed file, a bare one to a production dependency or a Node
 * builtin), so neither the package nor the image can ship broken.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { withBuildLock } from "../support/build-lock.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { REPO_ROOT, isRecord } from "./support.ts";

after(assertNoActiveHandles);

/** The paths `npm pack --dry-run --json` lists. */
async function packedPaths(): Promise<string[]> {
  // npm pack runs prepack (npm run build): one build at a time with the README's test.
  const { stdout } = await withBuildLock(() =>
    promisify(execFile)("npm", ["pack", "--dry-run", "--json"], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    }),
  );
  const parsed: unknown = JSON.parse(stdout);
  assert.ok(Array.isArray(parsed) && isRecord(parsed[0]), "npm pack --json: one package");
  const files = parsed[0]["files"];
  assert.ok(Array.isArray(files));
  return files.map((f: unknown) => {
    const path = isRecord(f) ? f["path"] : undefined;
    assert.ok(typeof path === "string");
    return path;
  });
}

/** A module reference found in source text: what, and whether it is only a type. */
interface Reference {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

const STATEMENT = /^\s*(import|export)\s+(type\s+)?(?:[^;"'`]*?\sfrom\s+)?["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
const URL_REF = /\bnew URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g;

/**
 * The module references of a source file: static imports and re-exports at the start of a
 * line (so JSDoc examples, which start with ` * `, do not count), dynamic `import("...")`, and
 * files read by `new URL("./x", import.meta.url)`. `import type`/`export type` are erased by
 * type stripping and marked `typeOnly`.
 */
function references(source: string): Reference[] {
  const out: Reference[] = [];
  for (const m of source.matchAll(STATEMENT)) {
    out.push({ specifier: m[3] ?? "", typeOnly: m[2] !== undefined });
  }
  for (const m of source.matchAll(DYNAMIC)) out.push({ specifier: m[1] ?? "", typeOnly: false });
  for (const m of source.matchAll(URL_REF)) out.push({ specifier: m[1] ?? "", typeOnly: false });
  return out;
}

/** The package name of a bare specifier (`@scope/name/sub` → `@scope/name`). */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? "");
}

let packed: string[] = [];
before(async () => {
  packed = await packedPaths();
});

void test("the package holds the entry points, sources, plugins and manifests", () => {
  const must = [
    "package.json",
    "README.md",
    "bin/kube-lookout.js",
    "src/cli/main.ts",
    "src/index.ts",
    "src/helm/decode/scan-worker.ts",
    "plugins/stream-delay/index.ts",
    "plugins/watch-verify/index.ts",
    "plugins/resource-metrics/index.ts",
    // What an installed package runs (Node strips no types under node_modules): the build.
    "dist/src/index.js",
    "dist/src/index.d.ts",
    "dist/src/cli/main.js",
    "dist/src/helm/decode/timed-scan-worker.js",
    "dist/src/sim/index.js",
    "dist/src/plugins/index.js",
    "dist/src/client/index.js",
    "dist/plugins/stream-delay/index.js",
    "LICENSE",
  ];
  for (const path of must) assert.ok(packed.includes(path), `${path} is not packed`);
  assert.ok(
    packed.some((p) => p.startsWith("manifests/base/")),
    "manifests/base is not packed",
  );
});

void test("the package leaves out tests, benchmarks, scratch, dependencies and CI", () => {
  const forbidden = /^(test|bench|\.tmp|node_modules|\.ci|\.git|scripts|docs)\/|\.db(-wal|-shm)?$/;
  assert.deepEqual(
    packed.filter((p) => forbidden.test(p)),
    [],
  );
  assert.deepEqual(
    packed.filter((p) => p.endsWith(".test.ts")),
    [],
  );
});

void test("every import of every packed module resolves inside the package", () => {
  const pkg: unknown = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
  assert.ok(isRecord(pkg) && isRecord(pkg["dependencies"]));
  const deps = new Set(Object.keys(pkg["dependencies"]));
  const builtins = new Set(builtinModules);
  const files = new Set(packed);
  const problems: string[] = [];
  let relative = 0;
  for (const file of packed.filter((p) => /\.(ts|js|mjs)$/.test(p))) {
    const source = readFileSync(join(REPO_ROOT, file), "utf8");
    for (const ref of references(source)) {
      const s = ref.specifier;
      if (s.startsWith(".")) {
        relative++;
        let target = normalize(join(dirname(file), s));
        // A declaration file's `./x.ts` is the declaration `./x.d.ts` (TypeScript maps it).
        if (file.endsWith(".d.ts") && target.endsWith(".ts"))
          target = target.replace(/\.ts$/, ".d.ts");
        if (!files.has(target)) problems.push(`${file}: ${s} → ${target} is not packed`);
      } else if (s.startsWith("node:") || builtins.has(s)) {
        continue;
      } else if (!ref.typeOnly && !deps.has(packageName(s))) {
        problems.push(`${file}: ${s} is not a production dependency`);
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(relative > 100, `only ${relative} relative imports found: is the scan broken?`);
});

void test("the import scan finds what a broken package would miss", () => {
  const source = [
    '/** import { x } from "./in-jsdoc.ts"; */',
    'import type { A } from "./types.ts";',
    'import { b, type C } from "../b.ts";',
    "import {",
    "  d,",
    '} from "pkg/sub";',
    'export { e } from "@scope/e/deep";',
    'import "./side-effect.ts";',
    'const m = await import("./lazy.ts");',
    'const w = new URL("./worker.ts", import.meta.url);',
  ].join("\n");
  assert.deepEqual(
    references(source).map((r) => [r.specifier, r.typeOnly]),
    [
      ["./types.ts", true],
      ["../b.ts", false],
      ["pkg/sub", false],
      ["@scope/e/deep", false],
      ["./side-effect.ts", false],
      ["./lazy.ts", false],
      ["./worker.ts", false],
    ],
  );
  assert.equal(packageName("@scope/e/deep"), "@scope/e");
  assert.equal(packageName("pkg/sub"), "pkg");
});
