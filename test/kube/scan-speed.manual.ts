/**
 * Manual micro-benchmark (not a test): `npx node --expose-gc test/kube/scan-speed.manual.ts`
 *
 * 1. Decode speed: 100k realistic pod watch lines (~2.6 KiB each, managedFields included),
 *    fed as 64 KiB chunks: split + toString + JSON.parse per line (the limit) versus
 *    split + decodeWatchLine (targeted scan + managedFields strip, no JSON.parse).
 * 2. Heap retained by 50k RawObjects versus 50k JSON.parsed pods (heapUsed + arrayBuffers
 *    after a full GC).
 * 3. List pages: 500-item body, parseListBody versus JSON.parse, plain and gzip-inflated, and
 *    the same page through KubeClient over loopback HTTP with gzip off and on.
 * The last line is one JSON object with the figures.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import { gunzipSync, gzipSync } from "node:zlib";
import { KubeClient } from "../../src/kube/index.ts";
import { parseListBody } from "../../src/kube/list-body.ts";
import { decodeWatchLine } from "../../src/kube/watch-event.ts";
import { WatchLineSplitter } from "../../src/kube/watch-lines.ts";
import type { RawObject, WatchEvent } from "../../src/kube/index.ts";
import { makePod, podWatchLine } from "./pod-fixture.ts";

const gc = globalThis.gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const LINES = 100_000;
const KEEP = 50_000;
const CHUNK = 64 * 1024;
const ROUNDS = 5;

const stream = Buffer.from(
  Array.from({ length: LINES }, (_, i) => podWatchLine(i)).join(""),
  "utf8",
);
process.stderr.write(`stream: ${LINES} lines, ${(stream.length / 1048576).toFixed(1)} MiB\n`);

function chunksOf(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  // Fresh copies: decodeWatchLine may rewrite bytes in place.
  for (let i = 0; i < buf.length; i += CHUNK) out.push(Buffer.from(buf.subarray(i, i + CHUNK)));
  return out;
}

function runParse(chunks: Buffer[]): number {
  const splitter = new WatchLineSplitter();
  const lines: Buffer[] = [];
  let n = 0;
  for (const chunk of chunks) {
    splitter.push(chunk, lines);
    for (const line of lines) {
      const ev: { object: { metadata: { name: string } } } = JSON.parse(line.toString("utf8"));
      n += ev.object.metadata.name.length > 0 ? 1 : 0;
    }
    lines.length = 0;
  }
  return n;
}

function runScan(chunks: Buffer[]): number {
  const splitter = new WatchLineSplitter();
  const lines: Buffer[] = [];
  let n = 0;
  for (const chunk of chunks) {
    splitter.push(chunk, lines);
    for (const line of lines) {
      const ev: WatchEvent = decodeWatchLine(line, true);
      if (ev.type === "MODIFIED" && ev.object.name.length > 0) n++;
    }
    lines.length = 0;
  }
  return n;
}

function timeIt(name: string, fn: (chunks: Buffer[]) => number): number {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const chunks = chunksOf(stream);
    gc!();
    const t0 = performance.now();
    const n = fn(chunks);
    const ms = performance.now() - t0;
    if (n !== LINES) throw new Error(`${name}: decoded ${n} of ${LINES}`);
    rates.push(LINES / (ms / 1000));
  }
  rates.sort((a, b) => b - a);
  const best = Math.round(rates[0]!);
  const median = Math.round(rates[Math.floor(ROUNDS / 2)]!);
  process.stderr.write(`${name}: best ${best} lines/s, median ${median} lines/s\n`);
  return median;
}

const parseRate = timeIt("split+JSON.parse", runParse);
const scanRate = timeIt("split+decodeWatchLine", runScan);

function memory(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function heapPerObject(build: (i: number) => unknown): number {
  const keep: unknown[] = Array.from({ length: KEEP });
  const before = memory();
  for (let i = 0; i < KEEP; i++) keep[i] = build(i);
  const after = memory();
  if (keep.length !== KEEP) throw new Error("lost objects");
  return Math.round((after - before) / KEEP);
}

const lineTexts = Array.from({ length: KEEP }, (_, i) => podWatchLine(i));
const parsedPerObject = heapPerObject((i) => {
  const ev: { object: unknown } = JSON.parse(lineTexts[i]!);
  return ev.object;
});
const rawPerObject = heapPerObject((i) => {
  const ev = decodeWatchLine(Buffer.from(lineTexts[i]!.trimEnd(), "utf8"), true);
  if (ev.type !== "MODIFIED") throw new Error("unexpected event");
  return ev.object satisfies RawObject;
});
process.stderr.write(
  `heap per object: JSON.parse ${parsedPerObject} B, RawObject ${rawPerObject} B (${(rawPerObject / parsedPerObject).toFixed(2)}x)\n`,
);

// List pages of 500 pods.
const listBody = Buffer.from(
  JSON.stringify({
    kind: "PodList",
    apiVersion: "v1",
    metadata: { resourceVersion: "123", continue: "abc", remainingItemCount: 9500 },
    items: Array.from({ length: 500 }, (_, i) => makePod(i)),
  }),
);
const gz = gzipSync(listBody);
function listRate(name: string, fn: () => number): number {
  const t0 = performance.now();
  let pages = 0;
  while (performance.now() - t0 < 2000) {
    if (fn() !== 500) throw new Error(`${name}: wrong item count`);
    pages++;
  }
  const perSec = pages / ((performance.now() - t0) / 1000);
  process.stderr.write(`${name}: ${perSec.toFixed(1)} pages/s\n`);
  return perSec;
}
const listParse = listRate("list JSON.parse", () => {
  const v: { items: unknown[] } = JSON.parse(listBody.toString("utf8"));
  return v.items.length;
});
const listScan = listRate(
  "list parseListBody",
  () => parseListBody(Buffer.from(listBody), true).items.length,
);
const listGunzipScan = listRate(
  "list gunzip+parseListBody",
  () => parseListBody(gunzipSync(gz), true).items.length,
);
process.stderr.write(
  `list body ${listBody.length} B, gzip ${gz.length} B (${(gz.length / listBody.length).toFixed(2)})\n`,
);

// The same page over loopback HTTP through KubeClient, plain versus gzip (body compressed once,
// up front: this measures the client's side only, not the server's compression).
let compressPerRequest = false;
const server = createServer((req, res) => {
  res.setHeader("Content-Type", "application/json");
  if (req.headers["accept-encoding"] === "gzip") {
    res.setHeader("Content-Encoding", "gzip");
    // Like the apiserver (gzip level 1, per response) or pre-compressed (client cost only).
    res.end(compressPerRequest ? gzipSync(listBody, { level: 1 }) : gz);
  } else res.end(listBody);
});
server.listen(0, "127.0.0.1");
await once(server, "listening");
const address = server.address();
if (address === null || typeof address === "string") throw new Error("no port");
const { port } = address;
async function httpMsPerPage(gzip: boolean): Promise<number> {
  const client = new KubeClient({ server: `http://127.0.0.1:${port}`, gzip });
  const pods = { group: "", version: "v1", resource: "pods" };
  const t0 = performance.now();
  let pages = 0;
  while (performance.now() - t0 < 3000) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential requests, timed
    if ((await client.list(pods, {})).items.length !== 500) throw new Error("wrong item count");
    pages++;
  }
  client.close();
  return (performance.now() - t0) / pages;
}
const httpPlain: number[] = [];
const httpGzip: number[] = [];
const httpGzipLive: number[] = [];
for (let r = 0; r < 2; r++) {
  compressPerRequest = true;
  // oxlint-disable-next-line eslint/no-await-in-loop -- sequential runs, timed
  httpGzipLive.push(await httpMsPerPage(true));
  compressPerRequest = false;
  // oxlint-disable-next-line eslint/no-await-in-loop -- sequential runs, timed
  httpPlain.push(await httpMsPerPage(false));
  // oxlint-disable-next-line eslint/no-await-in-loop -- sequential runs, timed
  httpGzip.push(await httpMsPerPage(true));
}
server.close();
const httpPlainMs = Math.min(...httpPlain);
const httpGzipMs = Math.min(...httpGzip);
const httpGzipLiveMs = Math.min(...httpGzipLive);
process.stderr.write(
  `list over loopback HTTP: plain ${httpPlainMs.toFixed(2)} ms/page, gzip pre-compressed ${httpGzipMs.toFixed(2)} ms/page, gzip level 1 per request ${httpGzipLiveMs.toFixed(2)} ms/page\n`,
);

console.log(
  JSON.stringify({
    linesPerSecJsonParse: parseRate,
    linesPerSecScan: scanRate,
    scanVsParse: Number((scanRate / parseRate).toFixed(2)),
    heapBytesPerObjectParsed: parsedPerObject,
    heapBytesPerObjectRaw: rawPerObject,
    heapRatio: Number((rawPerObject / parsedPerObject).toFixed(2)),
    listPagesPerSecJsonParse: Number(listParse.toFixed(1)),
    listPagesPerSecScan: Number(listScan.toFixed(1)),
    listPagesPerSecGunzipScan: Number(listGunzipScan.toFixed(1)),
    listBodyBytes: listBody.length,
    listGzipBytes: gz.length,
    listHttpMsPerPagePlain: Number(httpPlainMs.toFixed(2)),
    listHttpMsPerPageGzip: Number(httpGzipMs.toFixed(2)),
    listHttpMsPerPageGzipLive: Number(httpGzipLiveMs.toFixed(2)),
  }),
);
