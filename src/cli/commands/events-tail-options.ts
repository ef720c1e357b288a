/**
 * The flags of `kube-lookout events tail`: parsed and checked into {@link TailOptions}, and the
 * NATS link they describe (servers, credentials from flags or the environment, TLS files), with
 * every bad value a usage error naming its flag.
 */
import { accessSync, constants } from "node:fs";
import {
  CHANGE_TYPES,
  NatsLink,
  NatsOptionError,
  validatePrefix,
  type ChangeType,
  type DeliverFrom,
  type NatsLinkOptions,
} from "../../events/index.ts";
import { parseResourceId, type ResourceId } from "../../kube/index.ts";
import { maskUrlCredentials, type Logger } from "../../logging/index.ts";
import type { FlagValues } from "../args.ts";
import { intFlag, listFlag, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";

/** The command's name, as its errors say it. */
export const NAME = "events tail";
/** The NATS server without `--nats`. */
export const DEFAULT_NATS = "nats://127.0.0.1:4222";
/** The variables that stand in for the credential flags (kept out of `ps`). */
export const ENV = {
  token: "KUBE_LOOKOUT_NATS_TOKEN",
  user: "KUBE_LOOKOUT_NATS_USER",
  password: "KUBE_LOOKOUT_NATS_PASSWORD",
} as const;
const VERSION = /^v[1-9][0-9]*(?:(?:alpha|beta)[1-9][0-9]*)?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const STREAM_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** A resource filter: exact (server-side subject filter) or by resource name in any group. */
export type ResourceFilter = { readonly exact: ResourceId } | { readonly plural: string };

/** The checked flags of one `events tail` run (credentials go to the link, never in here). */
export interface TailOptions {
  readonly servers: readonly string[];
  readonly stream: string;
  readonly prefix: string;
  readonly cluster: string | undefined;
  readonly resource: ResourceFilter | undefined;
  /** "" selects cluster-scoped objects. */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly types: readonly ChangeType[] | undefined;
  readonly deliver: DeliverFrom;
  readonly output: "text" | "json";
  readonly helm: boolean;
  readonly count: number | undefined;
  readonly connectTimeoutMs: number;
  /** The readable TLS files of `--tls-*`, or undefined without them. */
  readonly tls: NatsLinkOptions["tls"];
}

function usage(message: string): UsageError {
  return new UsageError(message, NAME);
}

/** `apps/v1/deployments`, `v1/pods`, or `pods` (that resource name in every group and version). */
function resourceFlag(text: string): ResourceFilter {
  const hint = `expected GROUP/VERSION/RESOURCE (apps/v1/deployments), VERSION/RESOURCE for the core group (v1/pods) or RESOURCE (pods)`;
  let id: ResourceId;
  try {
    id = parseResourceId(text);
  } catch {
    throw usage(`--resource "${text}": ${hint}`);
  }
  if (id.resource.includes(".") || !VERSION.test(id.version)) {
    throw usage(`--resource "${text}": ${hint}; the kubectl form deployments.apps/v1 is not read`);
  }
  return text.includes("/") ? { exact: id } : { plural: id.resource };
}

function sinceFlag(text: string): DeliverFrom {
  if (text === "all" || text === "new") return text;
  if (/^\d+$/.test(text)) {
    const sequence = Number(text);
    if (Number.isSafeInteger(sequence) && sequence >= 1) return { sequence };
  } else if (RFC3339.test(text)) {
    const time = new Date(text);
    if (Number.isFinite(time.getTime())) return { time };
  }
  throw usage(
    `--since must be all, new, a stream sequence (1 or more) or an RFC 3339 time (2026-01-31T12:00:00Z), got "${text}"`,
  );
}

function typesFlag(values: FlagValues): ChangeType[] | undefined {
  const raw = listFlag(values, "type").flatMap((v) => v.split(","));
  if (raw.length === 0) return undefined;
  return raw.map((t) => {
    const type = CHANGE_TYPES.find((c) => c === t.trim());
    if (type === undefined) {
      throw usage(`--type must be added, modified or deleted (comma-separated), got "${t}"`);
    }
    return type;
  });
}

function nonEmpty(values: FlagValues, flag: string): string | undefined {
  const value = stringFlag(values, flag);
  if (value === "") throw usage(`--${flag} must not be empty`);
  return value;
}

export function parseOptions(values: FlagValues): TailOptions {
  const servers = listFlag(values, "nats")
    .flatMap((v) => v.split(","))
    .map((s) => s.trim());
  if (servers.some((s) => s === "")) throw usage(`--nats has an empty URL`);
  const stream = stringFlag(values, "stream") ?? "KUBE_LOOKOUT";
  if (!STREAM_NAME.test(stream)) {
    throw usage(`--stream must be letters, digits, - and _, got "${stream}"`);
  }
  const prefix = stringFlag(values, "prefix") ?? "kl";
  try {
    validatePrefix(prefix);
  } catch {
    throw usage(`--prefix must be dot-separated tokens of [A-Za-z0-9_-], got "${prefix}"`);
  }
  const output = stringFlag(values, "output") ?? "text";
  if (output !== "text" && output !== "json") {
    throw usage(`--output must be text or json, got "${output}"`);
  }
  const helm = values["helm"] === true;
  const resourceText = nonEmpty(values, "resource");
  const types = typesFlag(values);
  const namespaceText = nonEmpty(values, "namespace");
  if (helm && resourceText !== undefined)
    throw usage("--resource is for resource events, not --helm");
  if (helm && types !== undefined) throw usage("--type is for resource events, not --helm");
  if (helm && namespaceText === "_")
    throw usage('--namespace "_" (cluster-scoped) is not for --helm');
  return {
    servers: servers.length === 0 ? [DEFAULT_NATS] : servers,
    stream,
    prefix,
    cluster: nonEmpty(values, "cluster"),
    resource: resourceText === undefined ? undefined : resourceFlag(resourceText),
    namespace: namespaceText === "_" ? "" : namespaceText,
    name: nonEmpty(values, "name"),
    types,
    deliver: sinceFlag(stringFlag(values, "since") ?? "new"),
    output,
    helm,
    count: intFlag(NAME, values, "count", 1, Number.MAX_SAFE_INTEGER),
    connectTimeoutMs: (intFlag(NAME, values, "connect-timeout", 1, 3600) ?? 5) * 1000,
    tls: tlsFlags(values),
  };
}

/** Flag first, then the environment; never printed. */
function secret(values: FlagValues, flag: keyof typeof ENV): string | undefined {
  const value = stringFlag(values, flag) ?? process.env[ENV[flag]];
  return value === "" ? undefined : value;
}

const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  token: "--token",
  user: "--user",
  pass: "--password",
};

