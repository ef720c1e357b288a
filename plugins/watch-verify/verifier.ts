/**
 * One resource's verification round: a paged, consistent LIST compared with the informer's
 * cache; differences are confirmed when the next round sees them unchanged.
 */
import {
  objectKey,
  type Informer,
  type ListWatchClient,
  type ResourceSpec,
} from "../../src/plugins/index.ts";
import { confirmed, differences, type Difference } from "./compare.ts";

/** The outcome of one round. */
export interface RoundResult {
  /** The LIST's resourceVersion: the cache is verified up to here (less the differences). */
  readonly resourceVersion: string;
  /** Objects listed. */
  readonly listed: number;
  /** Differences seen this round and the previous one (the cache is really wrong there). */
  readonly confirmed: readonly Difference[];
  /** Confirmed differences not confirmed by an earlier round (count these once). */
  readonly fresh: readonly Difference[];
  /** Differences seen only this round (maybe changes in flight). */
  readonly suspects: number;
}

/** Verifies one resource's cache, round after round. */
export class ResourceVerifier {
  readonly #spec: ResourceSpec;
  readonly #informer: Informer;
  readonly #client: ListWatchClient;
  readonly #pageSize: number;
  #previous: readonly Difference[] = [];
  #counted = new Set<string>();

  constructor(spec: ResourceSpec, informer: Informer, client: ListWatchClient, pageSize: number) {
    this.#spec = spec;
    this.#informer = informer;
    this.#client = client;
    this.#pageSize = pageSize;
  }

  /** Makes the informer relist: its cache is replaced and handlers get the differences. */
  repair(): void {
    this.#informer.relist();
  }

  /** Lists, compares and confirms. Rejects with the client's error (the round is skipped). */
  async round(signal: AbortSignal): Promise<RoundResult> {
    await this.#informer.waitForSync(signal);
    const { items, resourceVersion } = await this.#list(signal);
    const cached = new Map<string, string>();
    for (const obj of this.#informer.store.list()) {
      cached.set(objectKey(obj.namespace, obj.name), obj.resourceVersion);
    }
    const current = differences(items, cached);
    const sure = confirmed(this.#previous, current);
    this.#previous = current;
    const counted = new Set<string>();
    const fresh: Difference[] = [];
    for (const d of sure) {
      const sig = JSON.stringify([d.key, d.kind, d.listed, d.cached]);
      counted.add(sig);
      if (!this.#counted.has(sig)) fresh.push(d);
    }
    this.#counted = counted;
    return {
      resourceVersion,
      listed: items.size,
      confirmed: sure,
      fresh,
      suspects: current.length - sure.length,
    };
  }

  async #list(
    signal: AbortSignal,
  ): Promise<{ items: Map<string, string>; resourceVersion: string }> {
    const items = new Map<string, string>();
    const spec = this.#spec;
    let resourceVersion = "";
    let token: string | undefined;
    do {
      // oxlint-disable-next-line eslint/no-await-in-loop -- pages are sequential by nature
      const page = await this.#client.list(
        spec.resource,
        {
          limit: this.#pageSize,
          ...(spec.namespace === undefined ? {} : { namespace: spec.namespace }),
          ...(spec.labelSelector === undefined ? {} : { labelSelector: spec.labelSelector }),
          ...(spec.fieldSelector === undefined ? {} : { fieldSelector: spec.fieldSelector }),
          ...(token === undefined ? { resourceVersion: "" } : { continue: token }),
        },
        signal,
      );
      if (token === undefined) resourceVersion = page.resourceVersion;
      for (const obj of page.items)
        items.set(objectKey(obj.namespace, obj.name), obj.resourceVersion);
      token = page.continue;
    } while (token !== undefined && token !== "");
    return { items, resourceVersion };
  }
}
