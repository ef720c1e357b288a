/**
 * The demo's Helm releases: charts an SRE meets in a real cluster, several still rendering APIs
 * that are deprecated or removed at the simulated cluster's version (v1.32) or the next two
 * minors, each with the manifest its next chart version renders (fixed APIs), except one legacy
 * release nobody has fixed yet. `DemoHelm.step()` upgrades one fixable release to its fixed
 * chart, or back to its old one (a rollback), so the findings change while the demo runs.
 */
import type { SimulatedCluster } from "../sim/index.ts";

/** One object of a release's manifest: its template file and YAML. */
interface Doc {
  readonly template: string;
  readonly yaml: string;
}

/** A release of the catalogue. */
export interface DemoRelease {
  readonly namespace: string;
  readonly name: string;
  readonly chart: string;
  readonly chartVersion: string;
  readonly driver: "secret" | "configmap";
  readonly legacy: readonly Doc[];
  /** The next chart version's manifest; undefined: never fixed during the demo. */
  readonly fixed: { readonly chartVersion: string; readonly docs: readonly Doc[] } | undefined;
}

const obj = (apiVersion: string, kind: string, name: string, ns: string, spec = ""): string =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n` +
  (ns === "" ? "" : `  namespace: ${ns}\n`) +
  (spec === "" ? "" : `spec:\n${spec}\n`);

const deployment = (name: string, ns: string, apiVersion = "apps/v1"): Doc => ({
  template: "deployment.yaml",
  yaml: obj(
    apiVersion,
    "Deployment",
    name,
    ns,
    `  replicas: 2\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/${name}:1.0.0`,
  ),
});
const service = (name: string, ns: string): Doc => ({
  template: "service.yaml",
  yaml: obj("v1", "Service", name, ns, `  selector:\n    app: ${name}\n  ports:\n    - port: 80`),
});
const doc = (
  template: string,
  apiVersion: string,
  kind: string,
  name: string,
  ns: string,
): Doc => ({
  template,
  yaml: obj(apiVersion, kind, name, ns),
});

/** The releases the demo installs, in this order. */
export const DEMO_RELEASES: readonly DemoRelease[] = [
  {
    namespace: "shop",
    name: "storefront",
    chart: "storefront",
    chartVersion: "0.9.2",
    driver: "secret",
    legacy: [
      deployment("storefront", "shop"),
      service("storefront", "shop"),
      doc("ingress.yaml", "networking.k8s.io/v1beta1", "Ingress", "storefront", "shop"),
    ],
    fixed: {
      chartVersion: "1.0.0",
      docs: [
        deployment("storefront", "shop"),
        service("storefront", "shop"),
        doc("ingress.yaml", "networking.k8s.io/v1", "Ingress", "storefront", "shop"),
      ],
    },
  },
  {
    namespace: "shop",
    name: "web",
    chart: "web",
    chartVersion: "2.3.1",
    driver: "secret",
    legacy: [
      deployment("web", "shop"),
      service("web", "shop"),
      doc("hpa.yaml", "autoscaling/v2beta2", "HorizontalPodAutoscaler", "web", "shop"),
    ],
    fixed: {
      chartVersion: "2.4.0",
      docs: [
        deployment("web", "shop"),
        service("web", "shop"),
        doc("hpa.yaml", "autoscaling/v2", "HorizontalPodAutoscaler", "web", "shop"),
      ],
    },
  },
  {
    namespace: "payments",
    name: "legacy-billing",
    chart: "billing",
    chartVersion: "1.4.0",
    driver: "secret",
    legacy: [
      deployment("billing", "payments", "extensions/v1beta1"),
      doc("cronjob.yaml", "batch/v1beta1", "CronJob", "billing-invoices", "payments"),
      doc("pdb.yaml", "policy/v1beta1", "PodDisruptionBudget", "billing", "payments"),
    ],
    fixed: undefined,
  },
  {
    namespace: "payments",
    name: "api",
    chart: "payments-api",
    chartVersion: "3.0.0",
    driver: "secret",
    legacy: [
      deployment("api", "payments"),
      service("api", "payments"),
      doc("pdb.yaml", "policy/v1", "PodDisruptionBudget", "api", "payments"),
    ],
    fixed: undefined,
  },
  {
    namespace: "monitoring",
    name: "kube-prometheus-stack",
    chart: "kube-prometheus-stack",
    chartVersion: "45.7.1",
    driver: "secret",
    legacy: [
      doc("psp.yaml", "policy/v1beta1", "PodSecurityPolicy", "prometheus", ""),
      doc("flowschema.yaml", "flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "prom", ""),
      doc("servicemonitor.yaml", "monitoring.coreos.com/v1", "ServiceMonitor", "api", "monitoring"),
    ],
    fixed: {
      chartVersion: "66.2.1",
      docs: [
        doc("flowschema.yaml", "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "prom", ""),
        doc(
          "servicemonitor.yaml",
          "monitoring.coreos.com/v1",
          "ServiceMonitor",
          "api",
          "monitoring",
        ),
      ],
    },
  },
  {
    namespace: "monitoring",
    name: "policy-agent",
    chart: "policy-agent",
    chartVersion: "3.14.0",
    driver: "configmap",
    legacy: [
      doc(
        "vap.yaml",
        "admissionregistration.k8s.io/v1alpha1",
        "ValidatingAdmissionPolicy",
        "labels",
        "",
      ),
    ],
    fixed: {
      chartVersion: "3.18.0",
      docs: [
        doc(
          "vap.yaml",
          "admissionregistration.k8s.io/v1",
          "ValidatingAdmissionPolicy",
          "labels",
          "",
        ),
      ],
    },
  },
  {
    namespace: "kube-system",
    name: "gpu-dra-driver",
    chart: "gpu-dra-driver",
    chartVersion: "0.3.0",
    driver: "secret",
    legacy: [doc("deviceclass.yaml", "resource.k8s.io/v1alpha3", "DeviceClass", "gpu", "")],
    fixed: {
      chartVersion: "0.5.0",
      docs: [doc("deviceclass.yaml", "resource.k8s.io/v1", "DeviceClass", "gpu", "")],
    },
  },
];

/** `helm template`-like text: `---`, `# Source: chart/templates/x.yaml`, the object. */
export function renderManifest(chart: string, docs: readonly Doc[]): string {
  return docs.map((d) => `---\n# Source: ${chart}/templates/${d.template}\n${d.yaml}`).join("");
}

