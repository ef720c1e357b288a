/**
 * CloudEvents 1.0 in NATS binary mode: the `ce-*` headers and JSON body of kube-lookout's
 * resource-change and Helm-findings events, and the decoder subscribers use.
 */
import { createHash } from "node:crypto";
import { groupVersion } from "../kube/index.ts";
import { EventsBadMessageError, EventsInvalidOptionError } from "./errors.ts";
import {
  HELM_FINDINGS_EVENT_TYPE,
  resourceEventType,
  type OutgoingEvent,
  type ResourceChange,
  type ResourceEventBody,
} from "./event-types.ts";
import { createPatch } from "./json-patch.ts";

/** Options of {@link resourceEvent}. */
export interface ResourceEventOptions {
  /** `ce-source`: the cluster's name. */
  readonly source: string;
  /** The NATS subject to publish on. */
  readonly subject: string;
  /** Whether the body carries the (transformed) `object`. */
  readonly includeObject: boolean;
  /** Whether a `modified` body with a `previous` carries the RFC 6902 `changes`. Default true. */
  readonly includeChanges?: boolean;
  /**
   * `JSON.stringify(change.object)` when the caller has it already (the recorder serializes the
   * object for its snapshot): the body then reuses it. The bytes are the same either way.
   */
  readonly objectJson?: string;
}

/** What {@link helmFindingsEvent} needs of one release's findings. */
export interface HelmFindingsInput {
  readonly namespace: string;
  readonly release: string;
  /** `undefined` when the release is gone (body `revision: null`, msgId `...:gone:...`). */
  readonly revision: number | undefined;
  readonly chart?: string;
  readonly chartVersion?: string;
  readonly findings: readonly unknown[];
  /** Epoch ms of the change: `ce-time`. */
  readonly observedAt: number;
}

/** Options of {@link helmFindingsEvent}. */
export interface HelmFindingsEventOptions {
  /** `ce-source`: the cluster's name. */
  readonly source: string;
  /** The NATS subject to publish on. */
  readonly subject: string;
}

/** A received event: the CloudEvents attributes and the parsed JSON body. */
export interface DecodedEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  /** `ce-subject`, "" when absent. */
  readonly subject: string;
  /** `ce-time` as sent (RFC 3339), "" when absent. */
  readonly time: string;
  readonly data: unknown;
}

/** What {@link decodeEvent} reads headers through (nats.js `MsgHdrs` fits: "" when absent). */
export interface EventHeaders {
  get(name: string): string;
}

/**
 * The outgoing message for one resource change. Headers: `ce-specversion` `1.0`, `ce-id` the
 * msgId, `ce-type` `io.kube-lookout.resource.<type>`, `ce-source` the cluster, `ce-subject`
 * `namespace/name` (`name` when cluster-scoped), `ce-time` the observed time in RFC 3339 UTC
 * (never the send time), `content-type: application/json`. msgId `<uid>:<resourceVersion>:<type>`
 * (the JetStream `Nats-Msg-Id`). orderKey `<apiVersion of the resource>/<resource>/<namespace>/
 * <name>`, with namespace "" for cluster-scoped objects: `apps/v1/deployments/shop/web`,
 * `v1/nodes//n1`. Body: UTF-8 JSON {@link ResourceEventBody}; `object` iff `includeObject`;
 * `changes` = `createPatch(previous, object)` only for `modified` with a `previous` and
 * `includeChanges` not false. Throws `EventsInvalidOptionError` when `observedAt` is not a
 * valid time.
 */
export function resourceEvent(
  change: ResourceChange,
  options: ResourceEventOptions,
): OutgoingEvent {
  const msgId = `${change.uid}:${change.resourceVersion}:${change.type}`;
  const subjectAttr = change.namespace === "" ? change.name : `${change.namespace}/${change.name}`;
  let body: ResourceEventBody = {
    apiVersion: change.apiVersion,
    kind: change.kind,
    namespace: change.namespace,
    name: change.name,
    uid: change.uid,
    resourceVersion: change.resourceVersion,
  };
  if (options.includeObject) body = { ...body, object: change.object };
  if (
    change.type === "modified" &&
    change.previous !== undefined &&
    options.includeChanges !== false
  ) {
    body = { ...body, changes: createPatch(change.previous, change.object) };
  }
  return {
    subject: options.subject,
    msgId,
    headers: headersOf(
      msgId,
      resourceEventType(change.type),
      options.source,
      subjectAttr,
      change.observedAt,
    ),
    body: Buffer.from(bodyText(body, options), "utf8"),
    orderKey: `${groupVersion(change.resource)}/${change.resource.resource}/${change.namespace}/${change.name}`,
    observedAt: change.observedAt,
  };
}

/**
 * The outgoing message for a change of one Helm release's findings. `ce-type`
 * {@link HELM_FINDINGS_EVENT_TYPE}, `ce-subject` `namespace/release`, other headers as in
 * {@link resourceEvent}. Body JSON `{namespace, release, revision, chart, chartVersion,
 * findings}` (`revision` null when the release is gone; `chart` and `chartVersion` absent when
 * not given). msgId `helm:<namespace>/<release>:<revision or "gone">:<observedAt ms>:<first 16
 * hex digits of sha256(JSON of findings)>`: a re-send of the same change (its outbox row after a
 * restart) is dropped by JetStream's duplicate window, while a new change of the release gets a
 * new id even when it returns to an earlier state (an uninstall and a reinstall at revision 1
 * with the same findings). orderKey `helm/<namespace>/<release>`. Throws
 * `EventsInvalidOptionError` when `observedAt` is not a valid time.
 */
