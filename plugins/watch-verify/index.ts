/**
 * The `watch-verify` plugin: every `intervalSeconds`, a paged consistent LIST of each watched
 * resource compared with the informer's cache. Differences seen unchanged in two consecutive
 * rounds are counted as `kube_lookout.watch.discrepancies` (`kind` = missing | ghost | stale),
 * once each. The last verified resourceVersion and time are kept (`lastVerified`) and written
 * to the store's kv as `watch-verify.<resource>` when a store is given (the sidecar's cache API
 * sends them as the `X-Kube-Lookout-Verified-*` headers). With `repair` (default), new
 * differences make the informer relist, so its handlers get them through the normal event path
 * (see docs/plugins.md).
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  MAX_TIMER_SECONDS,
  configNumber,
  configObject,
  definePlugin,
  formatResourceId,
  PluginConfigError,
  type InformerLease,
  type Plugin,
  type PluginContext,
} from "../../src/plugins/index.ts";
import type { Difference } from "./compare.ts";
import { ResourceVerifier } from "./verifier.ts";

const NAME = "watch-verify";

/** The validated config of `watch-verify`. */
export interface WatchVerifyConfig {
  /** Seconds between rounds (the first round starts one interval after start). Default 300. */
  readonly intervalSeconds: number;
  /** LIST page size. Default 500. */
  readonly pageSize: number;
  /**
   * Repair a cache with confirmed discrepancies by making its informer relist: the differences
   * then reach every handler (events, cache API) as adds, updates and deletes. Default true.
   */
  readonly repair: boolean;
}

/** What the last successful round of a resource found. */
export interface VerifiedMark {
  /** `v1/pods`. */
  readonly resource: string;
  /** The LIST's resourceVersion. */
  readonly resourceVersion: string;
  /** When the round ended (ms since the epoch). */
  readonly time: number;
  readonly listed: number;
  /** Confirmed differences, by kind. */
  readonly missing: number;
  readonly ghost: number;
  readonly stale: number;
  /** Differences seen only this round (changes in flight, or discrepancies to confirm). */
  readonly suspects: number;
  /** The confirmed differences themselves. */
  readonly differences: readonly Difference[];
}

/** The plugin, plus the last verification of each resource. */
export interface WatchVerifyPlugin extends Plugin<WatchVerifyConfig> {
  /** The last successful round for `resource` (`v1/pods`), or undefined before the first. */
  lastVerified(resource: string): VerifiedMark | undefined;
}

/**
 * Validates `{ intervalSeconds?: number 0.05..2147483, pageSize?: integer 1..10000 }`. Throws
 * `LOOKOUT_PLUGIN_BAD_CONFIG` naming the key.
 */
export function parseWatchVerifyConfig(raw: unknown): WatchVerifyConfig {
  const obj = configObject(NAME, raw, ["intervalSeconds", "pageSize", "repair"]);
  const repair = obj["repair"] ?? true;
  if (typeof repair !== "boolean") {
    throw new PluginConfigError(NAME, "repair", repair, "true or false");
  }
  return {
    repair,
    intervalSeconds: configNumber(NAME, obj, "intervalSeconds", 300, {
      min: 0.05,
      max: MAX_TIMER_SECONDS,
    }),
    pageSize: configNumber(NAME, obj, "pageSize", 500, { min: 1, max: 10_000, integer: true }),
  };
}

