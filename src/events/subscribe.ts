/**
 * The library's subscriber helper: reads kube-lookout's events back from the JetStream stream
 * with an ordered consumer (ephemeral, no acks, recreated by the client after a gap), filtered
 * by one subject (nats-server 2.9 has no multi-filter consumers) plus the change types asked.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { groupVersion, type ResourceId } from "../kube/index.ts";
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

/**
 * Reads `stream` through an ordered consumer filtered by `subject`. nats.js recreates an ordered
 * consumer after a gap from the last stream sequence it saw; when the stream itself was deleted
 * and created again (the sidecar recreates a lost stream), that sequence means nothing in the new
 * stream and its first messages would be skipped. So when the consumer is deleted or recreated,
 * or a consumer's first message arrives, the stream's creation time is compared with the one
 * read at start: a new stream is read from its beginning (or from `deliver.time`), and the same
 * stream is resumed after the last message yielded.
 */
async function* consume(
  nc: NatsConnection,
  stream: string,
  subject: string,
  deliver: DeliverFrom = "all",
  signal?: AbortSignal,
): AsyncGenerator<JsMsg> {
  if (signal?.aborted) return;
  let jsm: JetStreamManager;
  let at: Position;
  try {
    jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    // A start sequence rather than DeliverPolicy.New: the ordered consumer restarts from its
    // cursor after a reset, which for New would be the stream's first message.
    const next =
      deliver === "new" ? info.state.last_seq + 1 : await firstSequence(jsm, stream, deliver);
    at = { created: info.created, next };
  } catch (err) {
    if (signal?.aborted) return;
    throw new StreamRequestError(stream, "subscribe", err);
  }
  // Only the first consumer's failure ends the subscription; after a recheck (the server
  // restarting, JetStream recovering its store) the next consumer is tried again after a backoff.
  for (let resumed = false, delay = RETRY_FIRST_MS; ; resumed = true) {
    const outcome = yield* readConsumer(nc, jsm, stream, subject, at, resumed, signal);
    if (outcome === "ended" || signal?.aborted === true || nc.isClosed()) return;
    if (outcome === "failed") {
      // oxlint-disable-next-line eslint/no-await-in-loop -- backoff before the next consumer
      if (!(await pause(delay, signal))) return;
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    } else {
      delay = RETRY_FIRST_MS;
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- the next consumer once the stream is back
    if (!(await resumeAt(jsm, stream, deliver, at, signal))) return;
  }
}

/** The backoff of a resumed subscription's retries: 250 ms doubling to 5 s. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

/** Waits `ms` unless `signal` aborts first (false then). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal, ref: false });
    return true;
  } catch {
    return false;
  }
}

/** Where a subscription is in its stream. */
interface Position {
  /** The stream's creation time (RFC 3339), telling it from a stream created again. */
  created: string;
  /** The first stream sequence still to read; undefined: the whole stream. */
  next: number | undefined;
}

/**
 * One ordered consumer's messages from `at.next` (advanced as they are yielded). Returns
 * `recheck` when they ended because the stream must be looked at again (the consumer was
 * deleted or recreated, or a consumer's first message came from a stream created since),
 * `failed` when a `resumed` consumer could not be created (the first one's failure throws),
 * `ended` otherwise.
 */
async function* readConsumer(
  nc: NatsConnection,
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  at: Position,
  resumed: boolean,
  signal: AbortSignal | undefined,
): AsyncGenerator<JsMsg, "ended" | "recheck" | "failed"> {
  let consumer: Consumer;
  let messages: ConsumerMessages;
  try {
    consumer = await jetstream(nc).consumers.get(stream, {
      filter_subjects: subject,
      ...(at.next === undefined
        ? { deliver_policy: DeliverPolicy.All }
        : { opt_start_seq: at.next }),
    });
    messages = await consumer.consume({ max_messages: 256 });
  } catch (err) {
    if (signal?.aborted) return "ended";
    if (resumed) return "failed";
    throw new StreamRequestError(stream, "subscribe", err);
  }
  let recheck = false;
  const stop = (): void => messages.stop();
  const watch = (async () => {
    for await (const status of messages.status()) {
      if (status.type === "consumer_deleted" || status.type === "ordered_consumer_recreated") {
        recheck = true;
        messages.stop();
        return;
      }
    }
  })().catch(() => undefined);
  signal?.addEventListener("abort", stop, { once: true });
  try {
    if (signal?.aborted) return "ended";
    for await (const msg of messages) {
      if (signal?.aborted) return "ended";
      // A consumer's first message (ours, or one nats.js recreated): from the same stream?
      if (msg.info.deliverySequence === 1) {
        // oxlint-disable-next-line eslint/no-await-in-loop -- before the message is yielded
        if ((await createdOf(jsm, stream)) !== at.created) return "recheck";
      }
      at.next = msg.seq + 1;
      yield msg;
    }
    return recheck ? "recheck" : "ended";
  } finally {
    signal?.removeEventListener("abort", stop);
    messages.stop();
    await messages.closed().catch(() => undefined);
    await watch;
    // The server would drop the ephemeral consumer after its inactivity threshold anyway.
    if (!nc.isClosed()) await consumer.delete().catch(() => undefined);
  }
}

/**
 * Waits for the stream to exist, then sets where to read it: a new stream (every message in it
 * was stored after the subscription began) from its start, or from `deliver.time`; the same
 * stream after the last message yielded. Retries what fails, with a backoff; false when
 * `signal` aborted first.
 */
async function resumeAt(
  jsm: JetStreamManager,
  stream: string,
  deliver: DeliverFrom,
  at: Position,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for (let delay = RETRY_FIRST_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polled until the stream exists
    const created = await createdOf(jsm, stream);
    if (created === at.created) return true;
    if (created !== undefined) {
      try {
        const fromTime = typeof deliver === "object" && "time" in deliver;
        // oxlint-disable-next-line eslint/no-await-in-loop -- once per new stream
        at.next = fromTime ? await firstSequence(jsm, stream, deliver) : undefined;
        at.created = created;
        return true;
      } catch {
        // Read again after the backoff.
      }
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- backoff between polls
    if (!(await pause(delay, signal))) return false;
  }
}

/** Where a subscription that is not `"new"` starts; undefined: the whole stream. */
async function firstSequence(
  jsm: JetStreamManager,
  stream: string,
  deliver: Exclude<DeliverFrom, "new">,
): Promise<number | undefined> {
  if (deliver === "all") return undefined;
  if ("sequence" in deliver) return Math.max(1, deliver.sequence);
  // A start sequence rather than a start time: after a reset nats.js recreates the ordered
  // consumer from its cursor by sequence but keeps the start time, a pair the server refuses,
  // so the subscription would stall for good.
  return sequenceAt(jsm, stream, deliver.time);
}

/** The stream's creation time; undefined when it does not exist or cannot be read now. */
async function createdOf(jsm: JetStreamManager, stream: string): Promise<string | undefined> {
  try {
    return (await jsm.streams.info(stream)).created;
  } catch {
    return undefined;
  }
}

/** The sequence of the first message of `stream` stored at or after `time` (next one if none). */
async function sequenceAt(jsm: JetStreamManager, stream: string, time: Date): Promise<number> {
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
  return {
    apiVersion: groupVersion(fields.resource),
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
