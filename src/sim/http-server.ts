/**
 * The HTTP front of the simulated API server: routes Kubernetes REST paths to discovery,
 * list/watch and the object verbs, and answers every error with a Status.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KubeObject } from "../kube/types.ts";
import type { Logger } from "../logging/index.ts";
import { discovery, resolveTarget, verbOf } from "./http-route.ts";
import type { Target } from "./http-route.ts";
import type { RequestFaults, SimVerb } from "./faults.ts";
import { readJsonBody, sendJson, sendJsonStalled, sendStatus, statusOf } from "./http-respond.ts";
import { parseListOptions } from "./list-options.ts";
import { planList, renderList } from "./list-serve.ts";
import type { Snapshots } from "./list-serve.ts";
import type { Registry } from "./registry.ts";
import {
  badRequest,
  methodNotAllowed,
  notFound,
  pathNotFound,
  tooLargeResourceVersion,
  unsupportedMediaType,
} from "./status.ts";
import { parseRv } from "./list-options.ts";
import { serveWatch } from "./watch-serve.ts";
import type { WatchContext } from "./watch-serve.ts";
import { renderTable } from "./table.ts";
import { negotiateRequest } from "./media-type.ts";
import { isKubeObject } from "./json.ts";

/** One served request, as recorded for tests. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number;
  readonly watch: boolean;
}

/** Everything the HTTP layer needs from the cluster. */
export interface ServerContext extends WatchContext {
  readonly registry: Registry;
  readonly snapshots: Snapshots;
  readonly faults: RequestFaults;
  readonly gitVersion: string;
  readonly logger: Logger;
  /** Records a served request (bounded by the caller). */
  record(r: RequestRecord): void;
  /** Resolves after `ms` (an unref'ed timer; at once after close). */
  sleep(ms: number): Promise<void>;
  /** True once the cluster is closing. */
  isClosed(): boolean;
}

const RV_WAIT_MS = 1000;
const RV_POLL_MS = 25;

async function waitForRv(ctx: ServerContext, rv: number): Promise<void> {
  const deadline = Date.now() + RV_WAIT_MS;
  while (ctx.store.rv < rv) {
    if (Date.now() >= deadline || ctx.isClosed()) throw tooLargeResourceVersion(rv, ctx.store.rv);
    // oxlint-disable-next-line no-await-in-loop -- polling: each wait depends on the last check
    await ctx.sleep(RV_POLL_MS);
  }
}

async function serveList(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  t: Target,
  query: URLSearchParams,
): Promise<number> {
  const opts = parseListOptions(query, t.def, { watchList: ctx.watchList });
  const as = negotiateRequest(req, "list");
  const table = ctx.store.table(t.def);
  let plan = planList(ctx.store, ctx.snapshots, table, opts);
  if ("waitFor" in plan) {
    await waitForRv(ctx, plan.waitFor);
    plan = planList(ctx.store, ctx.snapshots, table, opts);
    if ("waitFor" in plan) throw tooLargeResourceVersion(plan.waitFor, ctx.store.rv);
  }
  const metaVersion = as.as === "metadata" ? as.apiVersion : undefined;
  const list = renderList(table, plan, t.namespace, opts, ctx.snapshots, metaVersion);
  const body = as.as === "table" ? renderTable(list, t.def) : list;
  if (ctx.faults.takeListStall(t.def)) sendJsonStalled(res, 200, body);
  else sendJson(res, 200, body);
  return 200;
}

async function serveObject(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  t: Target,
  name: string,
  verb: SimVerb,
  query: URLSearchParams,
): Promise<number> {
  const { store } = ctx;
  switch (verb) {
    case "get": {
      const as = negotiateRequest(req, "get");
      const rv = query.get("resourceVersion");
      if (rv !== null && rv !== "" && rv !== "0") await waitForRv(ctx, parseRv(rv));
      const o = store.get(t.def, t.namespace, name);
      if (o === undefined) throw notFound(t.def, name);
      if (as.as === "table") sendJson(res, 200, renderTable(`{"items":[${o.json}]}`, t.def));
      else if (as.as === "metadata") sendJson(res, 200, o.partialJson(as.apiVersion));
      else sendJson(res, 200, o.json);
      return 200;
    }
    case "update": {
      const body = await readObjectBody(req);
      if (body.metadata.name !== undefined && body.metadata.name !== name) {
        throw badRequest(
          `the name of the object (${JSON.stringify(body.metadata.name)}) does not match the name on the URL (${name})`,
        );
      }
      checkNamespace(t, body);
      const o = store.update(t.def, {
        ...body,
        metadata: { ...body.metadata, name, namespace: t.namespace },
      });
      sendJson(res, 200, o.json);
      return 200;
    }
    case "patch": {
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
      if (type !== "application/merge-patch+json") throw unsupportedMediaType(type);
      const patch = await readJsonBody(req);
      const o = store.patch(t.def, t.namespace, name, patch);
      sendJson(res, 200, o.json);
      return 200;
    }
    case "delete": {
      const o = store.delete(t.def, t.namespace, name);
      sendJson(res, 200, o.json);
      return 200;
    }
    default:
      throw methodNotAllowed(req.method ?? "");
  }
}

