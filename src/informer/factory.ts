/**
 * A factory that shares one informer (one list, one watch) among every consumer of the same
 * (resource, namespace, labelSelector, fieldSelector), reference-counted.
 */
import { formatResourceId, type KubeObject, type ResourceId } from "../kube/index.ts";
import { InformerClosedError, InvalidInformerOptionError } from "./errors.ts";
import { Informer } from "./informer.ts";
import type { InformerMetrics } from "./metrics.ts";
import type { InformerOptions } from "./options.ts";

/**
 * What one consumer asks for. Consumers with the same spec share one informer; `pageSize` and
 * `transform` are part of the identity too (a transform by its `transformKey`), so a consumer
 * never gets objects shaped by another consumer's transform.
 */
export interface InformerSpec {
  readonly resource: ResourceId;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** LIST page size; default the factory's (or the informer's default). */
  readonly pageSize?: number;
  /** Applied to every arriving object (see `InformerOptions.transform`); needs `transformKey`. */
  readonly transform?: (obj: KubeObject) => KubeObject;
  /** What identifies `transform` among consumers (e.g. the dropped fields, joined). */
  readonly transformKey?: string;
}

/** Options shared by every informer of a factory (everything but the spec fields). */
export type InformerFactoryOptions = Omit<
  InformerOptions,
  "resource" | "namespace" | "labelSelector" | "fieldSelector" | "signal"
> & {
  /**
   * Metrics hook of each informer the factory creates (instead of the shared `metrics`), with
   * an optional `dispose` called once that informer has closed.
   */
  readonly metricsFor?: (spec: InformerSpec) => InformerMetrics & { dispose?(): void };
};

/** One consumer's hold on a shared informer. */
export interface InformerLease {
  readonly informer: Informer;
  /**
   * Gives the hold back; the informer closes when the last holder releases. Idempotent.
   * Resolves when that close (if any) has completed. Never rejects.
   */
  release(): Promise<void>;
}

interface Entry {
  readonly informer: Informer;
  refs: number;
  readonly dispose: (() => void) | undefined;
}

/** Shares informers by (resource, namespace, labelSelector, fieldSelector). */
export class InformerFactory implements AsyncDisposable {
  readonly #options: InformerFactoryOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();
  #closed: Promise<void> | undefined;

  /** Validates nothing beyond what each informer validates on its first `acquire`. No I/O. */
  constructor(options: InformerFactoryOptions) {
    if (typeof options !== "object" || options === null) {
      throw new InvalidInformerOptionError("options", options, "an object");
    }
    this.#options = options;
  }

  /** Number of live shared informers. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Returns a lease on the informer for `spec`, creating and starting it on first use.
   * Throws `LOOKOUT_INFORMER_CLOSED` after `close()`, and `LOOKOUT_INFORMER_INVALID_OPTION` for
   * a bad spec.
   */
  acquire(spec: InformerSpec): InformerLease {
    if (this.#closed !== undefined) throw new InformerClosedError("informer factory is closed");
    const key = specKey(spec);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      const { metricsFor, ...shared } = this.#options;
      const metrics = metricsFor?.(spec);
      const informer = new Informer({
        ...shared,
        resource: spec.resource,
        ...(spec.namespace === undefined ? {} : { namespace: spec.namespace }),
        ...(spec.labelSelector === undefined ? {} : { labelSelector: spec.labelSelector }),
        ...(spec.fieldSelector === undefined ? {} : { fieldSelector: spec.fieldSelector }),
        ...(spec.pageSize === undefined ? {} : { pageSize: spec.pageSize }),
        ...(spec.transform === undefined ? {} : { transform: spec.transform }),
        ...(metrics === undefined ? {} : { metrics }),
      });
      entry = { informer, refs: 0, dispose: metrics?.dispose?.bind(metrics) };
      this.#entries.set(key, entry);
      void informer.start();
    }
    entry.refs++;
    const held = entry;
    let released: Promise<void> | undefined;
    return {
      informer: held.informer,
      release: () => {
        if (released !== undefined) return released;
        held.refs--;
        if (held.refs > 0 || this.#entries.get(key) !== held) {
          released = Promise.resolve();
          return released;
        }
        this.#entries.delete(key);
        released = this.#track(closeEntry(held));
        return released;
      },
    };
  }

  /** Closes every informer. Idempotent; every caller gets the same promise. Never rejects. */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    const all = [...this.#closing];
    for (const entry of this.#entries.values()) all.push(closeEntry(entry));
    this.#entries.clear();
    this.#closed = Promise.all(all).then(() => undefined);
    return this.#closed;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #track(p: Promise<void>): Promise<void> {
    this.#closing.add(p);
    void p.then(() => this.#closing.delete(p));
    return p;
  }
}

async function closeEntry(entry: Entry): Promise<void> {
  await entry.informer.close();
  entry.dispose?.();
}

function specKey(spec: InformerSpec): string {
  if (typeof spec !== "object" || spec === null || typeof spec.resource !== "object") {
    throw new InvalidInformerOptionError("spec", spec, "{ resource, namespace?, selectors? }");
  }
  if (spec.transform !== undefined && typeof spec.transformKey !== "string") {
    throw new InvalidInformerOptionError("spec.transformKey", spec.transformKey, "a string");
  }
  return JSON.stringify([
    formatResourceId(spec.resource),
    spec.namespace ?? "",
    spec.labelSelector ?? "",
    spec.fieldSelector ?? "",
    spec.pageSize ?? 0,
    spec.transform === undefined ? "" : spec.transformKey,
  ]);
}
