/** A free loopback port for a server that takes its port as an argument. */
import { createServer } from "node:net";

/** A port free on 127.0.0.1 now (closed again at once, for another process to bind next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address !== "object") throw new Error("no port");
  return address.port;
}
