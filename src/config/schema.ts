/**
 * The sidecar's whole configuration as one zod schema: types, defaults and descriptions in one
 * place. docs/config.md is generated from it (src/config/write-docs.ts).
 */
import { z } from "zod";
import { eventsSchema } from "./schema-events.ts";
import { toMilliseconds } from "./duration.ts";
import {
  MAX_TIMER_MS,
  POSITIVE_TIMER_MS,
  SAFE_MS,
  TIMER_MS,
  allowed,
  duration,
  intMin,
  namespaceName,
  secretFile,
} from "./schema-kit.ts";
import { watchSchema } from "./schema-watch.ts";
import { watchIdentity } from "./watch-diff.ts";

/** The path SQLite reads as an in-memory database, which the sidecar's store refuses. */
const MEMORY_PATH = ":memory:";

const helm = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Check Helm releases for deprecated APIs."),
    drivers: z
      .enum(["secrets", "configmaps", "both"])
      .default("both")
      .describe("Helm storage drivers to read."),
    namespaces: z
      .array(namespaceName)
      .min(1)
      .optional()
      .describe("Only these namespaces; default all."),
    statuses: z
      .array(z.string().regex(/^[a-z-]+$/, { message: "expected a Helm status such as deployed" }))
      .min(1)
      .default(["deployed"])
      .describe("Revision statuses checked."),
    targets: z
      .strictObject({
        offsets: z
          .array(z.int().min(0))
          .min(1)
          .default([0, 1, 2])
          .describe("Minor offsets from the cluster's version."),
        versions: z
          .array(z.string().regex(/^v?\d+\.\d+(\.\d+)?$/, { message: 'expected "v1.31"' }))
          .min(1)
          .optional()
          .describe("Explicit target versions (`v1.31`), used instead of offsets."),
      })
      .prefault({})
      .describe("Upgrade targets."),
    fullScanInterval: duration(SAFE_MS)
      .prefault("15m")
      .describe("Full reconcile period; 0: only at start."),
    versionInterval: duration({ ...SAFE_MS, minMs: 1000 })
      .prefault("10m")
      .describe("How often `/version` is re-read."),
    incrementalDelay: duration(TIMER_MS)
      .prefault("250ms")
      .describe("Quiet time after a release changes before it is checked."),
    extraRowsFile: z
      .string()
      .min(1)
      .optional()
      .describe("YAML/JSON file of extra deprecation rows, hot-reloaded."),
    maxThreads: intMin(1)
      .optional()
      .describe("Scan threads; default the CPUs usable (a CPU limit caps them)."),
    pageSize: intMin(1)
      .default(256)
      .describe(
        "LIST page size of release discovery (the metadata lists of Secrets/ConfigMaps) and of payload reads.",
      ),
  })
  .prefault({})
  .describe("The Helm checker.");

const store = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .regex(/\S/, { message: "expected a file path, not only spaces" })
      .refine((path) => path !== MEMORY_PATH, {
        message: `expected a file path (${JSON.stringify(MEMORY_PATH)} keeps no state across restarts)`,
      })
      .default("kube-lookout.db")
      .describe("The SQLite file (not `:memory:`)."),
    synchronous: z
      .enum(["FULL", "NORMAL"])
      .default("FULL")
      .describe("`FULL`: durable at commit; `NORMAL`: may lose commits on power loss."),
    maxSizeBytes: intMin(4096).optional().describe("Bound on the file size; default unbounded."),
    busyTimeoutMs: intMin(0)
      .max(MAX_TIMER_MS)
      .default(5000)
      .describe("Wait for another connection's lock (ms)."),
  })
  .prefault({})
  .describe("The state store.");

const telemetry = z
  .strictObject({
    prometheus: z.boolean().default(true).describe("Serve `/metrics` on the API port."),
    otlp: z
      .strictObject({
        endpoint: z
          .url({ protocol: /^https?$/, error: "expected an http(s) URL" })
          .optional()
          .describe("OTLP HTTP metrics URL; unset: the `OTEL_EXPORTER_OTLP_*` variables decide."),
        intervalSeconds: duration(POSITIVE_TIMER_MS)
          .optional()
          .describe("Export interval; unset: `OTEL_METRIC_EXPORT_INTERVAL`, else 60 s."),
        headers: z
          .record(z.string(), z.string())
          .default({})
          .describe(
            "Extra HTTP headers (masked by `config print`); sent wherever the endpoint comes from.",
          ),
      })
      .prefault({})
      .describe(
        "Push metrics by OTLP HTTP: on when `endpoint`, `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set.",
      ),
    cardinalityLimit: intMin(1).default(2000).describe("Most attribute sets per instrument."),
  })
  .prefault({})
  .describe("Metrics.");

const api = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default("127.0.0.1")
      .describe("Listen address (`0.0.0.0`: every interface)."),
    port: z
      .int()
      .min(0)
      .max(65_535)
      .default(9464)
      .describe("Port of the cache API, health and `/metrics`."),
    tokenFile: secretFile("the bearer token clients must send"),
  })
  .prefault({})
  .describe("The HTTP server.");

