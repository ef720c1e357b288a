/**
 * `npm run bench -- scrape [--series 5000] [--seconds 3] [--rounds 3]`
 *
 * How fast `/metrics` answers with ~5,000 series in the product's mix (bench/lib/scrape-series.ts:
 * a Helm-findings-like gauge with 13 labels, counters, histograms with 10 buckets):
 * - ours: createTelemetry's MeterProvider (findings from a MetricProducer, as the Helm checker
 *   does; counter and histogram through the API) and `handleMetrics` on a node:http server;
 * - promClient: prom-client's Registry holding the same series, on a node:http server;
 * - limit: the same points serialized with a plain loop (no collection, no HTTP).
 * Ours and promClient each serve from their own child process (bench/lib/scrape-server.ts) and
 * are scraped from this one with sequential HTTP GETs on loopback (keep-alive); each
 * contender runs `rounds` times for `seconds` (interleaved), the median rate counts. The worst
 * event-loop delay during ours' scrapes is `eventLoopBlockMs`. Last line: one JSON object.
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { Agent, get } from "node:http";
import { parseArgs } from "node:util";
import { ratio } from "./lib/measure.ts";
import { serializeLimit } from "./lib/scrape-limit.ts";
import { buildSeries } from "./lib/scrape-series.ts";

const { values } = parseArgs({
  options: {
    series: { type: "string", default: "5000" },
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
  },
});
const SERIES = Number(values.series);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
for (const [name, v] of [
  ["series", SERIES],
  ["seconds", SECONDS],
  ["rounds", ROUNDS],
] as const)
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
const log = (text: string): void => void process.stderr.write(`${text}\n`);

type Message = { type: string; url?: string; ms?: number };

/** A contender's server in its own process (bench/lib/scrape-server.ts). */
async function startServer(which: "ours" | "promClient"): Promise<{
  url: string;
  blockSinceWatch(start: boolean): Promise<number>;
  child: ChildProcess;
}> {
  const child = fork(new URL("lib/scrape-server.ts", import.meta.url), [which, String(SERIES)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (type: string): Promise<Message> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Message): void => {
        if (m.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m);
      };
      const onExit = (code: number | null): void => reject(new Error(`${which} exited (${code})`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = await next("ready");
  return {
    url: ready.url ?? "",
    child,
    async blockSinceWatch(start) {
      if (start) {
        child.send({ type: "watch" });
        return 0;
      }
      const answer = next("block");
      child.send({ type: "stop" });
      return (await answer).ms ?? 0;
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET; resolves with the body's byte count (status must be 200). */
function scrapeOnce(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** Runs `once` back to back for SECONDS; resolves with runs per second. */
async function rateOf(once: () => unknown): Promise<number> {
  // oxlint-disable-next-line eslint/no-await-in-loop -- warm-up, one after another
  for (let i = 0; i < 5; i++) await once();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < SECONDS * 1000) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one scrape after another, as Prometheus does
    await once();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const series = buildSeries(SERIES);
log(
  `${series.samples} samples: ${series.gauge.points.length} gauge, ${series.counter.points.length} counter, ${series.histogram.points.length} histograms x 13`,
);
const ours = await startServer("ours");
const peer = await startServer("promClient");
const bytes = {
  ours: await scrapeOnce(ours.url),
  promClient: await scrapeOnce(peer.url),
  limit: Buffer.byteLength(serializeLimit(series)),
};
log(`body bytes: ${JSON.stringify(bytes)}`);
const within = (a: number, b: number): boolean => Math.abs(a - b) / b < 0.05;
assert.ok(
  within(bytes.ours, bytes.promClient) && within(bytes.limit, bytes.ours),
  "bodies differ by more than 5%",
);

const rates = { ours: [] as number[], promClient: [] as number[], limit: [] as number[] };
let block = 0;
for (let r = 0; r < ROUNDS; r++) {
  // oxlint-disable-next-line eslint/no-await-in-loop -- rounds run one after another
  await ours.blockSinceWatch(true);
  // oxlint-disable-next-line eslint/no-await-in-loop -- rounds run one after another
  rates.ours.push(await rateOf(() => scrapeOnce(ours.url)));
  // oxlint-disable-next-line eslint/no-await-in-loop -- rounds run one after another
  const roundBlock = await ours.blockSinceWatch(false);
  log(`round ${r + 1}: worst event-loop delay during ours ${roundBlock} ms`);
  block = Math.max(block, roundBlock);
  // oxlint-disable-next-line eslint/no-await-in-loop -- rounds run one after another
  rates.promClient.push(await rateOf(() => scrapeOnce(peer.url)));
  // oxlint-disable-next-line eslint/no-await-in-loop -- rounds run one after another
  rates.limit.push(await rateOf(() => serializeLimit(series)));
  log(
    `round ${r + 1}: ours ${rates.ours.at(-1)?.toFixed(1)}/s, promClient ${rates.promClient.at(-1)?.toFixed(1)}/s, limit ${rates.limit.at(-1)?.toFixed(1)}/s`,
  );
}
agent.destroy();
ours.child.disconnect();
peer.child.disconnect();

const result = {
  series: series.samples,
  bodyBytes: bytes.ours,
  ours: Math.round(median(rates.ours) * 10) / 10,
  promClient: Math.round(median(rates.promClient) * 10) / 10,
  limit: Math.round(median(rates.limit) * 10) / 10,
  eventLoopBlockMs: block,
  ratios: {
    vsPromClient: ratio(median(rates.ours), median(rates.promClient)),
    vsLimit: ratio(median(rates.ours), median(rates.limit)),
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
