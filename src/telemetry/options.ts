/**
 * Options of {@link createTelemetry} and their validation, with the standard `OTEL_*`
 * environment variables. Explicit options win over the environment.
 */
import type { MetricProducer } from "@opentelemetry/sdk-metrics";
import { silentLogger, type Logger } from "../logging/index.ts";
import { InvalidTelemetryOptionError } from "./errors.ts";
import type { ResourceInput } from "./resource.ts";

/** The OTLP HTTP exporter's settings. Any unset field falls back to its `OTEL_*` variable. */
export interface OtlpOptions {
  /** Full URL of the metrics endpoint. Default: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics`, else `http://localhost:4318/v1/metrics`. */
  readonly url?: string;
  /** Export interval. Default: `OTEL_METRIC_EXPORT_INTERVAL`, else 60000. */
  readonly intervalMs?: number;
  /** Export timeout, at most `intervalMs`. Default: `OTEL_METRIC_EXPORT_TIMEOUT`, else 30000 (clamped to the interval). */
  readonly timeoutMs?: number;
  /** Extra HTTP headers (`OTEL_EXPORTER_OTLP_HEADERS` is read by the exporter itself too). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link createTelemetry}. All optional. */
export interface TelemetryOptions {
  /** `service.name`. Default `OTEL_SERVICE_NAME`, else `kube-lookout`. */
  readonly serviceName?: string;
  /** `service.version`. Default: this package's version. */
  readonly serviceVersion?: string;
  /** `k8s.cluster.name` (Kubernetes has no API to read it: configure it). */
  readonly clusterName?: string;
  /** More resource attributes; they win over `OTEL_RESOURCE_ATTRIBUTES` and the downward API. */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** Serve Prometheus text through `handleMetrics`. Default true. */
  readonly prometheus?: boolean;
  /**
   * Push by OTLP HTTP. Default: on when `OTEL_EXPORTER_OTLP_ENDPOINT` or
   * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` is set, else off; `false` turns it off regardless.
   */
  readonly otlp?: OtlpOptions | boolean;
  /** Producers of data the SDK does not aggregate (the Helm checker's `metricProducer`). */
  readonly metricProducers?: readonly MetricProducer[];
  /** Most attribute sets per instrument (a view on every instrument kind). Default 2000. */
  readonly cardinalityLimit?: number;
  /** Per-instrument limits by OTel instrument name, overriding `cardinalityLimit`. */
  readonly cardinalityLimits?: Readonly<Record<string, number>>;
  /** Histogram bucket boundaries by instrument name, overriding the catalogue's. */
  readonly histogramBuckets?: Readonly<Record<string, readonly number[]>>;
  /** Environment to read (`OTEL_*`, `POD_NAME`, ...). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where failed scrapes and collection errors are reported. Default: silent. */
  readonly logger?: Logger;
}

/** {@link TelemetryOptions} after validation, defaults and environment applied. */
export interface ResolvedTelemetryOptions {
  readonly resource: ResourceInput;
  readonly prometheus: boolean;
  readonly otlp:
    | {
        readonly url: string;
        readonly intervalMs: number;
        readonly timeoutMs: number;
        readonly headers: Readonly<Record<string, string>>;
      }
    | undefined;
  readonly metricProducers: readonly MetricProducer[];
  readonly cardinalityLimit: number;
  readonly cardinalityLimits: ReadonlyMap<string, number>;
  readonly histogramBuckets: ReadonlyMap<string, readonly number[]>;
  readonly logger: Logger;
}

/** The default limit of attribute sets per instrument (the SDK's own default too). */
export const DEFAULT_CARDINALITY_LIMIT = 2000;
const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;

const bad = (option: string, value: unknown, expected: string): never => {
  throw new InvalidTelemetryOptionError(option, value, expected);
};

function positiveInt(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0)
    bad(option, value, "a positive integer");
  return Number(value);
}

function envInt(env: ResolvedEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === "") return undefined;
  if (!/^\d+$/.test(text.trim())) bad(name, text, "a positive integer of milliseconds");
  return positiveInt(name, Number(text.trim()));
}

function optionalString(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && value !== "") return value;
  return bad(option, value, "a non-empty string");
}

function stringRecord(option: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    bad(option, value, "an object of strings");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value ?? {})) {
    if (typeof v === "string") out[k] = v;
    else bad(`${option}.${k}`, v, "a string");
  }
  return out;
}

