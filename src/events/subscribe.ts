/**
 * The library's subscriber helper: reads kube-lookout's events back from the JetStream stream
 * with an ordered consumer (ephemeral, no acks, recreated by the client after a gap), filtered
 * by one subject (nats-server 2.9 has no multi-filter consumers) plus the change types asked.
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerMessages,
  type JsMsg,
  type OrderedConsumerOptions,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { ResourceId } from "../kube/index.ts";
import {
  CHANGE_TYPES,
  resourceEventType,
  type ChangeType,
  type ResourceEventBody,
} from "./event-types.ts";
import { StreamRequestError } from "./nats-errors.ts";
import { OMITTED_HEADER } from "./oversize.ts";
import { helmFilter, parseResourceSubject, resourceFilter } from "./subject.ts";

/**
 * Where a subscription starts: every stored event, only new ones, or from a stream sequence or a
 * time (turned into the sequence of the first message stored at or after it, once, at start).
 */
export type DeliverFrom = "new" | "all" | { readonly sequence: number } | { readonly time: Date };

/** One resource change event as received. */
export interface ReceivedEvent {
  readonly subject: string;
  /** The stream sequence. */
  readonly sequence: number;
  readonly type: ChangeType;
  /** `ce-id`. */
  readonly id: string;
  /** `ce-source`: the cluster name. */
  readonly source: string;
  /** `ce-time`: when the change was observed (RFC 3339). */
  readonly time: string;
  /**
   * The body: with `omitted`, without those members. When the whole body was left out (`data`),
   * its identity rebuilt from the subject and `ce-id` (`kind` is then "").
   */
  readonly body: ResourceEventBody;
  /**
   * `ce-omitted`: the body members the relay left out because the message was over the
   * server's `max_payload` (`object`, `changes`, or `data` for the whole body); absent when
   * nothing was.
   */
  readonly omitted?: readonly string[];
}

/** One Helm findings event as received. */
export interface ReceivedHelmEvent {
  readonly subject: string;
  readonly sequence: number;
  readonly id: string;
  readonly time: string;
  /** The body (`null` when the whole of it was left out: `omitted` then holds `data`). */
  readonly body: unknown;
  /** `ce-omitted`, as for {@link ReceivedEvent}: `findings`, or `data`; absent when nothing. */
  readonly omitted?: readonly string[];
}

/** Options of {@link subscribe}. */
export interface SubscribeOptions {
  /** The JetStream stream holding the events. */
  readonly stream: string;
  /** The subject prefix the sidecar publishes under. */
  readonly prefix: string;
  readonly cluster?: string;
  readonly resource?: ResourceId;
  /** "" selects cluster-scoped objects. */
  readonly namespace?: string;
  readonly name?: string;
  /** Default: all three. */
  readonly types?: readonly ChangeType[];
  /** Default `all`. */
  readonly deliver?: DeliverFrom;
  /** Aborting ends the iteration cleanly (no error). */
  readonly signal?: AbortSignal;
}

/** Options of {@link subscribeHelm}. */
export interface SubscribeHelmOptions {
  readonly stream: string;
  readonly prefix: string;
  readonly cluster?: string;
  readonly namespace?: string;
  readonly release?: string;
  readonly deliver?: DeliverFrom;
  readonly signal?: AbortSignal;
}

const TYPE_PREFIX = resourceEventType("added").slice(0, -"added".length);

/**
 * Yields the resource change events of `options.stream` matching the filter, in stream order.
 * Messages without the required `ce-*` headers or with a body that is not an event are skipped.
 * Throws `LOOKOUT_EVENTS_INVALID_SUBJECT` for a bad filter and `LOOKOUT_EVENTS_STREAM_FAILED`
 * when the stream is missing or JetStream is off (on the first `next()`). The iteration ends
 * when `signal` aborts or the caller breaks; the ephemeral consumer is deleted then.
 */
export async function* subscribe(
  nc: NatsConnection,
  options: SubscribeOptions,
): AsyncGenerator<ReceivedEvent> {
  const filter = resourceFilter(options);
  for await (const msg of consume(
    nc,
    options.stream,
    filter.subject,
    options.deliver,
    options.signal,
  )) {
    const event = decodeResourceEvent(msg, options.prefix);
    if (event !== undefined && filter.types.has(event.type)) yield event;
  }
}

/** Like {@link subscribe}, for Helm findings events (body not interpreted). */
export async function* subscribeHelm(
  nc: NatsConnection,
  options: SubscribeHelmOptions,
): AsyncGenerator<ReceivedHelmEvent> {
  const subject = helmFilter(options);
  for await (const msg of consume(nc, options.stream, subject, options.deliver, options.signal)) {
    const head = headersOf(msg);
    const body = parseJson(msg.data);
    if (head === undefined || body === undefined) continue;
    yield {
      subject: msg.subject,
      sequence: msg.seq,
      id: head.id,
      time: head.time,
      body: body.value,
      ...(head.omitted.length === 0 ? {} : { omitted: head.omitted }),
    };
  }
}

