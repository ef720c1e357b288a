/**
 * The informer: a client-go-grade list/watch cache with indexes, per-handler queues, resync,
 * a shared factory and a metrics hook.
 */
export { Informer } from "./informer.ts";
export type {
  InformerOptions,
  InformerTimers,
  InitialListResourceVersion,
  WatchListMode,
} from "./options.ts";
export type {
  DeletedFinalStateUnknown,
  EventHandler,
  HandlerOptions,
  HandlerRegistration,
} from "./handler-queue.ts";
export type { IndexFunc, ReadonlyStore } from "./store.ts";
export { namespaceIndex, objectKey } from "./store.ts";
export type { InformerMetrics, WatchEndReason } from "./metrics.ts";
export { noopInformerMetrics } from "./metrics.ts";
export { InformerFactory } from "./factory.ts";
export type { InformerFactoryOptions, InformerLease, InformerSpec } from "./factory.ts";
export {
  BadWatchEventError,
  HandlerFailedError,
  IndexFailedError,
  InformerClosedError,
  InvalidInformerOptionError,
  TransformFailedError,
  VeryShortWatchError,
  WatchErrorEventError,
  WatchExpiredError,
  WatchListUnsupportedError,
} from "./errors.ts";
export { Backoff } from "./backoff.ts";
export type { BackoffOptions } from "./backoff.ts";
export { RingQueue } from "./ring-queue.ts";
