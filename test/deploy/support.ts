/**
 * Helpers of the deployment tests (test/deploy/): a small Dockerfile parser, and rendering a
 * kustomize directory with `kubectl kustomize` into plain objects. Others may import these;
 * only the deploy tests' owner edits this file.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";

/** The repository's root directory (absolute, no trailing slash). */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  /** Upper-cased keyword (`FROM`, `RUN`, ...). */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined by a space, trimmed. */
  readonly args: string;
  /** The JSON array of the exec form (`["a", "b"]`), undefined for the shell form. */
  readonly exec: readonly string[] | undefined;
  /** 1-based line of the keyword. */
  readonly line: number;
}

/** One build stage: its `FROM` (ARGs expanded) and its instructions after `FROM`. */
export interface Stage {
  readonly index: number;
  /** The `AS` name, lower-cased; undefined when unnamed. */
  readonly name: string | undefined;
  /** The base image with global ARG defaults substituted. */
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** Global `ARG`s (before the first `FROM`) with their defaults ("" when none). */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    if (Array.isArray(parsed) && parsed.every((x): x is string => typeof x === "string")) {
      return parsed;
    }
  } catch {
    // Not JSON: Docker runs it as the shell form.
  }
  return undefined;
}

/**
 * Splits Dockerfile text into instructions: `#` comment lines (also inside a continuation) and
 * blank lines are dropped, a line ending in `\` continues on the next. Heredocs are not
 * supported: a `<<` in RUN/COPY throws, so a checker never silently misreads one.
 */
export function parseInstructions(source: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  const flush = (): void => {
    if (pending === undefined) return;
    const joined = pending.parts.filter((p) => p !== "").join(" ");
    const match = /^(\S+)\s*(.*)$/s.exec(joined);
    if (match !== null) {
      const keyword = (match[1] ?? "").toUpperCase();
      const args = (match[2] ?? "").trim();
      if ((keyword === "RUN" || keyword === "COPY") && /<<-?["']?[A-Za-z]/.test(args)) {
        throw new Error(`line ${pending.line}: heredocs are not supported by this parser`);
      }
      out.push({ keyword, args, exec: execForm(args), line: pending.line });
    }
    pending = undefined;
  };
  source.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const continues = /\\\s*$/.test(raw);
    pending ??= { parts: [], line: i + 1 };
    pending.parts.push(continues ? raw.replace(/\\\s*$/, "").trim() : trimmed);
    if (!continues) flush();
  });
  flush(); // a continuation at the end of the file ends there
  return out;
}

/** Substitutes `$NAME` and `${NAME}` from `vars` (unknown names become ""). */
export function expandArgs(value: string, vars: ReadonlyMap<string, string>): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, braced: string | undefined, bare: string | undefined) =>
      vars.get(braced ?? bare ?? "") ?? "",
  );
}

/** Parses `NAME=default` or `NAME` of an ARG instruction. */
function argOf(args: string): [string, string] {
  const eq = args.indexOf("=");
  if (eq < 0) return [args.trim(), ""];
  return [
    args.slice(0, eq).trim(),
    args
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1"),
  ];
}

/**
 * Parses a Dockerfile into global ARGs and stages. Throws when an instruction other than ARG
 * comes before the first FROM, or a FROM names no image.
 */
export function parseDockerfile(source: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: { index: number; name: string | undefined; image: string; body: Instruction[] }[] =
    [];
  for (const ins of parseInstructions(source)) {
    if (ins.keyword === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const image = words[0];
      if (image === undefined) throw new Error(`line ${ins.line}: FROM without an image`);
      const as = words[1]?.toUpperCase() === "AS" ? words[2]?.toLowerCase() : undefined;
      stages.push({
        index: stages.length,
        name: as,
        image: expandArgs(image, globalArgs),
        body: [],
      });
    } else if (stages.length === 0) {
      if (ins.keyword !== "ARG") throw new Error(`line ${ins.line}: ${ins.keyword} before FROM`);
      const [name, value] = argOf(ins.args);
      globalArgs.set(name, value);
    } else stages.at(-1)?.body.push(ins);
  }
  return {
    globalArgs,
    stages: stages.map((s) => ({
      index: s.index,
      name: s.name,
      image: s.image,
      instructions: s.body,
    })),
  };
}

/**
 * Parses `key=value` pairs of a LABEL (or ENV) instruction; values may be double-quoted with
 * `\"` escapes. `vars` expands `${NAME}` in values.
 */
export function parsePairs(args: string, vars: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s=]+)=("((?:[^"\\]|\\.)*)"|(\S*))/g;
  for (const m of args.matchAll(re)) {
    const value = m[3] === undefined ? (m[4] ?? "") : m[3].replace(/\\(.)/g, "$1");
    out.set(m[1] ?? "", expandArgs(value, vars));
  }
  return out;
}

const execFileAsync = promisify(execFile);

/**
 * Renders a kustomize directory with `kubectl kustomize DIR` and parses the documents.
 * Rejects with a clear message when kubectl is not on PATH, or with kustomize's stderr when
 * the render fails. Resolves to the objects in output order.
 */
export async function renderKustomize(dir: string): Promise<unknown[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync("kubectl", ["kustomize", dir], {
      maxBuffer: 32 * 1024 * 1024,
    }));
  } catch (error: unknown) {
    const code: unknown = Reflect.get(Object(error), "code");
    if (code === "ENOENT") {
      throw new Error(
        "kubectl is not on PATH: the manifest tests need kubectl ≥ 1.27 (kustomize 5)",
        {
          cause: error,
        },
      );
    }
    const stderr: unknown = Reflect.get(Object(error), "stderr");
    throw new Error(`kubectl kustomize ${dir} failed: ${String(stderr)}`, { cause: error });
  }
  const docs = parseAllDocuments(stdout);
  const objects: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0)
      throw new Error(`bad YAML from kustomize: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

/** Whether `value` is a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` inside `value` (undefined where a step is missing). */
export function at(value: unknown, ...path: readonly (string | number)[]): unknown {
  let here = value;
  for (const key of path) {
    if (typeof key === "number") here = Array.isArray(here) ? here[key] : undefined;
    else here = isRecord(here) ? here[key] : undefined;
  }
  return here;
}

/** The records of the array at `path` (non-records dropped; [] when not an array). */
export function records(
  value: unknown,
  ...path: readonly (string | number)[]
): Record<string, unknown>[] {
  const list = at(value, ...path);
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** The string at `path`, or undefined. */
export function text(value: unknown, ...path: readonly (string | number)[]): string | undefined {
  const v = at(value, ...path);
  return typeof v === "string" ? v : undefined;
}

/** The string-valued map at `path` (e.g. labels); non-string values dropped. */
export function stringMap(
  value: unknown,
  ...path: readonly (string | number)[]
): Record<string, string> {
  const v = at(value, ...path);
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  return out;
}

/** Whether `labels` satisfy every pair of a non-empty `matchLabels`. */
export function selects(
  matchLabels: Record<string, string>,
  labels: Record<string, string>,
): boolean {
  const pairs = Object.entries(matchLabels);
  return pairs.length > 0 && pairs.every(([k, v]) => labels[k] === v);
}
