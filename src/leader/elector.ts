/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate
 * takes the lease when nobody holds it or the holder has not renewed it for `leaseDurationMs`
 * (measured on our own clock from when we last saw the record change, so clock skew between
 * replicas does not matter); the leader renews every `retryPeriodMs` and steps down when it
 * could not renew for `renewDeadlineMs`; every write is an optimistic update on the Lease's
 * resourceVersion, so two candidates never both win. On close, a leader releases the lease
 * (empty holder) so another replica takes over at once.
 *
 * Every Lease request is bounded, as in client-go: a leader's renew attempt may take at most the
 * time left until its renew deadline (then it is aborted and the leader steps down at once), a
 * candidate's attempt at most `renewDeadlineMs`, the release on close at most `retryPeriodMs`;
 * `close()` aborts an attempt in flight. So an API server that accepts requests and never
 * answers cannot keep a leader leading past its deadline, nor hold shutdown.
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

/** Per-request options the elector may pass to a {@link LeaseClient}; `KubeClient` takes them. */
export interface LeaseRequestOptions {
  /** Fail when no byte arrives for this long (the elector does not set it). */
  readonly stallTimeoutMs?: number;
}

/**
 * What the elector needs of an API client; `KubeClient` is one. The elector passes every request
 * an AbortSignal, which aborts when the request's time is up or on `close()`; the request should
 * then reject promptly. An implementation may leave out the trailing parameters: the elector
 * stops waiting for it all the same, but its request goes on.
 */
export interface LeaseClient {
  get(
    resource: ResourceId,
    namespace: string,
    name: string,
    options?: LeaseRequestOptions,
    signal?: AbortSignal,
  ): Promise<RawObject>;
  create(
    resource: ResourceId,
    namespace: string,
    object: KubeObject,
    options?: LeaseRequestOptions,
    signal?: AbortSignal,
  ): Promise<RawObject>;
  update(
    resource: ResourceId,
    namespace: string,
    object: KubeObject,
    options?: LeaseRequestOptions,
    signal?: AbortSignal,
  ): Promise<RawObject>;
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
  /**
   * Default 10 000; less than the lease duration. The leader steps down when it has not renewed
   * for this long; a renew request is aborted when it would run past that deadline, and a
   * candidate's request after this long.
   */
  readonly renewDeadlineMs?: number;
  /**
   * Default 2 000; less than the renew deadline. The pause between attempts, and the longest
   * the release on close may take.
   */
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
  readonly #decided = Promise.withResolvers<void>();
  #running: Promise<void> | undefined;
  #leading: AbortController | undefined;
  /** The record last seen, its resourceVersion, and when (our clock) it last changed. */
  #observed: { record: LeaseRecord; resourceVersion: string; at: number } | undefined;
  /** When (our clock) the last successful renew attempt started. */
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

  /**
   * Resolves once the first attempt at the lease has finished, whatever its outcome: this
   * candidate leads then if it won (`onStartedLeading` has run), else it follows for now. An
   * attempt takes at most `renewDeadlineMs`. Resolves on `close()` too; never rejects.
   */
  get decided(): Promise<void> {
    return this.#decided.promise;
  }

  /** Starts campaigning (idempotent). */
  start(): void {
    this.#running ??= this.#run();
  }

