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

/** A Prometheus HTTP API query failed: a non-2xx answer, `status: "error"`, or an unreadable body. */
export class PrometheusQueryError extends Error {
  override readonly name = "PrometheusQueryError";
  readonly code = "LOOKOUT_RESOURCE_METRICS_PROMETHEUS";
  /** The PromQL query. */
  readonly query: string;
  /** The HTTP status, or undefined when no answer came (network error, timeout). */
  readonly statusCode: number | undefined;
  /** Prometheus's `errorType` (`bad_data`, `timeout`, …), when it sent one. */
  readonly errorType: string | undefined;
  constructor(
    query: string,
    problem: string,
    details: { statusCode?: number; errorType?: string } = {},
    options?: ErrorOptions,
  ) {
    super(`prometheus query ${JSON.stringify(query)} failed: ${problem}`, options);
    this.query = query;
    this.statusCode = details.statusCode;
    this.errorType = details.errorType;
  }
}
