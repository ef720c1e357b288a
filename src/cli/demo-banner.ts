/**
 * What `kube-lookout demo` prints once the sidecar listens: where to look (the sidecar's URL
 * first), the commands to try, and what runs.
 */
import { relative } from "node:path";
import type { HelmFinding } from "../helm/index.ts";
import { DEMO_PLUGIN_INTERVALS } from "./demo-config.ts";
import type { WorkloadCounts } from "./demo-workload.ts";

/** How NATS is set up for the demo. */
export type DemoNatsState =
  | { readonly kind: "started"; readonly url: string; readonly binary: string }
  | { readonly kind: "external"; readonly url: string }
  | { readonly kind: "none"; readonly url: string; readonly reason: string };

/** What the banner shows. */
export interface BannerInput {
  readonly sidecarUrl: string;
  readonly clusterUrl: string;
  readonly gitVersion: string;
  readonly counts: WorkloadCounts;
  readonly churnRate: number;
  readonly seed: number;
  readonly nats: DemoNatsState;
  readonly dir: string;
  /** How to run this CLI again, e.g. `npx node src/cli/main.ts`. */
  readonly self: string;
}

/**
 * How the user ran this CLI, to print commands they can paste: `npx node src/cli/main.ts` (a
 * checkout, relative to the working directory) or `kube-lookout` (the installed binary).
 */
export function selfCommand(argv1: string | undefined = process.argv[1]): string {
  if (argv1 === undefined || !argv1.endsWith("main.ts")) return "kube-lookout";
  const rel = relative(process.cwd(), argv1);
  return `npx node ${rel.startsWith("..") ? argv1 : rel}`;
}

/** "N findings (R removed, D deprecated)". */
export function describeFindings(findings: readonly HelmFinding[]): string {
  const removed = findings.filter((f) => f.status === "removed").length;
  return `${findings.length} findings (${removed} removed, ${findings.length - removed} deprecated)`;
}

/** The lines printed once the sidecar listens. */
export function demoBanner(b: BannerInput): string {
  const u = b.sidecarUrl;
  const c = b.counts;
  const nats = b.nats;
  const lines = [
    `kube-lookout demo: the sidecar runs on ${u}`,
    "",
    `  sidecar        ${u}`,
    `  metrics        ${u}/metrics`,
    `  cache API      ${u}/api/v1/namespaces/shop/pods`,
    `                 ${u}/api/v1/resources/deployments.apps`,
    `  Helm findings  ${u}/api/v1/helm/findings`,
    `  readiness      ${u}/readyz`,
    "",
    "Try:",
    `  ${b.self} get pods --url ${u} --namespace shop`,
    `  ${b.self} get deployments.apps --url ${u}`,
    nats.kind === "none"
      ? `  (events tail: no NATS server to read from; see "events" below)`
      : `  ${b.self} events tail --nats ${nats.url} --since all`,
    `  kubectl --kubeconfig ${b.dir}/kubeconfig get pods -A   (the simulated cluster itself)`,
    "",
    `cluster: simulated Kubernetes ${b.gitVersion} on ${b.clusterUrl}: ${c.namespaces} namespaces ` +
      `(shop, payments, monitoring), ${c.nodes} nodes, ${c.apps} apps, ${c.pods} pods, ` +
      `${c.helmReleases} Helm releases; ${b.churnRate} changes/s (seed ${b.seed})`,
    eventsLine(nats, b.dir),
    `plugins: stream-delay, watch-verify (every ${DEMO_PLUGIN_INTERVALS.watchVerify} s), ` +
      `resource-metrics (every ${DEMO_PLUGIN_INTERVALS.resourceMetrics} s)`,
    `state: ${b.dir} (config.yaml, kubeconfig, state.db; removed on exit)`,
    "Ctrl-C stops it.",
    "",
  ];
  return lines.join("\n");
}

function eventsLine(nats: DemoNatsState, dir: string): string {
  const where = "JetStream stream KUBE_LOOKOUT, subjects kl.>";
  if (nats.kind === "started") return `events: ${nats.binary} on ${nats.url} (${where})`;
  if (nats.kind === "external") return `events: ${nats.url} (${where})`;
  return (
    `events: ${nats.reason}; the sidecar records every change in its outbox (${dir}/state.db) ` +
    `and keeps retrying ${nats.url}, where nothing listens, so nothing is published`
  );
}
