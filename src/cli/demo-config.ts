/**
 * The configuration the demo runs the sidecar with: every feature on (the watched resources
 * feed the events and the cache, Helm checks, events on NATS, the three built-in plugins with
 * short intervals, the API and `/metrics` on loopback), as the YAML a user would write, checked
 * by the same schema as `kube-lookout run --config`.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { resolveConfig, type LookoutConfig } from "../config/index.ts";
import type { LogLevel } from "../logging/index.ts";

/** What the demo's configuration depends on. */
export interface DemoConfigInput {
  /** The temp dir holding the kubeconfig and the state file. */
  readonly dir: string;
  /** The NATS URL events go to (reachable or not). */
  readonly natsUrl: string;
  /** False when nothing listens at `natsUrl`: shutting down then does not wait for the outbox. */
  readonly natsExpected: boolean;
  /** The API port (0: ephemeral). */
  readonly port: number;
  readonly logLevel: LogLevel;
}

/** Seconds between watch-verify rounds and resource-metrics collections in the demo. */
export const DEMO_PLUGIN_INTERVALS = { watchVerify: 10, resourceMetrics: 5 } as const;

/** The watched resources: `[group, version, resource]`. */
export const DEMO_WATCH: readonly (readonly [string, string, string])[] = [
  ["", "v1", "namespaces"],
  ["", "v1", "nodes"],
  ["", "v1", "pods"],
  ["apps", "v1", "deployments"],
  ["apps", "v1", "replicasets"],
  ["apps", "v1", "statefulsets"],
  ["apps", "v1", "daemonsets"],
];

/** The configuration file's text (YAML). */
export function demoConfigYaml(input: DemoConfigInput): string {
  const doc = {
    cluster: { name: "demo" },
    kube: { kubeconfig: join(input.dir, "kubeconfig") },
    watch: DEMO_WATCH.map(([group, version, resource]) =>
      group === ""
        ? { version, resource, feeds: ["events", "cache", "metrics"] }
        : { group, version, resource, feeds: ["events", "cache", "metrics"] },
    ),
    helm: { enabled: true, maxThreads: 1, incrementalDelay: "250ms" },
    store: { path: join(input.dir, "state.db"), synchronous: "NORMAL" },
    events: { enabled: true, nats: { servers: [input.natsUrl] }, stream: { maxAge: "1h" } },
    api: { host: "127.0.0.1", port: input.port },
    plugins: [
      { name: "stream-delay" },
      {
        name: "watch-verify",
        config: { intervalSeconds: DEMO_PLUGIN_INTERVALS.watchVerify },
      },
      {
        name: "resource-metrics",
        config: { intervalSeconds: DEMO_PLUGIN_INTERVALS.resourceMetrics },
      },
    ],
    // Up to 5 s for pending events to reach NATS on Ctrl-C; none when no NATS listens.
    shutdown: { flushTimeout: input.natsExpected ? "5s" : 0 },
    logLevel: input.logLevel,
  };
  return `# Written by kube-lookout demo: the sidecar's configuration (docs/config.md).\n${stringify(doc)}`;
}

/**
 * The validated configuration of {@link demoConfigYaml} (no environment variables: the demo
 * runs the same everywhere). Throws `ConfigInvalidError` if the schema rejects it (a bug).
 */
export function demoConfig(input: DemoConfigInput, file: string): LookoutConfig {
  return resolveConfig({ text: demoConfigYaml(input), file, env: {} });
}
