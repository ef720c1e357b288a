/**
 * Randomized agreement: manifests assembled from realistic and awkward pieces, scanned by the
 * fast path with fallback, must equal the `yaml` package's reading of the whole manifest.
 * Replay one seed: SCAN_SEED=<seed>. Rounds: SCAN_ROUNDS (default 300).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiVersionFilter, scanManifest } from "../../../src/helm/decode/index.ts";
import { mulberry32 as seededRandom } from "../../../src/sim/index.ts";
import { configMap, deployment, FIXTURES, service } from "./manifest-fixtures.ts";
import { referenceScan } from "./reference-scan.ts";

const NAMES = [
  "web",
  "api-1",
  "x.y",
  "2048-game",
  "true",
  "null",
  "0x1F",
  "a: b",
  "#x",
  "-d",
  "it's",
  'q"q',
  "é",
  "~t",
  "1e3",
  "a#b",
  ".inf",
  "v1 # c",
  "apps/v1",
  "x-policy/v1beta1",
];
const ONLY = new ApiVersionFilter(["policy/v1beta1", "apps/v1"]);
const QUOTES = ["plain", "double", "single"] as const;

function scalar(rand: () => number, text: string): string {
  const style = QUOTES[Math.floor(rand() * QUOTES.length)]!;
  if (style === "double") return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  if (style === "single") return `'${text.replaceAll("'", "''")}'`;
  return text;
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

function document(rand: () => number): string {
  const r = rand();
  const name = pick(rand, NAMES);
  if (r < 0.2)
    return pick(rand, [service, deployment, configMap])(name.replace(/[^a-z0-9-]/g, "x"));
  if (r < 0.3) return pick(rand, FIXTURES).manifest;
  // Top-level keys with their nested lines; shuffling keeps each key's block together (the fast
  // path does not validate nested content that Helm would have rejected).
  const meta = [
    "metadata:",
    `${pick(rand, ["  ", "    ", "  "])}name: ${scalar(rand, name)}${rand() < 0.2 ? " # note" : ""}`,
  ];
  const indent = meta[1]!.length - meta[1]!.trimStart().length;
  const pad = " ".repeat(indent);
  if (rand() < 0.5) meta.push(`${pad}namespace: ${scalar(rand, pick(rand, NAMES))}`);
  if (rand() < 0.3) meta.push(`${pad}labels:`, `${pad}  a: ${scalar(rand, pick(rand, NAMES))}`);
  const groups = [
    [`apiVersion: ${scalar(rand, pick(rand, ["v1", "apps/v1", "policy/v1beta1", "1.0"]))}`],
    [`kind: ${scalar(rand, pick(rand, ["Service", "PodSecurityPolicy", "List", "true"]))}`],
    meta,
  ];
  if (rand() < 0.3)
    groups.push(["data:", "  x: |", "    ---", "    kind: Nope", "  y: [a, {b: c}]"]);
  if (rand() < 0.2)
    groups.push(["items:", "- apiVersion: v1", "  kind: Pod", "  metadata: {name: item}"]);
  if (rand() < 0.1) groups.sort(() => rand() - 0.5);
  const lines = groups.flat();
  if (rand() < 0.3) lines.splice(Math.floor(rand() * lines.length), 0, "# a comment");
  const head = pick(rand, [
    "---\n",
    "--- # c\n",
    "---\n# Source: c/templates/t.yaml\n",
    "\n---\n",
    "---\t\n",
    "--- # apps/v1\n",
    "# apps/v1\n---\n",
  ]);
  return `${head}${lines.join("\n")}\n`;
}

void test("random manifests: fast path with fallback equals the yaml package", () => {
  const seed = Number(process.env["SCAN_SEED"] ?? Date.now() % 1_000_000);
  const rounds = Number(process.env["SCAN_ROUNDS"] ?? 300);
  const rand = seededRandom(seed);
  let fast = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const docs: string[] = [];
      const n = 1 + Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) docs.push(document(rand));
      let manifest = docs.join("");
      if (rand() < 0.2) manifest = manifest.replaceAll("\n", "\r\n");
      const scan = scanManifest(manifest);
      const ref = referenceScan(manifest);
      const strip = scan.objects.map(({ source: _s, hookIndex: _h, ...o }) => o);
      const refStrip = ref.objects.map(({ source: _s, ...o }) => o);
      assert.deepEqual(strip, refStrip, `round ${round}:\n${manifest}`);
      assert.equal(scan.errors.length, ref.errors, `round ${round} errors:\n${manifest}`);
      const only = scanManifest(manifest, { only: ONLY });
      assert.deepEqual(
        only.objects,
        scan.objects.filter((o) => ONLY.apiVersions.has(o.apiVersion)),
        `round ${round} (apiVersion filter):\n${manifest}`,
      );
      fast += scan.fastDocuments;
    }
  } catch (err) {
    console.error(`random manifest test failed with seed ${seed} (replay: SCAN_SEED=${seed})`);
    throw err;
  }
  assert.ok(fast > rounds, `the fast path read only ${fast} documents`);
});

void test("the apiVersion filter reads every document that may hold a wanted object, however written", () => {
  const only = new ApiVersionFilter(["policy/v1beta1"]);
  const docs = [
    "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: plain\n",
    "apiVersion: 'policy/v1beta1'\nkind: PodSecurityPolicy\nmetadata:\n  name: single\n",
    'apiVersion: "policy\\/v1beta1"\nkind: PodSecurityPolicy\nmetadata:\n  name: escaped\n',
    'apiVersion: "policy\\x2fv1beta1"\nkind: PodSecurityPolicy\nmetadata:\n  name: hex\n',
    "{apiVersion: policy/v1beta1, kind: PodSecurityPolicy, metadata: {name: flow}}\n",
    "apiVersion: >-\n  policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: folded\n",
    "apiVersion: policy/v1beta1.5\nkind: PodSecurityPolicy\nmetadata:\n  name: other\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: skipped\n",
  ];
  const manifest = docs.map((d) => `---\n${d}`).join("");
  const names = scanManifest(manifest, { only }).objects.map((o) => o.name);
  assert.deepEqual(names, ["plain", "single", "escaped", "hex", "flow", "folded"]);
  assert.equal(only.mayMention(docs[7]!), false, "a document without the text is not read");
  assert.equal(only.mayMention(docs[6]!), false, "a longer apiVersion is not a mention");
  assert.equal(
    new ApiVersionFilter(["v1"]).mayMention("kind: X\n"),
    true,
    "core apiVersions match all",
  );
});
