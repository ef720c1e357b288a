/**
 * Injected request failures: rules that fail the next N matching requests with a status
 * (429 with Retry-After, 500, ...), rules that stall the next N matching LIST responses
 * part-way through their body, and persistent 403 rules (RBAC denials) until lifted.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import type { SimError } from "./errors.ts";
import { forbidden, injected } from "./status.ts";

/** The verbs a request-failure rule can match. */
export type SimVerb = "list" | "watch" | "get" | "create" | "update" | "patch" | "delete";

interface Rule {
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  remaining: number;
  readonly verb: SimVerb | undefined;
  readonly def: ResourceDefinition | undefined;
}

interface StallRule {
  remaining: number;
  readonly def: ResourceDefinition | undefined;
}

/**
 * A persistent 403 rule. `namespace` undefined matches only requests without a namespace
 * (all-namespaces lists and watches, cluster-scoped resources); a namespace matches only the
 * namespaced requests in it.
 */
interface ForbidRule {
  readonly verb: SimVerb | undefined;
  readonly def: ResourceDefinition | undefined;
  readonly namespace: string | undefined;
}

/** The pending request-failure rules of one cluster. */
export class RequestFaults {
  readonly #rules: Rule[] = [];
  readonly #listStalls: StallRule[] = [];
  readonly #forbids = new Set<ForbidRule>();

  /** Adds a persistent 403 rule; the returned function removes it (idempotent). */
  addForbid(
    verb: SimVerb | undefined,
    def: ResourceDefinition | undefined,
    namespace: string | undefined,
  ): () => void {
    const rule: ForbidRule = { verb, def, namespace };
    this.#forbids.add(rule);
    return () => {
      this.#forbids.delete(rule);
    };
  }

  /** Removes every 403 rule. */
  clearForbids(): void {
    this.#forbids.clear();
  }

  /** The 403 to answer a request with while a matching forbid rule is active, else undefined. */
  forbidden(
    verb: SimVerb,
    def: ResourceDefinition,
    namespace: string,
    name: string | undefined,
  ): SimError | undefined {
    for (const r of this.#forbids) {
      if (r.verb !== undefined && r.verb !== verb) continue;
      if (r.def !== undefined && r.def !== def) continue;
      if ((r.namespace ?? "") !== namespace) continue;
      return forbidden(def, verb, namespace, name);
    }
    return undefined;
  }

  /** Adds a rule stalling the next `count` LIST responses (of `def`, or of any resource). */
  addListStall(count: number, def: ResourceDefinition | undefined): void {
    this.#listStalls.push({ remaining: count, def });
  }

  /** True when this LIST response must stall, consuming one use of the first matching rule. */
  takeListStall(def: ResourceDefinition): boolean {
    const i = this.#listStalls.findIndex((r) => r.def === undefined || r.def === def);
    if (i === -1) return false;
    const rule = this.#listStalls[i]!;
    rule.remaining--;
    if (rule.remaining <= 0) this.#listStalls.splice(i, 1);
    return true;
  }

  /** Adds a rule failing the next `count` (default 1) matching requests. */
  add(
    status: number,
    retryAfterSeconds: number | undefined,
    count: number,
    verb: SimVerb | undefined,
    def: ResourceDefinition | undefined,
  ): void {
    this.#rules.push({ status, retryAfterSeconds, remaining: count, verb, def });
  }

  /** The error to answer a request with, consuming one use of the first matching rule. */
  take(verb: SimVerb, def: ResourceDefinition): SimError | undefined {
    const i = this.#rules.findIndex(
      (r) => (r.verb === undefined || r.verb === verb) && (r.def === undefined || r.def === def),
    );
    if (i === -1) return undefined;
    const rule = this.#rules[i]!;
    rule.remaining--;
    if (rule.remaining <= 0) this.#rules.splice(i, 1);
    const retry = rule.status === 429 ? (rule.retryAfterSeconds ?? 1) : rule.retryAfterSeconds;
    return injected(rule.status, retry);
  }
}
