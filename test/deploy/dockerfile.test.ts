/**
 * The Dockerfile, checked without a Docker engine: parsed (test/deploy/support.ts) and held to
 * what docs/deploy.md promises: multi-stage on Node 24 slim, production dependencies only by
 * `npm ci --omit=dev`, a numeric non-root user, tini as PID 1 in exec form, the config's API
 * port exposed, OCI labels, and COPY sources that exist. Each check is also run on a broken
 * variant of the file, so none passes vacuously.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { resolveConfig } from "../../src/config/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import {
  REPO_ROOT,
  isRecord,
  parseDockerfile,
  parseInstructions,
  parsePairs,
  type Instruction,
  type Stage,
} from "./support.ts";

after(assertNoActiveHandles);

/** One thing wrong with a Dockerfile: a stable code and a human explanation. */
interface Problem {
  readonly code: string;
  readonly message: string;
}

/** What the Dockerfile is checked against. */
interface Expected {
  readonly apiPort: number;
  readonly version: string;
  readonly license: string;
  /** Node's major.minor the project pins (package.json devDependencies.node). */
  readonly nodeMinor: string;
  readonly exists: (path: string) => boolean;
}

const REQUIRED_LABELS = ["source", "title", "description", "licenses", "version"].map(
  (l) => `org.opencontainers.image.${l}`,
);
const APP_FILES = ["bin", "src", "plugins", "package.json"];

function readPackage(): { version: string; license: string; nodeMinor: string } {
  const pkg: unknown = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
  assert.ok(isRecord(pkg) && isRecord(pkg["devDependencies"]));
  const { version, license } = pkg;
  const node = pkg["devDependencies"]["node"];
  assert.ok(typeof version === "string" && typeof license === "string" && typeof node === "string");
  const minor = /^(\d+\.\d+)/.exec(node)?.[1];
  assert.ok(minor !== undefined, `devDependencies.node: ${node}`);
  return { version, license, nodeMinor: minor };
}

const last = (stage: Stage, keyword: string): Instruction | undefined =>
  stage.instructions.findLast((i) => i.keyword === keyword);

/** `COPY [--from=x] [--chown=..] src... dest` → from, sources, dest. */
function copyOf(ins: Instruction): { from: string | undefined; sources: string[]; dest: string } {
  const words = ins.exec ?? ins.args.split(/\s+/);
  const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
  const paths = words.filter((w) => !w.startsWith("--"));
  return { from: from?.toLowerCase(), sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" };
}

/** Every stage's ARG defaults, global ones first. */
function stageVars(globals: ReadonlyMap<string, string>, stage: Stage): Map<string, string> {
  const vars = new Map(globals);
  for (const ins of stage.instructions.filter((i) => i.keyword === "ARG")) {
    const [name = "", value = ""] = ins.args.split("=", 2);
    vars.set(name.trim(), value.trim() || (globals.get(name.trim()) ?? ""));
  }
  return vars;
}

/** The `RUN npm ci ...` instructions of `stage`. */
const npmCi = (stage: Stage): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === "RUN" && /\bnpm\s+ci\b/.test(i.args));

/** Whether `stage` runs npm ci, every time without dev dependencies. */
const prodOnly = (stage: Stage): boolean =>
  npmCi(stage).length > 0 && npmCi(stage).every((i) => /--omit[= ]dev\b/.test(i.args));

