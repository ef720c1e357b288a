/**
 * A realistic, deterministic population of Helm releases (mulberry32 from a seed): charts of
 * ~40 objects rendered like `helm template`, a share of objects on deprecated or removed
 * apiVersions taken from the built-in deprecation table, hook Jobs on some releases, and
 * several revisions per release (older ones `superseded`, the newest `deployed`).
 */
import { builtinTable } from "../helm/index.ts";
import { SimError, SimErrorCode } from "./errors.ts";
import { CHART_KINDS, renderDocument } from "./helm-manifest.ts";
import type { HelmObjectRef, RenderContext } from "./helm-manifest.ts";
import type { HelmDriver, HelmHookJson, HelmReleaseJson } from "./helm-payload.ts";
import { APP_VERSION, CHART_VERSION, REVISION, compile } from "./helm-marked-text.ts";
import type { MarkedText } from "./helm-marked-text.ts";
import { mulberry32 } from "./prng.ts";
import { failure } from "./status.ts";

/** Options of a seeded Helm population (`cluster.helm.seed`, {@link generateHelmReleases}). */
export interface HelmSeedOptions {
  /** How many releases. */
  readonly releases: number;
  /** Default 5. */
  readonly revisionsPerRelease?: number;
  /** Objects in each manifest (hooks not counted); default 40. */
  readonly objectsPerManifest?: number;
  /** Releases spread over namespaces `helm-0..helm-(N-1)`; default 10. */
  readonly namespaces?: number;
  /** Default "secret"; "both" alternates secret and configmap by release. */
  readonly driver?: HelmDriver | "both";
  /** Share of releases with hooks (a Job, sometimes an RBAC hook); default 0.3. */
  readonly hookShare?: number;
  /** Share of objects on a deprecated/removed apiVersion where the table has one; default 0.1. */
  readonly deprecatedShare?: number;
  /** PRNG seed; default 1. */
  readonly seed?: number;
  /**
   * zlib level of the stored payloads, 1..9. Helm writes level 9; the seed defaults to 1, which
   * is about 3.5 times faster and makes payloads about a third larger (decoders do not care).
   */
  readonly gzipLevel?: number;
}

/** One generated revision: the release JSON and the objects written into it. */
export interface SeededRevision {
  readonly release: HelmReleaseJson;
  /** `JSON.stringify(release)` (built faster than that). */
  readonly json: string;
  /** Manifest objects, then hook objects, in document order. */
  readonly objects: readonly HelmObjectRef[];
}

/** One generated release with all its revisions, oldest first. */
export interface SeededRelease {
  readonly namespace: string;
  readonly name: string;
  readonly driver: HelmDriver;
  readonly revisions: readonly SeededRevision[];
}

const CHARTS = ["web", "api", "worker", "gateway", "billing", "search", "auth", "cache", "etl"];
const BASE_TIME = Date.UTC(2025, 0, 1);
const MANIFEST_MARKER = "@@MANIFEST@@";

function invalid(message: string): SimError {
  return new SimError(SimErrorCode.Invalid, failure(422, "Invalid", message));
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw invalid(`invalid helm seed option ${name}: ${String(value)} (an integer >= ${min})`);
  }
  return v;
}

function share(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(v >= 0 && v <= 1)) {
    throw invalid(`invalid helm seed option ${name}: ${String(value)} (a number in [0, 1])`);
  }
  return v;
}

/** kind → deprecated apiVersions of that kind in the built-in table (List kinds left out). */
function deprecatedByKind(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rule of builtinTable().rules) {
    if (rule.kind === "" || rule.kind.endsWith("List")) continue;
    const list = out.get(rule.kind) ?? [];
    list.push(rule.apiVersion);
    out.set(rule.kind, list);
  }
  return out;
}

