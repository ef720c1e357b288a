/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-go semantics), so that several
 * replicas of the sidecar run, and one of them does what must be done once.
 */
export { LEASES, LeaderElector } from "./elector.ts";
export type { LeaderElectorOptions, LeaseClient, LeaseRequestOptions } from "./elector.ts";
export { InvalidLeaderOptionError } from "./errors.ts";