/** Checks `text` against {@link Expected}; returns every problem found (none: []). */
function checkDockerfile(text: string, want: Expected): Problem[] {
  const problems: Problem[] = [];
  const bad = (code: string, message: string): number => problems.push({ code, message });
  const df = parseDockerfile(text);
  const final = df.stages.at(-1);
  if (df.stages.length < 2 || final === undefined) {
    bad("stages", `expected ≥ 2 stages, got ${df.stages.length}`);
    if (final === undefined) return problems;
  }
  const slim = new RegExp(`^node:${want.nodeMinor.replace(".", "\\.")}(\\.\\d+)?-[a-z]+-slim$`);
  if (!slim.test(final.image)) {
    bad("base-image", `final FROM ${final.image}: expected node:${want.nodeMinor}-<debian>-slim`);
  }
  const user = last(final, "USER")?.args;
  const uid = user === undefined ? undefined : /^(\d+)(:\d+)?$/.exec(user)?.[1];
  if (uid === undefined || Number(uid) === 0) {
    bad("user", `final stage USER ${user ?? "(none)"}: expected a numeric non-root uid[:gid]`);
  }
  const entry = last(final, "ENTRYPOINT");
  if (entry?.exec === undefined) bad("entrypoint", "expected an exec-form ENTRYPOINT");
  else {
    const [init, dashes, node, script] = entry.exec;
    if (!/(^|\/)tini$/.test(init ?? "") || dashes !== "--" || !/(^|\/)node$/.test(node ?? "")) {
      bad("entrypoint", `ENTRYPOINT ${entry.args}: expected ["…/tini", "--", "…/node", …]`);
    }
    const workdir = last(final, "WORKDIR")?.args ?? "/";
    const binCopied = final.instructions.some(
      (i) => i.keyword === "COPY" && copyOf(i).sources.includes("bin"),
    );
    if (script !== `${workdir}/bin/kube-lookout.js` || !binCopied) {
      bad("entrypoint", `ENTRYPOINT runs ${script}: expected ${workdir}/bin/kube-lookout.js`);
    }
  }
  if (last(final, "CMD")?.exec === undefined) bad("cmd", "expected an exec-form CMD");
  const exposed = final.instructions
    .filter((i) => i.keyword === "EXPOSE")
    .flatMap((i) => i.args.split(/\s+/));
  if (exposed.join(" ") !== String(want.apiPort)) {
    bad("expose", `EXPOSE ${exposed.join(" ")}: expected exactly ${want.apiPort} (api.port)`);
  }
  for (const stage of df.stages) {
    for (const ins of stage.instructions) {
      if (ins.keyword === "RUN" && /\bnpm\s+(install|i|add|update)\b/.test(ins.args)) {
        bad("npm-install", `line ${ins.line}: npm install; expected npm ci (the lockfile)`);
      }
      if (ins.keyword === "ADD") bad("add", `line ${ins.line}: ADD; expected COPY`);
    }
  }
  // Dependencies reach the final stage by npm ci --omit=dev there, or by a COPY of node_modules
  // from a stage whose every npm ci omits dev dependencies.
  const modulesFrom = final.instructions
    .filter((i) => i.keyword === "COPY")
    .map(copyOf)
    .filter((c) => c.sources.some((s) => /node_modules\/?$/.test(s)));
  const sources = modulesFrom.map((c) =>
    df.stages.find((s) => s.name === c.from || String(s.index) === c.from),
  );
  const depsOk =
    (npmCi(final).length > 0 && prodOnly(final) && modulesFrom.length === 0) ||
    (npmCi(final).length === 0 &&
      sources.length > 0 &&
      sources.every((s) => s !== undefined && prodOnly(s) && s.image === final.image));
  if (!depsOk) {
    bad("omit-dev", "expected node_modules from `npm ci --omit=dev` on the same base image");
  }
  for (const stage of df.stages) {
    for (const ins of stage.instructions.filter((i) => i.keyword === "COPY")) {
      const copy = copyOf(ins);
      if (copy.from !== undefined) continue;
      for (const src of copy.sources) {
        if (!want.exists(src))
          bad("copy-missing", `line ${ins.line}: COPY ${src}: not in the repo`);
      }
    }
  }
  const copied = new Set(
    final.instructions
      .filter((i) => i.keyword === "COPY")
      .map(copyOf)
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources.map((s) => s.replace(/\/$/, ""))),
  );
  for (const file of APP_FILES.filter((f) => !copied.has(f))) {
    bad("app-files", `the final stage does not COPY ${file}`);
  }
  const vars = stageVars(df.globalArgs, final);
  const labels = new Map<string, string>();
  for (const ins of final.instructions.filter((i) => i.keyword === "LABEL")) {
    for (const [k, v] of parsePairs(ins.args, vars)) labels.set(k, v);
  }
  for (const name of REQUIRED_LABELS.filter((l) => (labels.get(l) ?? "") === "")) {
    bad("labels", `label ${name} missing or empty`);
  }
  const version = labels.get("org.opencontainers.image.version");
  if (version !== undefined && version !== want.version) {
    bad("labels", `label version ${version}: expected package.json's ${want.version}`);
  }
  const license = labels.get("org.opencontainers.image.licenses");
  if (license !== undefined && license !== want.license) {
    bad("labels", `label licenses ${license}: expected package.json's ${want.license}`);
  }
  return problems;
}

const DOCKERFILE = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const pkg = readPackage();
const WANT: Expected = {
  apiPort: resolveConfig({ env: {} }).api.port,
  ...pkg,
  exists: (p) => existsSync(join(REPO_ROOT, p)),
};

const codes = (text: string): string[] => [
  ...new Set(checkDockerfile(text, WANT).map((p) => p.code)),
];

/** The Dockerfile with `from` replaced by `to` (which must occur). */
function variant(from: string | RegExp, to: string): string {
  const out = DOCKERFILE.replace(from, to);
  assert.notEqual(out, DOCKERFILE, `variant: ${String(from)} not found in the Dockerfile`);
  return out;
}

void test("the Dockerfile passes every check", () => {
  assert.deepEqual(checkDockerfile(DOCKERFILE, WANT), []);
  const df = parseDockerfile(DOCKERFILE);
  assert.ok(df.stages.length >= 2);
  assert.match(df.stages.at(-1)?.image ?? "", /^node:24\./);
});