async function readObjectBody(req: IncomingMessage): Promise<KubeObject> {
  const body = await readJsonBody(req);
  if (!isKubeObject(body))
    throw badRequest("the body of the request must be an object with metadata");
  return body;
}

function checkNamespace(t: Target, body: KubeObject): void {
  if (!t.def.namespaced) return;
  const ns = body.metadata.namespace;
  if (ns !== undefined && ns !== "" && ns !== t.namespace) {
    throw badRequest(
      "the namespace of the provided object does not match the namespace sent on the request",
    );
  }
}

async function route(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<{ status: number; watch: boolean }> {
  const segments = url.pathname
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch (error: unknown) {
        throw badRequest(`malformed path segment "${s}"`, error);
      }
    });
  const method = req.method ?? "GET";
  if (method === "GET") {
    const doc = discovery(ctx, req, segments);
    if (doc !== undefined) {
      sendJson(res, 200, doc);
      return { status: 200, watch: false };
    }
    const p = segments.join("/");
    if (p === "healthz" || p === "readyz" || p === "livez") {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("ok");
      return { status: 200, watch: false };
    }
  }
  const t = resolveTarget(ctx.registry, segments);
  if (t === undefined) throw pathNotFound();
  const query = url.searchParams;
  const watch = method === "GET" && (query.get("watch") === "true" || query.get("watch") === "1");
  const verb = verbOf(method, t, watch);
  if (verb === undefined) throw methodNotAllowed(method);
  if (verb === "create" && t.def.namespaced && t.namespace === "") throw pathNotFound();
  const denied = ctx.faults.forbidden(verb, t.def, t.namespace, t.name);
  if (denied !== undefined) throw denied;
  const injected = ctx.faults.take(verb, t.def);
  if (injected !== undefined) throw injected;

  if (verb === "watch") {
    const opts = parseListOptions(query, t.def, {
      watchList: ctx.watchList,
      ...(t.name === undefined ? {} : { name: t.name }),
    });
    // A Table watch is served as plain objects, as before (kubectl -w copes).
    const as = negotiateRequest(req, "watch");
    const rv = opts.resourceVersion;
    if (opts.sendInitialEvents === true && rv !== undefined && rv !== "0") {
      // A streaming list from N is synced to >= N: wait for N like list/get, else 504.
      await waitForRv(ctx, parseRv(rv));
      if (res.destroyed) return { status: 499, watch: true }; // the client left during the wait
    }
    const metaVersion = as.as === "metadata" ? as.apiVersion : undefined;
    serveWatch(ctx, ctx.store.table(t.def), t.namespace, opts, res, metaVersion);
    return { status: 200, watch: true };
  }
  if (verb === "list") return { status: await serveList(ctx, req, res, t, query), watch: false };
  if (verb === "create") {
    const body = await readObjectBody(req);
    checkNamespace(t, body);
    const input = t.def.namespaced
      ? { ...body, metadata: { ...body.metadata, namespace: t.namespace } }
      : body;
    const o = ctx.store.create(t.def, input);
    sendJson(res, 201, o.json);
    return { status: 201, watch: false };
  }
  return { status: await serveObject(ctx, req, res, t, t.name!, verb, query), watch: false };
}

/** Handles one request; never rejects (errors become Status answers). */
export async function handleRequest(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://sim.invalid");
  const method = req.method ?? "GET";
  let status = 500;
  const w = url.searchParams.get("watch");
  let watch = method === "GET" && (w === "1" || w === "true");
  try {
    ({ status, watch } = await route(ctx, req, res, url));
  } catch (error: unknown) {
    const s = statusOf(error);
    status = s.code;
    if (s.code === 500)
      ctx.logger.error("simulated cluster: request failed", { error, path: url.pathname });
    if (res.headersSent) res.destroy();
    else sendStatus(res, s);
  }
  ctx.record({ method, path: url.pathname, query: url.search.replace(/^\?/, ""), status, watch });
}
