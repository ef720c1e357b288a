/**
 * `kube-lookout/sim`: a simulated Kubernetes API server for tests, demos and benchmarks.
 * See docs/simulator.md.
 */
export { startSimulatedCluster } from "./cluster.ts";
export type {
  FailRequestsOptions,
  SimulatedCluster,
  SimulatedClusterOptions,
} from "./cluster-api.ts";
export { SimError, SimErrorCode } from "./errors.ts";
export type { SimVerb } from "./faults.ts";
export type { ChurnOptions } from "./load.ts";
export { mulberry32 } from "./prng.ts";
export type { RequestRecord } from "./http-server.ts";
