/**
 * The plugin contract: what a plugin is, and the context the host hands it once per run.
 */
import type { Meter } from "@opentelemetry/api";
import type { InformerFactory, InformerSpec } from "../informer/index.ts";
import type { ListWatchClient } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import type { LookoutStore } from "../store/index.ts";

/** The marker that makes an object a plugin (a module can build one without `definePlugin`). */
export const PLUGIN_KIND = "kube-lookout-plugin";

/** One watched resource, as the informer factory takes it (`factory.acquire(spec)`). */
export type ResourceSpec = InformerSpec;

/** Publishes a change event beside the resource events (`<prefix>.<cluster>.<tokens…>`). */
export interface EventPublisher {
  /**
   * Queues `body` (JSON-serializable) for publication under `subjectSuffix`: its tokens, each
   * escaped by the publisher (so a token with a dot stays one token). A string is split on dots:
   * pass an array when a token (a name) may hold a dot. Does not wait for delivery; throws when
   * the publisher refuses the event.
   */
  publish(subjectSuffix: string | readonly string[], body: unknown): void;
}

/** Everything a plugin run gets, once. A restarted plugin gets a fresh context. */
export interface PluginContext<Config = unknown> {
  /** The shared informer factory: `acquire` a lease per resource, `release` it on abort. */
  readonly informers: InformerFactory;
  /** A list/watch client for direct reads (e.g. a paged LIST). */
  readonly client: ListWatchClient;
  /** A meter from the host's MeterProvider, named `kube-lookout/plugin/<name>`. */
  readonly meter: Meter;
  /** The event publisher, when events are configured. */
  readonly events: EventPublisher | undefined;
  /** The state store, when one is configured. */
  readonly store: LookoutStore | undefined;
  /** A logger whose lines carry `plugin: <name>`. */
  readonly logger: Logger;
  /** The config as returned by the plugin's `configSchema` (the raw value without one). */
  readonly config: Config;
  /** Aborted when the plugin must stop (host closing, or a restart after a failure). */
  readonly signal: AbortSignal;
  /** The resources the sidecar watches. */
  readonly resources: readonly ResourceSpec[];
  /**
   * Reports a failure of the running plugin: the host logs and counts it, aborts `signal`,
   * waits for the run to stop and starts it again after a backoff. Later calls in the same run
   * are ignored.
   */
  reportFailure(error: unknown): void;
}

/**
 * What `start` may resolve with: `stopped` settles once the plugin has finished cleaning up
 * after `signal` aborted. A rejection of `stopped` (before or after the abort) is a failure.
 */
export interface PluginRun {
  readonly stopped: PromiseLike<void>;
}

/** The argument of `definePlugin`. */
export interface PluginDefinition<Config = unknown> {
  /** Lower-case letters, digits, `.`, `_`, `-`: used in logs, metrics and meter names. */
  readonly name: string;
  /**
   * Validates the raw config and returns the typed one. Throws (preferably a
   * `PluginConfigError` naming the key) when the config is wrong. Without it the raw value is
   * passed through.
   */
  configSchema?(raw: unknown): Config;
  /**
   * Starts the plugin. Resolves once it runs (optionally with a {@link PluginRun}); stopping is
   * `ctx.signal`. A throw or rejection is a failure: logged, counted, restarted with backoff.
   */
  start(ctx: PluginContext<Config>): void | PluginRun | PromiseLike<void | PluginRun>;
}

/** A plugin: a definition with the `kind` marker. Build it with `definePlugin` or by hand. */
export interface Plugin<Config = unknown> extends PluginDefinition<Config> {
  readonly kind: typeof PLUGIN_KIND;
}
