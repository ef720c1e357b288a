/**
 * Builders of the apiserver's `Status` errors (apimachinery `pkg/api/errors/errors.go`), each
 * wrapped in a {@link SimError} with the matching code.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import { failureStatus, type StatusCause, type StatusDetails } from "../kube/status.ts";
import { SimError, SimErrorCode } from "./errors.ts";

/** A Failure Status object (the shared builder). */
export const failure = failureStatus;

/** apimachinery: `details.kind` is the resource plural, `details.group` its group (omitted for core). */
function objectDetails(def: ResourceDefinition, name: string): StatusDetails {
  return def.group === ""
    ? { name, kind: def.resource }
    : { name, group: def.group, kind: def.resource };
}

function qualified(def: ResourceDefinition): string {
  return def.group === "" ? def.resource : `${def.resource}.${def.group}`;
}

/** 404 NotFound: `pods "x" not found`. */
export function notFound(def: ResourceDefinition, name: string): SimError {
  return new SimError(
    SimErrorCode.NotFound,
    failure(404, "NotFound", `${qualified(def)} "${name}" not found`, objectDetails(def, name)),
  );
}

/** 404 for a path the server does not serve. */
export function pathNotFound(): SimError {
  return new SimError(
    SimErrorCode.UnknownResource,
    failure(404, "NotFound", "the server could not find the requested resource", {}),
  );
}

/** 409 AlreadyExists: `pods "x" already exists`. */
export function alreadyExists(def: ResourceDefinition, name: string): SimError {
  return new SimError(
    SimErrorCode.AlreadyExists,
    failure(
      409,
      "AlreadyExists",
      `${qualified(def)} "${name}" already exists`,
      objectDetails(def, name),
    ),
  );
}

/** 409 Conflict with the apiserver's optimistic-lock message. */
export function conflict(def: ResourceDefinition, name: string): SimError {
  return new SimError(
    SimErrorCode.Conflict,
    failure(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualified(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      objectDetails(def, name),
    ),
  );
}

/** apimachinery field.ErrorType → StatusCause type. */
const CAUSE_TYPES: Readonly<Record<string, string>> = {
  "Required value": "FieldValueRequired",
  "Invalid value": "FieldValueInvalid",
  Forbidden: "FieldValueForbidden",
  "Unsupported value": "FieldValueNotSupported",
  "Duplicate value": "FieldValueDuplicate",
};

/** 422 Invalid: `Kind.group "name" is invalid: field: Type: detail`. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  causes: readonly { field: string; type: string; detail: string }[],
): SimError {
  const qualifiedKind = group === "" ? kind : `${kind}.${group}`;
  const list = causes.map((c) => `${c.field}: ${c.type}: ${c.detail}`);
  const text = list.length === 1 ? list[0]! : `[${list.join(", ")}]`;
  const statusCauses: StatusCause[] = causes.map((c) => ({
    type: CAUSE_TYPES[c.type] ?? "FieldValueInvalid",
    message: `${c.type}: ${c.detail}`,
    field: c.field,
  }));
  return new SimError(
    SimErrorCode.Invalid,
    failure(422, "Invalid", `${qualifiedKind} "${name}" is invalid: ${text}`, {
      name,
      ...(group === "" ? {} : { group }),
      kind,
      causes: statusCauses,
    }),
  );
}

/** 400 BadRequest with a message. */
export function badRequest(message: string, cause?: unknown): SimError {
  return new SimError(
    SimErrorCode.BadRequest,
    failure(400, "BadRequest", message),
    cause === undefined ? undefined : { cause },
  );
}

/** 410 Expired with a message (reason `Expired`). */
export function expired(message: string, continueToken?: string): SimError {
  const status = failure(410, "Expired", message);
  return new SimError(
    SimErrorCode.Expired,
    continueToken === undefined ? status : { ...status, metadata: { continue: continueToken } },
  );
}

/** 504 Timeout for a resourceVersion newer than the server's (cause ResourceVersionTooLarge). */
export function tooLargeResourceVersion(requested: number, current: number): SimError {
  return new SimError(
    SimErrorCode.Timeout,
    failure(
      504,
      "Timeout",
      `Timeout: Too large resource version: ${requested}, current: ${current}`,
      {
        causes: [{ type: "ResourceVersionTooLarge", message: "Too large resource version" }],
        retryAfterSeconds: 1,
      },
    ),
  );
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(method: string): SimError {
  return new SimError(
    SimErrorCode.Http,
    failure(
      405,
      "MethodNotAllowed",
      `the server does not allow this method on the requested resource`,
      {
        causes: [{ message: method }],
      },
    ),
  );
}

/** 415 UnsupportedMediaType for a patch type other than merge-patch. */
export function unsupportedMediaType(contentType: string): SimError {
  return new SimError(
    SimErrorCode.Http,
    failure(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (got "${contentType}")`,
    ),
  );
}

/** 429 TooManyRequests or 500 InternalError (or any other code) injected by a fault. */
export function injected(code: number, retryAfterSeconds: number | undefined): SimError {
  if (code === 429) {
    return new SimError(
      SimErrorCode.Http,
      failure(429, "TooManyRequests", "Too many requests, please try again later.", {
        causes: [{ type: "TooManyRequests", message: "injected by the simulated cluster" }],
        retryAfterSeconds: retryAfterSeconds ?? 1,
      }),
    );
  }
  const reason = code === 500 ? "InternalError" : code === 503 ? "ServiceUnavailable" : "Unknown";
  const message =
    code === 500
      ? "Internal error occurred: injected fault"
      : `the server has received an injected ${code} fault`;
  const details: StatusDetails = {
    causes: [{ message: "injected fault" }],
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
  return new SimError(SimErrorCode.Http, failure(code, reason, message, details));
}

/** The identity the simulated cluster denies requests to (a service account, as in-cluster). */
export const FORBIDDEN_USER = "system:serviceaccount:default:kube-lookout";

/**
 * 403 Forbidden as the apiserver's RBAC authorizer answers it: `secrets is forbidden: User "…"
 * cannot list resource "secrets" in API group "" in the namespace "team-a"` (or `at the cluster
 * scope`); with a name, `secrets "x" is forbidden: …`.
 */
export function forbidden(
  def: ResourceDefinition,
  verb: string,
  namespace: string,
  name: string | undefined,
): SimError {
  const subject = name === undefined ? qualified(def) : `${qualified(def)} "${name}"`;
  const scope = namespace === "" ? "at the cluster scope" : `in the namespace "${namespace}"`;
  const message = `${subject} is forbidden: User "${FORBIDDEN_USER}" cannot ${verb} resource "${def.resource}" in API group "${def.group}" ${scope}`;
  const details: StatusDetails = {
    ...(name === undefined ? {} : { name }),
    ...(def.group === "" ? {} : { group: def.group }),
    kind: def.resource,
  };
  return new SimError(SimErrorCode.Forbidden, failure(403, "Forbidden", message, details));
}

/** 406 NotAcceptable when no media type of the Accept header can be served. */
export function notAcceptable(accept: string): SimError {
  return new SimError(
    SimErrorCode.Http,
    failure(
      406,
      "NotAcceptable",
      `only the following media types are accepted: application/json, application/json;as=PartialObjectMetadata(List);g=meta.k8s.io;v=v1 (or v1beta1), application/json;as=Table;g=meta.k8s.io;v=v1 (got "${accept}")`,
    ),
  );
}
