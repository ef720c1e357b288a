/**
 * Creates the JetStream stream that holds kube-lookout's events, or updates an existing one:
 * its subjects are added to the stream's (never replacing another sidecar's), its limits set.
 */
import {
  jetstreamManager,
  JetStreamApiError,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { StreamConflictError, StreamRequestError, StreamSpecError } from "./nats-errors.ts";

/**
 * What the events stream must look like. {@link ensureStream} creates it so, or sets an
 * existing stream's limits to these (storage aside: the server cannot change it).
 */
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
  /** Default `file`. The server cannot change it on an existing stream. */
  readonly storage?: "file" | "memory";
  /** Default 1. */
  readonly replicas?: number;
}

/** A setting of an existing stream that differed from the spec (set to the spec's but storage). */
export interface StreamDifference {
  /** The {@link StreamSpec} field: `maxAgeMs`, `maxBytes`, `duplicateWindowMs`, `storage`, `replicas`. */
  readonly field: StreamSettingField;
  /** The stream's value, in the spec's units (milliseconds, bytes). */
  readonly existing: number | string;
  /** The spec's value (after defaults). */
  readonly wanted: number | string;
}

/** The stream settings {@link ensureStream} compares on an existing stream. */
export type StreamSettingField =
  "maxAgeMs" | "maxBytes" | "duplicateWindowMs" | "storage" | "replicas";

/** What {@link ensureStream} did. */
export interface EnsureStreamResult {
  /** The stream did not exist and was created from the spec. */
  readonly created: boolean;
  /** An existing stream was updated: subjects added (its other subjects kept), limits set. */
  readonly updated: boolean;
  /**
   * The existing stream's settings that differed from the spec, with their old values: each was
   * set to the spec's, but `storage`, which the server cannot change (it stays). Empty when
   * created or equal. Another user of the same stream with other limits shows up here at each
   * of their updates: they overwrite each other's limits (the subjects of both are kept).
   */
  readonly differences: readonly StreamDifference[];
}

const NANOS_PER_MS = 1_000_000;
const STREAM_NOT_FOUND = 10059;

/**
 * Makes sure stream `spec.name` exists and captures `spec.subjects`, without taking anything
 * away from other users of the same stream (another sidecar with another prefix, an operator's
 * settings):
 *
 * - no stream: creates it from the spec;
 * - an existing stream: adds the spec's subjects that none of its subjects covers yet (a wanted
 *   subject that covers some of its subjects replaces those, so nothing stops being captured)
 *   and keeps all others; sets max age, max bytes, duplicate window and replicas to the spec's,
 *   returning the old values that differed as `differences` (storage too, which stays).
 *
 * Idempotent: a second call with the same spec sends no update. Rejects with
 * `LOOKOUT_EVENTS_STREAM_INVALID_SPEC` before any request for a bad spec,
 * `LOOKOUT_EVENTS_STREAM_CONFLICT` (naming the stream and the field) when the server refuses to
 * create the stream or to add the subjects (e.g. they overlap another stream's),
 * `LOOKOUT_EVENTS_STREAM_FAILED` for other failures (JetStream not enabled, timeout).
 */
export async function ensureStream(
  nc: NatsConnection,
  spec: StreamSpec,
): Promise<EnsureStreamResult> {
  validateSpec(spec);
  const name = spec.name;
  const storage = spec.storage === "memory" ? StorageType.Memory : StorageType.File;
  const replicas = spec.replicas ?? 1;
  // The settings ensureStream sets, as the server keeps them (durations in nanoseconds).
  const limits = {
    max_age: spec.maxAgeMs * NANOS_PER_MS,
    max_bytes: spec.maxBytes,
    duplicate_window: spec.duplicateWindowMs * NANOS_PER_MS,
    num_replicas: replicas,
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
      await jsm.streams.add({
        name,
        storage,
        subjects: [...spec.subjects],
        ...limits,
      });
    } catch (err) {
      throw err instanceof JetStreamApiError
        ? new StreamConflictError(
            name,
            [refusedField(err)],
            `the server refused to create it: ${err.message}`,
            { cause: err },
          )
        : new StreamRequestError(name, "create", err);
    }
    return { created: true, updated: false, differences: [] };
  }

  const differences = differencesOf(existing.config, spec, storage, replicas);
  const have = existing.config.subjects ?? [];
  const subjects = mergeSubjects(have, spec.subjects);
  const setLimits = differences.some((d) => d.field !== "storage");
  if (subjects === undefined && !setLimits) return { created: false, updated: false, differences };
  try {
    // nats.js merges this over the stream's current config: only what is given changes.
    await jsm.streams.update(name, {
      ...(subjects === undefined ? {} : { subjects }),
      ...(setLimits ? limits : {}),
    });
  } catch (err) {
    throw err instanceof JetStreamApiError
      ? new StreamConflictError(
          name,
          [subjects === undefined ? refusedField(err) : "subjects"],
          `the server refused the update (subjects ${spec.subjects.join(", ")} added to ${have.join(", ")}): ${err.message}`,
          { cause: err },
        )
      : new StreamRequestError(name, "update", err);
  }
  return { created: false, updated: true, differences };
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

function refusedField(err: JetStreamApiError): string {
  return FIELD_OF_ERROR[err.code] ?? "config";
}

/** The settings of an existing stream that differ from the spec, in the spec's units. */
function differencesOf(
  current: StreamConfig,
  spec: StreamSpec,
  storage: StorageType,
  replicas: number,
): StreamDifference[] {
  const compared: [StreamSettingField, number | string, number | string][] = [
    ["maxAgeMs", current.max_age / NANOS_PER_MS, spec.maxAgeMs],
    ["maxBytes", current.max_bytes, spec.maxBytes],
    ["duplicateWindowMs", current.duplicate_window / NANOS_PER_MS, spec.duplicateWindowMs],
    ["storage", current.storage, storage],
    ["replicas", current.num_replicas, replicas],
  ];
  return compared
    .filter(([, existing, wanted]) => existing !== wanted)
    .map(([field, existing, wanted]) => ({ field, existing, wanted }));
}

/**
 * The stream's subjects with the wanted ones added, or undefined when every wanted subject is
 * already covered (the same subject, or a wildcard that matches all it matches). A wanted
 * subject replaces the stream's subjects it covers: the server refuses overlapping subjects in
 * one stream, and everything they captured is still captured.
 */
function mergeSubjects(have: readonly string[], wanted: readonly string[]): string[] | undefined {
  const missing = wanted.filter(
    (w, i) => !have.some((h) => covers(h, w)) && wanted.indexOf(w) === i,
  );
  if (missing.length === 0) return undefined;
  const kept = have.filter((h) => !missing.some((m) => covers(m, h)));
  return [...kept, ...missing];
}

/** Whether every subject that `subject` (possibly with wildcards) matches also matches `pattern`. */
function covers(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || s[i] === ">") return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return s.length === p.length;
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
