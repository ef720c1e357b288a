/**
 * `npm run bench -- api [--pods 10000] [--selector app=checkout] [--seconds 3] [--rounds 3]`
 *
 * Listing pods with a label selector over loopback HTTP from:
 * - ours: the cache API (bench/lib/api-cache.ts: an informer synced from the simulated API
 *   server, `createCacheApi` on `startApiServer`), in its own process;
 * - oursNoBodyCache: the same with `listCacheBytes: 0` (every answer encoded anew; the selection
 *   is still remembered while the cache's resourceVersion stays the same);
 * - apiServer: the simulated API server itself (bench/lib/api-sim.ts, seeded with `--pods`
 *   realistic pods), in its own process.
 * Both are measured the same way from this process: sequential keep-alive GETs of the same
 * selector, each body read to its end (counted, not kept), for `seconds`, `rounds` times interleaved; the median
 * rate counts (lists/s). The lists must hold the same objects (names and resourceVersions,
 * asserted once). Last line: one JSON object `{ours, apiServer, ratios: {vsApiServer}}`.
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { Agent, get } from "node:http";
import { parseArgs } from "node:util";
import { ratio } from "./lib/measure.ts";

const { values } = parseArgs({
  options: {
    pods: { type: "string", default: "10000" },
    selector: { type: "string", default: "app=checkout" },
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
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

/** Lists per second: sequential GETs of `url` for SECONDS. */
async function rate(url: string): Promise<number> {
  freshAgent();
  const until = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  let n = 0;
  while (performance.now() < until) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential requests, by design
    await drainBody(url);
    n++;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
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
  // Warm both (JIT), then interleaved rounds.
  await rate(oursUrl);
  await rate(plainUrl);
  await rate(theirsUrl);
  const ours: number[] = [];
  const plainRates: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds are sequential
    ours.push(await rate(oursUrl));
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds are sequential
    plainRates.push(await rate(plainUrl));
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds are sequential
    theirs.push(await rate(theirsUrl));
    log(
      `round ${r + 1}: ours ${ours.at(-1)!.toFixed(1)} lists/s, ` +
        `without body cache ${plainRates.at(-1)!.toFixed(1)} lists/s, apiServer ${theirs.at(-1)!.toFixed(1)} lists/s`,
    );
  }
  const result = {
    pods: PODS,
    selector: values.selector,
    selected: ids.length,
    ours: Math.round(median(ours) * 10) / 10,
    oursNoBodyCache: Math.round(median(plainRates) * 10) / 10,
    apiServer: Math.round(median(theirs) * 10) / 10,
    ratios: {
      vsApiServer: ratio(median(ours), median(theirs)),
      noBodyCacheVsApiServer: ratio(median(plainRates), median(theirs)),
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
