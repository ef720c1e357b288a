/**
 * The NATS subject scheme of kube-lookout's events (docs/events.md):
 *
 * - resource changes: `<prefix>.<cluster>.<group or core>.<version>.<resource>.<namespace or _>.<name>.<added|modified|deleted>`
 * - Helm findings: `<prefix>.<cluster>.helm.<namespace>.<release>`
 *
 * Every token but the prefix is escaped reversibly with {@link escapeToken}: ASCII letters,
 * digits and `-` stay, every other byte of the UTF-8 text becomes `%XX`. So names with dots stay
 * one token, `core` (the core group) and `_` (no namespace) can never be a real escaped value
 * (`_` is always escaped; a real group named `core` is refused), and subscribers filter with
 * wildcards: `kl.prod.apps.v1.deployments.payments.>`.
 */
import type { ResourceId } from "../kube/index.ts";
import { CHANGE_TYPES, type ChangeType } from "./event-types.ts";
import { EventSubjectError } from "./nats-errors.ts";

/** The token of the core group (`""`). */
export const CORE_GROUP_TOKEN = "core";
/** The token of "no namespace" (cluster-scoped objects). */
export const NO_NAMESPACE_TOKEN = "_";

const KEPT = /^[A-Za-z0-9-]$/;
const PREFIX_TOKEN = /^[A-Za-z0-9_-]+$/;
const HEX = "0123456789ABCDEF";
const encoder = new TextEncoder();
// ignoreBOM: a token may start with U+FEFF, which must come back as it went in.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Escapes `text` into one subject token: ASCII letters, digits and `-` are kept, every other
 * character becomes its UTF-8 bytes as `%XX` (uppercase hex). Throws
 * `LOOKOUT_EVENTS_INVALID_SUBJECT` for empty text or text that is not well-formed UTF-16.
 */
