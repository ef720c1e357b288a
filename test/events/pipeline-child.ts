/**
 * A sidecar in its own process for the SIGKILL test: runs the event pipeline on ConfigMaps and
 * Secrets and says `ready` over IPC once synced. Arguments: simulator URL, NATS URL, db path.
 */
import { startPipeline } from "./pipeline-support.ts";

const [simUrl, natsUrl, dbPath] = process.argv.slice(2);
if (simUrl === undefined || natsUrl === undefined || dbPath === undefined) {
  throw new Error("usage: pipeline-child.ts SIM_URL NATS_URL DB_PATH");
}
const running = await startPipeline({ simUrl, natsUrl, dbPath });
process.send?.({ type: "ready" });
process.on("message", (message: { type: string }) => {
  if (message.type === "stop") void running.close().then(() => process.disconnect());
});
