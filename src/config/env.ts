/**
 * The `KUBE_LOOKOUT_*` environment variables: a fixed table generated from the schema's keys
 * (`store.busyTimeoutMs` → `KUBE_LOOKOUT_STORE_BUSY_TIMEOUT_MS`), never guessed from the name.
 */
import type { ConfigProblem } from "./errors.ts";
import { configSchema } from "./schema.ts";
import { coerceText } from "./coerce.ts";
import { schemaLeaves, type LeafKind, type SchemaLeaf } from "./schema-walk.ts";
import { closest } from "./suggest.ts";

/** The prefix of every configuration variable. */
export const ENV_PREFIX = "KUBE_LOOKOUT_";

/** The variable naming the configuration file (used when no `--config` is given). */
export const CONFIG_FILE_ENV = "KUBE_LOOKOUT_CONFIG";

/** One configuration variable. */
export interface EnvVar {
  readonly name: string;
  /** The key path it sets. */
  readonly path: readonly string[];
  readonly kind: LeafKind;
  readonly leaf: SchemaLeaf;
}

/** `busyTimeoutMs` → `BUSY_TIMEOUT_MS`. */
function snake(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The variable name of a key path. */
export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map(snake).join("_");
}

function settable(leaf: SchemaLeaf): boolean {
  return (
    !leaf.path.includes("[]") &&
    leaf.type !== "list of objects" &&
    leaf.kind !== "map" &&
    leaf.kind !== "any"
  );
}

/**
 * Every configuration variable, in schema order: each scalar or list key outside the lists of
 * objects (`watch`, `plugins`) and maps (`telemetry.otlp.headers`), which only the file sets.
 */
export const envTable: readonly EnvVar[] = Object.freeze(
  schemaLeaves(configSchema)
    .filter(settable)
    .map((leaf) => ({
      name: envName(leaf.path),
      path: leaf.path,
      kind: leaf.kind,
      leaf,
    })),
);

const byName = new Map(envTable.map((v) => [v.name, v] as const));

/**
 * Turns a variable's text into a value for its key ({@link coerceText}): numbers for numbers,
 * `true`/`false`/`yes`/`no`/`1`/`0` where a boolean is allowed (`kube.inCluster` too),
 * comma-separated lists for lists. Text that does not fit is passed on as is, so the schema
 * reports it with the value.
 */
export function coerceEnvValue(variable: EnvVar, text: string): unknown {
  return coerceText(variable.leaf.node, text);
}

/** One variable's value, on its way into the configuration. */
export interface EnvOverride {
  readonly name: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

/**
 * The overrides that `env` holds. An empty variable counts as unset. An unknown
 * `KUBE_LOOKOUT_*` variable is a problem (with the closest known name), never ignored.
 */
export function envOverrides(env: Readonly<Record<string, string | undefined>>): {
  overrides: EnvOverride[];
  problems: ConfigProblem[];
} {
  const overrides: EnvOverride[] = [];
  const problems: ConfigProblem[] = [];
  for (const [name, text] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV) continue;
    if (text === undefined || text.trim() === "") continue;
    const variable = byName.get(name);
    if (variable === undefined) {
      const suggestion = closest(name, byName.keys());
      problems.push({
        path: name,
        value: undefined,
        message: "unknown variable; docs/config.md lists the KUBE_LOOKOUT_* variables",
        ...(suggestion === undefined ? {} : { suggestion }),
        source: "env",
      });
      continue;
    }
    overrides.push({ name, path: variable.path, value: coerceEnvValue(variable, text) });
  }
  return { overrides, problems };
}
