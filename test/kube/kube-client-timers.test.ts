import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient, type KubeClientTimers } from "../../src/kube/index.ts";
import { POD_RESOURCE, assertNoActiveHandles, socketClosed, startServer } from "./http-server.ts";
import { podWatchLine } from "./pod-fixture.ts";

after(assertNoActiveHandles);

// If the client ignored the injected timers, nothing would ever fire: the guard fails the test.
const GUARD = { timeout: 10_000 };
// Far longer than any test: only the injected timers can end these requests.
const STALL_MS = 3_600_000;

/** Timers that only run when the test fires them. */
class ManualTimers implements KubeClientTimers {
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  set = 0;
  #next = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    this.set++;
    const id = this.#next++;
    this.pending.set(id, { callback, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === "number") this.pending.delete(handle);
  }

  /** Fires the one pending timer. */
  fire(): void {
    assert.equal(this.pending.size, 1, "exactly one stall timer is pending");
    const [id, timer] = [...this.pending][0]!;
    this.pending.delete(id);
    assert.equal(timer.ms, STALL_MS);
    timer.callback();
  }
}

async function until(check: () => boolean): Promise<void> {
  // oxlint-disable-next-line eslint/no-await-in-loop -- polling, by design
  while (!check()) await sleep(5);
}

void test(
  "list stall timers come from the injected timers and are all cleared",
  GUARD,
  async (t) => {
    let closed: Promise<unknown> | undefined;
    const server = await startServer(t, (_req, res) => {
      closed = socketClosed(res);
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": 1000 });
      res.write('{"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[');
    });
    const timers = new ManualTimers();
    let bytes = 0;
    const client = new KubeClient({
      server: server.url,
      timers,
      hooks: { onBytes: (n) => (bytes += n) },
    });
    t.after(() => client.close());
    const listing = client.list(POD_RESOURCE, { stallTimeoutMs: STALL_MS });
    await until(() => bytes > 0);
    await sleep(20);
    assert.ok(timers.set >= 2, "the clock restarted when the body started");
    timers.fire();
    await assert.rejects(listing, { code: "LOOKOUT_WATCH_STALLED", stallTimeoutMs: STALL_MS });
    assert.equal(timers.pending.size, 0, "no timer left behind");
    await closed;
  },
);

void test(
  "watch stall timers come from the injected timers; a finished list leaves none",
  GUARD,
  async (t) => {
    let closed: Promise<unknown> | undefined;
    const server = await startServer(t, (req, res) => {
      if (req.url?.includes("watch=") !== true) {
        res.end('{"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[]}');
        return;
      }
      closed = socketClosed(res);
      res.write(podWatchLine(1, "ADDED"));
    });
    const timers = new ManualTimers();
    const client = new KubeClient({ server: server.url, timers });
    t.after(() => client.close());
    await client.list(POD_RESOURCE, { stallTimeoutMs: STALL_MS });
    assert.ok(timers.set >= 1);
    assert.equal(timers.pending.size, 0, "a completed list clears its timer");
    const events: string[] = [];
    await assert.rejects(
      async () => {
        for await (const ev of client.watch(POD_RESOURCE, { stallTimeoutMs: STALL_MS })) {
          events.push(ev.type);
          // The stream is waiting for the server again once the loop asks for more.
          setTimeout(() => timers.fire(), 20);
        }
      },
      { code: "LOOKOUT_WATCH_STALLED" },
    );
    assert.deepEqual(events, ["ADDED"]);
    assert.equal(timers.pending.size, 0);
    await closed;
  },
);