/** What one {@link DemoHelm.step} did. */
export interface HelmStep {
  readonly namespace: string;
  readonly release: string;
  /** `fixed`: upgraded to the chart with fixed APIs; `rolled-back`: back to the old chart. */
  readonly action: "fixed" | "rolled-back";
  readonly chartVersion: string;
}

/** The catalogue installed in a simulated cluster, and its fix/rollback cycle. */
export class DemoHelm {
  readonly #cluster: SimulatedCluster;
  readonly #releases: readonly DemoRelease[];
  readonly #fixed = new Set<string>();
  #next = 0;

  constructor(cluster: SimulatedCluster, releases: readonly DemoRelease[] = DEMO_RELEASES) {
    this.#cluster = cluster;
    this.#releases = releases;
  }

  /** How many releases the catalogue has. */
  get releases(): number {
    return this.#releases.length;
  }

  /** Installs every release (revision 1, then a second revision of the same chart). */
  install(): void {
    for (const r of this.#releases) {
      const manifest = renderManifest(r.chart, r.legacy);
      this.#cluster.helm.install({
        namespace: r.namespace,
        name: r.name,
        chart: r.chart,
        chartVersion: r.chartVersion,
        manifest,
        driver: r.driver,
      });
      this.#cluster.helm.upgrade(r.namespace, r.name, { chartVersion: r.chartVersion, manifest });
    }
  }

  /**
   * Upgrades the next fixable release (round robin) to its fixed chart, or rolls it back to its
   * old chart when it was fixed: a new revision either way, as `helm upgrade`/`rollback` write.
   * Returns undefined when no release is fixable.
   */
  step(): HelmStep | undefined {
    const fixable = this.#releases.filter((r) => r.fixed !== undefined);
    const r = fixable[this.#next++ % Math.max(1, fixable.length)];
    if (r?.fixed === undefined) return undefined;
    const key = `${r.namespace}/${r.name}`;
    const fixing = !this.#fixed.has(key);
    const chartVersion = fixing ? r.fixed.chartVersion : r.chartVersion;
    const docs = fixing ? r.fixed.docs : r.legacy;
    this.#cluster.helm.upgrade(r.namespace, r.name, {
      chartVersion,
      manifest: renderManifest(r.chart, docs),
    });
    if (fixing) this.#fixed.add(key);
    else this.#fixed.delete(key);
    return {
      namespace: r.namespace,
      release: r.name,
      action: fixing ? "fixed" : "rolled-back",
      chartVersion,
    };
  }
}
