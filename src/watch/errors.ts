/** A watched-resource list that cannot run (`LOOKOUT_INVALID_RESOURCES`), naming each problem. */
export class LookoutInvalidResourcesError extends Error {
  override readonly name = "LookoutInvalidResourcesError";
  readonly code = "LOOKOUT_INVALID_RESOURCES";
  /** One line per problem, each naming the entry (`resources[2].namespaceSelector: ...`). */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(`invalid watched resources: ${problems.join("; ")}`, options);
    this.problems = problems;
  }
}
