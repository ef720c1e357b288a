/**
 * Events larger than the NATS server accepts (`max_payload`, 1 MiB by default: a big ConfigMap
 * with its `changes`, a release with many findings). Such a message can never be published, and
 * left as it is it would hold back its object's later events for good. Instead it goes out with
 * its large members left out, named in the `ce-omitted` header, so that subscribers still see
 * the change happen and can read the object from the cache API.
 */

/** Body members that may be left out, in this order: the rest identifies the event. */
const OMITTABLE = ["object", "changes", "findings"] as const;

/** `ce-omitted`: the CloudEvents extension attribute naming the members left out. */
export const OMITTED_HEADER = "ce-omitted";

/** A message to publish: its body and headers. */
export interface SizedMessage {
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** A message made to fit, and what was left out of it (empty when nothing was). */
export interface FittedMessage extends SizedMessage {
  readonly omitted: readonly string[];
}

/**
 * The size NATS counts against `max_payload`: the body plus the header block as sent
 * (`NATS/1.0\r\n`, a `name: value\r\n` line each, a final `\r\n`), header text in UTF-8.
 */
export function messageSize(message: SizedMessage): number {
  let size = message.body.length + 12;
  for (const [name, value] of Object.entries(message.headers)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value) + 4;
  }
  return size;
}

/**
 * `message` as it is when it fits in `maxPayload` bytes; else with the members of
 * {@link OMITTABLE} its JSON body has left out one by one until it fits, and when that is not
 * enough (or the body is not a JSON object) with the body `null`. The headers then gain
 * {@link OMITTED_HEADER} (`object`, `object,changes`, … or `data` for the whole body).
 */
export function fitMessage(message: SizedMessage, maxPayload: number): FittedMessage {
  if (messageSize(message) <= maxPayload) return { ...message, omitted: [] };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(message.body).toString("utf8"));
  } catch {
    body = undefined;
  }
  const omitted: string[] = [];
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const rest: Record<string, unknown> = { ...body };
    for (const name of OMITTABLE) {
      if (!(name in rest)) continue;
      delete rest[name];
      omitted.push(name);
      const candidate = withOmitted(message.headers, rest, omitted);
      if (messageSize(candidate) <= maxPayload) return { ...candidate, omitted };
    }
  }
  const bare = withOmitted(message.headers, null, ["data"]);
  return { ...bare, omitted: ["data"] };
}

function withOmitted(
  headers: Readonly<Record<string, string>>,
  body: unknown,
  omitted: readonly string[],
): SizedMessage {
  return {
    body: Buffer.from(JSON.stringify(body), "utf8"),
    headers: { ...headers, [OMITTED_HEADER]: omitted.join(",") },
  };
}
