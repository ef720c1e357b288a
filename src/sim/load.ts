/**
 * The load driver: seeding many objects at once and churning creates/updates/deletes at a
 * rate, reproducibly from a seed.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import { makeObject } from "./object-generator.ts";
import { mulberry32 } from "./prng.ts";
import type { ObjectStore } from "./store.ts";
import { sortedObjects } from "./stored.ts";
import type { WatchHub } from "./watch-hub.ts";

/** Options of one churn run. */
export interface ChurnOptions {
  readonly count: number;
  readonly ratePerSec?: number;
  readonly mix?: { create: number; update: number; delete: number };
  readonly seed?: number;
  readonly namespaces?: string[];
  readonly signal?: AbortSignal;
}

/** Seeds `count` objects of `def` in one batch (default namespace cycling over 10). */
export function seed(
  store: ObjectStore,
  hub: WatchHub,
  def: ResourceDefinition,
  count: number,
  make?: (i: number) => KubeObject,
): void {
  const start = store.table(def).objects.size;
  hub.batch(() => {
    for (let i = start; i < start + count; i++) {
      store.create(def, make === undefined ? makeObject(def, i, `ns-${i % 10}`) : make(i));
    }
  });
}

/**
 * Applies `count` random changes at `ratePerSec` (default 100), in 10 ms slices; resolves with
 * what was done, early (with the counts so far) when `signal` aborts or `isClosed()` turns true.
 */
export async function churn(
  store: ObjectStore,
  hub: WatchHub,
  def: ResourceDefinition,
  options: ChurnOptions,
  sleep: (ms: number) => Promise<void>,
  isClosed: () => boolean,
): Promise<{ created: number; updated: number; deleted: number }> {
  const rand = mulberry32(options.seed ?? 1);
  const rate = options.ratePerSec ?? 100;
  const mix = options.mix ?? { create: 1, update: 2, delete: 1 };
  const total = mix.create + mix.update + mix.delete;
  const namespaces = options.namespaces ?? ["default"];
  const result = { created: 0, updated: 0, deleted: 0 };
  const started = Date.now();
  let done = 0;
  let serial = 0;
  // The objects churn works on: those present at the start (in key order, so that a seed
  // replays the same changes on the same state) plus those it creates.
  const existing = [...sortedObjects(store.table(def))];
  const removeAt = (at: number): void => {
    existing[at] = existing[existing.length - 1]!;
    existing.pop();
  };
  const one = (): void => {
    const table = store.table(def);
    const r = rand() * total;
    let at = -1;
    if (r >= mix.create) {
      while (existing.length > 0) {
        at = Math.floor(rand() * existing.length);
        if (table.objects.has(existing[at]!.key)) break;
        removeAt(at); // deleted by someone else meanwhile
        at = -1;
      }
    }
    if (at === -1) {
      const ns = namespaces[Math.floor(rand() * namespaces.length)]!;
      const o = makeObject(def, table.objects.size + serial, ns);
      let name = `${o.metadata.name ?? "obj"}-c${Math.floor(rand() * 1e9).toString(36)}${serial++}`;
      while (store.get(def, ns, name) !== undefined) name += "x";
      o.metadata.name = name;
      existing.push(store.create(def, o));
      result.created++;
      return;
    }
    const target = existing[at]!;
    if (r < mix.create + mix.update) {
      existing[at] = store.patch(def, target.namespace, target.name, {
        // The serial makes every value new: a patch that changes nothing would be no event.
        metadata: { labels: { churn: `${Math.floor(rand() * 1e6).toString(36)}-${serial++}` } },
      });
      result.updated++;
    } else {
      store.delete(def, target.namespace, target.name);
      removeAt(at);
      result.deleted++;
    }
  };
  while (done < options.count) {
    if (options.signal?.aborted === true || isClosed()) break;
    const due = Math.min(options.count, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
    if (due > done) {
      hub.batch(() => {
        for (; done < due; done++) one();
      });
    }
    // oxlint-disable-next-line no-await-in-loop -- pacing: the loop waits between slices on purpose
    if (done < options.count) await sleep(10);
  }
  return result;
}
