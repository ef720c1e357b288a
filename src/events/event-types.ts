/**
 * The shapes of kube-lookout's change events, shared by the code that records them, the relay
 * that publishes them and the helpers that read them. An event is a CloudEvents 1.0 message in
 * NATS binary mode: `ce-*` headers plus a JSON body (docs/events.md).
 */
import type { ResourceId } from "../kube/index.ts";

/** What happened to an object. */
export type ChangeType = "added" | "modified" | "deleted";

/** Every {@link ChangeType}, in a stable order. */
export const CHANGE_TYPES: readonly ChangeType[] = ["added", "modified", "deleted"];

/** The CloudEvents `type` of a resource change: `io.kube-lookout.resource.<change>`. */
export function resourceEventType(type: ChangeType): string {
  return `io.kube-lookout.resource.${type}`;
}

/** The CloudEvents `type` of a Helm release's findings change. */
export const HELM_FINDINGS_EVENT_TYPE = "io.kube-lookout.helm.findings.changed";

/** One RFC 6902 operation as kube-lookout emits them (add, remove, replace). */
export type JsonPatchOperation =
  | { readonly op: "add"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "replace"; readonly path: string; readonly value: unknown };

/** The JSON body of a resource change event. */
export interface ResourceEventBody {
  readonly apiVersion: string;
  readonly kind: string;
  /** "" for a cluster-scoped object. */
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  /** The transformed object (Secret values replaced by hashes); absent when configured off. */
  readonly object?: unknown;
  /** For `modified`: the RFC 6902 patch from the previous transformed state to `object`. */
  readonly changes?: readonly JsonPatchOperation[];
}

/**
 * One change of one object, as the recorder sees it: the transformed states (Secret values
 * already replaced) and when the change was observed.
 */
export interface ResourceChange {
  readonly type: ChangeType;
  readonly resource: ResourceId;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** After the change; for `deleted`, the last one recorded before it (the state it ends). */
  readonly resourceVersion: string;
  /** The transformed object after the change (for `deleted`: the last known state). */
  readonly object: unknown;
  /** The transformed object before the change (`modified` only). */
  readonly previous?: unknown;
  /** When the change was observed, epoch ms: `ce-time`, never the send time. */
  readonly observedAt: number;
}

/** A message ready to publish (and to store in the outbox until it is acknowledged). */
export interface OutgoingEvent {
  readonly subject: string;
  /** The JetStream `Nats-Msg-Id`: `<uid>:<resourceVersion>:<type>` for resource changes. */
  readonly msgId: string;
  /** The `ce-*` and `content-type` headers. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** Events of one key are published in order: `<apiVersion>/<resource>/<namespace>/<name>`. */
  readonly orderKey: string;
  /** Epoch ms of the change (`ce-time`). */
  readonly observedAt: number;
}
