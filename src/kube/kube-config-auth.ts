/**
 * Per-request authentication and TLS options from a client-node `KubeConfig`. client-node's
 * `applyToHTTPSOptions` does the work (tokens, basic auth, client certificates, exec and OIDC
 * providers with their refresh, impersonation) but skips the cluster's TLS settings when the
 * context has no user; this fills them in from the cluster in that case.
 */
import type { AgentOptions } from "node:https";
import type { RequestOptions } from "node:http";
import { bufferFromFileOrString, type KubeConfig } from "@kubernetes/client-node";
import { KubeConfigError } from "./errors.ts";

/** A `KubeClientOptions.authenticate` function for the current context of `kc`. */
export function kubeConfigAuthenticator(
  kc: KubeConfig,
): (options: RequestOptions & AgentOptions) => Promise<void> {
  return async (options) => {
    await kc.applyToHTTPSOptions(options);
    const cluster = kc.getCurrentCluster();
    if (cluster === null) return;
    if (options.ca === undefined) {
      const ca = bufferFromFileOrString(cluster.caFile, cluster.caData);
      if (ca !== null) options.ca = ca;
    }
    if (options.rejectUnauthorized === undefined && cluster.skipTLSVerify) {
      options.rejectUnauthorized = false;
    }
    if (options.servername === undefined && cluster.tlsServerName !== undefined) {
      options.servername = cluster.tlsServerName;
    }
  };
}

/** The current context's cluster, checked for what KubeClient supports. */
export function usableCluster(kc: KubeConfig): { name: string; server: string } {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new KubeConfigError(
      `kubeconfig has no current cluster (current context ${JSON.stringify(kc.getCurrentContext())})`,
    );
  }
  if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== "") {
    throw new KubeConfigError(
      `cluster ${JSON.stringify(cluster.name)} uses proxy-url, which KubeClient does not support`,
    );
  }
  if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify) {
    throw new KubeConfigError(
      `cluster ${JSON.stringify(cluster.name)} uses plain http without insecure-skip-tls-verify`,
    );
  }
  return cluster;
}
