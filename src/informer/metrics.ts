/**
 * The informer's metrics hook. Every method is optional and must be cheap: it is called on the
 * hot path (per event). The default is a no-op. A later module wires it to OpenTelemetry.
 */

/** Why a watch stream ended. */
export type WatchEndReason = "timeout" | "closed" | "expired" | "stalled" | "error" | "aborted";

/**
 * Observations an informer reports. All methods optional. A hook should not throw; one that
 * does is caught (the informer carries on unchanged) and logged once per hook name.
 */
export interface InformerMetrics {
  /** One complete list (all pages), successful or not. */
  listRequest?(info: {
    readonly resource: string;
    readonly pages: number;
    readonly items: number;
    readonly durationMs: number;
    readonly error?: unknown;
  }): void;
  /** A watch request is being made (every `watchStarted` is followed by one `watchEnded`). */
  watchStarted?(resource: string): void;
  /** A watch stream ended, with the number of events it carried. */
  watchEnded?(info: {
    readonly resource: string;
    readonly reason: WatchEndReason;
    readonly events: number;
  }): void;
  /** The reflector loop starts over (relist or re-watch) after a failure. */
  restart?(info: { readonly resource: string; readonly reason: string }): void;
  /** The server answered 410 Expired/Gone (list, continue token or watch). */
  expired?(resource: string): void;
  /** One watch event (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR). */
  event?(info: { readonly resource: string; readonly type: string }): void;
  /** The number of cached objects after a change. */
  objectsCached?(info: { readonly resource: string; readonly count: number }): void;
  /** Time (ms since epoch, from the informer's clock) of the last watch event. */
  lastEventTime?(info: { readonly resource: string; readonly time: number }): void;
  /** Pending notifications of one handler after new ones were queued. */
  handlerQueueDepth?(info: {
    readonly resource: string;
    readonly handler: string;
    readonly depth: number;
  }): void;
  /** Any error reported to the informer's error sink (besides the logger). */
  error?(info: { readonly resource: string; readonly error: unknown }): void;
}

/** The default hook: records nothing. */
export const noopInformerMetrics: InformerMetrics = Object.freeze({});
