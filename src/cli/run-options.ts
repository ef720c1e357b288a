/**
 * From the validated configuration to the composition root's options: what `kube-lookout run`
 * builds. Pure but for reading secret files (NATS token and password).
 */
import type { MeterProvider } from "@opentelemetry/api";
import { toMilliseconds, type LookoutConfig } from "../config/index.ts";
import type { KubeClient } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import type { LookoutOptions, WatchedResource } from "../lookout.ts";
import type { LookoutStore } from "../store/index.ts";
import { otlpEndpointInEnv, type TelemetryOptions } from "../telemetry/index.ts";
import { discoveredKey, type Discovered } from "./discover.ts";
import { readSecretFile } from "./secret-file.ts";

/** What the options are built with, besides the configuration. */
export interface RunDeps {
  readonly client: KubeClient;
  readonly store: LookoutStore;
  readonly logger: Logger;
  readonly meterProvider: MeterProvider;
  readonly metricsHandler: LookoutOptions["metricsHandler"];
  /** Discovery's answers, by `discoveredKey`. */
  readonly discovered: ReadonlyMap<string, Discovered>;
  /** This pod's name (the leader identity's stem). */
  readonly podName: string;
  /** This pod's namespace (the default Lease namespace). */
  readonly podNamespace: string;
}

/** Seconds (the configuration's unit) to whole milliseconds, as the schema's bounds assume. */
const ms = toMilliseconds;

/**
 * The watched resources: one per namespace of a namespace list; a namespace label selector
 * stays one entry (the composition root follows the namespaces it selects).
 */
export function watchedResources(
  config: LookoutConfig,
  discovered: ReadonlyMap<string, Discovered>,
): WatchedResource[] {
  const out: WatchedResource[] = [];
  for (const w of config.watch) {
    const resource = { group: w.group, version: w.version, resource: w.resource };
    const found = discovered.get(discoveredKey(resource));
    const kind = w.kind ?? found?.kind ?? "";
    const base: WatchedResource = {
      resource,
      kind,
      namespaced: found?.namespaced ?? true,
      events: w.feeds.includes("events"),
      cache: w.feeds.includes("cache"),
      metrics: w.feeds.includes("metrics"),
      pageSize: w.pageSize,
      ...(w.dropFields.length === 0 ? {} : { dropFields: w.dropFields }),
      ...(w.labelSelector === undefined ? {} : { labelSelector: w.labelSelector }),
      ...(w.fieldSelector === undefined ? {} : { fieldSelector: w.fieldSelector }),
    };
    if (w.namespaces === "all") out.push(base);
    else if (Array.isArray(w.namespaces)) {
      for (const namespace of w.namespaces) out.push({ ...base, namespace });
    } else out.push({ ...base, namespaceSelector: w.namespaces.labelSelector });
  }
  return out;
}

