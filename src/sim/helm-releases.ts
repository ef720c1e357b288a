/**
 * `cluster.helm`: Helm 3 releases in the simulated cluster, stored exactly as Helm stores them
 * (one Secret or ConfigMap per revision), with install / upgrade / uninstall semantics, raw
 * (possibly bad) payloads for error tests, and a seeded realistic population.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import { SimError, SimErrorCode } from "./errors.ts";
import {
  decodeHelmPayload,
  encodeHelmPayload,
  helmResourceOf,
  helmStorageObject,
} from "./helm-payload.ts";
import type { HelmDriver, HelmHookJson, HelmReleaseJson } from "./helm-payload.ts";
import type { HelmHookInput, SimHelmReleases } from "./helm-api.ts";
import { generateHelmReleases } from "./helm-population.ts";
import { parseKubeObject } from "./json.ts";
import { failure } from "./status.ts";
import type { ObjectStore } from "./store.ts";
import type { StoredObject } from "./stored.ts";
import type { WatchHub } from "./watch-hub.ts";

interface Stored {
  readonly driver: HelmDriver;
  readonly revision: number;
  readonly object: StoredObject;
}

function invalid(message: string): SimError {
  return new SimError(SimErrorCode.Invalid, failure(422, "Invalid", message));
}

function checkName(namespace: string, name: string): void {
  if (namespace === "" || name === "") {
    throw invalid("a Helm release needs a namespace and a name");
  }
}

function hookJson(h: HelmHookInput): HelmHookJson {
  return {
    name: h.name,
    kind: h.kind ?? "Job",
    path: h.path,
    manifest: h.manifest,
    events: h.events ?? ["pre-install"],
    last_run: { started_at: "", completed_at: "", phase: "" },
    weight: h.weight ?? 0,
  };
}

/** Builds `cluster.helm` over the cluster's store; `resolve` maps "secrets"/"configmaps". */
export function createHelmReleases(
  store: ObjectStore,
  hub: WatchHub,
  resolve: (resource: string) => ResourceDefinition,
  clock: () => number,
): SimHelmReleases {
  const defOf = (driver: HelmDriver) => resolve(helmResourceOf(driver));

  const revisionsOf = (namespace: string, name: string): Stored[] => {
    const out: Stored[] = [];
    for (const driver of ["secret", "configmap"] as const) {
      for (const o of store.table(defOf(driver)).objects.values()) {
        if (o.namespace !== namespace || o.labels?.["owner"] !== "helm") continue;
        if (o.labels["name"] !== name) continue;
        out.push({ driver, revision: Number(o.labels["version"]), object: o });
      }
    }
    return out.sort((a, b) => a.revision - b.revision);
  };

  const write = (release: HelmReleaseJson, driver: HelmDriver): void => {
    store.create(defOf(driver), helmStorageObject(release, driver));
  };

  const now = (): string => new Date(clock()).toISOString();

  return {
    install(o) {
      checkName(o.namespace, o.name);
      if (revisionsOf(o.namespace, o.name).length > 0) {
        throw new SimError(
          SimErrorCode.AlreadyExists,
          failure(409, "AlreadyExists", `cannot re-use a name that is still in use: ${o.name}`),
        );
      }
      const at = now();
      const release: HelmReleaseJson = {
        name: o.name,
        namespace: o.namespace,
        version: 1,
        info: {
          first_deployed: at,
          last_deployed: at,
          deleted: "",
          description: "Install complete",
          status: o.status ?? "deployed",
        },
        chart: {
          metadata: {
            name: o.chart ?? o.name,
            version: o.chartVersion ?? "1.0.0",
            appVersion: "1.0.0",
            apiVersion: "v2",
            type: "application",
          },
          templates: [],
          values: {},
        },
        config: {},
        manifest: o.manifest,
        ...(o.hooks === undefined ? {} : { hooks: o.hooks.map(hookJson) }),
      };
      hub.batch(() => write(release, o.driver ?? "secret"));
      return release;
    },

    upgrade(namespace, name, o = {}) {
      const revs = revisionsOf(namespace, name);
      const newest = revs.at(-1);
      if (newest === undefined) {
        throw new SimError(
          SimErrorCode.NotFound,
          failure(404, "NotFound", `release: not found: ${namespace}/${name}`),
        );
      }
      const base = decodeHelmPayload(readPayload(newest.object), newest.driver);
      const release: HelmReleaseJson = {
        ...base,
        version: newest.revision + 1,
        info: {
          ...base.info,
          last_deployed: now(),
          description: "Upgrade complete",
          status: o.status ?? "deployed",
        },
        chart: {
          ...base.chart,
          metadata: {
            ...base.chart.metadata,
            version: o.chartVersion ?? base.chart.metadata.version,
          },
        },
        manifest: o.manifest ?? base.manifest,
      };
      if (o.hooks !== undefined) release.hooks = o.hooks.map(hookJson);
      // As Helm 3 does: the deployed revision is superseded only when the upgrade succeeds; a
      // failed upgrade leaves it deployed beside the failed one.
      const supersede = release.info.status === "deployed";
      hub.batch(() => {
        for (const r of revs) {
          if (!supersede || r.object.labels?.["status"] !== "deployed") continue;
          const old = decodeHelmPayload(readPayload(r.object), r.driver);
          old.info.status = "superseded";
          store.update(
            defOf(r.driver),
            helmStorageObject(old, r.driver, {
              modifiedAt: Math.floor(clock() / 1000),
            }),
          );
        }
        write(release, newest.driver);
      });
      return release;
    },

    uninstall(namespace, name) {
      const revs = revisionsOf(namespace, name);
      hub.batch(() => {
        for (const r of revs) store.delete(defOf(r.driver), namespace, r.object.name);
      });
      return revs.length;
    },

    putRaw(namespace, name, revision, releaseValue, o) {
      checkName(namespace, name);
      if (!Number.isSafeInteger(revision) || revision < 1) {
        throw invalid(`invalid Helm revision ${String(revision)} (a positive integer)`);
      }
      const object = helmStorageObject(
        {
          name,
          namespace,
          version: revision,
          info: {
            first_deployed: "",
            last_deployed: now(),
            deleted: "",
            description: "",
            status: "",
          },
          chart: {
            metadata: { name, version: "0.0.0", apiVersion: "v2" },
            templates: [],
            values: {},
          },
          config: {},
          manifest: "",
        },
        o.driver,
        { status: o.status ?? "deployed", payload: releaseValue },
      );
      return hub.batch(() => parseKubeObject(store.create(defOf(o.driver), object).json));
    },

    seed(options) {
      const started = performance.now();
      const gzipLevel = options.gzipLevel ?? 1;
      if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9) {
        throw invalid(`invalid helm seed option gzipLevel: ${String(options.gzipLevel)} (1..9)`);
      }
      let releases = 0;
      let revisions = 0;
      let payloadBytes = 0;
      let jsonBytes = 0;
      hub.batch(() => {
        for (const r of generateHelmReleases(options)) {
          releases++;
          const def = defOf(r.driver);
          for (const rev of r.revisions) {
            const json = rev.json;
            const payload = encodeHelmPayload(json, r.driver, { level: gzipLevel });
            revisions++;
            jsonBytes += json.length;
            payloadBytes += payload.length;
            store.create(def, helmStorageObject(rev.release, r.driver, { payload }));
          }
        }
      });
      return { releases, revisions, payloadBytes, jsonBytes, ms: performance.now() - started };
    },

    history(namespace, name) {
      return revisionsOf(namespace, name).map((r) =>
        decodeHelmPayload(readPayload(r.object), r.driver),
      );
    },
  };
}

function readPayload(o: StoredObject): string {
  const data = o.object["data"];
  const value =
    typeof data === "object" && data !== null && "release" in data ? data.release : undefined;
  if (typeof value !== "string") {
    throw invalid(`${o.namespace}/${o.name} has no string data.release`);
  }
  return value;
}
