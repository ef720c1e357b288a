/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate
 * takes the lease when nobody holds it or the holder has not renewed it for `leaseDurationMs`
 * (measured on our own clock from when we last saw the record change, so clock skew between
 * replicas does not matter); the leader renews every `retryPeriodMs` and steps down when it
 * could not renew for `renewDeadlineMs`; every write is an optimistic update on the Lease's
 * resourceVersion, so two candidates never both win. On close, a leader releases the lease
 * (empty holder) so another replica takes over at once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { KubeApiError, type KubeObject, type RawObject, type ResourceId } from "../kube/index.ts";
import { silentLogger, type Logger } from "../logging/index.ts";
import { InvalidLeaderOptionError } from "./errors.ts";
import { MAX_TIMER_MS } from "../timers/index.ts";

/** The Lease resource. */
export const LEASES: ResourceId = {
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
};

/** What the elector needs of an API client; `KubeClient` is one. */
export interface LeaseClient {
  get(resource: ResourceId, namespace: string, name: string): Promise<RawObject>;
  create(resource: ResourceId, namespace: string, object: KubeObject): Promise<RawObject>;
  update(resource: ResourceId, namespace: string, object: KubeObject): Promise<RawObject>;
}

/** Options of a {@link LeaderElector}. */
export interface LeaderElectorOptions {
  readonly client: LeaseClient;
  readonly namespace: string;
  readonly name: string;
  /** This candidate's identity (the pod name plus something unique). */
  readonly identity: string;
  /** Default 15 000. */
  readonly leaseDurationMs?: number;
  /** Default 10 000; less than the lease duration. */
  readonly renewDeadlineMs?: number;
  /** Default 2 000; less than the renew deadline. */
  readonly retryPeriodMs?: number;
  /** Called when this candidate becomes the leader; `signal` aborts when it stops being one. */
  readonly onStartedLeading?: (signal: AbortSignal) => void;
  /** Called when this candidate stops being the leader. */
  readonly onStoppedLeading?: () => void;
  /** Called when the holder seen changes ("" when nobody holds the lease). */
  readonly onNewLeader?: (identity: string) => void;
  readonly logger?: Logger;
  /** Clock seam, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string | undefined;
  renewTime: string | undefined;
  leaseTransitions: number;
}

/** Runs the election until {@link close}. */
export class LeaderElector {
  readonly #o: Required<
    Omit<LeaderElectorOptions, "onStartedLeading" | "onStoppedLeading" | "onNewLeader">
  > &
    Pick<LeaderElectorOptions, "onStartedLeading" | "onStoppedLeading" | "onNewLeader">;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #leading: AbortController | undefined;
  /** The record last seen, its resourceVersion, and when (our clock) it last changed. */
  #observed: { record: LeaseRecord; resourceVersion: string; at: number } | undefined;
  #lastRenew = 0;
  #holder = "";

  constructor(options: LeaderElectorOptions) {
    const o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      logger: silentLogger,
      now: Date.now,
      ...options,
    };
    for (const key of ["namespace", "name", "identity"] as const) {
      if (typeof o[key] !== "string" || o[key] === "") {
        throw new InvalidLeaderOptionError(key, o[key], "a non-empty string");
      }
    }
    for (const key of ["leaseDurationMs", "renewDeadlineMs", "retryPeriodMs"] as const) {
      if (!Number.isFinite(o[key]) || o[key] <= 0 || o[key] > MAX_TIMER_MS) {
        throw new InvalidLeaderOptionError(key, o[key], "1 to 2^31-1 milliseconds");
      }
    }
    if (o.renewDeadlineMs >= o.leaseDurationMs) {
      throw new InvalidLeaderOptionError(
        "renewDeadlineMs",
        o.renewDeadlineMs,
        `less than leaseDurationMs (${o.leaseDurationMs})`,
      );
    }
    if (o.retryPeriodMs >= o.renewDeadlineMs) {
      throw new InvalidLeaderOptionError(
        "retryPeriodMs",
        o.retryPeriodMs,
        `less than renewDeadlineMs (${o.renewDeadlineMs})`,
      );
    }
    this.#o = o;
  }

  /** True while this candidate holds the lease. */
  get isLeader(): boolean {
    return this.#leading !== undefined;
  }

  /** The holder last seen ("" when none). */
  get leader(): string {
    return this.#holder;
  }

  /** Starts campaigning (idempotent). */
  start(): void {
    this.#running ??= this.#run();
  }