export function escapeToken(text: string): string {
  if (typeof text !== "string" || text === "") {
    throw new EventSubjectError("token", text, "a non-empty string");
  }
  if (!text.isWellFormed()) throw new EventSubjectError("token", text, "well-formed unicode");
  let out = "";
  for (const char of text) {
    if (KEPT.test(char)) {
      out += char;
      continue;
    }
    for (const byte of encoder.encode(char)) out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/**
 * The inverse of {@link escapeToken}. Only the canonical form is accepted (uppercase hex, no
 * escaped letters, digits or `-`, valid UTF-8), so `escapeToken(unescapeToken(t)) === t`;
 * anything else throws `LOOKOUT_EVENTS_INVALID_SUBJECT`.
 */
export function unescapeToken(token: string): string {
  if (typeof token !== "string" || token === "") {
    throw new EventSubjectError("token", token, "a non-empty escaped token");
  }
  const bytes: number[] = [];
  let out = "";
  const flush = (): void => {
    if (bytes.length === 0) return;
    try {
      out += decoder.decode(Uint8Array.from(bytes));
    } catch (err) {
      throw new EventSubjectError("token", token, "escaped bytes that are valid UTF-8", {
        cause: err,
      });
    }
    bytes.length = 0;
  };
  for (let i = 0; i < token.length; i++) {
    const char = token.charAt(i);
    if (char === "%") {
      const hi = HEX.indexOf(token.charAt(i + 1));
      const lo = HEX.indexOf(token.charAt(i + 2));
      if (hi < 0 || lo < 0 || i + 2 >= token.length) {
        throw new EventSubjectError("token", token, "%XX with two uppercase hex digits");
      }
      const byte = hi * 16 + lo;
      if (byte < 0x80 && KEPT.test(String.fromCharCode(byte))) {
        throw new EventSubjectError("token", token, "letters, digits and - written as themselves");
      }
      bytes.push(byte);
      i += 2;
    } else if (KEPT.test(char)) {
      flush();
      out += char;
    } else {
      throw new EventSubjectError("token", token, "only letters, digits, - and %XX escapes");
    }
  }
  flush();
  return out;
}

/**
 * Returns `prefix` when it is one or more dot-separated tokens of `[A-Za-z0-9_-]+` (no
 * wildcards, no empty token); throws `LOOKOUT_EVENTS_INVALID_SUBJECT` naming it otherwise.
 */
export function validatePrefix(prefix: string): string {
  if (typeof prefix !== "string" || !prefix.split(".").every((t) => PREFIX_TOKEN.test(t))) {
    throw new EventSubjectError("prefix", prefix, "dot-separated tokens of [A-Za-z0-9_-]");
  }
  return prefix;
}

/** The fields of a resource change subject. */
export interface ResourceSubjectFields {
  readonly cluster: string;
  readonly resource: ResourceId;
  /** "" for a cluster-scoped object. */
  readonly namespace: string;
  readonly name: string;
  readonly type: ChangeType;
}

/**
 * The subject of one change of one object. Throws `LOOKOUT_EVENTS_INVALID_SUBJECT` for an
 * invalid prefix, an empty cluster, version, resource or name, a group named `core`, or an
 * unknown change type.
 */
export function resourceSubject(
  fields: ResourceSubjectFields & { readonly prefix: string },
): string {
  const { prefix, cluster, resource, namespace, name, type } = fields;
  if (!CHANGE_TYPES.includes(type))
    throw new EventSubjectError("type", type, "added, modified or deleted");
  return [
    validatePrefix(prefix),
    named("cluster", cluster),
    groupToken(resource.group),
    named("version", resource.version),
    named("resource", resource.resource),
    namespaceToken(namespace),
    named("name", name),
    type,
  ].join(".");
}

/** The subject of a Helm release's findings change. Throws like {@link resourceSubject}. */
export function helmSubject(fields: {
  readonly prefix: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly release: string;
}): string {
  return [
    validatePrefix(fields.prefix),
    named("cluster", fields.cluster),
    "helm",
    named("namespace", fields.namespace),
    named("release", fields.release),
  ].join(".");
}

/**
 * The fields of a resource change subject under `prefix`, or undefined when `subject` is not
 * one (other prefix, wrong token count, malformed escape, unknown type).
 */
export function parseResourceSubject(
  subject: string,
  prefix: string,
): ResourceSubjectFields | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const tokens = subject.slice(prefix.length + 1).split(".");
  if (tokens.length !== 7) return undefined;
  const [cluster, group, version, resource, namespace, name, type] = tokens;
  if (type !== "added" && type !== "modified" && type !== "deleted") return undefined;
  try {
    return {
      cluster: unescapeToken(cluster ?? ""),
      resource: {
        group: group === CORE_GROUP_TOKEN ? "" : unescapeToken(group ?? ""),
        version: unescapeToken(version ?? ""),
        resource: unescapeToken(resource ?? ""),
      },
      namespace: namespace === NO_NAMESPACE_TOKEN ? "" : unescapeToken(namespace ?? ""),
      name: unescapeToken(name ?? ""),
      type,
    };
  } catch {
    return undefined;
  }
}

/** A subject filter (one subject, `*` for what is open) plus the change types wanted. */
export interface SubjectFilter {
  /** One NATS subject with `*` wildcards. */
  readonly subject: string;
  /** The change types asked for; the subject may match more (several types become `*`). */
  readonly types: ReadonlySet<ChangeType>;
}

/**
 * The filter of resource change events: each missing field becomes `*`; namespace "" means
 * cluster-scoped objects (`_`). One type becomes its token, several become `*` and the caller
 * drops the others using `types`. Throws `LOOKOUT_EVENTS_INVALID_SUBJECT` for an invalid
 * prefix, empty values or an empty or unknown `types`.
 */
export function resourceFilter(options: {
  readonly prefix: string;
  readonly cluster?: string;
  readonly resource?: ResourceId;
  readonly namespace?: string;
  readonly name?: string;
  readonly types?: readonly ChangeType[];
}): SubjectFilter {
  const { resource, types = CHANGE_TYPES } = options;
  if (types.length === 0 || !types.every((t) => CHANGE_TYPES.includes(t))) {
    throw new EventSubjectError("types", types, "one or more of added, modified, deleted");
  }
  const wanted = new Set(types);
  const only = wanted.size === 1 ? [...wanted][0] : undefined;
  const subject = [
    validatePrefix(options.prefix),
    optional("cluster", options.cluster),
    resource === undefined ? "*" : groupToken(resource.group),
    resource === undefined ? "*" : named("version", resource.version),
    resource === undefined ? "*" : named("resource", resource.resource),
    options.namespace === undefined ? "*" : namespaceToken(options.namespace),
    optional("name", options.name),
    only ?? "*",
  ].join(".");
  return { subject, types: wanted };
}

/** The filter of Helm findings events; missing fields become `*`. Throws like {@link resourceFilter}. */
export function helmFilter(options: {
  readonly prefix: string;
  readonly cluster?: string;
  readonly namespace?: string;
  readonly release?: string;
}): string {
  return [
    validatePrefix(options.prefix),
    optional("cluster", options.cluster),
    "helm",
    optional("namespace", options.namespace),
    optional("release", options.release),
  ].join(".");
}

function named(field: string, value: string): string {
  if (typeof value !== "string" || value === "") {
    throw new EventSubjectError(field, value, "a non-empty string");
  }
  return escapeToken(value);
}

function optional(field: string, value: string | undefined): string {
  return value === undefined ? "*" : named(field, value);
}

function groupToken(group: string): string {
  if (group === "") return CORE_GROUP_TOKEN;
  if (group === CORE_GROUP_TOKEN) {
    throw new EventSubjectError(
      "group",
      group,
      `a group other than ${CORE_GROUP_TOKEN} (its token means the core group)`,
    );
  }
  return named("group", group);
}

function namespaceToken(namespace: string): string {
  return namespace === "" ? NO_NAMESPACE_TOKEN : escapeToken(namespace);
}