function httpUrl(option: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch (err) {
    throw new InvalidTelemetryOptionError(option, value, "an http(s) URL", err);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") bad(option, value, "an http(s) URL");
  return url.href;
}

type ResolvedEnv = Readonly<Record<string, string | undefined>>;

/** The OTLP endpoints `env` names (a blank variable counts as unset). */
function envEndpoints(env: ResolvedEnv): { signalUrl?: string; baseUrl?: string } {
  const signalUrl = env["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]?.trim() || undefined;
  const baseUrl = env["OTEL_EXPORTER_OTLP_ENDPOINT"]?.trim() || undefined;
  return {
    ...(signalUrl === undefined ? {} : { signalUrl }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
  };
}

/**
 * True when `env` names an OTLP metrics endpoint (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, not blank): what turns OTLP push on when `otlp` is not given.
 */
export function otlpEndpointInEnv(env: ResolvedEnv): boolean {
  const { signalUrl, baseUrl } = envEndpoints(env);
  return signalUrl !== undefined || baseUrl !== undefined;
}

function resolveOtlp(otlp: unknown, env: ResolvedEnv): ResolvedTelemetryOptions["otlp"] {
  const { signalUrl, baseUrl } = envEndpoints(env);
  if (otlp === false) return undefined;
  if (otlp === undefined && signalUrl === undefined && baseUrl === undefined) return undefined;
  if (otlp !== undefined && otlp !== true && (typeof otlp !== "object" || otlp === null))
    bad("otlp", otlp, "a boolean or an object");
  const o: Partial<Record<keyof OtlpOptions, unknown>> =
    typeof otlp === "object" && otlp !== null ? otlp : {};
  const given = optionalString("otlp.url", o.url);
  const url =
    given !== undefined
      ? httpUrl("otlp.url", given)
      : signalUrl !== undefined
        ? httpUrl("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", signalUrl)
        : baseUrl !== undefined
          ? httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", `${baseUrl.replace(/\/+$/, "")}/v1/metrics`)
          : "http://localhost:4318/v1/metrics";
  const intervalMs =
    o.intervalMs !== undefined
      ? positiveInt("otlp.intervalMs", o.intervalMs)
      : (envInt(env, "OTEL_METRIC_EXPORT_INTERVAL") ?? DEFAULT_INTERVAL_MS);
  const optionTimeout =
    o.timeoutMs === undefined ? undefined : positiveInt("otlp.timeoutMs", o.timeoutMs);
  if (optionTimeout !== undefined && optionTimeout > intervalMs)
    bad("otlp.timeoutMs", optionTimeout, `at most the export interval (${intervalMs} ms)`);
  // An export may not outlast its interval. OTEL_METRIC_EXPORT_TIMEOUT is often set to the
  // OpenTelemetry default of 30 s: with a shorter interval it is cut to the interval.
  const envTimeout = envInt(env, "OTEL_METRIC_EXPORT_TIMEOUT");
  const timeoutMs = optionTimeout ?? Math.min(envTimeout ?? DEFAULT_TIMEOUT_MS, intervalMs);
  return { url, intervalMs, timeoutMs, headers: stringRecord("otlp.headers", o.headers) ?? {} };
}

function resolveBuckets(value: unknown): Map<string, readonly number[]> {
  const out = new Map<string, readonly number[]>();
  if (value === undefined) return out;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    bad("histogramBuckets", value, "an object of number arrays");
  for (const [name, b] of Object.entries(value ?? {})) {
    const ok =
      Array.isArray(b) &&
      b.every(
        (x, i) => typeof x === "number" && Number.isFinite(x) && (i === 0 || x > Number(b[i - 1])),
      );
    if (!ok) bad(`histogramBuckets.${name}`, b, "finite numbers in increasing order");
    out.set(name, Object.freeze(b.map(Number)));
  }
  return out;
}

/**
 * Validates `options` and applies defaults and the environment. Throws
 * {@link InvalidTelemetryOptionError} naming the first bad option or variable.
 */
export function resolveTelemetryOptions(
  options: TelemetryOptions,
  packageVersion: string,
): ResolvedTelemetryOptions {
  if (typeof options !== "object" || options === null) bad("options", options, "an object");
  const env = options.env ?? process.env;
  if (typeof env !== "object" || env === null) bad("env", env, "an object");
  const prometheus = options.prometheus ?? true;
  if (typeof prometheus !== "boolean") bad("prometheus", prometheus, "a boolean");
  const producers = options.metricProducers ?? [];
  if (!Array.isArray(producers) || producers.some((p) => typeof p?.collect !== "function"))
    bad("metricProducers", producers, "an array of MetricProducers");
  const limits = new Map<string, number>();
  const given = options.cardinalityLimits;
  if (given !== undefined && (typeof given !== "object" || given === null || Array.isArray(given)))
    bad("cardinalityLimits", given, "an object of positive integers");
  for (const [name, n] of Object.entries(given ?? {}))
    limits.set(name, positiveInt(`cardinalityLimits.${name}`, n));
  const serviceName = optionalString("serviceName", options.serviceName);
  const clusterName = optionalString("clusterName", options.clusterName);
  return {
    resource: {
      serviceName,
      serviceVersion: optionalString("serviceVersion", options.serviceVersion) ?? packageVersion,
      clusterName,
      attributes: stringRecord("resourceAttributes", options.resourceAttributes),
      env,
    },
    prometheus,
    otlp: resolveOtlp(options.otlp, env),
    metricProducers: [...producers],
    cardinalityLimit:
      options.cardinalityLimit === undefined
        ? DEFAULT_CARDINALITY_LIMIT
        : positiveInt("cardinalityLimit", options.cardinalityLimit),
    cardinalityLimits: limits,
    histogramBuckets: resolveBuckets(options.histogramBuckets),
    logger: options.logger ?? silentLogger,
  };
}
