/**
 * A factory that shares one informer (one list, one watch) among every consumer of the same
 * (resource, namespace, labelSelector, fieldSelector), reference-counted.
 */
import { formatResourceId, type ResourceId } from "../kube/index.ts";
import { InformerClosedError, InvalidInformerOptionError } from "./errors.ts";
import { Informer } from "./informer.ts";
import type { InformerOptions } from "./options.ts";

/** What one consumer asks for. Extra informer options apply only when the informer is created. */
export interface InformerSpec {
  readonly resource: ResourceId;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** Options shared by every informer of a factory (everything but the spec fields). */
export type InformerFactoryOptions = Omit<
  InformerOptions,
  "resource" | "namespace" | "labelSelector" | "fieldSelector" | "signal"
>;

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
      const informer = new Informer({
        ...this.#options,
        resource: spec.resource,
        ...(spec.namespace === undefined ? {} : { namespace: spec.namespace }),
        ...(spec.labelSelector === undefined ? {} : { labelSelector: spec.labelSelector }),
        ...(spec.fieldSelector === undefined ? {} : { fieldSelector: spec.fieldSelector }),
      });
      entry = { informer, refs: 0 };
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
        released = this.#track(held.informer.close());
        return released;
      },
    };
  }

  /** Closes every informer. Idempotent; every caller gets the same promise. Never rejects. */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    const all = [...this.#closing];
    for (const entry of this.#entries.values()) all.push(entry.informer.close());
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

function specKey(spec: InformerSpec): string {
  if (typeof spec !== "object" || spec === null || typeof spec.resource !== "object") {
    throw new InvalidInformerOptionError("spec", spec, "{ resource, namespace?, selectors? }");
  }
  return JSON.stringify([
    formatResourceId(spec.resource),
    spec.namespace ?? "",
    spec.labelSelector ?? "",
    spec.fieldSelector ?? "",
  ]);
}
