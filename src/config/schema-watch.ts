/**
 * The `watch` section: which resources the sidecar lists and watches, and what each feeds.
 */
import { z } from "zod";
import { TIMER_MS, allowed, duration, intMin, namespaceName } from "./schema-kit.ts";

/** What a watched resource feeds: change events, the cache API, resource metrics. */
export const FEEDS = ["events", "cache", "metrics"] as const;

const namespaces = allowed(
  z.union([
    z.literal("all"),
    z.array(namespaceName).min(1),
    z.strictObject({
      labelSelector: z.string().min(1).describe("A label selector on Namespace objects."),
    }),
  ]),
  '"all", a non-empty list of namespace names, or { labelSelector: "..." } (selecting namespaces by label)',
);

const jsonPointer = z
  .string()
  .regex(/^(\/([^~/]|~[01])*)+$/, 'expected a JSON pointer such as "/metadata/annotations"');

/** One watched resource. */
export const watchEntrySchema = z.strictObject({
  group: z
    .string()
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/, {
      message: 'expected an API group ("" for the core group, "apps", "batch", ...)',
    })
    .default("")
    .describe('API group; "" is the core group (pods, services).'),
  version: z
    .string()
    .regex(/^v\d+((alpha|beta)\d+)?$/, { message: 'expected an API version such as "v1"' })
    .describe("API version (`v1`, `v1beta1`). Required."),
  resource: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
      message: 'expected a lower-case plural resource name such as "pods"',
    })
    .describe("Resource name, plural lower case (`pods`, `deployments`). Required."),
  kind: z
    .string()
    .regex(/^[A-Z][A-Za-z0-9]*$/, { message: 'expected a Kind such as "Pod"' })
    .optional()
    .describe("The objects' kind (`Pod`); default: from discovery at start."),
  namespaces: namespaces
    .default("all")
    .describe("`all`, a list of namespaces, or `{ labelSelector }` on the Namespace objects."),
  labelSelector: z.string().min(1).optional().describe("Label selector of the watched objects."),
  fieldSelector: z.string().min(1).optional().describe("Field selector of the watched objects."),
  resyncSeconds: duration(TIMER_MS)
    .prefault(0)
    .describe(
      "Resync period (`30s`/`5m`/`1h`); accepted, but no built-in consumer resyncs (see Live reconfiguration).",
    ),
  pageSize: intMin(1).default(500).describe("LIST page size (`limit`)."),
  dropFields: z
    .array(jsonPointer)
    .default([])
    .describe("JSON pointers removed from every object before it is cached or published."),
  feeds: z
    .array(z.enum(FEEDS))
    .min(1)
    .default(["events", "cache", "metrics"])
    .describe(
      "What this resource feeds (at least one): `events` (published on NATS), `cache` (served by the cache API), `metrics` (observed by the plugins: stream delay, watch verification).",
    ),
});

/** The watch list. */
export const watchSchema = z
  .array(watchEntrySchema)
  .default([])
  .describe("The watched resources (see [Watch entries](#watch-entries)).");