  /**
   * Stops campaigning. A leader releases the lease first (best effort), unless
   * `release: false` (then another replica waits for the lease to expire, as after a crash).
   * Idempotent.
   */
  async close(options: { readonly release?: boolean } = {}): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    await this.#running;
    if (this.#leading !== undefined) {
      if (options.release !== false) await this.#release();
      this.#stepDown();
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one attempt per period
      const ok = await this.#tryAcquireOrRenew();
      const now = this.#o.now();
      if (ok) {
        this.#lastRenew = now;
        if (this.#leading === undefined) this.#startLeading();
      } else if (this.#leading !== undefined && now - this.#lastRenew >= this.#o.renewDeadlineMs) {
        this.#o.logger.warn("leader election: could not renew the lease in time; stepping down", {
          lease: `${this.#o.namespace}/${this.#o.name}`,
        });
        this.#stepDown();
      }
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one attempt per period
        await sleep(this.#o.retryPeriodMs, undefined, { signal });
      } catch {
        return;
      }
    }
  }

  #startLeading(): void {
    this.#leading = new AbortController();
    this.#o.logger.info("leader election: became the leader", {
      lease: `${this.#o.namespace}/${this.#o.name}`,
      identity: this.#o.identity,
    });
    this.#o.onStartedLeading?.(this.#leading.signal);
  }

  #stepDown(): void {
    const leading = this.#leading;
    if (leading === undefined) return;
    this.#leading = undefined;
    leading.abort();
    this.#o.onStoppedLeading?.();
  }

  #seeHolder(holder: string): void {
    if (holder === this.#holder) return;
    this.#holder = holder;
    this.#o.onNewLeader?.(holder);
  }

  /** One attempt: true when we hold the lease afterwards. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const o = this.#o;
    const now = o.now();
    let current: RawObject;
    try {
      current = await o.client.get(LEASES, o.namespace, o.name);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.statusCode === 404)) {
        o.logger.debug("leader election: cannot read the lease", { err });
        return false;
      }
      try {
        const created = await o.client.create(
          LEASES,
          o.namespace,
          this.#leaseObject(now, undefined),
        );
        this.#observe(created, now);
        return true;
      } catch (createErr) {
        o.logger.debug("leader election: cannot create the lease", { err: createErr });
        return false;
      }
    }
    this.#observe(current, now);
    const observed = this.#observed!;
    const record = observed.record;
    const mine = record.holderIdentity === o.identity;
    const expired = observed.at + record.leaseDurationSeconds * 1000 <= now;
    if (!mine && record.holderIdentity !== "" && !expired) return false;
    try {
      const updated = await o.client.update(
        LEASES,
        o.namespace,
        this.#leaseObject(now, { record, resourceVersion: observed.resourceVersion }),
      );
      this.#observe(updated, now);
      return true;
    } catch (err) {
      // 409: another candidate wrote first; we will see its record next time.
      o.logger.debug("leader election: lease update refused", { err });
      return false;
    }
  }

  /** Notes a record read or written; its observed time moves only when the record changed. */
  #observe(obj: RawObject, now: number): void {
    const record = recordOf(obj);
    const prev = this.#observed;
    const changed =
      prev === undefined ||
      prev.record.holderIdentity !== record.holderIdentity ||
      prev.record.renewTime !== record.renewTime;
    this.#observed = {
      record,
      resourceVersion: obj.resourceVersion,
      at: changed ? now : prev.at,
    };
    this.#seeHolder(record.holderIdentity);
  }

  #leaseObject(
    now: number,
    previous: { record: LeaseRecord; resourceVersion: string } | undefined,
    holder: string = this.#o.identity,
  ): KubeObject {
    const time = microTime(now);
    const prev = previous?.record;
    const takeover = prev === undefined || prev.holderIdentity !== holder;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.#o.name,
        namespace: this.#o.namespace,
        ...(previous === undefined ? {} : { resourceVersion: previous.resourceVersion }),
      },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
        acquireTime: takeover ? time : (prev.acquireTime ?? time),
        renewTime: time,
        leaseTransitions:
          prev === undefined ? 0 : prev.leaseTransitions + (takeover && holder !== "" ? 1 : 0),
      },
    };
  }

  /** Gives the lease up (empty holder), so another replica takes it at once. */
  async #release(): Promise<void> {
    const observed = this.#observed;
    if (observed === undefined || observed.record.holderIdentity !== this.#o.identity) return;
    try {
      await this.#o.client.update(
        LEASES,
        this.#o.namespace,
        this.#leaseObject(this.#o.now(), observed, ""),
      );
    } catch (err) {
      this.#o.logger.warn("leader election: could not release the lease", { err });
    }
  }
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function recordOf(obj: RawObject): LeaseRecord {
  const spec: unknown = Reflect.get(obj.object, "spec");
  const get = (key: string): unknown =>
    typeof spec === "object" && spec !== null ? Reflect.get(spec, key) : undefined;
  const str = (key: string): string | undefined => {
    const v = get(key);
    return typeof v === "string" ? v : undefined;
  };
  const num = (key: string, fallback: number): number => {
    const v = get(key);
    return typeof v === "number" && Number.isFinite(v) ? v : fallback;
  };
  return {
    holderIdentity: str("holderIdentity") ?? "",
    leaseDurationSeconds: num("leaseDurationSeconds", 15),
    acquireTime: str("acquireTime"),
    renewTime: str("renewTime"),
    leaseTransitions: num("leaseTransitions", 0),
  };
}
