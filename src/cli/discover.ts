/**
 * Discovery at start: for each configured resource, whether the cluster serves it, its kind and
 * whether it is namespaced (`GET /api/v1`, `GET /apis/{group}/{version}`).
 */
import {
  KubeApiError,
  formatResourceId,
  groupVersionPath,
  type KubeClient,
  type ResourceId,
} from "../kube/index.ts";

/** What discovery says of one resource. */
export interface Discovered {
  readonly kind: string;
  readonly namespaced: boolean;
}

/** Resources the cluster does not serve (`LOOKOUT_CLI_UNKNOWN_RESOURCE`), named. */
export class UnknownResourcesError extends Error {
  override readonly name = "UnknownResourcesError";
  readonly code = "LOOKOUT_CLI_UNKNOWN_RESOURCE";
  readonly resources: readonly string[];
  constructor(resources: readonly string[]) {
    super(
      `the cluster does not serve ${resources.join(", ")} (check watch[].group, version and resource)`,
    );
    this.resources = resources;
  }
}

/** How long a discovery request may go without receiving a byte: 30 s. */
export const DISCOVERY_STALL_TIMEOUT_MS = 30_000;

/** Options of {@link discover}. */
export interface DiscoverOptions {
  /** Aborts the requests (a signal to stop); `discover` then rejects with its reason. */
  readonly signal?: AbortSignal;
  /** Default {@link DISCOVERY_STALL_TIMEOUT_MS}. */
  readonly stallTimeoutMs?: number;
}

/**
 * Looks every resource up; rejects with {@link UnknownResourcesError} naming all the missing
 * ones, or with a {@link DiscoveryError} carrying the client's error when discovery itself fails
 * (the cluster unreachable, a 403, a 5xx, or no answer: a request that receives nothing for
 * `stallTimeoutMs` fails with `LOOKOUT_WATCH_STALLED`), or with the signal's reason.
 */
export async function discover(
  client: KubeClient,
  ids: readonly ResourceId[],
  options: DiscoverOptions = {},
): Promise<Map<string, Discovered>> {
  const { signal } = options;
  const stallTimeoutMs = options.stallTimeoutMs ?? DISCOVERY_STALL_TIMEOUT_MS;
  const paths = [...new Set(ids.map((id) => groupVersionPath(id)))];
  const read = await Promise.all(
    paths.map((p) =>
      client.getJson(p, { stallTimeoutMs }, signal).catch((error: unknown) => {
        signal?.throwIfAborted();
        return notServed(p, error);
      }),
    ),
  );
  const lists = new Map(paths.map((p, i) => [p, read[i]]));
  const out = new Map<string, Discovered>();
  const missing: string[] = [];
  for (const id of ids) {
    const found = findResource(lists.get(groupVersionPath(id)), id.resource);
    if (found === undefined) missing.push(formatResourceId(id));
    else out.set(discoveredKey(id), found);
  }
  if (missing.length > 0) throw new UnknownResourcesError(missing);
  return out;
}

/** Discovery could not be read (`LOOKOUT_CLI_DISCOVERY`): the cluster's error, named. */
export class DiscoveryError extends Error {
  override readonly name = "DiscoveryError";
  readonly code = "LOOKOUT_CLI_DISCOVERY";
  constructor(url: string, cause: unknown) {
    super(
      `cannot read the cluster's API discovery (GET ${url}): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** A group/version the cluster does not serve answers 404: undefined. Anything else throws. */
function notServed(url: string, error: unknown): undefined {
  if (error instanceof KubeApiError && error.statusCode === 404) return undefined;
  throw new DiscoveryError(url, error);
}

/** The key of a resource in {@link discover}'s map. */
export function discoveredKey(id: ResourceId): string {
  return formatResourceId(id);
}

function findResource(list: unknown, resource: string): Discovered | undefined {
  if (typeof list !== "object" || list === null) return undefined;
  const resources: unknown = Reflect.get(list, "resources");
  if (!Array.isArray(resources)) return undefined;
  for (const r of resources as unknown[]) {
    if (typeof r !== "object" || r === null) continue;
    if (Reflect.get(r, "name") !== resource) continue;
    const kind: unknown = Reflect.get(r, "kind");
    const namespaced: unknown = Reflect.get(r, "namespaced");
    if (typeof kind === "string") return { kind, namespaced: namespaced === true };
  }
  return undefined;
}
