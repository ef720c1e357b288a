/**
 * `kube-lookout events tail`: follows kube-lookout's change events (or Helm findings events) in
 * a JetStream stream through the library's `subscribe`/`subscribeHelm` and prints one line per
 * event. An interactive tool: an unreachable NATS fails after `--connect-timeout` seconds
 * instead of retrying forever as the sidecar does.
 */
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  StreamRequestError,
  parseResourceSubject,
  subscribe,
  subscribeHelm,
  type ReceivedEvent,
  type ReceivedHelmEvent,
} from "../../events/index.ts";
import { maskUrlCredentials, type Logger } from "../../logging/index.ts";
import type { Command, CommandIo } from "../args.ts";
import {
  DEFAULT_NATS,
  ENV,
  NAME,
  clientCertHint,
  natsLink,
  parseOptions,
  shownServers,
  type TailOptions,
} from "./events-tail-options.ts";

/** A logger that keeps the last connection error NatsLink reports, to name it on timeout. */
function lastErrorLogger(): Logger & { readonly last: () => string | undefined } {
  let last: string | undefined;
  const keep = (_message: string, fields?: Readonly<Record<string, unknown>>): void => {
    const error = fields?.["error"];
    if (error instanceof Error) last = maskUrlCredentials(error.message);
  };
  return { debug: keep, info: () => {}, warn: keep, error: keep, last: () => last };
}

function formatResource(e: ReceivedEvent, output: "text" | "json"): string {
  if (output === "json") {
    const headers = {
      "ce-id": e.id,
      "ce-type": `io.kube-lookout.resource.${e.type}`,
      "ce-source": e.source,
      "ce-time": e.time,
      ...omittedHeader(e.omitted),
    };
    return JSON.stringify({ subject: e.subject, sequence: e.sequence, headers, body: e.body });
  }
  const b = e.body;
  const where = b.namespace === "" ? b.name : `${b.namespace}/${b.name}`;
  const changes =
    e.type === "modified" && b.changes !== undefined ? ` changes=${b.changes.length}` : "";
  return `${e.time} ${e.type} ${b.kind === "" ? "-" : b.kind} ${where} rv=${b.resourceVersion}${changes}${omittedText(e.omitted)}`;
}

function formatHelm(e: ReceivedHelmEvent, output: "text" | "json"): string {
  if (output === "json") {
    const headers = { "ce-id": e.id, "ce-time": e.time, ...omittedHeader(e.omitted) };
    return JSON.stringify({ subject: e.subject, sequence: e.sequence, headers, body: e.body });
  }
  const field = (name: string): unknown =>
    typeof e.body === "object" && e.body !== null ? Reflect.get(e.body, name) : undefined;
  const namespace = field("namespace");
  const release = field("release");
  const revision = field("revision");
  const findings = field("findings");
  return (
    [
      e.time,
      "findings",
      `${typeof namespace === "string" ? namespace : "?"}/${typeof release === "string" ? release : "?"}`,
      `revision=${typeof revision === "number" ? revision : "gone"}`,
      `findings=${Array.isArray(findings) ? findings.length : "?"}`,
    ].join(" ") + omittedText(e.omitted)
  );
}

/** `ce-omitted` for the JSON output, when the relay left members out (over `max_payload`). */
function omittedHeader(omitted: readonly string[] | undefined): { "ce-omitted"?: string } {
  return omitted === undefined ? {} : { "ce-omitted": omitted.join(",") };
}

/** ` omitted=object,changes` for the text output, or nothing. */
function omittedText(omitted: readonly string[] | undefined): string {
  return omitted === undefined ? "" : ` omitted=${omitted.join(",")}`;
}

