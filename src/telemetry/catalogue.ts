/**
 * The catalogue of every instrument kube-lookout exports, as data. docs/metrics.md is generated
 * from it (`node src/telemetry/write-docs.ts`), the SDK's views come from it (histogram buckets,
 * cardinality limits), and tests check a real scrape against it. Names follow the OpenTelemetry
 * semantic conventions (dotted, unit in `unit`, `k8s.*` attribute names); the Prometheus name
 * beside each is computed by the exporter's rules (prometheus-name.ts).
 *
 * `status: "planned"` marks instruments issue 5 specifies whose component does not create them
 * yet: the names here are the contract that component implements.
 */
import { DEFAULT_BUCKETS as STREAM_DELAY_BUCKETS } from "../../plugins/stream-delay/index.ts";
import { section, spec, type CatalogueEntry } from "./instrument-spec.ts";
import { InstrumentKind, prometheusName, prometheusType } from "./prometheus-name.ts";

export type { CatalogueEntry, Component, InstrumentSpec } from "./instrument-spec.ts";

const { counter, observableGauge, observableCounter, histogram } = InstrumentKind;
const producerGauge = InstrumentKind.producerGauge;

/** Buckets of latencies from a millisecond to tens of seconds. */
const FAST_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets of list calls: paged lists of large resources take seconds. */
const LIST_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** The Helm checker's own advice (src/helm/checker/metrics.ts), kept equal by a test. */
const HELM_SCAN_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** stream-delay's default buckets (plugins/stream-delay DEFAULT_BUCKETS), kept equal by a test. */
const STREAM_DELAY_S = STREAM_DELAY_BUCKETS;

const R = "k8s.resource"; // e.g. `apps/v1/deployments` (the informer's formatResourceId)

