/**
 * The Helm benchmark's API server: a simulated cluster seeded with Helm releases, in its own
 * process and driven over IPC, so that serving costs nothing in the measuring process.
 *
 * argv: releases, revisions per release, objects per manifest, driver, gitVersion.
 * Messages in: {type:"upgrade", namespace, name, manifest}, {type:"stop"}.
 * Messages out: {type:"ready", url, seeded}, {type:"upgraded", revision}.
 */
import { startSimulatedCluster } from "../../src/sim/index.ts";

const [releases, revisions, objects] = process.argv.slice(2, 5).map(Number);
const driver =
  process.argv[5] === "configmap" || process.argv[5] === "both" ? process.argv[5] : "secret";
const gitVersion = process.argv[6] ?? "v1.25.4";

const cluster = await startSimulatedCluster({ gitVersion, bookmarkIntervalMs: 3_600_000 });
const seeded = cluster.helm.seed({
  releases: releases ?? 2000,
  revisionsPerRelease: revisions ?? 5,
  objectsPerManifest: objects ?? 40,
  driver,
  seed: 42,
});

type Message =
  { type: "upgrade"; namespace: string; name: string; manifest: string } | { type: "stop" };

process.on("message", (message: Message) => {
  if (message.type === "upgrade") {
    const release = cluster.helm.upgrade(message.namespace, message.name, {
      manifest: message.manifest,
    });
    process.send?.({ type: "upgraded", revision: release.version });
  } else {
    void cluster.close().then(() => process.disconnect());
  }
});

process.send?.({ type: "ready", url: cluster.url, seeded });