async function* consume(
  nc: NatsConnection,
  stream: string,
  subject: string,
  deliver: DeliverFrom = "all",
  signal?: AbortSignal,
): AsyncGenerator<JsMsg> {
  if (signal?.aborted) return;
  const opts: Partial<OrderedConsumerOptions> = { filter_subjects: subject };
  let messages: ConsumerMessages;
  let consumer: Consumer;
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    if (deliver === "new") {
      // A start sequence rather than DeliverPolicy.New: the ordered consumer restarts from its
      // cursor after a reset, which for New would be the stream's first message.
      opts.opt_start_seq = info.state.last_seq + 1;
    } else if (deliver === "all") {
      opts.deliver_policy = DeliverPolicy.All;
    } else if ("sequence" in deliver) {
      opts.opt_start_seq = Math.max(1, deliver.sequence);
    } else {
      // A start sequence rather than a start time: after a reset nats.js recreates the ordered
      // consumer from its cursor by sequence but keeps the start time, a pair the server refuses,
      // so the subscription would stall for good.
      opts.opt_start_seq = await sequenceAt(jsm, stream, deliver.time);
    }
    consumer = await jetstream(nc).consumers.get(stream, opts);
    messages = await consumer.consume({ max_messages: 256 });
  } catch (err) {
    if (signal?.aborted) return;
    throw new StreamRequestError(stream, "subscribe", err);
  }
  const stop = (): void => messages.stop();
  signal?.addEventListener("abort", stop, { once: true });
  try {
    if (signal?.aborted) return;
    for await (const msg of messages) {
      if (signal?.aborted) return;
      yield msg;
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    messages.stop();
    await messages.closed().catch(() => undefined);
    // The server would drop the ephemeral consumer after its inactivity threshold anyway.
    if (!nc.isClosed()) await consumer.delete().catch(() => undefined);
  }
}

/** The sequence of the first message of `stream` stored at or after `time` (next one if none). */
async function sequenceAt(
  jsm: Awaited<ReturnType<typeof jetstreamManager>>,
  stream: string,
  time: Date,
): Promise<number> {
  // A consumer that starts at `time` reports the sequence before its first message.
  const probe = await jsm.consumers.add(stream, {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: time.toISOString(),
    ack_policy: AckPolicy.None,
    mem_storage: true,
    inactive_threshold: 60_000_000_000, // ns: the server drops it if we cannot
  });
  await jsm.consumers.delete(stream, probe.name).catch(() => undefined);
  return probe.delivered.stream_seq + 1;
}

function headersOf(
  msg: JsMsg,
): { id: string; type: string; source: string; time: string; omitted: string[] } | undefined {
  const h = msg.headers;
  if (h === undefined) return undefined;
  const id = h.get("ce-id", "insensitive");
  const type = h.get("ce-type", "insensitive");
  const source = h.get("ce-source", "insensitive");
  const time = h.get("ce-time", "insensitive");
  if (id === "" || type === "" || source === "" || time === "") return undefined;
  const omitted = h
    .get(OMITTED_HEADER, "insensitive")
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
  return { id, type, source, time, omitted };
}

function decodeResourceEvent(msg: JsMsg, prefix: string): ReceivedEvent | undefined {
  const head = headersOf(msg);
  if (head === undefined || !head.type.startsWith(TYPE_PREFIX)) return undefined;
  const change = head.type.slice(TYPE_PREFIX.length);
  const type = CHANGE_TYPES.find((t) => t === change);
  if (type === undefined) return undefined;
  const body = head.omitted.includes("data")
    ? identityOf(msg.subject, prefix, head.id)
    : parseJson(msg.data)?.value;
  if (!isResourceEventBody(body)) return undefined;
  return {
    subject: msg.subject,
    sequence: msg.seq,
    type,
    id: head.id,
    source: head.source,
    time: head.time,
    body,
    ...(head.omitted.length === 0 ? {} : { omitted: head.omitted }),
  };
}

/**
 * The identity of a change whose body was left out: from its subject (resource, namespace,
 * name) and `ce-id` (`<uid>:<resourceVersion>:<type>`); undefined when they do not parse.
 */
function identityOf(subject: string, prefix: string, id: string): ResourceEventBody | undefined {
  const fields = parseResourceSubject(subject, prefix);
  const parts = id.split(":");
  if (fields === undefined || parts.length !== 3) return undefined;
  const { group, version } = fields.resource;
  return {
    apiVersion: group === "" ? version : `${group}/${version}`,
    kind: "",
    namespace: fields.namespace,
    name: fields.name,
    uid: parts[0]!,
    resourceVersion: parts[1]!,
  };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function parseJson(data: Uint8Array): { value: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(data));
    return { value };
  } catch {
    return undefined;
  }
}

function isResourceEventBody(value: unknown): value is ResourceEventBody {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const fields = ["apiVersion", "kind", "namespace", "name", "uid", "resourceVersion"] as const;
  return (
    fields.every((f) => {
      const field: unknown = Reflect.get(value, f);
      return typeof field === "string";
    }) &&
    (!("changes" in value) || value.changes === undefined || Array.isArray(value.changes))
  );
}
