/**
 * The watches of the composition root: the watched resources, how they expand to informers
 * (per namespace, namespaces selected by label), and their validation.
 */
export { LookoutInvalidResourcesError } from "./errors.ts";
export { NamespaceSelection } from "./namespace-selection.ts";
export { checkResources, memberKey, memberSpecs } from "./watched-resource.ts";
export type { Member, NamespaceLookup, WatchedResource, WatchUpdate } from "./watched-resource.ts";
