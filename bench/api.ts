/**
 * `npm run bench -- api [--pods 10000] [--selector app=checkout] [--seconds 3] [--rounds 5]`
 *
 * Listing pods with a label selector over loopback HTTP from:
 * - ours: the cache API (bench/lib/api-cache.ts: an informer synced from the simulated API
 *   server, `createCacheApi` on `startApiServer`), in its own process;
 * - oursNoBodyCache: the same with `listCacheBytes: 0` (every answer encoded anew; the selection
 *   is still remembered while the cache's resourceVersion stays the same);
 * - apiServer: the simulated API server itself (bench/lib/api-sim.ts, seeded with `--pods`
 *   realistic pods), in its own process.
 * All are measured the same way from this process: sequential keep-alive GETs of the same
 * selector, each body read to its end (counted, not kept), for `seconds`, `rounds` times interleaved; the median
 * rate counts (lists/s). The lists must hold the same objects (names and resourceVersions,
 * asserted once). Each server's CPU time (user + system) per list is reported too
 * (`cpuMsPerList`, median of the rounds): on a busy machine it varies less than the rates.
 * Last line: one JSON object `{ours, apiServer, ratios: {vsApiServer}}` (and more).
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { Agent, get } from "node:http";
import { parseArgs } from "node:util";
import { ratio } from "./lib/measure.ts";
import { median } from "./lib/median.ts";

const { values } = parseArgs({
  options: {
    pods: { type: "string", default: "10000" },
    selector: { type: "string", default: "app=checkout" },
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "5" },
  },
});
const PODS = Number(values.pods);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
for (const [name, v] of [
  ["pods", PODS],
  ["seconds", SECONDS],
  ["rounds", ROUNDS],
] as const)
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
const log = (text: string): void => void process.stderr.write(`${text}\n`);

type Ready = { type: "ready"; url: string; objects?: number };

function start(file: string, args: string[]): { child: ChildProcess; ready: Promise<Ready> } {
  // BENCH_CPU_PROFILE=DIR writes a V8 CPU profile of each server process into DIR.
  const dir = process.env["BENCH_CPU_PROFILE"];
  const execArgv = dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
  const child = fork(new URL(file, import.meta.url), args, {
    execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = new Promise<Ready>((resolve, reject) => {
    child.once("message", (m: Ready) => resolve(m));
    child.once("exit", (code) => reject(new Error(`${file} exited (${code})`)));
  });
  return { child, ready };
}

/**
 * Keep-alive connections, one agent per measuring run: a connection left idle between runs
 * would be closed by the server's keep-alive timeout, racing its reuse ("socket hang up").
 */
let agent = new Agent({ keepAlive: true, maxSockets: 1 });
function freshAgent(): void {
  agent.destroy();
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
}

/** One GET, body read whole; resolves with its bytes. */
function fetchBody(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () =>
        res.statusCode === 200
          ? resolve(Buffer.concat(parts))
          : reject(new Error(`${url}: ${res.statusCode}`)),
      );
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** One GET, body read to its end and counted (not kept); resolves with its length. */
function drainBody(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let n = 0;
      res.on("data", (c: Buffer) => (n += c.length));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(n) : reject(new Error(`${url}: ${res.statusCode}`)),
      );
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** The CPU time (user + system, µs) the server process `child` has used so far. */
function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string; micros?: number }): void => {
      if (m.type !== "cpu") return;
      child.off("message", onMessage);
      resolve(m.micros ?? 0);
    };
    child.on("message", onMessage);
    if (!child.send({ type: "cpu" })) reject(new Error("the server process is gone"));
  });
}

/** Lists per second and server CPU ms per list: sequential GETs of `url` for SECONDS. */
async function measure(url: string, child: ChildProcess): Promise<{ rate: number; cpuMs: number }> {
  const cpu0 = await cpuOf(child);
  let lists = 0;
  const rateValue = await rate(url, () => lists++);
  const cpu1 = await cpuOf(child);
  return { rate: rateValue, cpuMs: (cpu1 - cpu0) / 1000 / Math.max(1, lists) };
}

/** Lists per second: sequential GETs of `url` for SECONDS. */
async function rate(url: string, counted: () => void = () => {}): Promise<number> {
  freshAgent();
  const until = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  let n = 0;
  while (performance.now() < until) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential requests, by design
    await drainBody(url);
    n++;
    counted();
  }
  return (n * 1000) / (performance.now() - t0);
}

