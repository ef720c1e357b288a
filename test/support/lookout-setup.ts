/**
 * What the composition root's tests set up around a kube-lookout: a simulated cluster, a client
 * on it, a state file in a temp dir, optionally a real nats-server, and the event options that
 * publish to it; each cleaned up by `t.after`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../../src/kube/index.ts";
import type { LookoutOptions } from "../../src/lookout.ts";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/sim/index.ts";
import { openStore, type LookoutStore } from "../../src/store/index.ts";
import { STREAM } from "../events/pipeline-support.ts";
import { startNatsServer, type NatsServerProcess } from "./nats-server.ts";

/** The pieces around one (or more) kube-lookouts under test. */
export interface LookoutSetup {
  readonly sim: SimulatedCluster;
  readonly client: KubeClient;
  readonly dir: string;
  /** A state file `<name>.db` in `dir`, closed after the test. */
  readonly store: (name?: string) => LookoutStore;
}

type After = { after(fn: () => unknown): void };

/** A simulator, a client on it and a temp dir, all closed or removed after the test. */
export async function lookoutSetup(t: After): Promise<LookoutSetup> {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const dir = await mkdtemp(join(tmpdir(), "kl-lookout-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  return {
    sim,
    client,
    dir,
    store: (name = "state") => {
      const store = openStore({ path: join(dir, `${name}.db`) });
      t.after(() => store.close());
      return store;
    },
  };
}

/** A real nats-server for the test, and event options that publish to its test stream. */
export async function natsForEvents(
  t: After,
): Promise<{ nats: NatsServerProcess; events: NonNullable<LookoutOptions["events"]> }> {
  const nats = await startNatsServer(t);
  return {
    nats,
    events: {
      nats: { servers: [nats.url], retryInitialMs: 100, retryMaxMs: 500 },
      prefix: "kl",
      stream: {
        name: STREAM,
        maxAgeMs: 3_600_000,
        maxBytes: 1024 ** 3,
        duplicateWindowMs: 600_000,
      },
      batchDelayMs: 10,
    },
  };
}

/** Polls `check` every 20 ms until it holds; throws naming `what` after `ms`. */
export async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(20);
  }
}