/** The formatted events matching the options, in stream order. */
async function* lines(
  nc: NatsConnection,
  o: TailOptions,
  signal: AbortSignal,
): AsyncGenerator<string> {
  const common = {
    stream: o.stream,
    prefix: o.prefix,
    deliver: o.deliver,
    signal,
    ...(o.cluster === undefined ? {} : { cluster: o.cluster }),
    ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
  };
  if (o.helm) {
    const source = subscribeHelm(nc, {
      ...common,
      ...(o.name === undefined ? {} : { release: o.name }),
    });
    for await (const e of source) yield formatHelm(e, o.output);
    return;
  }
  const r = o.resource;
  const source = subscribe(nc, {
    ...common,
    ...(r !== undefined && "exact" in r ? { resource: r.exact } : {}),
    ...(o.name === undefined ? {} : { name: o.name }),
    ...(o.types === undefined ? {} : { types: o.types }),
  });
  for await (const e of source) {
    if (r !== undefined && "plural" in r) {
      if (parseResourceSubject(e.subject, o.prefix)?.resource.resource !== r.plural) continue;
    }
    yield formatResource(e, o.output);
  }
}

/** Prints the stream-not-found error with the streams that exist; 1. */
async function streamMissing(nc: NatsConnection, o: TailOptions, io: CommandIo): Promise<number> {
  const names: string[] = [];
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) names.push(name);
  } catch {
    // Listing is a courtesy; the error below stands without it.
  }
  const here = names.length === 0 ? "none" : names.sort().join(", ");
  io.stderr(
    `kube-lookout ${NAME}: stream "${o.stream}" not found on ${shownServers(o.servers)} ` +
      `(streams there: ${here}); name the sidecar's stream with --stream (LOOKOUT_EVENTS_STREAM_FAILED)\n`,
  );
  return 1;
}

async function tail(nc: NatsConnection, o: TailOptions, io: CommandIo): Promise<number> {
  let printed = 0;
  try {
    for await (const line of lines(nc, o, io.signal)) {
      io.stdout(`${line}\n`);
      if (++printed === o.count) break;
    }
  } catch (err) {
    if (io.signal.aborted) return 0;
    if (
      err instanceof StreamRequestError &&
      err.cause instanceof JetStreamApiError &&
      err.cause.code === JetStreamApiCodes.StreamNotFound
    ) {
      return await streamMissing(nc, o, io);
    }
    throw err;
  }
  return 0;
}