const plugin = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A built-in plugin (`stream-delay`, `watch-verify`, `resource-metrics`); any other name is imported as a module specifier, like `module`.",
      ),
    module: z.string().min(1).optional().describe("A module specifier (`./my-plugin.mjs`, `pkg`)."),
    config: z.unknown().optional().describe("Handed to the plugin's own schema."),
  })
  .refine((p) => (p.name === undefined) !== (p.module === undefined), {
    message: "expected exactly one of name or module",
  });

const leaderElection = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Run the Helm scans, publish events and run plugins only on the leader replica."),
    leaseName: z.string().min(1).default("kube-lookout").describe("The Lease's name."),
    leaseNamespace: namespaceName
      .optional()
      .describe("The Lease's namespace; default `POD_NAMESPACE`, else `default`."),
    leaseDurationSeconds: duration(POSITIVE_TIMER_MS).prefault("15s").describe("Lease duration."),
    renewDeadlineSeconds: duration(POSITIVE_TIMER_MS)
      .prefault("10s")
      .describe("Leader gives up renewing after; less than `leaseDurationSeconds`."),
    retryPeriodSeconds: duration(POSITIVE_TIMER_MS)
      .prefault("2s")
      .describe("Between acquire/renew attempts; `renewDeadlineSeconds` > 1.2 × this."),
  })
  .prefault({})
  .describe("Leader election on a coordination.k8s.io/v1 Lease (client-go semantics).");

/** The whole configuration schema (strict: an unknown key is an error). */
export const configSchema = z
  .strictObject({
    cluster: z
      .strictObject({
        name: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/, { message: "expected letters, digits, _ and -" })
          .default("default")
          .describe("The cluster's name: a subject token, `ce-source`, `k8s.cluster.name`."),
      })
      .prefault({})
      .describe("The cluster."),
    kube: z
      .strictObject({
        kubeconfig: z
          .string()
          .min(1)
          .optional()
          .describe("Kubeconfig file; default `KUBECONFIG` or ~/.kube/config."),
        context: z
          .string()
          .min(1)
          .optional()
          .describe("Kubeconfig context; default the current one."),
        inCluster: allowed(z.union([z.literal("auto"), z.boolean()]), '"auto", true or false')
          .default("auto")
          .describe("`auto`: in-cluster when the service-account token is mounted."),
      })
      .prefault({})
      .describe("How to reach the API server."),
    watch: watchSchema,
    helm,
    store,
    events: eventsSchema,
    telemetry,
    api,
    plugins: z.array(plugin).default([]).describe("Plugins, each `{ name | module, config }`."),
    leaderElection,
    shutdown: z
      .strictObject({
        flushTimeout: duration(TIMER_MS)
          .prefault("10s")
          .describe(
            "On SIGTERM, how long the outbox may take to reach NATS before the sidecar exits (the rest is published at the next start).",
          ),
      })
      .prefault({})
      .describe("Graceful shutdown."),
    reload: z
      .strictObject({
        watchFile: z
          .boolean()
          .default(true)
          .describe(
            "Reload the watch list when the configuration file changes (SIGHUP always reloads).",
          ),
      })
      .prefault({})
      .describe("Live reconfiguration of the `watch` list."),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info").describe("Log level."),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.watch.forEach((entry, i) => {
      const id = watchIdentity(entry);
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else
        ctx.addIssue({
          code: "custom",
          path: ["watch", i],
          input: undefined,
          message: `expected a watch different from watch[${first}] (same resource, namespaces and selectors)`,
        });
    });
    if (c.events.enabled && c.events.nats.servers.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["events", "nats", "servers"],
        input: c.events.nats.servers,
        message: "expected at least one NATS URL when events.enabled is true",
      });
    }
    const le = c.leaderElection;
    const leaseMs = toMilliseconds(le.leaseDurationSeconds);
    const renewMs = toMilliseconds(le.renewDeadlineSeconds);
    const retryMs = toMilliseconds(le.retryPeriodSeconds);
    // In milliseconds, as the elector compares them (src/leader/elector.ts).
    if (renewMs >= leaseMs) {
      ctx.addIssue({
        code: "custom",
        path: ["leaderElection", "renewDeadlineSeconds"],
        input: le.renewDeadlineSeconds,
        message: `expected less than leaseDurationSeconds (${le.leaseDurationSeconds})`,
      });
    }
    // client-go: renewDeadline must exceed JitterFactor (1.2) × retryPeriod.
    if (renewMs <= 1.2 * retryMs) {
      ctx.addIssue({
        code: "custom",
        path: ["leaderElection", "retryPeriodSeconds"],
        input: le.retryPeriodSeconds,
        message: `expected renewDeadlineSeconds (${le.renewDeadlineSeconds}) > 1.2 × retryPeriodSeconds`,
      });
    }
  });

/** The configuration after defaults and validation (durations in seconds). */
export type LookoutConfig = z.output<typeof configSchema>;

/** One watched resource of {@link LookoutConfig.watch}. */
export type WatchEntry = LookoutConfig["watch"][number];

/** The configuration as written (every key optional, durations as seconds or strings). */
export type LookoutConfigInput = z.input<typeof configSchema>;