interface PlannedObject {
  readonly ref: HelmObjectRef;
  readonly salt: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The population, release by release, reproducibly from `options.seed`. Lazy: each release is
 * built when iterated. Throws LOOKOUT_SIM_INVALID (SimError) for a bad option when called.
 */
export function generateHelmReleases(options: HelmSeedOptions): Iterable<SeededRelease> {
  const releases = count("releases", options.releases, 0, 0);
  const revisions = count("revisionsPerRelease", options.revisionsPerRelease, 5, 1);
  const perManifest = count("objectsPerManifest", options.objectsPerManifest, 40, 0);
  const namespaces = count("namespaces", options.namespaces, 10, 1);
  const hookShare = share("hookShare", options.hookShare, 0.3);
  const deprecatedShare = share("deprecatedShare", options.deprecatedShare, 0.1);
  const driverOption = options.driver ?? "secret";
  if (driverOption !== "secret" && driverOption !== "configmap" && driverOption !== "both") {
    throw invalid(`invalid helm seed option driver: ${String(driverOption)}`);
  }
  const seed = options.seed ?? 1;
  const deprecated = deprecatedByKind();
  const totalWeight = CHART_KINDS.reduce((s, k) => s + k.weight, 0);

  return {
    *[Symbol.iterator](): Iterator<SeededRelease> {
      const rand = mulberry32(seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
      for (let i = 0; i < releases; i++) {
        const chart = CHARTS[i % CHARTS.length]!;
        const name = `${chart}-${i}`;
        const namespace = `helm-${i % namespaces}`;
        const driver: HelmDriver =
          driverOption === "both" ? (i % 2 === 0 ? "secret" : "configmap") : driverOption;
        const planned: PlannedObject[] = [];
        for (let k = 0; k < perManifest; k++) {
          let r = rand() * totalWeight;
          let spec: (typeof CHART_KINDS)[number] = CHART_KINDS[0];
          for (const s of CHART_KINDS) {
            spec = s;
            if ((r -= s.weight) < 0) break;
          }
          const alternatives = deprecated.get(spec.kind);
          const old = alternatives !== undefined && rand() < deprecatedShare;
          const objectName = `${name}-${spec.file}-${k}`;
          const withNs = rand() < 0.3;
          planned.push({
            ref: {
              apiVersion: old ? pick(alternatives) : spec.apiVersion,
              kind: spec.kind,
              name: objectName,
              ...(withNs ? { namespace } : {}),
              source: "manifest",
              template: `${chart}/templates/${spec.file}.yaml`,
            },
            salt: Math.floor(rand() * 1e6),
          });
        }
        const hooks: PlannedObject[] = [];
        if (rand() < hookShare) {
          hooks.push({
            ref: {
              apiVersion: "batch/v1",
              kind: "Job",
              name: `${name}-db-migrate`,
              source: "hook",
              template: `${chart}/templates/hooks/db-migrate-job.yaml`,
            },
            salt: Math.floor(rand() * 1e6),
          });
          if (rand() < 0.5) {
            const old = rand() < deprecatedShare * 3;
            hooks.push({
              ref: {
                apiVersion: old
                  ? "rbac.authorization.k8s.io/v1beta1"
                  : "rbac.authorization.k8s.io/v1",
                kind: "Role",
                name: `${name}-hook-role`,
                source: "hook",
                template: `${chart}/templates/hooks/hook-role.yaml`,
              },
              salt: Math.floor(rand() * 1e6),
            });
          }
        }
        const major = 1 + Math.floor(rand() * 4);
        const firstDeployed = BASE_TIME + i * 3_600_000;
        // Every revision renders the same documents but for the revision and versions: render
        // once with markers (and JSON-escape once), then fill the markers in per revision.
        const marked = (salt: number): RenderContext => ({
          release: name,
          chart,
          chartVersion: CHART_VERSION,
          appVersion: APP_VERSION,
          revision: REVISION,
          salt,
        });
        const manifestTemplate = planned.map((p) => renderDocument(p.ref, marked(p.salt))).join("");
        const manifestJsonTemplate = compile(JSON.stringify(manifestTemplate));
        const manifestText = compile(manifestTemplate);
        const hookTemplates = hooks.map((h, hi) =>
          compile(
            renderDocument(
              h.ref,
              marked(h.salt),
              `    "helm.sh/hook": pre-install,pre-upgrade\n    "helm.sh/hook-weight": "${hi - 5}"\n`,
            ).replace(/^---\n/, ""),
          ),
        );
        const templates = [...new Set(planned.map((p) => p.ref.template))].map((t) => ({
          name: t.slice(chart.length + 1),
          data: Buffer.from(`{{- /* ${t} */ -}}\n{{ include "${chart}.render" . }}\n`).toString(
            "base64",
          ),
        }));
        const list: SeededRevision[] = [];
        for (let rev = 1; rev <= revisions; rev++) {
          const chartVersion = `${major}.${rev - 1}.0`;
          const appVersion = `${major + 1}.${rev}.${i % 7}`;
          const values = [String(rev), chartVersion, appVersion];
          const fill = (t: MarkedText): string => t(values);
          const deployed = firstDeployed + (rev - 1) * 86_400_000;
          const hookJson: HelmHookJson[] = hooks.map((h, hi) => ({
            name: h.ref.name,
            kind: h.ref.kind,
            path: h.ref.template,
            manifest: fill(hookTemplates[hi]!),
            events: ["pre-install", "pre-upgrade"],
            last_run: {
              started_at: iso(deployed),
              completed_at: iso(deployed + 9000),
              phase: "Succeeded",
            },
            weight: hi - 5,
            delete_policies: ["before-hook-creation"],
          }));
          const release: HelmReleaseJson = {
            name,
            namespace,
            version: rev,
            info: {
              first_deployed: iso(firstDeployed),
              last_deployed: iso(deployed),
              deleted: "",
              description: rev === 1 ? "Install complete" : "Upgrade complete",
              status: rev === revisions ? "deployed" : "superseded",
              notes: `1. Get the application URL:\n  https://${name}.example.com/\n`,
            },
            chart: {
              metadata: {
                name: chart,
                version: chartVersion,
                appVersion,
                apiVersion: "v2",
                description: `A Helm chart for the ${chart} service`,
                type: "application",
              },
              templates,
              values: {
                replicaCount: 1,
                image: { repository: `registry.example.com/${chart}`, tag: "" },
                service: { type: "ClusterIP", port: 80 },
                ingress: { enabled: true, className: "nginx" },
              },
            },
            config: { image: { tag: `${appVersion}-r${rev}` } },
            manifest: MANIFEST_MARKER,
            ...(hookJson.length === 0 ? {} : { hooks: hookJson }),
          };
          const manifestJson = fill(manifestJsonTemplate);
          const json = JSON.stringify(release).replace(`"${MANIFEST_MARKER}"`, () => manifestJson);
          release.manifest = fill(manifestText);
          list.push({
            release,
            json,
            objects: [...planned.map((p) => p.ref), ...hooks.map((h) => h.ref)],
          });
        }
        yield { namespace, name, driver, revisions: list };
      }
    },
  };
}