/**
 * `--tls-ca`, `--tls-cert`, `--tls-key` as NatsLink's `tls`, or undefined without them. Each file
 * must be readable now: the sidecar waits for a missing file to appear (a mounted secret), this
 * interactive tool says so at once.
 */
function tlsFlags(values: FlagValues): NatsLinkOptions["tls"] {
  const caFile = nonEmpty(values, "tls-ca");
  const certFile = nonEmpty(values, "tls-cert");
  const keyFile = nonEmpty(values, "tls-key");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw usage(
      `--tls-cert and --tls-key go together; got only ${certFile === undefined ? "a key" : "a certificate"}`,
    );
  }
  for (const [flag, file] of [
    ["tls-ca", caFile],
    ["tls-cert", certFile],
    ["tls-key", keyFile],
  ] as const) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      const why = err instanceof Error && "code" in err ? String(err.code) : String(err);
      throw usage(`--${flag} "${file}": cannot read it (${why})`);
    }
  }
  if (caFile === undefined && certFile === undefined) return undefined;
  return {
    ...(caFile === undefined ? {} : { caFile }),
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
  };
}

/**
 * A server that verifies clients refuses one without a certificate after the client's side of
 * the TLS 1.3 handshake, and nats.js then reports only a timeout (or nothing yet): say what is
 * likely missing when TLS was asked for without a client certificate.
 */
export function clientCertHint(options: TailOptions, why: string | undefined): string {
  if (options.tls?.caFile === undefined || options.tls.certFile !== undefined) return "";
  if (why !== undefined && !/timeout/i.test(why)) return "";
  return " (a server that verifies clients needs --tls-cert and --tls-key)";
}

/** The link, with NatsLink's option errors turned into usage errors naming the flag. */
export function natsLink(options: TailOptions, values: FlagValues, logger: Logger): NatsLink {
  const tls = options.tls;
  const token = secret(values, "token");
  const user = secret(values, "user");
  const pass = secret(values, "password");
  if ((user === undefined) !== (pass === undefined)) {
    throw usage(
      `--user and --password go together (or $${ENV.user} and $${ENV.password}); ` +
        `got only ${user === undefined ? "a password" : "a user"}`,
    );
  }
  if (token !== undefined && user !== undefined) {
    throw usage("--token, or --user and --password: not both");
  }
  try {
    return new NatsLink({
      servers: options.servers,
      name: "kube-lookout events tail",
      ...(token === undefined ? {} : { token }),
      ...(user === undefined ? {} : { user }),
      ...(pass === undefined ? {} : { pass }),
      ...(tls === undefined ? {} : { tls }),
      connectTimeoutMs: Math.min(options.connectTimeoutMs, 5000),
      retryInitialMs: 250,
      retryMaxMs: 1000,
      logger,
    });
  } catch (err) {
    if (!(err instanceof NatsOptionError)) throw err;
    if (err.option.startsWith("servers")) {
      throw usage(
        `--nats must be nats://HOST:PORT (or tls://), got "${maskUrlCredentials(String(err.value))}"`,
      );
    }
    const flag = FLAG_OF_OPTION[err.option] ?? `--${err.option}`;
    throw usage(`${flag}: ${err.message.replace(/^invalid NATS option [^:]*: /, "")}`);
  }
}

/** The servers as shown to the user: credentials in the URLs hidden. */
export function shownServers(servers: readonly string[]): string {
  return servers.map(maskUrlCredentials).join(",");
}
