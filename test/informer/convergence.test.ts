/**
 * Randomized convergence: for many seeds, churn against the simulator with a random fault
 * schedule (watch closes, mid-line closes, compactions, stalls, 429s, dropped events followed
 * by a forced relist), then wait until quiet and compare the informer's store with the
 * simulator's state: same keys, same resourceVersions.
 *
 * Replay one seed: INFORMER_SEED=<seed>. Number of seeds: INFORMER_SEEDS (default 30).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { countingTimers } from "./counting-timers.ts";
import { Informer } from "../../src/informer/index.ts";
import { KubeClient } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { PODS, converge, delay } from "./sim-harness.ts";
import { mulberry32 as seededRandom } from "../../src/sim/index.ts";

after(async () => {
  await assertNoActiveHandles();
});

const FAULTS = ["close", "midLine", "compact", "stall", "throttle", "drop"] as const;
type Fault = (typeof FAULTS)[number];

async function runSeed(seed: number): Promise<Fault[]> {
  const random = seededRandom(seed);
  const cluster = await startSimulatedCluster({
    host: "127.0.0.1",
    port: 0,
    bookmarkIntervalMs: 100 + Math.floor(random() * 400),
  });
  const client = new KubeClient({ server: cluster.url });
  const timers = countingTimers();
  const informer = new Informer({
    client,
    resource: PODS,
    watchList: random() < 0.5 ? "auto" : "off",
    pageSize: 10 + Math.floor(random() * 50),
    stallTimeoutMs: 250,
    backoff: { initialMs: 10, maxMs: 100 },
    random: seededRandom(seed ^ 0x5eed),
    timers,
  });
  const faults: Fault[] = [];
  try {
    cluster.load.seed(PODS, 20 + Math.floor(random() * 60));
    void informer.start();
    await informer.waitForSync(AbortSignal.timeout(20_000));
    const churn = cluster.load.churn({
      resource: PODS,
      count: 100 + Math.floor(random() * 150),
      ratePerSec: 2000,
      seed,
      namespaces: ["a", "b", "c"],
    });
    const n = 2 + Math.floor(random() * 5);
    let dropped = false;
    for (let i = 0; i < n; i++) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- faults are spaced in time on purpose
      await delay(Math.floor(random() * 40));
      const fault = FAULTS[Math.floor(random() * FAULTS.length)]!;
      faults.push(fault);
      switch (fault) {
        case "close":
          cluster.faults.closeWatches({ resource: PODS });
          break;
        case "midLine":
          cluster.faults.closeWatches({ resource: PODS, midLine: true });
          break;
        case "compact":
          cluster.faults.compact();
          cluster.faults.closeWatches({ resource: PODS });
          break;
        case "stall":
          cluster.faults.stallWatches({ resource: PODS });
          break;
        case "throttle":
          cluster.faults.failRequests({
            status: 429,
            retryAfterSeconds: random() < 0.5 ? 0 : 1,
            count: 1 + Math.floor(random() * 2),
            verb: random() < 0.5 ? "list" : "watch",
            resource: PODS,
          });
          cluster.faults.closeWatches({ resource: PODS });
          break;
        case "drop":
          cluster.faults.dropEvents({ count: 1 + Math.floor(random() * 5), resource: PODS });
          dropped = true;
          break;
      }
    }
    await churn;
    if (dropped) {
      // Missed events are healed only by a relist: force one (RV moves, history is forgotten,
      // the watch is cut, so re-watching from the informer's RV answers 410).
      await delay(50);
      cluster.create("configmaps", { metadata: { name: `bump-${seed}`, namespace: "default" } });
      cluster.faults.compact();
      cluster.faults.closeWatches({ resource: PODS });
    }
    await converge(cluster, informer, 15_000);
    await informer.close();
    // Unref'd timers are invisible to getActiveResourcesInfo(): count them instead.
    assert.equal(timers.live, 0, "informer timers left after close()");
    return faults;
  } catch (err) {
    throw new Error(
      `convergence failed for seed ${seed} (faults ${faults.join(",")}); replay with INFORMER_SEED=${seed}`,
      { cause: err },
    );
  } finally {
    await informer.close();
    client.close();
    await cluster.close();
  }
}

const replay = process.env.INFORMER_SEED;
const count = Number(process.env.INFORMER_SEEDS ?? 30);
const base = Number(process.env.INFORMER_SEED_BASE ?? Date.now() % 1_000_000);
const seeds =
  replay === undefined ? Array.from({ length: count }, (_, i) => base + i) : [Number(replay)];

void test(`store converges to the simulator's state under random faults (${seeds.length} seeds from ${seeds[0]})`, async (t) => {
  for (const seed of seeds) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one cluster at a time keeps timing honest
    const faults = await runSeed(seed);
    t.diagnostic(`seed ${seed}: ${faults.join(",")}`);
  }
});
