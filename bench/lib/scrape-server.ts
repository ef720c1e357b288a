/**
 * A child process of the scrape benchmark serving one contender's `/metrics` on loopback, so the
 * event loop being measured runs the server only (the scraper is another process, as Prometheus
 * is). argv: `ours|promClient SERIES`. IPC: sends `{type:"ready", url}`; on `{type:"watch"}`
 * starts an event-loop delay monitor, on `{type:"stop"}` answers `{type:"block", ms}` (the worst
 * delay since "watch"); exits on disconnect.
 */
import { once } from "node:events";
import { createServer, type RequestListener, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { watchEventLoop } from "./measure.ts";
import { oursTelemetry } from "./scrape-ours.ts";
import { promClientRegistry } from "./scrape-prom-client.ts";
import { buildSeries } from "./scrape-series.ts";

async function serveRegistry(registry: Registry, res: ServerResponse): Promise<void> {
  try {
    const text = await registry.metrics();
    res.writeHead(200, {
      "content-type": registry.contentType,
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  } catch (err) {
    res.writeHead(500).end(String(err));
  }
}

const [which, count] = process.argv.slice(2);
const series = buildSeries(Number(count));
let handler: RequestListener;
let close = (): Promise<void> => Promise.resolve();
if (which === "ours") {
  const telemetry = oursTelemetry(series);
  handler = (req, res) => telemetry.handleMetrics(req, res);
  close = () => telemetry.shutdown();
} else if (which === "promClient") {
  const registry = promClientRegistry(series);
  handler = (_req, res) => {
    void serveRegistry(registry, res);
  };
} else {
  throw new Error(`unknown contender ${which}`);
}
const server = createServer(handler);
server.keepAliveTimeout = 600_000; // the limit's turn leaves the socket idle for a while
server.listen(0, "127.0.0.1");
await once(server, "listening");
const address = server.address();
if (address === null || typeof address !== "object") throw new Error("no address");
let watch: { stop(): number } | undefined;
process.on("message", (m: { type?: string }) => {
  if (m.type === "watch") watch = watchEventLoop();
  if (m.type === "stop") process.send?.({ type: "block", ms: watch?.stop() ?? 0 });
});
process.once("disconnect", () => {
  server.closeAllConnections();
  server.close();
  void close();
});
process.send?.({ type: "ready", url: `http://127.0.0.1:${address.port}/metrics` });