const SPECS = [
  // Helm checker: src/helm/checker/metrics.ts (scope kube-lookout/helm)
  ...section("helm", "implemented", [
    spec(
      "kube_lookout.helm.findings",
      producerGauge,
      "{finding}",
      [
        "k8s.namespace.name",
        "helm.release.name",
        "helm.chart.name",
        "helm.chart.version",
        "k8s.object.kind",
        "k8s.object.name",
        "k8s.api_version",
        "k8s.api_version.replacement",
        "deprecated_in",
        "removed_in",
        "target",
        "status",
        "source",
      ],
      "1 per object of a Helm release using an API deprecated or removed at a target version. Object names are the point here: the set is bounded by the releases' manifests, and a fixed finding is gone at the next scrape (ADR 0005).",
    ),
    spec("kube_lookout.helm.releases", observableGauge, "{release}", [], "Helm releases checked."),
    spec(
      "kube_lookout.helm.releases.with_findings",
      producerGauge,
      "{release}",
      ["target", "status"],
      "Releases with at least one deprecated or removed API, by target version and status.",
    ),
    spec(
      "kube_lookout.helm.releases.duplicate_deployed",
      observableGauge,
      "{release}",
      [],
      "Releases with more than one revision in status deployed (a known Helm failure mode).",
    ),
    spec(
      "kube_lookout.helm.scans",
      counter,
      "{scan}",
      ["mode"],
      "Scans completed, by mode (`full`, `incremental`).",
    ),
    spec(
      "kube_lookout.helm.scan.duration",
      histogram,
      "s",
      ["mode"],
      "Duration of scans, by mode.",
      HELM_SCAN_S,
    ),
    spec(
      "kube_lookout.helm.scan.last_success",
      observableGauge,
      "s",
      [],
      "Unix time of the last successful full scan.",
    ),
    spec(
      "kube_lookout.helm.release.errors",
      counter,
      "{error}",
      ["error.type"],
      "Release revisions that could not be fully checked, by error code (once per revision and code).",
    ),
    spec(
      "kube_lookout.helm.checker.errors",
      counter,
      "{error}",
      ["error.type"],
      "Errors of the checker itself (version read, store, extra rows, uncovered target), by code.",
    ),
  ]),

  // Informer: src/informer/metrics.ts hook, implemented by informerMetrics() (informer-metrics.ts)
  ...section("informer", "implemented", [
    spec(
      "kube_lookout.informer.lists",
      counter,
      "{list}",
      [R, "outcome"],
      "Complete lists (all pages), by outcome (`success`, `error`). A sync by a streaming watch (WatchList, `sendInitialEvents`, where the API server supports it, as the simulator does) is no list: it counts in `informer.watches`, and these three stay empty.",
    ),
    spec(
      "kube_lookout.informer.list.duration",
      histogram,
      "s",
      [R],
      "Duration of a complete list, all pages.",
      LIST_S,
    ),
    spec(
      "kube_lookout.informer.list.objects",
      counter,
      "{object}",
      [R],
      "Objects received by lists.",
    ),
    spec("kube_lookout.informer.watches", counter, "{watch}", [R], "Watch requests made."),
    spec(
      "kube_lookout.informer.watch.ends",
      counter,
      "{watch}",
      [R, "reason"],
      "Watch streams ended, by reason (`timeout`, `closed`, `expired`, `stalled`, `error`, `aborted`).",
    ),
    spec(
      "kube_lookout.informer.restarts",
      counter,
      "{restart}",
      [R, "reason"],
      "Reflector restarts (relist or re-watch after a failure), by reason (`expired`, `stalled`, `throttled`, `network`, ...).",
    ),
    spec(
      "kube_lookout.informer.expired",
      counter,
      "{response}",
      [R],
      "410 Expired/Gone answers (list, continue token or watch).",
    ),
    spec(
      "kube_lookout.informer.events",
      counter,
      "{event}",
      [R, "k8s.watch.event.type"],
      "Watch events, by type (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`).",
    ),
    spec(
      "kube_lookout.informer.objects",
      producerGauge,
      "{object}",
      [R],
      "Objects in the informer's cache.",
    ),
    spec(
      "kube_lookout.informer.last_event.age",
      producerGauge,
      "s",
      [R],
      "Seconds since the last watch event (from the informer's clock); grows while a watch is silent. With one informer per namespace, the most silent one's.",
    ),
    spec(
      "kube_lookout.informer.handler.queue.depth",
      producerGauge,
      "{notification}",
      [R, "handler"],
      "Pending notifications of one event handler (handler names are the registered, bounded set).",
    ),
    spec(
      "kube_lookout.informer.errors",
      counter,
      "{error}",
      [R, "error.type"],
      "Errors reported to the informer's error sink, by code.",
    ),
  ]),

  // Store: src/store/metrics.ts (scope kube-lookout/store), openStore's `meterProvider` option
  ...section("store", "implemented", [
    spec(
      "kube_lookout.store.size",
      observableGauge,
      "By",
      [],
      "Size of the SQLite database: `PRAGMA page_count` times the page size (free pages included: what counts against `maxSizeBytes`).",
    ),
    spec(
      "kube_lookout.store.size.limit",
      observableGauge,
      "By",
      [],
      "The configured `maxSizeBytes` (absent when unbounded).",
    ),
    spec(
      "kube_lookout.store.transaction.duration",
      histogram,
      "s",
      ["operation"],
      "Duration of write transactions (the outermost; a nested one is part of it; failed ones too), by what they wrote: `snapshots` (object snapshots, with or without the outbox rows reporting them), `helm`, `outbox` (outbox rows only), `kv` (the key/value table only).",
      FAST_S,
    ),
    spec(
      "kube_lookout.store.snapshots",
      observableGauge,
      "{object}",
      [R],
      "Object snapshots stored, by resource (the store's key, e.g. `apps/v1/deployments`); a resource with none leaves at the next scrape.",
    ),
    spec(
      "kube_lookout.store.errors",
      counter,
      "{error}",
      ["error.type"],
      "Errors thrown by the store's writes and transactions, by code (`LOOKOUT_STORE_FULL`, `LOOKOUT_STORE_WRITE_FAILED`, `LOOKOUT_STORE_BAD_INPUT`, ...), each error once.",
    ),
  ]),

  // Outbox: src/events/metrics.ts (scope kube-lookout/outbox)
  ...section("outbox", "implemented", [
    spec(
      "kube_lookout.outbox.backlog",
      observableGauge,
      "{row}",
      [],
      "Outbox rows not yet acknowledged by NATS.",
    ),
    spec(
      "kube_lookout.outbox.backlog.age",
      observableGauge,
      "s",
      [],
      "Age of the oldest outbox row not yet acknowledged (0 when empty).",
    ),
    spec("kube_lookout.outbox.appended", counter, "{row}", [], "Rows written to the outbox."),
    spec(
      "kube_lookout.outbox.dropped",
      counter,
      "{row}",
      ["reason"],
      "Rows dropped before publication, by reason (`drop_oldest` when the outbox bound is reached).",
    ),
  ]),

  // Relay: src/events/metrics.ts, the relay into JetStream (scope kube-lookout/relay)
  ...section("relay", "implemented", [
    spec(
      "kube_lookout.relay.publish.duration",
      histogram,
      "s",
      [],
      "Time from a publish to its JetStream acknowledgement.",
      FAST_S,
    ),
    spec(
      "kube_lookout.relay.delivered",
      counter,
      "{message}",
      [],
      "Messages acknowledged by JetStream as stored.",
    ),
    spec(
      "kube_lookout.relay.duplicates",
      counter,
      "{message}",
      [],
      "Messages JetStream acknowledged as duplicates (same `Nats-Msg-Id` within the duplicate window).",
    ),
    spec(
      "kube_lookout.relay.failures",
      counter,
      "{message}",
      ["error.type"],
      "Publishes that failed and will be retried, by code.",
    ),
    spec(
      "kube_lookout.relay.omitted",
      counter,
      "{message}",
      ["kube_lookout.omitted"],
      "Messages over the NATS server's `max_payload`, sent without their large body members (`object`, `changes`, `findings`, or `data` for the whole body), named in the `ce-omitted` header; see events.md, Large events.",
    ),
    spec(
      "kube_lookout.relay.nats.connected",
      observableGauge,
      "1",
      [],
      "1 while the NATS connection is up, 0 otherwise.",
    ),
  ]),

  // Plugins: the host (src/plugins/host.ts) and the built-in plugins (plugins/*)
  ...section("plugins", "implemented", [
    spec(
      "kube_lookout.plugin.restarts",
      counter,
      "{restart}",
      ["kube_lookout.plugin"],
      "Plugin restarts after a failure, by plugin name.",
    ),
    {
      ...spec(
        "kube_lookout.watch.stream_delay",
        histogram,
        "s",
        [R, "event.type"],
        "stream-delay: from a change (creationTimestamp, deletionTimestamp, newest managedFields time) to its arrival on the watch. MODIFIED only where the informers keep managedFields: never in the sidecar, which strips them.",
        STREAM_DELAY_S,
      ),
      // The plugin sets them from its `buckets` config; these are its default.
      bucketsByAdvice: true,
    },
    spec(
      "kube_lookout.watch.stream_delay.skewed",
      counter,
      "{event}",
      [R, "event.type"],
      "stream-delay: events whose timestamp is ahead of our clock (left out of the histogram).",
    ),
    spec(
      "kube_lookout.resource.cpu.usage",
      observableGauge,
      "{cpu}",
      [
        "kube_lookout.scope",
        "k8s.namespace.name",
        "k8s.workload.kind",
        "k8s.workload.name",
        "k8s.node.name",
      ],
      "resource-metrics: CPU in use (cores) from metrics.k8s.io, per workload, namespace or node (`kube_lookout.scope` says which; one series per workload). A gone workload's series leaves at the next scrape.",
    ),
    spec(
      "kube_lookout.resource.memory.usage",
      observableGauge,
      "By",
      [
        "kube_lookout.scope",
        "k8s.namespace.name",
        "k8s.workload.kind",
        "k8s.workload.name",
        "k8s.node.name",
      ],
      "resource-metrics: memory in use (bytes), aggregated as the CPU gauge.",
    ),
    spec(
      "kube_lookout.resource.collection.failures",
      counter,
      "{failure}",
      ["kube_lookout.source"],
      "resource-metrics: rounds in which a source (pods, nodes, prometheus) could not be read.",
    ),
    spec(
      "kube_lookout.watch.discrepancies",
      counter,
      "{object}",
      [R, "kind"],
      "watch-verify: objects where the cache disagreed with a LIST, by kind (missing, ghost, stale); each counted once.",
    ),
  ]),

  // Scan pool: src/helm/checker/pool-metrics.ts (scope kube-lookout/scan-pool), the checker's pool
  ...section("scan-pool", "implemented", [
    spec(
      "kube_lookout.scan_pool.queue.size",
      observableGauge,
      "{task}",
      [],
      "Tasks waiting for a worker thread.",
    ),
    spec("kube_lookout.scan_pool.threads", observableGauge, "{thread}", [], "Live worker threads."),
    spec(
      "kube_lookout.scan_pool.utilization",
      observableGauge,
      "1",
      [],
      "Share of the pool's thread time (elapsed time times its most threads) spent running tasks since the previous collection (0 to 1; a task's time counts when it completes).",
    ),
    spec(
      "kube_lookout.scan_pool.tasks",
      observableCounter,
      "{task}",
      [],
      "Tasks completed (one task is one payload or a batch of up to 32).",
    ),
  ]),

  // The CLI's sidecar runner: live reconfiguration (src/cli/reloader.ts)
  ...section("cli", "implemented", [
    spec(
      "kube_lookout.config.reloads",
      counter,
      "{reload}",
      ["result"],
      "Reloads of the configuration (SIGHUP, file change), by result: `applied`, `unchanged`, `rejected` (the running configuration stays).",
    ),
  ]),
];

/** Every instrument, in documentation order, with its Prometheus names. Frozen. */
export const catalogue: readonly CatalogueEntry[] = Object.freeze(
  SPECS.map((s) =>
    Object.freeze({
      ...s,
      prometheusName: prometheusName(s.name, s.kind),
      prometheusType: prometheusType(s.kind),
    }),
  ),
);

/** The entry named `name` (OTel name), or undefined. */
export function findInstrument(name: string): CatalogueEntry | undefined {
  return catalogue.find((e) => e.name === name);
}

/** The entry whose Prometheus family is `family` (a sample name's family: no `_bucket`), or undefined. */
export function findPrometheusFamily(family: string): CatalogueEntry | undefined {
  return catalogue.find((e) => e.prometheusName === family);
}