void test("each check fails on a Dockerfile variant that breaks it", () => {
  const cases: [string, string][] = [
    [variant(/^USER .*$/m, "USER root"), "user"],
    [variant(/^USER .*$/m, "USER 0:0"), "user"],
    [variant(/^USER .*$/m, "USER node"), "user"],
    [variant(/^USER .*$/m, ""), "user"],
    [variant(/^EXPOSE .*$/m, `EXPOSE ${WANT.apiPort + 1}`), "expose"],
    [variant(/^EXPOSE .*$/m, `EXPOSE ${WANT.apiPort} 8080`), "expose"],
    [variant("npm ci --omit=dev", "npm install --omit=dev"), "npm-install"],
    [variant("npm ci --omit=dev", "npm ci"), "omit-dev"],
    [
      variant(/^ENTRYPOINT .*$/m, "ENTRYPOINT /usr/bin/tini -- node /app/bin/kube-lookout.js"),
      "entrypoint",
    ],
    [variant(/^ENTRYPOINT .*$/m, 'ENTRYPOINT ["node", "/app/bin/kube-lookout.js"]'), "entrypoint"],
    [variant("/app/bin/kube-lookout.js", "/app/bin/main.js"), "entrypoint"],
    [variant(/^CMD .*$/m, "CMD run --config /etc/kube-lookout/config.yaml"), "cmd"],
    [variant("COPY plugins ./plugins", "COPY plugin ./plugins"), "copy-missing"],
    [variant("COPY plugins ./plugins", ""), "app-files"],
    [variant(/org\.opencontainers\.image\.source="[^"]*"/, 'x.source="y"'), "labels"],
    [variant(/^ARG VERSION=.*$/m, "ARG VERSION=9.9.9"), "labels"],
    [variant(/^ARG NODE_VERSION=.*$/m, "ARG NODE_VERSION=22.11"), "base-image"],
    [variant(/-bookworm-slim AS runtime/, "-bookworm AS runtime"), "base-image"],
    [variant(/^FROM .* AS deps$/m, "FROM node:22-bookworm-slim AS deps"), "omit-dev"],
  ];
  for (const [text, code] of cases) {
    assert.ok(codes(text).includes(code), `expected ${code}, got ${codes(text).join(", ")}`);
  }
  const oneStage = DOCKERFILE.slice(
    DOCKERFILE.indexOf("FROM node:${NODE_VERSION}-bookworm-slim AS runtime"),
  );
  assert.ok(codes(`ARG NODE_VERSION=${pkg.nodeMinor}\n${oneStage}`).includes("stages"));
});

void test("parser: continuations, comments inside them, exec form, ARG expansion, stages", () => {
  const text = [
    "# syntax=docker/dockerfile:1",
    "ARG BASE=node:24-slim",
    "FROM ${BASE} AS Build",
    "RUN a \\",
    "  # a comment line inside a continuation is dropped",
    "  && b \\",
    "  && c",
    'ENTRYPOINT ["x", "y"]',
    "CMD [not json",
    "FROM --platform=$BUILDPLATFORM $BASE",
    "RUN d \\",
  ].join("\n");
  const df = parseDockerfile(text);
  assert.equal(df.globalArgs.get("BASE"), "node:24-slim");
  assert.deepEqual(
    df.stages.map((s) => [s.name, s.image]),
    [
      ["build", "node:24-slim"],
      [undefined, "node:24-slim"],
    ],
  );
  const first = df.stages[0]?.instructions ?? [];
  assert.deepEqual(
    first.map((i) => [i.keyword, i.args, i.exec, i.line]),
    [
      ["RUN", "a && b && c", undefined, 4],
      ["ENTRYPOINT", '["x", "y"]', ["x", "y"], 8],
      ["CMD", "[not json", undefined, 9],
    ],
  );
  assert.deepEqual(
    df.stages[1]?.instructions.map((i) => i.args),
    ["d"],
  );
  assert.throws(() => parseDockerfile("RUN x\nFROM y"), /RUN before FROM/);
  assert.throws(() => parseInstructions("FROM x\nRUN <<EOF\necho\nEOF"), /heredocs/);
  const labels = parsePairs('a=1 b="two words" c="q\\"d" d=${V}', new Map([["V", "v"]]));
  assert.deepEqual(
    [...labels],
    [
      ["a", "1"],
      ["b", "two words"],
      ["c", 'q"d'],
      ["d", "v"],
    ],
  );
});

void test(".dockerignore lets in exactly what the Dockerfile copies from the context", () => {
  const rules = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  assert.equal(rules[0], "*", "everything excluded first (an allowlist)");
  const allowed = rules.slice(1).map((r) => {
    assert.ok(r.startsWith("!"), `rule after * must re-include: ${r}`);
    return r.slice(1).replace(/\/$/, "");
  });
  const copied = parseDockerfile(DOCKERFILE)
    .stages.flatMap((s) => s.instructions)
    .filter((i) => i.keyword === "COPY" && !/--from=/.test(i.args))
    .flatMap((i) =>
      i.args
        .split(/\s+/)
        .filter((w) => !w.startsWith("--"))
        .slice(0, -1),
    )
    .map((s) => s.replace(/\/$/, ""));
  assert.deepEqual([...new Set(copied)].sort(), [...allowed].sort());
});
