/**
 * The demo's metrics.k8s.io usages: each running pod's containers use a share of their requests
 * that follows a slow wave (a daily-traffic stand-in, one period per app, shifted per pod) plus
 * noise; memory moves less than CPU. A node uses the sum of its pods plus the system's share.
 */
import type { SimMetrics } from "../sim/index.ts";
import type { DemoPod } from "./demo-objects.ts";

/** Ticks of one wave period. */
const PERIOD = 60;
/** What the kubelet, the container runtime and the OS use on every node. */
const SYSTEM = { cpuMilli: 180, memoryMi: 900 } as const;

function phaseOf(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return (h % 1000) / 1000;
}

/**
 * Sets the usage of every running pod (pending pods are served with zero usage) and of every
 * node for wave step `tick`, after clearing the previous ones (so deleted pods leave no entry
 * behind). `random` adds the noise.
 */
export function applyUsage(
  metrics: SimMetrics,
  pods: readonly DemoPod[],
  nodes: readonly string[],
  tick: number,
  random: () => number,
): void {
  metrics.clear();
  const perNode = new Map<string, { cpu: number; memory: number }>(
    nodes.map((n) => [n, { cpu: SYSTEM.cpuMilli, memory: SYSTEM.memoryMi }]),
  );
  for (const pod of pods) {
    if (pod.phase !== "Running") continue;
    const wave = Math.sin(2 * Math.PI * (tick / PERIOD + phaseOf(pod.app.name)));
    const usage: Record<string, { cpu: string; memory: string }> = {};
    for (const c of pod.app.containers) {
      const cpu = Math.max(1, Math.round(c.cpuMilli * (0.5 + 0.3 * wave + 0.2 * (random() - 0.5))));
      const memory = Math.max(
        1,
        Math.round(c.memoryMi * (0.65 + 0.05 * wave + 0.04 * (random() - 0.5))),
      );
      usage[c.name] = { cpu: `${cpu}m`, memory: `${memory}Mi` };
      const node = perNode.get(pod.node);
      if (node !== undefined) {
        node.cpu += cpu;
        node.memory += memory;
      }
    }
    metrics.setPodUsage(pod.namespace, pod.name, usage);
  }
  for (const [name, u] of perNode) {
    metrics.setNodeUsage(name, { cpu: `${u.cpu}m`, memory: `${u.memory}Mi` });
  }
}
