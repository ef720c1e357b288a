/**
 * Loading the configuration: the YAML file, then `KUBE_LOOKOUT_*` variables, then `--set`
 * flags, each overriding the one before, validated by the schema in one pass that reports
 * every problem.
 */
import { readFile } from "node:fs/promises";
import {
  LineCounter,
  isMap,
  isNode,
  isScalar,
  parse as parseYaml,
  parseDocument,
  type Document,
} from "yaml";
import { ConfigInvalidError, ConfigReadError, type ConfigProblem } from "./errors.ts";
import { coerceText, isListOfScalars } from "./coerce.ts";
import { envOverrides } from "./env.ts";
import { formatKeyPath, parseKeyPath, setAt } from "./key-path.ts";
import { issuesToProblems, showValue } from "./problems.ts";
import { configSchema, type LookoutConfig } from "./schema.ts";
import { kindOf, schemaAt } from "./schema-walk.ts";

/** Where the configuration comes from. Every field is optional: no file means defaults. */
export interface LoadConfigOptions {
  /** The YAML file. */
  readonly file?: string;
  /** The environment to read `KUBE_LOOKOUT_*` from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Overrides by key path (`{"store.path": "/data/x.db", "watch[0].labelSelector": "app=web"}`),
   * applied last. A string value is read like `--set`: as YAML (`8080` a number, `[a, b]` a
   * list) except for string keys, which take the text as is; for a list key, text that is not
   * a YAML list is comma-separated as in `KUBE_LOOKOUT_*` variables (`1,2` and `1` are lists).
   */
  readonly flags?: Readonly<Record<string, unknown>>;
}

