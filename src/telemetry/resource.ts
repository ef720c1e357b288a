/**
 * The resource every metric carries: who exports it. Sources, lowest precedence first:
 * defaults (`service.name` kube-lookout, `service.version` the package's, `service.instance.id`
 * `<POD_NAMESPACE>.<POD_NAME>` when the pod's name is known), `OTEL_RESOURCE_ATTRIBUTES`,
 * the downward-API variables (`POD_NAME`, `POD_NAMESPACE`, `NODE_NAME`), `OTEL_SERVICE_NAME`,
 * then explicit options. An explicit option always wins over the environment.
 */
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import { InvalidTelemetryOptionError } from "./errors.ts";

/** Environment variables the resource reads (downward API and OpenTelemetry standard). */
export const ResourceEnv = {
  podName: "POD_NAME",
  podNamespace: "POD_NAMESPACE",
  nodeName: "NODE_NAME",
  attributes: "OTEL_RESOURCE_ATTRIBUTES",
  serviceName: "OTEL_SERVICE_NAME",
} as const;

/** What {@link buildResource} takes. */
export interface ResourceInput {
  readonly serviceName?: string | undefined;
  readonly serviceVersion: string;
  readonly clusterName?: string | undefined;
  readonly attributes?: Readonly<Record<string, string>> | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses `OTEL_RESOURCE_ATTRIBUTES` (`key=value,key2=value2`, values percent-encoded as in the
 * W3C Baggage format). Throws {@link InvalidTelemetryOptionError} naming the variable when a
 * member has no `=`, an empty key, or a bad percent-encoding.
 */
export function parseResourceAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const member of text.split(",")) {
    if (member.trim() === "") continue;
    const eq = member.indexOf("=");
    const key = eq < 0 ? "" : member.slice(0, eq).trim();
    if (key === "")
      throw new InvalidTelemetryOptionError(
        ResourceEnv.attributes,
        text,
        "key=value pairs separated by commas",
      );
    try {
      out[key] = decodeURIComponent(member.slice(eq + 1).trim());
    } catch (err) {
      throw new InvalidTelemetryOptionError(
        ResourceEnv.attributes,
        text,
        "percent-encoded values",
        err,
      );
    }
  }
  return out;
}

/** The resource attributes, merged by the precedence in the module comment. */
export function resourceAttributes(input: ResourceInput): Record<string, string> {
  const env = input.env;
  const attrs: Record<string, string> = {
    "service.name": "kube-lookout",
    "service.version": input.serviceVersion,
  };
  // A default, so that replicas pushing through one collector stay apart: the pod's identity
  // (as the OpenTelemetry Operator sets it), below OTEL_RESOURCE_ATTRIBUTES.
  const pod = env[ResourceEnv.podName];
  if (pod !== undefined && pod !== "") {
    const ns = env[ResourceEnv.podNamespace];
    attrs["service.instance.id"] = ns === undefined || ns === "" ? pod : `${ns}.${pod}`;
  }
  const fromEnv = env[ResourceEnv.attributes];
  if (fromEnv !== undefined) Object.assign(attrs, parseResourceAttributes(fromEnv));
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined && value !== "") attrs[key] = value;
  };
  set("k8s.pod.name", env[ResourceEnv.podName]);
  set("k8s.namespace.name", env[ResourceEnv.podNamespace]);
  set("k8s.node.name", env[ResourceEnv.nodeName]);
  set("service.name", env[ResourceEnv.serviceName]);
  if (input.attributes !== undefined) Object.assign(attrs, input.attributes);
  set("k8s.cluster.name", input.clusterName);
  set("service.name", input.serviceName);
  return attrs;
}

/** The SDK resource of {@link resourceAttributes}. */
export function buildResource(input: ResourceInput): Resource {
  return resourceFromAttributes(resourceAttributes(input));
}
