/**
 * Typed errors of the `resource-metrics` plugin. Callers match on `code`, never on message text.
 */

/** A text is not a Kubernetes quantity (`250m`, `1.5Gi`, `2e3`), or its value is not finite. */
export class QuantityError extends Error {
  override readonly name = "QuantityError";
  readonly code = "LOOKOUT_RESOURCE_METRICS_BAD_QUANTITY";
  /** The rejected value as given. */
  readonly value: unknown;
  constructor(value: unknown, problem: string) {
    super(
      `invalid quantity ${typeof value === "string" ? JSON.stringify(value) : String(value)}: ${problem}`,
    );
    this.value = value;
  }
}
