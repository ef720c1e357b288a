/**
 * Namespaces selected by label: one informer on Namespace objects per selector, shared through
 * the informer factory. Any change of a selected set calls `onChange` (the composition root then
 * starts and stops the per-namespace watches).
 */
import type { HandlerRegistration, InformerFactory, InformerLease } from "../informer/index.ts";
import type { NamespaceLookup, WatchedResource } from "./watched-resource.ts";

const NAMESPACES = { group: "", version: "v1", resource: "namespaces" } as const;

interface Watcher {
  readonly lease: InformerLease;
  readonly registration: HandlerRegistration;
}

/** The namespace informers of the selectors in use. */
export class NamespaceSelection implements NamespaceLookup {
  readonly #informers: InformerFactory;
  readonly #onChange: () => void;
  readonly #watchers = new Map<string, Watcher>();

  constructor(informers: InformerFactory, onChange: () => void) {
    this.#informers = informers;
    this.#onChange = onChange;
  }

  /** Starts a watcher for each selector `resources` use and stops the others. */
  retain(resources: readonly WatchedResource[]): void {
    const used = new Set<string>();
    for (const r of resources) if (r.namespaceSelector !== undefined) used.add(r.namespaceSelector);
    for (const [selector, w] of this.#watchers) {
      if (used.has(selector)) continue;
      this.#watchers.delete(selector);
      w.registration.remove();
      void w.lease.release();
    }
    for (const selector of used) {
      if (this.#watchers.has(selector)) continue;
      const lease = this.#informers.acquire({ resource: NAMESPACES, labelSelector: selector });
      const changed = (): void => this.#onChange();
      const registration = lease.informer.addEventHandler(
        {
          onAdd: changed,
          onDelete: changed,
          onUpdate: (a, b) => {
            if (
              JSON.stringify(a.object.metadata?.labels) !==
              JSON.stringify(b.object.metadata?.labels)
            )
              changed();
          },
        },
        { name: `namespaces:${selector}` },
      );
      void lease.informer.start();
      this.#watchers.set(selector, { lease, registration });
    }
  }

  /** The names of the namespaces `selector` selects, sorted; undefined before its first sync. */
  selected(selector: string): readonly string[] | undefined {
    const w = this.#watchers.get(selector);
    if (w === undefined || !w.lease.informer.hasSynced()) return undefined;
    return w.lease.informer.store.keys().sort();
  }

  /** Resolves when every current watcher has synced. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(
      [...this.#watchers.values()].map((w) => w.lease.informer.waitForSync(signal)),
    );
  }

  /** Stops every watcher. */
  close(): void {
    for (const w of this.#watchers.values()) {
      w.registration.remove();
      void w.lease.release();
    }
    this.#watchers.clear();
  }
}
