/**
 * Child process of the scan-pool test: scans with a pool and never closes it. The process must
 * still exit by itself (idle workers do not keep it alive); it prints the result count.
 */
import { ScanPool } from "../../../src/helm/decode/index.ts";
import { encodePayload, releaseJson } from "./payload-builder.ts";

const pool = new ScanPool({ maxThreads: 2, idleTimeoutMs: 60_000 });
const value = encodePayload(releaseJson("idle", "apiVersion: v1\nkind: Service\n"), "secret");
const results = await Promise.all([1, 2, 3].map(() => pool.scan({ value, driver: "secret" })));
process.stdout.write(`${results.filter((r) => r.objects.length === 1).length}\n`);