function identities(body: Buffer): string[] {
  const list: unknown = JSON.parse(body.toString("utf8"));
  assert.ok(typeof list === "object" && list !== null);
  const items: unknown = Reflect.get(list, "items");
  assert.ok(Array.isArray(items));
  return items.map((i: unknown) => {
    const m: unknown = typeof i === "object" && i !== null ? Reflect.get(i, "metadata") : undefined;
    assert.ok(typeof m === "object" && m !== null);
    return `${String(Reflect.get(m, "namespace"))}/${String(Reflect.get(m, "name"))}@${String(Reflect.get(m, "resourceVersion"))}`;
  });
}

const sim = start("lib/api-sim.ts", [String(PODS)]);
const children: ChildProcess[] = [sim.child];
try {
  const simReady = await sim.ready;
  const cache = start("lib/api-cache.ts", [simReady.url]);
  children.push(cache.child);
  const cacheReady = await cache.ready;
  assert.equal(cacheReady.objects, PODS, "the cache holds every pod");
  const plain = start("lib/api-cache.ts", [simReady.url, "0"]);
  children.push(plain.child);
  const plainReady = await plain.ready;
  assert.equal(plainReady.objects, PODS, "the cache holds every pod");
  const q = `labelSelector=${encodeURIComponent(values.selector)}`;
  const oursUrl = `${cacheReady.url}/api/v1/resources/pods?${q}`;
  const plainUrl = `${plainReady.url}/api/v1/resources/pods?${q}`;
  const theirsUrl = `${simReady.url}/api/v1/pods?${q}`;
  const [ourBody, theirBody] = [await fetchBody(oursUrl), await fetchBody(theirsUrl)];
  const ids = identities(ourBody);
  assert.deepEqual(ids, identities(theirBody), "both list the same objects");
  assert.deepEqual(
    await fetchBody(plainUrl),
    ourBody,
    "with or without the body cache, the same bytes",
  );
  assert.ok(ids.length > 0, "the selector selects something");
  log(
    `api benchmark: ${PODS} pods, selector ${values.selector} selects ${ids.length}; ` +
      `body ours ${ourBody.length} bytes, apiServer ${theirBody.length} bytes (with managedFields)`,
  );
  // Warm all three (JIT), then interleaved rounds.
  await rate(oursUrl);
  await rate(plainUrl);
  await rate(theirsUrl);
  const contenders = [
    { name: "ours", url: oursUrl, child: cache.child, rates: [] as number[], cpu: [] as number[] },
    {
      name: "oursNoBodyCache",
      url: plainUrl,
      child: plain.child,
      rates: [] as number[],
      cpu: [] as number[],
    },
    {
      name: "apiServer",
      url: theirsUrl,
      child: sim.child,
      rates: [] as number[],
      cpu: [] as number[],
    },
  ];
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of contenders) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- rounds and contenders are sequential
      const m = await measure(c.url, c.child);
      c.rates.push(m.rate);
      c.cpu.push(m.cpuMs);
    }
    log(
      `round ${r + 1}: ` +
        contenders
          .map(
            (c) =>
              `${c.name} ${c.rates.at(-1)!.toFixed(1)} lists/s (${c.cpu.at(-1)!.toFixed(2)} CPU ms/list)`,
          )
          .join(", "),
    );
  }
  const summary = (c: (typeof contenders)[number]): { rate: number; cpu: number } => ({
    rate: Math.round(median(c.rates) * 10) / 10,
    cpu: Math.round(median(c.cpu) * 100) / 100,
  });
  const ours = summary(contenders[0]!);
  const plainC = summary(contenders[1]!);
  const theirs = summary(contenders[2]!);
  const result = {
    pods: PODS,
    selector: values.selector,
    selected: ids.length,
    ours: ours.rate,
    oursNoBodyCache: plainC.rate,
    apiServer: theirs.rate,
    cpuMsPerList: { ours: ours.cpu, oursNoBodyCache: plainC.cpu, apiServer: theirs.cpu },
    ratios: {
      vsApiServer: ratio(ours.rate, theirs.rate),
      noBodyCacheVsApiServer: ratio(plainC.rate, theirs.rate),
      cpuVsApiServer: ratio(theirs.cpu, ours.cpu),
    },
    target: { vsApiServer: 5 },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  agent.destroy();
  for (const c of children) {
    c.send({ type: "stop" });
    c.disconnect();
  }
}
