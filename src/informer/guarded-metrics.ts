/**
 * Wraps a user's metrics hook so that no hook can throw into the informer: every call goes
 * through one guard (try/catch). A hook that throws is logged once per hook name, then its
 * later failures are ignored silently. Hooks the user did not define stay undefined, so the
 * hot path can keep skipping them.
 */
import type { Logger } from "../logging/index.ts";
import type { InformerMetrics } from "./metrics.ts";

const HOOKS = [
  "listRequest",
  "watchStarted",
  "watchEnded",
  "restart",
  "expired",
  "event",
  "objectsCached",
  "lastEventTime",
  "handlerQueueDepth",
  "error",
] as const satisfies readonly (keyof InformerMetrics)[];

/** Returns a hook object with the same methods as `metrics`, each one guarded. */
export function guardMetrics(metrics: InformerMetrics, logger: Logger): InformerMetrics {
  const failed = new Set<string>();
  const guarded: Record<string, (arg: never) => void> = {};
  for (const name of HOOKS) {
    const fn: unknown = metrics[name];
    if (typeof fn !== "function") continue;
    guarded[name] = (arg: never): void => {
      try {
        Reflect.apply(fn, metrics, [arg]);
      } catch (err) {
        if (failed.has(name)) return;
        failed.add(name);
        try {
          logger.warn("informer metrics hook threw; later failures of it are not logged", {
            hook: name,
            error: err,
          });
        } catch {
          // A logger that throws must not stop the informer either.
        }
      }
    };
  }
  return guarded;
}