/** A fresh `watch-verify` plugin with its own `lastVerified` state. */
export function createWatchVerifyPlugin(): WatchVerifyPlugin {
  const marks = new Map<string, VerifiedMark>();
  const plugin = definePlugin<WatchVerifyConfig>({
    name: NAME,
    configSchema: parseWatchVerifyConfig,
    start(ctx) {
      const counter = ctx.meter.createCounter("kube_lookout.watch.discrepancies", {
        description: "Objects where the informer's cache disagreed with a LIST, by kind",
        unit: "{object}",
      });
      const leases: InformerLease[] = [];
      const verifiers: { resource: string; verifier: ResourceVerifier }[] = [];
      try {
        for (const spec of ctx.resources) {
          const lease = ctx.informers.acquire(spec);
          leases.push(lease);
          verifiers.push({
            resource: formatResourceId(spec.resource),
            verifier: new ResourceVerifier(spec, lease.informer, ctx.client, ctx.config.pageSize),
          });
        }
      } catch (err) {
        void Promise.all(leases.map((l) => l.release()));
        throw err;
      }
      // One resource may be watched by several informers (one per namespace of a list or a
      // selector): its mark is theirs together, once each has had a round.
      const specMarks = new Map<number, VerifiedMark>();
      const record = (index: number, mark: VerifiedMark, fresh: readonly Difference[]): void => {
        const resource = mark.resource;
        for (const d of fresh) counter.add(1, { "k8s.resource": resource, kind: d.kind });
        if (fresh.length > 0) {
          ctx.logger.warn("watch cache discrepancies", {
            resource,
            differences: fresh.slice(0, 20),
          });
        }
        specMarks.set(index, mark);
        const members: VerifiedMark[] = [];
        for (const [i, v] of verifiers.entries()) {
          if (v.resource !== resource) continue;
          const m = specMarks.get(i);
          if (m === undefined) return; // a member has not had its round yet
          members.push(m);
        }
        marks.set(resource, combineMarks(members));
        try {
          ctx.store?.kv.set(
            `${NAME}.${resource}`,
            JSON.stringify({ ...marks.get(resource), differences: undefined }),
          );
        } catch (err) {
          ctx.logger.warn("cannot record the verification", { resource, error: err });
        }
      };
      const stopped = (async () => {
        try {
          await loop(ctx, verifiers, record);
        } finally {
          await Promise.all(leases.map((l) => l.release()));
        }
      })();
      return { stopped };
    },
  });
  return Object.freeze({ ...plugin, lastVerified: (resource: string) => marks.get(resource) });
}

async function loop(
  ctx: PluginContext<WatchVerifyConfig>,
  verifiers: readonly { resource: string; verifier: ResourceVerifier }[],
  record: (index: number, mark: VerifiedMark, fresh: readonly Difference[]) => void,
): Promise<void> {
  const signal = ctx.signal;
  while (!signal.aborted) {
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one round per interval
      await sleep(ctx.config.intervalSeconds * 1000, undefined, { signal, ref: false });
    } catch {
      return; // aborted
    }
    for (const [index, { resource, verifier }] of verifiers.entries()) {
      if (signal.aborted) return;
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one LIST at a time
        const r = await verifier.round(signal);
        const count = (kind: string): number => r.confirmed.filter((d) => d.kind === kind).length;
        const mark: VerifiedMark = {
          resource,
          resourceVersion: r.resourceVersion,
          time: Date.now(),
          listed: r.listed,
          missing: count("missing"),
          ghost: count("ghost"),
          stale: count("stale"),
          suspects: r.suspects,
          differences: r.confirmed,
        };
        record(index, mark, r.fresh);
        if (r.fresh.length > 0 && ctx.config.repair) verifier.repair();
      } catch (err) {
        if (signal.aborted) return;
        ctx.logger.warn("verification round failed", { resource, error: err });
      }
    }
  }
}

/** The `watch-verify` plugin (one shared instance; use `createWatchVerifyPlugin` for another). */
export default createWatchVerifyPlugin();

/**
 * The mark of a resource watched by several informers: verified as of the oldest member round
 * (its time and resourceVersion), with the members' counts added and differences joined.
 */
function combineMarks(members: readonly VerifiedMark[]): VerifiedMark {
  if (members.length === 1) return members[0]!;
  let oldest = members[0]!;
  for (const m of members) if (m.time < oldest.time) oldest = m;
  const sum = (key: "listed" | "missing" | "ghost" | "stale" | "suspects"): number =>
    members.reduce((n, m) => n + m[key], 0);
  return {
    resource: oldest.resource,
    resourceVersion: oldest.resourceVersion,
    time: oldest.time,
    listed: sum("listed"),
    missing: sum("missing"),
    ghost: sum("ghost"),
    stale: sum("stale"),
    suspects: sum("suspects"),
    differences: members.flatMap((m) => m.differences),
  };
}
