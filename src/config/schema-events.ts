/**
 * The `events` section: change events to NATS (see docs/events.md), named after
 * `EventPipelineOptions` and `NatsLinkOptions`.
 */
import { z } from "zod";
import { duration, intMin, secretFile } from "./schema-kit.ts";

const GIB = 1024 * 1024 * 1024;

const natsUrl = z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s]+$/, {
  message: 'expected a NATS URL such as "nats://127.0.0.1:4222"',
});

const nats = z
  .strictObject({
    servers: z
      .array(natsUrl)
      .default([])
      .describe("NATS URLs (`nats://host:4222`, `tls://...`); required when events are enabled."),
    user: z.string().min(1).optional().describe("User name (with `passwordFile`)."),
    passwordFile: secretFile("the NATS password"),
    tokenFile: secretFile("the NATS token"),
    tls: z
      .strictObject({
        caFile: z.string().min(1).optional().describe("PEM file of the CA to trust."),
        certFile: z.string().min(1).optional().describe("PEM client certificate."),
        keyFile: z.string().min(1).optional().describe("PEM client key."),
      })
      .optional()
      .describe("TLS files; setting `tls` requires TLS."),
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
    maxAge: duration().prefault("24h").describe("Oldest message kept."),
    maxBytes: intMin(1).default(GIB).describe("Largest stream size in bytes."),
    duplicateWindow: duration()
      .prefault("2m")
      .describe("Deduplication window; must cover the longest retry span (docs/events.md)."),
    storage: z.enum(["file", "memory"]).default("file").describe("Stream storage."),
    replicas: z.int().min(1).max(5).default(1).describe("Stream replicas (1 to 5)."),
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
    batchDelay: duration().prefault("50ms").describe("Longest wait to fill a batch."),
    maxOutboxRows: intMin(1).default(1_000_000).describe("Outbox bound in rows."),
    maxOutboxBytes: intMin(1).default(GIB).describe("Outbox bound in bytes."),
    fullPolicy: z
      .enum(["block", "drop-oldest"])
      .default("block")
      .describe("When the outbox is full: hold writes (`block`) or drop the oldest events."),
    maxInFlight: intMin(1).default(256).describe("Unacknowledged publishes at once."),
    ackTimeout: duration().prefault("5s").describe("Wait for a JetStream ack."),
  })
  .prefault({})
  .describe("Change events to NATS.");
