/**
 * The `events` section: change events to NATS (see docs/events.md), named after
 * `EventPipelineOptions` and `NatsLinkOptions`.
 */
import { z } from "zod";
import { toMilliseconds } from "./duration.ts";
import {
  POSITIVE_SAFE_MS,
  POSITIVE_TIMER_MS,
  SAFE_MS,
  TIMER_MS,
  duration,
  intMin,
  secretFile,
} from "./schema-kit.ts";

const GIB = 1024 * 1024 * 1024;

// As NatsLink accepts them (src/events/nats-link.ts): no path, not even a trailing slash.
const natsUrl = z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s/]+$/, {
  message: 'expected a NATS URL such as "nats://127.0.0.1:4222" (no path, no trailing slash)',
});

const nats = z
  .strictObject({
    servers: z
      .array(natsUrl)
      .default([])
      .describe(
        "NATS URLs (`nats://host:4222`, `tls://...`, no path); required when events are enabled.",
      ),
    user: z
      .string()
      .min(1)
      .optional()
      .describe("User name; `user` and `passwordFile` go together, and not with `tokenFile`."),
    passwordFile: secretFile("the NATS password"),
    tokenFile: secretFile("the NATS token"),
    tls: z
      .strictObject({
        caFile: z.string().min(1).optional().describe("PEM file of the CA to trust."),
        certFile: z.string().min(1).optional().describe("PEM client certificate."),
        keyFile: z.string().min(1).optional().describe("PEM client key."),
      })
      .optional()
      .describe("TLS files (`certFile` and `keyFile` together); setting `tls` requires TLS."),
  })
  // The pairs NatsLink refuses at start (src/events/nats-link.ts), checked here already.
  .superRefine((n, ctx) => {
    const pair = (has: string, lacks: string, path: readonly string[]): void => {
      ctx.addIssue({
        code: "custom",
        path: [...path],
        input: undefined,
        message: `expected a ${lacks} with ${has}`,
      });
    };
    if (n.passwordFile !== undefined && n.user === undefined)
      pair("passwordFile", "user", ["user"]);
    if (n.user !== undefined && n.passwordFile === undefined)
      pair("user", "passwordFile", ["passwordFile"]);
    if (n.tokenFile !== undefined && (n.user !== undefined || n.passwordFile !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["tokenFile"],
        input: n.tokenFile,
        message: "expected either tokenFile or user and passwordFile, not both",
      });
    }
    const tls = n.tls;
    if (tls?.certFile !== undefined && tls.keyFile === undefined)
      pair("certFile", "keyFile", ["tls", "keyFile"]);
    if (tls?.keyFile !== undefined && tls.certFile === undefined)
      pair("keyFile", "certFile", ["tls", "certFile"]);
  })
  .prefault({})
  .describe("The NATS connection.");

const stream = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, { message: "expected letters, digits, _ and -" })
      .default("KUBE_LOOKOUT")
      .describe("JetStream stream name."),
    maxAge: duration(SAFE_MS).prefault("24h").describe("Oldest message kept; 0: no age limit."),
    maxBytes: intMin(1).default(GIB).describe("Largest stream size in bytes."),
    duplicateWindow: duration(POSITIVE_SAFE_MS)
      .prefault("2m")
      .describe(
        "Deduplication window, at most `maxAge` (unless 0); must cover the longest retry span (docs/events.md).",
      ),
    storage: z.enum(["file", "memory"]).default("file").describe("Stream storage."),
    replicas: z.int().min(1).max(5).default(1).describe("Stream replicas (1 to 5)."),
  })
  // As ensureStream checks the spec (src/events/stream.ts), in the milliseconds it is given.
  .superRefine((s, ctx) => {
    const maxAgeMs = toMilliseconds(s.maxAge);
    if (maxAgeMs > 0 && toMilliseconds(s.duplicateWindow) > maxAgeMs) {
      ctx.addIssue({
        code: "custom",
        path: ["duplicateWindow"],
        input: s.duplicateWindow,
        message: `expected at most maxAge (${s.maxAge}s): the NATS server requires it`,
      });
    }
  })
  .prefault({})
  .describe("The stream created or updated at start (mode `jetstream`).");

/** The `events` section. */
export const eventsSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe("Publish change events to NATS."),
    nats,
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
        message: "expected subject tokens (letters, digits, _ and -) joined by dots",
      })
      .default("kl")
      .describe("Subject prefix."),
    mode: z
      .enum(["jetstream", "core"])
      .default("jetstream")
      .describe("`jetstream` (acknowledged, deduplicated) or `core` (fire and forget)."),
    stream,
    includeObject: z.boolean().default(true).describe("Put the whole object in each event."),
    dropStatusOnly: z.boolean().default(false).describe("Drop updates that change only `status`."),
    dropMetadataNoise: z
      .boolean()
      .default(true)
      .describe("Drop updates that change only `resourceVersion`/`managedFields`."),
    batchSize: intMin(1).default(500).describe("Changes per outbox transaction."),
    batchDelay: duration(TIMER_MS).prefault("50ms").describe("Longest wait to fill a batch."),
    maxOutboxRows: intMin(1).default(1_000_000).describe("Outbox bound in rows."),
    maxOutboxBytes: intMin(1).default(GIB).describe("Outbox bound in bytes."),
    fullPolicy: z
      .enum(["block", "drop-oldest"])
      .default("block")
      .describe("When the outbox is full: hold writes (`block`) or drop the oldest events."),
    maxInFlight: intMin(1).default(256).describe("Unacknowledged publishes at once."),
    ackTimeout: duration(POSITIVE_TIMER_MS).prefault("5s").describe("Wait for a JetStream ack."),
  })
  .prefault({})
  .describe("Change events to NATS.");