export function helmFindingsEvent(
  input: HelmFindingsInput,
  options: HelmFindingsEventOptions,
): OutgoingEvent {
  const findingsJson = JSON.stringify(input.findings);
  const digest = createHash("sha256").update(findingsJson).digest("hex").slice(0, 16);
  const id = `${input.namespace}/${input.release}`;
  const msgId = `helm:${id}:${input.revision ?? "gone"}:${input.observedAt}:${digest}`;
  const body = {
    namespace: input.namespace,
    release: input.release,
    revision: input.revision ?? null,
    chart: input.chart,
    chartVersion: input.chartVersion,
    findings: input.findings,
  };
  return {
    subject: options.subject,
    msgId,
    headers: headersOf(msgId, HELM_FINDINGS_EVENT_TYPE, options.source, id, input.observedAt),
    body: Buffer.from(JSON.stringify(body), "utf8"),
    orderKey: `helm/${id}`,
    observedAt: input.observedAt,
  };
}

/**
 * The outgoing message of a plugin's publication (e.g. resource-metrics' snapshots) on
 * `subject` (already built and escaped). `ce-type` `io.kube-lookout.<kind>`, `ce-subject`
 * the given one, body the JSON of `body`; msgId `<subject>:<observedAt>:<first 16 hex digits of
 * sha256(body)>` (a re-send of the same publication is deduplicated), orderKey the subject.
 */
export function pluginEvent(
  input: {
    readonly kind: string;
    readonly ceSubject: string;
    readonly body: unknown;
    readonly observedAt: number;
  },
  options: { readonly source: string; readonly subject: string },
): OutgoingEvent {
  const json = JSON.stringify(input.body);
  if (json === undefined) {
    throw new EventsInvalidOptionError("body", input.body, "a JSON-serializable value");
  }
  const digest = createHash("sha256").update(json).digest("hex").slice(0, 16);
  const msgId = `${options.subject}:${input.observedAt}:${digest}`;
  return {
    subject: options.subject,
    msgId,
    headers: headersOf(
      msgId,
      `io.kube-lookout.${input.kind}`,
      options.source,
      input.ceSubject,
      input.observedAt,
    ),
    body: Buffer.from(json, "utf8"),
    orderKey: options.subject,
    observedAt: input.observedAt,
  };
}

/**
 * The body's JSON. With `objectJson` (the object already serialized, e.g. for the snapshot), the
 * object is spliced in as text instead of being serialized a second time; same bytes.
 */
function bodyText(body: ResourceEventBody, options: ResourceEventOptions): string {
  const objectJson = options.objectJson;
  if (objectJson === undefined || !("object" in body)) return JSON.stringify(body);
  const { object: _object, changes, ...head } = body;
  const start = JSON.stringify(head);
  const tail = changes === undefined ? "" : `,"changes":${JSON.stringify(changes)}`;
  return `${start.slice(0, -1)},"object":${objectJson}${tail}}`;
}

function headersOf(
  id: string,
  type: string,
  source: string,
  subject: string,
  observedAt: number,
): Readonly<Record<string, string>> {
  const date = new Date(observedAt);
  if (!Number.isFinite(date.getTime())) {
    throw new EventsInvalidOptionError(
      "observedAt",
      observedAt,
      "epoch milliseconds of a valid date",
    );
  }
  return {
    "ce-specversion": "1.0",
    "ce-id": id,
    "ce-type": type,
    "ce-source": source,
    "ce-subject": subject,
    "ce-time": date.toISOString(),
    "content-type": "application/json",
  };
}

const REQUIRED = ["ce-specversion", "ce-id", "ce-type", "ce-source"] as const;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a CloudEvents 1.0 binary-mode message. Requires `ce-specversion` `1.0` and non-empty
 * `ce-id`, `ce-type`, `ce-source` (the CloudEvents required attributes); `ce-subject` and
 * `ce-time` are optional and read as "". The body must be UTF-8 JSON. Throws
 * `EventsBadMessageError` (`LOOKOUT_EVENTS_BAD_MESSAGE`, `header` naming the missing one, or
 * `undefined` for a bad body).
 */
export function decodeEvent(headers: EventHeaders, body: Uint8Array): DecodedEvent {
  for (const name of REQUIRED) {
    if (headers.get(name) === "") throw new EventsBadMessageError(name, `header ${name} missing`);
  }
  const version = headers.get("ce-specversion");
  if (version !== "1.0") {
    throw new EventsBadMessageError(
      "ce-specversion",
      `unsupported ce-specversion ${JSON.stringify(version)}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(utf8.decode(body));
  } catch (err) {
    throw new EventsBadMessageError(undefined, "body is not UTF-8 JSON", { cause: err });
  }
  return {
    id: headers.get("ce-id"),
    type: headers.get("ce-type"),
    source: headers.get("ce-source"),
    subject: headers.get("ce-subject"),
    time: headers.get("ce-time"),
    data,
  };
}
