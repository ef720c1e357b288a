/**
 * The plain path of the tests' HTTP proxies (a proxy that holds or delays some requests in front
 * of the simulator): one request passed on as it came, its answer passed back.
 */
import http from "node:http";

/**
 * Sends `req` (method, path, headers, body) to `upstream` through `agent` and pipes the answer
 * into `res`; a failed upstream request destroys `res`.
 */
export function forwardRequest(
  upstream: URL,
  agent: http.Agent,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const request = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  request.on("error", () => res.destroy());
  req.pipe(request);
}
