/**
 * Change events: every change of every watched resource recorded with its snapshot in SQLite
 * (one transaction per batch) and relayed to NATS JetStream as CloudEvents, deduplicated by
 * `Nats-Msg-Id`, nothing lost across NATS outages and sidecar restarts. See docs/events.md.
 */
export { EventPipeline, informerSpecOf } from "./pipeline.ts";
export type {
  EventPipelineOptions,
  EventResourceAttachment,
  EventResourceSpec,
  EventStreamSpec,
  HelmFindingsChange,
} from "./pipeline.ts";
export { ResourceRecorder, resourceKey } from "./recorder.ts";
export { BatchWriter } from "./batch-writer.ts";
export type { BatchWriterOptions, SnapshotOp } from "./batch-writer.ts";
export type { OutboxFullPolicy, RecorderOptions } from "./recorder.ts";
export { OutboxRelay } from "./relay.ts";
export { EventMetricNames } from "./metrics.ts";
export type { NatsConnectionSource, RelayCounters, RelayOptions } from "./relay.ts";
export { NatsLink } from "./nats-link.ts";
export type { NatsLinkOptions, NatsLinkState } from "./nats-link.ts";
export { ensureStream } from "./stream.ts";
export type { EnsureStreamResult, StreamSpec } from "./stream.ts";
export { subscribe, subscribeHelm } from "./subscribe.ts";
export type {
  DeliverFrom,
  ReceivedEvent,
  ReceivedHelmEvent,
  SubscribeHelmOptions,
  SubscribeOptions,
} from "./subscribe.ts";
export {
  CORE_GROUP_TOKEN,
  NO_NAMESPACE_TOKEN,
  escapeToken,
  helmFilter,
  helmSubject,
  parseResourceSubject,
  resourceFilter,
  resourceSubject,
  unescapeToken,
  validatePrefix,
} from "./subject.ts";
export type { ResourceSubjectFields, SubjectFilter } from "./subject.ts";
export {
  HASH_PREFIX,
  MIN_HASH_KEY_BYTES,
  compileDropFields,
  compileRedaction,
  redactObject,
} from "./redact.ts";
export type { Redaction, RedactionOptions } from "./redact.ts";
export { applyPatch, createPatch } from "./json-patch.ts";
export { jsonEqual, onlyMetadataNoise, onlyStatusChanged } from "./change-filter.ts";
export { decodeEvent, helmFindingsEvent, resourceEvent } from "./cloud-event.ts";
export type {
  DecodedEvent,
  EventHeaders,
  HelmFindingsEventOptions,
  HelmFindingsInput,
  ResourceEventOptions,
} from "./cloud-event.ts";
export { CHANGE_TYPES, HELM_FINDINGS_EVENT_TYPE, resourceEventType } from "./event-types.ts";
export type {
  ChangeType,
  JsonPatchOperation,
  OutgoingEvent,
  ResourceChange,
  ResourceEventBody,
} from "./event-types.ts";
export {
  EventsBadMessageError,
  EventsBadPatchError,
  EventsClosedError,
  EventsInvalidOptionError,
} from "./errors.ts";
export {
  EventSubjectError,
  NatsLinkClosedError,
  NatsOptionError,
  StreamConflictError,
  StreamRequestError,
  StreamSpecError,
} from "./nats-errors.ts";