/** The composition root's options for `config`. */
export function lookoutOptionsFrom(config: LookoutConfig, deps: RunDeps): LookoutOptions {
  const c = config;
  const nats = c.events.nats;
  return {
    client: deps.client,
    store: deps.store,
    cluster: c.cluster.name,
    logger: deps.logger,
    meterProvider: deps.meterProvider,
    ...(c.telemetry.prometheus && deps.metricsHandler !== undefined
      ? { metricsHandler: deps.metricsHandler }
      : {}),
    resources: watchedResources(c, deps.discovered),
    http: {
      host: c.api.host,
      port: c.api.port,
      ...(c.api.tokenFile === undefined ? {} : { tokenFile: c.api.tokenFile }),
    },
    helm: c.helm.enabled
      ? {
          drivers: c.helm.drivers,
          ...(c.helm.namespaces === undefined ? {} : { namespaces: c.helm.namespaces }),
          statuses: c.helm.statuses,
          targets: {
            offsets: c.helm.targets.offsets,
            ...(c.helm.targets.versions === undefined ? {} : { versions: c.helm.targets.versions }),
          },
          fullScanIntervalMs: ms(c.helm.fullScanInterval),
          versionIntervalMs: ms(c.helm.versionInterval),
          incrementalDelayMs: ms(c.helm.incrementalDelay),
          ...(c.helm.extraRowsFile === undefined ? {} : { extraRowsFile: c.helm.extraRowsFile }),
          ...(c.helm.maxThreads === undefined ? {} : { maxThreads: c.helm.maxThreads }),
          pageSize: c.helm.pageSize,
        }
      : false,
    ...(c.events.enabled
      ? {
          events: {
            nats: {
              servers: nats.servers,
              name: `kube-lookout/${deps.podName}`,
              ...(nats.tokenFile === undefined
                ? {}
                : { token: readSecretFile(nats.tokenFile, "events.nats.tokenFile") }),
              ...(nats.user === undefined ? {} : { user: nats.user }),
              ...(nats.passwordFile === undefined
                ? {}
                : { pass: readSecretFile(nats.passwordFile, "events.nats.passwordFile") }),
              ...(nats.tls === undefined ? {} : { tls: tlsOf(nats.tls) }),
            },
            prefix: c.events.prefix,
            mode: c.events.mode,
            stream: {
              name: c.events.stream.name,
              maxAgeMs: ms(c.events.stream.maxAge),
              maxBytes: c.events.stream.maxBytes,
              duplicateWindowMs: ms(c.events.stream.duplicateWindow),
              storage: c.events.stream.storage,
              replicas: c.events.stream.replicas,
            },
            includeObject: c.events.includeObject,
            dropStatusOnly: c.events.dropStatusOnly,
            dropMetadataNoise: c.events.dropMetadataNoise,
            batchSize: c.events.batchSize,
            batchDelayMs: ms(c.events.batchDelay),
            maxOutboxRows: c.events.maxOutboxRows,
            maxOutboxBytes: c.events.maxOutboxBytes,
            fullPolicy: c.events.fullPolicy,
            maxInFlight: c.events.maxInFlight,
            ackTimeoutMs: ms(c.events.ackTimeout),
          },
        }
      : {}),
    plugins: c.plugins.map((p) => ({ plugin: p.name ?? p.module ?? "", config: p.config })),
    ...(c.leaderElection.enabled
      ? {
          leaderElection: {
            namespace: c.leaderElection.leaseNamespace ?? deps.podNamespace,
            name: c.leaderElection.leaseName,
            identity: `${deps.podName}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
            leaseDurationMs: ms(c.leaderElection.leaseDurationSeconds),
            renewDeadlineMs: ms(c.leaderElection.renewDeadlineSeconds),
            retryPeriodMs: ms(c.leaderElection.retryPeriodSeconds),
          },
        }
      : {}),
  };
}

/**
 * The telemetry options for `config`. OTLP export is on when `telemetry.otlp.endpoint` is set
 * or `env` names an endpoint (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT`); then the configured interval and headers apply whichever
 * gave the endpoint, and an unset interval is left to `OTEL_METRIC_EXPORT_INTERVAL` (else 60 s).
 * With neither, OTLP stays off. `env` is the environment the telemetry reads too (it is passed
 * on); default `process.env`. Pure.
 */
export function telemetryOptionsFrom(
  config: LookoutConfig,
  version: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): TelemetryOptions {
  const t = config.telemetry;
  const otlp = t.otlp;
  const on = otlp.endpoint !== undefined || otlpEndpointInEnv(env);
  // No serviceName: "kube-lookout" is the default, and OTEL_SERVICE_NAME may change it.
  return {
    serviceVersion: version,
    clusterName: config.cluster.name,
    prometheus: t.prometheus,
    cardinalityLimit: t.cardinalityLimit,
    env,
    ...(on
      ? {
          otlp: {
            ...(otlp.endpoint === undefined ? {} : { url: otlp.endpoint }),
            ...(otlp.intervalSeconds === undefined ? {} : { intervalMs: ms(otlp.intervalSeconds) }),
            headers: otlp.headers,
          },
        }
      : {}),
  };
}

/** TLS file options without undefined members. */
function tlsOf(tls: {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}): {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
} {
  return {
    ...(tls.caFile === undefined ? {} : { caFile: tls.caFile }),
    ...(tls.certFile === undefined ? {} : { certFile: tls.certFile }),
    ...(tls.keyFile === undefined ? {} : { keyFile: tls.keyFile }),
  };
}
