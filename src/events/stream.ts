/**
 * Creates or updates the JetStream stream that holds kube-lookout's events, at start.
 */
import {
  jetstreamManager,
  JetStreamApiError,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
  type StreamUpdateConfig,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { StreamConflictError, StreamRequestError, StreamSpecError } from "./nats-errors.ts";

/** What the events stream must look like. */
export interface StreamSpec {
  /** Stream name: letters, digits, `-` and `_`. */
  readonly name: string;
  /** Subjects the stream captures, e.g. `["kl.prod.>"]`. */
  readonly subjects: readonly string[];
  /** Message age limit; 0 keeps messages until `maxBytes` discards them. */
  readonly maxAgeMs: number;
  /** Byte limit; oldest messages are discarded beyond it. */
  readonly maxBytes: number;
  /** The `Nats-Msg-Id` deduplication window; at most `maxAgeMs` when that is set. */
  readonly duplicateWindowMs: number;
  /** Default `file`. Cannot be changed on an existing stream. */
  readonly storage?: "file" | "memory";
  /** Default 1. */
  readonly replicas?: number;
}

/** What {@link ensureStream} did. */
export interface EnsureStreamResult {
  readonly created: boolean;
  readonly updated: boolean;
}

/** The stream config fields kube-lookout manages (durations in nanoseconds). */
type LimitFields = Required<
  Pick<
    StreamUpdateConfig,
    "subjects" | "max_age" | "max_bytes" | "duplicate_window" | "num_replicas"
  >
>;

const NANOS_PER_MS = 1_000_000;
const STREAM_NOT_FOUND = 10059;

/**
 * Creates the stream, or updates it when its subjects, max age, max bytes, duplicate window or
 * replicas differ from `spec`; leaves it alone when equal. Rejects with
 * `LOOKOUT_EVENTS_STREAM_INVALID_SPEC` before any request for a bad spec,
 * `LOOKOUT_EVENTS_STREAM_CONFLICT` (naming the stream and the field) when the storage type
 * differs or the server refuses the update, `LOOKOUT_EVENTS_STREAM_FAILED` for other failures
 * (JetStream not enabled, timeout).
 */
export async function ensureStream(
  nc: NatsConnection,
  spec: StreamSpec,
): Promise<EnsureStreamResult> {
  validateSpec(spec);
  const name = spec.name;
  const storage = spec.storage === "memory" ? StorageType.Memory : StorageType.File;
  const wanted: LimitFields = {
    subjects: [...spec.subjects],
    max_age: spec.maxAgeMs * NANOS_PER_MS,
    max_bytes: spec.maxBytes,
    duplicate_window: spec.duplicateWindowMs * NANOS_PER_MS,
    num_replicas: spec.replicas ?? 1,
  };

  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (err) {
    throw new StreamRequestError(name, "connect to JetStream", err);
  }
  const existing = await info(jsm, name);
  if (existing === undefined) {
    try {
      await jsm.streams.add({ ...wanted, name, storage });
    } catch (err) {
      throw err instanceof JetStreamApiError
        ? new StreamConflictError(
            name,
            refusedFields(err, []),
            `the server refused to create it: ${err.message}`,
            {
              cause: err,
            },
          )
        : new StreamRequestError(name, "create", err);
    }
    return { created: true, updated: false };
  }

  const differs = changedFields(existing.config, wanted);
  if (existing.config.storage !== storage) {
    throw new StreamConflictError(
      name,
      ["storage", ...differs],
      `storage is ${existing.config.storage}, wanted ${storage}; the server cannot change it (delete the stream to recreate it)`,
    );
  }
  if (differs.length === 0) return { created: false, updated: false };
  try {
    await jsm.streams.update(name, wanted);
  } catch (err) {
    throw err instanceof JetStreamApiError
      ? new StreamConflictError(name, differs, `the server refused the update: ${err.message}`, {
          cause: err,
        })
      : new StreamRequestError(name, "update", err);
  }
  return { created: false, updated: true };
}

async function info(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND) return undefined;
    throw new StreamRequestError(name, "info", err);
  }
}

/** JetStream API error codes that name a field (nats-server `server/errors.json`). */
const FIELD_OF_ERROR: Readonly<Record<number, string>> = {
  10065: "subjects", // subjects overlap with an existing stream
  10074: "replicas", // replicas > 1 not supported in non-clustered mode
  10113: "max_bytes", // account requires a stream max bytes
};

function refusedFields(err: JetStreamApiError, differs: readonly string[]): string[] {
  const named = FIELD_OF_ERROR[err.code];
  if (named === undefined) return differs.length === 0 ? ["config"] : [...differs];
  return [named, ...differs.filter((f) => f !== named)];
}

function changedFields(current: StreamConfig, wanted: LimitFields): string[] {
  const fields: string[] = [];
  if (current.num_replicas !== wanted.num_replicas) fields.push("replicas");
  const have = [...(current.subjects ?? [])].sort();
  const want = [...wanted.subjects].sort();
  if (have.length !== want.length || have.some((s, i) => s !== want[i])) fields.push("subjects");
  if (current.max_age !== wanted.max_age) fields.push("max_age");
  if (current.max_bytes !== wanted.max_bytes) fields.push("max_bytes");
  if (current.duplicate_window !== wanted.duplicate_window) fields.push("duplicate_window");
  return fields;
}

function validateSpec(spec: StreamSpec): void {
  const name = typeof spec.name === "string" ? spec.name : "";
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new StreamSpecError(name, field, value, expected);
  };
  if (typeof spec.name !== "string" || !/^[A-Za-z0-9_-]{1,255}$/.test(spec.name)) {
    bad("name", spec.name, "letters, digits, - and _");
  }
  if (!Array.isArray(spec.subjects) || spec.subjects.length === 0) {
    bad("subjects", spec.subjects, "a non-empty list of subjects");
  }
  spec.subjects.forEach((subject, i) => {
    if (
      typeof subject !== "string" ||
      subject === "" ||
      /\s/.test(subject) ||
      subject.split(".").includes("")
    ) {
      bad(`subjects[${i}]`, subject, "a subject without empty tokens or spaces");
    }
  });
  if (!Number.isSafeInteger(spec.maxAgeMs) || spec.maxAgeMs < 0)
    bad("maxAgeMs", spec.maxAgeMs, "an integer ≥ 0 (0: no age limit)");
  if (!Number.isSafeInteger(spec.maxBytes) || (spec.maxBytes <= 0 && spec.maxBytes !== -1)) {
    bad("maxBytes", spec.maxBytes, "a positive integer (or -1: no byte limit)");
  }
  if (!Number.isSafeInteger(spec.duplicateWindowMs) || spec.duplicateWindowMs <= 0) {
    bad("duplicateWindowMs", spec.duplicateWindowMs, "a positive integer");
  }
  if (spec.maxAgeMs > 0 && spec.duplicateWindowMs > spec.maxAgeMs) {
    bad(
      "duplicateWindowMs",
      spec.duplicateWindowMs,
      `at most maxAgeMs (${spec.maxAgeMs}): the server requires it`,
    );
  }
  if (spec.storage !== undefined && spec.storage !== "file" && spec.storage !== "memory") {
    bad("storage", spec.storage, "file or memory");
  }
  if (
    spec.replicas !== undefined &&
    (!Number.isInteger(spec.replicas) || spec.replicas < 1 || spec.replicas > 5)
  ) {
    bad("replicas", spec.replicas, "an integer from 1 to 5");
  }
}