/** `kube-lookout events tail`; see the module comment. */
export const eventsTailCommand: Command = {
  name: "tail",
  short: "Follow change events (or Helm findings events) from the JetStream stream.",
  summary:
    "Follow the change events kube-lookout publishes to a NATS JetStream stream and print one " +
    "line per event: 'TIME TYPE KIND NAMESPACE/NAME rv=RV [changes=N]' (changes: the JSON " +
    "Patch operation count of a modified event), or with --output json one JSON object per " +
    "line ({subject, sequence, headers, body}). Filters become the subject filter of an " +
    "ephemeral ordered consumer (docs/events.md), deleted when the command ends. Ends on " +
    "Ctrl-C (exit 0) or after --count events.",
  usage: "kube-lookout events tail [options]",
  flags: {
    nats: {
      type: "string",
      valueName: "URL",
      multiple: true,
      description: `NATS server URL; repeat it or separate URLs with commas (default: ${DEFAULT_NATS}).`,
    },
    stream: {
      type: "string",
      valueName: "NAME",
      description: "The JetStream stream the sidecar publishes to.",
      default: "KUBE_LOOKOUT",
    },
    prefix: {
      type: "string",
      valueName: "P",
      description: "The sidecar's subject prefix.",
      default: "kl",
    },
    cluster: {
      type: "string",
      valueName: "NAME",
      description: "Only this cluster's events (its name in the sidecar's config; default all).",
    },
    resource: {
      type: "string",
      valueName: "RESOURCE",
      description:
        "Only this resource: GROUP/VERSION/RESOURCE (apps/v1/deployments), VERSION/RESOURCE for " +
        "the core group (v1/pods), or RESOURCE alone (pods: that plural in every group and " +
        "version). Default all.",
    },
    namespace: {
      type: "string",
      short: "n",
      valueName: "NS",
      description: "Only this namespace; _ selects cluster-scoped objects (default all).",
    },
    name: {
      type: "string",
      valueName: "NAME",
      description: "Only objects of this name (with --helm: this release). Default all.",
    },
    type: {
      type: "string",
      valueName: "TYPES",
      multiple: true,
      description: "Only these changes: added, modified, deleted, comma-separated (default all).",
    },
    since: {
      type: "string",
      valueName: "WHEN",
      description:
        "Where to start: all (every stored event), new (only events from now on), a stream " +
        "sequence (42), or an RFC 3339 time (2026-01-31T12:00:00Z, the time the stream stored it).",
      default: "new",
    },
    output: {
      type: "string",
      short: "o",
      valueName: "FORMAT",
      description: "text (one line per event) or json (one JSON object per line).",
      default: "text",
    },
    helm: {
      type: "boolean",
      description:
        "Tail Helm findings events instead ('TIME findings NAMESPACE/RELEASE revision=N findings=M').",
    },
    count: {
      type: "string",
      valueName: "N",
      description: "Exit 0 after N events (default: run until Ctrl-C).",
    },
    "connect-timeout": {
      type: "string",
      valueName: "SECONDS",
      description: "Exit 1 when NATS cannot be reached within this time.",
      default: "5",
    },
    token: {
      type: "string",
      valueName: "TOKEN",
      description: `NATS token (default: $${ENV.token}; the variable keeps it out of ps).`,
    },
    user: {
      type: "string",
      valueName: "USER",
      description: `NATS user (default: $${ENV.user}).`,
    },
    password: {
      type: "string",
      valueName: "PASSWORD",
      description: `NATS password (default: $${ENV.password}).`,
    },
    "tls-ca": {
      type: "string",
      valueName: "FILE",
      description:
        "PEM file of the CA that signed the NATS server's certificate (default: the system's CAs; with any --tls-* flag, TLS is required).",
    },
    "tls-cert": {
      type: "string",
      valueName: "FILE",
      description: "PEM client certificate, for a server that verifies clients (with --tls-key).",
    },
    "tls-key": {
      type: "string",
      valueName: "FILE",
      description: "PEM key of --tls-cert.",
    },
  },
  exitCodes: [
    [0, "Ended by Ctrl-C or after --count events."],
    [1, "NATS unreachable within --connect-timeout, no such stream, or another NATS error."],
    [2, "Usage error: unknown flag or bad flag value (named in the message)."],
  ],
  examples: [
    "kube-lookout events tail --nats nats://nats.kube-system:4222 --since all",
    "kube-lookout events tail --resource apps/v1/deployments --namespace payments --type modified",
    "kube-lookout events tail --resource v1/namespaces --namespace _ --since 2026-01-31T12:00:00Z",
    "kube-lookout events tail --since all --count 10 --output json | jq .body.name",
    "kube-lookout events tail --helm --cluster prod --since all",
    "kube-lookout events tail --nats tls://nats.kube-system:4222 --tls-ca ca.crt --tls-cert tls.crt --tls-key tls.key",
  ],
  async run(values, io) {
    const options = parseOptions(values);
    const logger = lastErrorLogger();
    const link = natsLink(options, values, logger);
    link.start();
    try {
      let nc: NatsConnection;
      // A timer that keeps the process alive: the link's retry timers do not (library code).
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), options.connectTimeoutMs);
      try {
        nc = await link.waitForConnection(AbortSignal.any([io.signal, timeout.signal]));
      } catch {
        if (io.signal.aborted) return 0;
        const why = logger.last();
        io.stderr(
          `kube-lookout ${NAME}: cannot connect to NATS at ${shownServers(options.servers)} within ` +
            `${options.connectTimeoutMs / 1000} s (--connect-timeout)${why === undefined ? "" : `: ${why}`}` +
            `${clientCertHint(options, why)}\n`,
        );
        return 1;
      } finally {
        clearTimeout(timer);
      }
      return await tail(nc, options, io);
    } finally {
      await link.close();
    }
  },
};
