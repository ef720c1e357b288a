/**
 * What test/readme.test.ts needs to hold a markdown page to its word: the fenced code blocks
 * (with the info string that marks the runnable ones), a runner for shell blocks, GitHub's
 * heading anchors and the page's relative links.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve as resolvePath } from "node:path";

/** One fenced code block of a markdown page. */
export interface CodeBlock {
  /** The first word of the info string (`sh`, `ts`, `text`, or "" for none). */
  readonly lang: string;
  /** Whether the info string's other words include `runnable`. */
  readonly runnable: boolean;
  /** The block's text, without the fences, ending with a newline unless empty. */
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;

/**
 * The fenced code blocks of `markdown`, in order (CommonMark fences: three or more backticks or
 * tildes, closed by a fence of the same character at least as long). An unclosed fence runs to
 * the end of the page, as GitHub renders it.
 */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? "");
    if (open === null) continue;
    const fence = open[2] ?? "```";
    const words = (open[3] ?? "").trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j] ?? "");
      if (
        close !== null &&
        (close[2] ?? "")[0] === fence[0] &&
        (close[2] ?? "").length >= fence.length &&
        (close[3] ?? "").trim() === ""
      ) {
        break;
      }
      body.push(lines[j] ?? "");
    }
    blocks.push({
      lang: words[0] ?? "",
      runnable: words.slice(1).includes("runnable"),
      code: body.length === 0 ? "" : `${body.join("\n")}\n`,
      line: i + 1,
    });
    i = j;
  }
  return blocks;
}

/** What a command printed and how it ended. */
export interface RunResult {
  /** The exit code; null when killed by a signal (then `signal` says which). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Options of {@link runShell}. */
export interface RunShellOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** SIGKILL to the whole process group after this long. */
  readonly timeoutMs: number;
}

/**
 * Runs `script` with `bash -e -o pipefail` (a newcomer pasting the block stops at the first
 * failing command, and a failing command before a `|` counts) in its own process group, which
 * is killed when the time is up. Resolves with the outcome; never rejects for a failing script.
 */
export function runShell(script: string, options: RunShellOptions): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", "-o", "pipefail", "-c", script], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // The group is already gone.
        }
      }
    }, options.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

/**
 * GitHub's anchor of a heading: the rendered text lowercased, every character that is not a
 * letter, mark, digit, connector (`_`), space or `-` removed, spaces turned into `-`.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/`([^`]*)`/g, "$1") // code spans: their text
    .replace(/(\*\*|__)(.+?)\1/g, "$2") // strong emphasis
    .replace(/(\*|_)(.+?)\1/g, "$2"); // emphasis
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a page's ATX headings (outside code blocks), with GitHub's `-1`, `-2` suffixes. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const f = FENCE.exec(line);
    if (f !== null) {
      const marker = f[2] ?? "";
      if (fence === undefined) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h === null) continue;
    const slug = githubSlug(h[1] ?? "");
    const n = counts.get(slug) ?? 0;
    counts.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** One link of a page: its target as written and the line it is on. */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/**
 * The inline links and images (`[text](target)`) of a page, outside fenced code blocks and code
 * spans; titles (`(target "title")`) and angle brackets are removed from the target.
 */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((line, index) => {
    const f = FENCE.exec(line);
    if (f !== null) {
      const marker = f[2] ?? "";
      if (fence === undefined) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const text = line.replace(/`[^`]*`/g, "");
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: m[1] ?? "", line: index + 1 });
    }
  });
  return links;
}

/**
 * The relative links of the markdown page at `pagePath` that lead nowhere: a file or folder that
 * does not exist (resolved from the page's folder), or a `#anchor` that is not a heading of the
 * target page (or of the page itself for `#anchor` alone). Links with a scheme (`https:`,
 * `mailto:`) are not checked. Each problem names the line, the link and what is wrong.
 */
export function brokenLinks(pagePath: string, markdown = readFileSync(pagePath, "utf8")): string[] {
  const problems: string[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  for (const { target, line } of markdownLinks(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const hash = target.indexOf("#");
    const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const file = path === "" ? pagePath : resolvePath(dirname(pagePath), path);
    if (!existsSync(file)) {
      problems.push(`line ${line}: ${target}: ${path} does not exist`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!file.endsWith(".md")) {
      problems.push(`line ${line}: ${target}: an anchor into a file that is not markdown`);
      continue;
    }
    let anchors = anchorsOf.get(file);
    if (anchors === undefined) {
      anchors = headingAnchors(file === pagePath ? markdown : readFileSync(file, "utf8"));
      anchorsOf.set(file, anchors);
    }
    if (!anchors.has(anchor)) {
      problems.push(
        `line ${line}: ${target}: no heading with the anchor #${anchor} in ${path || "this page"}`,
      );
    }
  }
  return problems;
}

/** A README line the runner does not run as written, what it runs instead, and why. */
export interface LineRewrite {
  /** The line, trimmed, exactly as in the README. */
  readonly line: string;
  /** What runs instead; undefined: nothing (the line is checked elsewhere). */
  readonly run: string | undefined;
  readonly why: string;
}

/** Commands that must never run as written in a test: they would wipe or recurse. */
const GUARDED = /\bnpm\s+(ci|test|install|i)\b/;

/**
 * The script a `sh runnable` block runs: its text with each line found in `rewrites` replaced
 * (or removed, as a comment saying why). Throws when a line that is not rewritten would run
 * `npm ci`, `npm install` or `npm test` (it would replace the `node_modules` other tests are
 * using, or run this test again). `used` collects the rewrites applied.
 */
export function shellScript(
  block: CodeBlock,
  rewrites: readonly LineRewrite[],
  used?: Set<LineRewrite>,
): string {
  return block.code
    .split("\n")
    .map((line, i) => {
      const rewrite = rewrites.find((r) => r.line === line.trim());
      if (rewrite !== undefined) {
        used?.add(rewrite);
        return rewrite.run ?? `# not run here: ${rewrite.why}`;
      }
      if (GUARDED.test(line)) {
        throw new Error(
          `README line ${block.line + 1 + i}: "${line.trim()}" runs npm ci/install/test: add a rewrite for it`,
        );
      }
      return line;
    })
    .join("\n");
}

/** Options of {@link runBlock}. */
export interface RunBlockOptions {
  /** Where shell blocks run (the repository root, as a newcomer's shell). */
  readonly cwd: string;
  /** A scratch folder inside the package (TypeScript blocks are written and run there). */
  readonly workDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly rewrites: readonly LineRewrite[];
  readonly used?: Set<LineRewrite>;
}

/**
 * Runs one runnable block: a `sh` block with bash in `cwd` ({@link shellScript}), a `ts` block
 * written to `workDir/block-<line>.ts` and run with this process's Node (the pinned one), so
 * its `kube-lookout/...` imports resolve to this package by self-reference. Throws for another
 * language.
 */
export async function runBlock(block: CodeBlock, o: RunBlockOptions): Promise<RunResult> {
  if (block.lang === "sh" || block.lang === "bash") {
    return runShell(shellScript(block, o.rewrites, o.used), o);
  }
  if (block.lang === "ts") {
    const file = tsBlockFile(block, o.workDir);
    writeFileSync(file, block.code);
    return runShell(`exec "${process.execPath}" "${file}"`, { ...o, cwd: o.workDir });
  }
  throw new Error(`README line ${block.line}: a runnable block in ${block.lang || "no language"}`);
}

/** The file a `ts` block is written to in `workDir`. */
export function tsBlockFile(block: CodeBlock, workDir: string): string {
  return join(workDir, `block-${block.line}.ts`);
}