/** {@link LoadConfigOptions} with the file's text instead of its name (no I/O). */
export interface ResolveConfigInput extends Omit<LoadConfigOptions, "file"> {
  /** The YAML text; undefined: no file. */
  readonly text?: string;
  /** The file's name, for error messages only. */
  readonly file?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a `--set` value for the key at `path`: see {@link LoadConfigOptions.flags}. A list of
 * scalars whose text is not a YAML list is read as a `KUBE_LOOKOUT_*` variable is
 * ({@link coerceText}): comma-separated, each item typed by the list's item schema, one value
 * a one-item list.
 */
function flagValue(path: readonly (string | number)[], value: unknown): unknown {
  if (typeof value !== "string") return value;
  const node = schemaAt(configSchema, path);
  const kind = node === undefined ? undefined : kindOf(node);
  if (kind === "string") return value;
  let parsed: unknown = value;
  try {
    parsed = parseYaml(value);
  } catch {
    // Not YAML: the text as is, which the schema then judges.
  }
  if (node !== undefined && isListOfScalars(node) && typeof parsed !== "object") {
    return coerceText(node, typeof parsed === "string" ? parsed : value);
  }
  return parsed ?? value;
}

function keyNode(doc: Document, path: readonly (string | number)[]): unknown {
  const parent: unknown = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  return parent.items.find((pair) => isScalar(pair.key) && pair.key.value === path.at(-1))?.key;
}

/** Where the value at `keyPath` (or the key itself) is in the file, else its nearest ancestor. */
function position(
  doc: Document,
  counter: LineCounter,
  keyPath: readonly PropertyKey[],
  atKey: boolean,
): { line: number; column: number } | undefined {
  const path = keyPath.filter((p): p is string | number => typeof p !== "symbol");
  for (let n = path.length; n >= 0; n--) {
    const node: unknown =
      n === 0
        ? doc.contents
        : atKey && n === path.length
          ? keyNode(doc, path)
          : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      const { line, col } = counter.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return undefined;
}

function originOf(
  origins: ReadonlyMap<string, string>,
  keyPath: readonly PropertyKey[],
): string | undefined {
  for (let n = keyPath.length; n > 0; n--) {
    const origin = origins.get(formatKeyPath(keyPath.slice(0, n)));
    if (origin !== undefined) return origin;
  }
  return undefined;
}

/**
 * Merges and validates without I/O: `text` (YAML) < `env` < `flags`. Resolves to the validated
 * configuration with defaults; throws {@link ConfigInvalidError} listing every problem (YAML
 * syntax with line and column, unknown keys with a suggestion, bad values naming key, value
 * and what is allowed, unknown `KUBE_LOOKOUT_*` variables, malformed flag keys).
 */
export function resolveConfig(input: ResolveConfigInput = {}): LookoutConfig {
  const problems: ConfigProblem[] = [];
  const counter = new LineCounter();
  let doc: Document | undefined;
  let data: Record<string, unknown> = {};
  if (input.text !== undefined) {
    doc = parseDocument(input.text, {
      lineCounter: counter,
      uniqueKeys: true,
      prettyErrors: false,
    });
    for (const error of doc.errors) {
      const { line, col } = counter.linePos(error.pos[0]);
      problems.push({
        path: "(yaml)",
        value: undefined,
        message: `YAML syntax: ${error.message.split("\n")[0] ?? error.code}`,
        line,
        column: col,
        source: "file",
      });
    }
    if (problems.length > 0) throw new ConfigInvalidError(problems, input.file);
    const parsed: unknown = doc.toJS();
    if (isRecord(parsed)) data = parsed;
    else if (parsed !== null && parsed !== undefined) {
      problems.push({
        path: "(top level)",
        value: showValue([], parsed),
        message: "expected a mapping of keys (cluster, watch, helm, ...)",
        line: 1,
        column: 1,
        source: "file",
      });
    }
  }
  const origins = new Map<string, string>();
  const env = envOverrides(input.env ?? process.env);
  problems.push(...env.problems);
  for (const o of env.overrides) {
    setAt(data, o.path, o.value);
    origins.set(formatKeyPath(o.path), o.name);
  }
  for (const [key, value] of Object.entries(input.flags ?? {})) {
    const path = parseKeyPath(key);
    if (path === undefined) {
      problems.push({
        path: key,
        value: undefined,
        message:
          "malformed key path; expected dotted keys with [n] list indexes, like watch[0].labelSelector",
        source: "flag",
        origin: `--set ${key}`,
      });
      continue;
    }
    setAt(data, path, flagValue(path, value));
    origins.set(formatKeyPath(path), `--set ${key}`);
  }
  const result = configSchema.safeParse(data);
  if (result.success && problems.length === 0) return result.data;
  if (!result.success) {
    for (const p of issuesToProblems(result.error.issues, configSchema, data)) {
      const { keyPath, atKey, ...problem } = p;
      const origin = originOf(origins, keyPath);
      if (origin !== undefined) {
        problems.push({ ...problem, source: origin.startsWith("--") ? "flag" : "env", origin });
      } else if (doc !== undefined) {
        problems.push({
          ...problem,
          ...position(doc, counter, keyPath, atKey === true),
          source: "file",
        });
      } else problems.push(problem);
    }
  }
  throw new ConfigInvalidError(byPosition(problems), input.file);
}

function positionKey(p: ConfigProblem): number {
  return p.line === undefined ? Infinity : p.line * 100_000 + (p.column ?? 0);
}

/** File problems in file order, then the others (env, flags) in the order found. */
function byPosition(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const key = positionKey;
  return problems
    .map((p, i) => ({ p, i }))
    .sort((x, y) => key(x.p) - key(y.p) || x.i - y.i)
    .map(({ p }) => p);
}

/**
 * Reads `file` (when given) and resolves the configuration: see {@link resolveConfig}. Rejects
 * with {@link ConfigReadError} when the file cannot be read, {@link ConfigInvalidError} when
 * the result is invalid.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LookoutConfig> {
  let text: string | undefined;
  if (options.file !== undefined) {
    try {
      text = await readFile(options.file, "utf8");
    } catch (error: unknown) {
      throw new ConfigReadError(options.file, { cause: error });
    }
  }
  return resolveConfig({
    ...(text === undefined ? {} : { text }),
    ...(options.file === undefined ? {} : { file: options.file }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.flags === undefined ? {} : { flags: options.flags }),
  });
}

/**
 * Splits `--set key=value` arguments into a flags map for {@link loadConfig}. Throws
 * {@link ConfigInvalidError} naming each argument without `=` or with an empty key.
 */
export function parseSetFlags(args: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      problems.push({
        path: arg,
        value: undefined,
        message: "expected --set KEY=VALUE (e.g. --set store.path=/data/lookout.db)",
        source: "flag",
      });
    } else flags[arg.slice(0, eq).trim()] = arg.slice(eq + 1);
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  return flags;
}