  /**
   * Stops campaigning, aborting a request in flight. A leader releases the lease first (best
   * effort, at most `retryPeriodMs`; a failure is logged), unless `release: false` (then another
   * replica waits for the lease to expire, as after a crash). Idempotent.
   */
  async close(options: { readonly release?: boolean } = {}): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    await this.#running;
    this.#decided.resolve();
    if (this.#leading !== undefined) {
      if (options.release !== false) await this.#release();
      this.#stepDown();
    }
  }

  async #run(): Promise<void> {
    const o = this.#o;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const started = o.now();
      // A leader's attempt may take the time left until its renew deadline; a candidate's, the
      // renew deadline (as client-go bounds its requests).
      const budget =
        this.#leading === undefined
          ? o.renewDeadlineMs
          : Math.min(o.renewDeadlineMs, this.#lastRenew + o.renewDeadlineMs - started);
      let ok = false;
      let cut = false;
      if (budget > 0) {
        // Aborted by close() too. Cut by the deadline (even if an answer raced it), not by
        // close: not renewed in time.
        // oxlint-disable-next-line eslint/no-await-in-loop -- one attempt per period
        ({ result: ok, timedOut: cut } = await timeLimited(
          budget,
          "lease request",
          (attempt) => this.#tryAcquireOrRenew(started, attempt),
          signal,
        ));
      }
      if (ok && !cut) {
        this.#lastRenew = started;
        if (this.#leading === undefined) this.#startLeading();
      } else if (
        this.#leading !== undefined &&
        (cut || budget <= 0 || o.now() - this.#lastRenew >= o.renewDeadlineMs)
      ) {
        o.logger.warn("leader election: could not renew the lease in time; stepping down", {
          lease: `${o.namespace}/${o.name}`,
        });
        this.#stepDown();
      }
      this.#decided.resolve();
      // A leader waits at most until its renew deadline, so it steps down on time.
      const pause =
        this.#leading === undefined
          ? o.retryPeriodMs
          : Math.min(o.retryPeriodMs, Math.max(0, this.#lastRenew + o.renewDeadlineMs - o.now()));
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one attempt per period
        await sleep(pause, undefined, { signal });
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

  /**
   * One attempt, started at `now` (the renewTime it writes); every request gets `signal`. True
   * when we hold the lease afterwards.
   */
  async #tryAcquireOrRenew(now: number, signal: AbortSignal): Promise<boolean> {
    const o = this.#o;
    let current: RawObject;
    try {
      current = await abortable(o.client.get(LEASES, o.namespace, o.name, {}, signal), signal);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.statusCode === 404)) {
        o.logger.debug("leader election: cannot read the lease", { err });
        return false;
      }
      try {
        const created = await abortable(
          o.client.create(LEASES, o.namespace, this.#leaseObject(now, undefined), {}, signal),
          signal,
        );
        this.#observe(created);
        return true;
      } catch (createErr) {
        o.logger.debug("leader election: cannot create the lease", { err: createErr });
        return false;
      }
    }
    this.#observe(current);
    const observed = this.#observed!;
    const record = observed.record;
    const mine = record.holderIdentity === o.identity;
    const expired = observed.at + record.leaseDurationSeconds * 1000 <= o.now();
    if (!mine && record.holderIdentity !== "" && !expired) return false;
    try {
      const lease = this.#leaseObject(now, { record, resourceVersion: observed.resourceVersion });
      const updated = await abortable(
        o.client.update(LEASES, o.namespace, lease, {}, signal),
        signal,
      );
      this.#observe(updated);
      return true;
    } catch (err) {
      // 409: another candidate wrote first; we will see its record next time.
      o.logger.debug("leader election: lease update refused", { err });
      return false;
    }
  }

  /**
   * Notes a record read or written; its observed time (now, when the answer arrived, not when
   * the request was sent: a slow answer must not make the lease look older) moves only when the
   * record changed.
   */
  #observe(obj: RawObject): void {
    const now = this.#o.now();
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

  /**
   * Gives the lease up (empty holder), so another replica takes it at once. Best effort, within
   * `retryPeriodMs`: a server that does not answer cannot hold shutdown.
   */
  async #release(): Promise<void> {
    const o = this.#o;
    const observed = this.#observed;
    if (observed === undefined || observed.record.holderIdentity !== o.identity) return;
    const lease = this.#leaseObject(o.now(), observed, "");
    try {
      await timeLimited(o.retryPeriodMs, "lease release", (signal) =>
        abortable(o.client.update(LEASES, o.namespace, lease, {}, signal), signal),
      );
    } catch (err) {
      o.logger.warn("leader election: could not release the lease", { err });
    }
  }
}

/**
 * Runs `fn` with a signal that aborts after `ms` (a `TimeoutError` naming `what`) or when
 * `outer` aborts, and clears the timer after. `timedOut`: whether the time ran out (an answer
 * may have raced it); a rejection of `fn` passes through.
 */
async function timeLimited<T>(
  ms: number,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<{ result: T; timedOut: boolean }> {
  const limit = new AbortController();
  const timer = setTimeout(() => {
    limit.abort(new DOMException(`${what} took over ${ms} ms`, "TimeoutError"));
  }, ms);
  const signal = outer === undefined ? limit.signal : AbortSignal.any([outer, limit.signal]);
  try {
    const result = await fn(signal);
    return { result, timedOut: limit.signal.aborted };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `promise`, or a rejection with `signal.reason` as soon as `signal` aborts: the elector stops
 * waiting even for a client that does not heed the signal.
 */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason as unknown);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => {
      signal.removeEventListener("abort", onAbort);
    });
  });
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
