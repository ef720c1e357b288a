/**
 * A MetricProducer that answers for a changing set of producers, so a producer can be added after
 * the MeterProvider exists (the Helm checker needs the provider before its producer exists).
 */
import type {
  CollectionResult,
  MetricCollectOptions,
  MetricProducer,
} from "@opentelemetry/sdk-metrics";
import { emptyResource } from "@opentelemetry/resources";

/** The producers registered with the readers. A producer that rejects is reported in `errors`. */
export class ProducerSet implements MetricProducer {
  readonly #producers = new Set<MetricProducer>();

  /** Adds `producer`; the returned function removes it (idempotent). */
  add(producer: MetricProducer): () => void {
    this.#producers.add(producer);
    return () => void this.#producers.delete(producer);
  }

  /** Collects from every producer; resolves with what worked plus the errors. Never rejects. */
  async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    const results = await Promise.allSettled([...this.#producers].map((p) => p.collect(options)));
    const out: CollectionResult = {
      resourceMetrics: { resource: emptyResource(), scopeMetrics: [] },
      errors: [],
    };
    for (const r of results) {
      if (r.status === "rejected") {
        out.errors.push(r.reason);
        continue;
      }
      out.resourceMetrics.scopeMetrics.push(...r.value.resourceMetrics.scopeMetrics);
      out.errors.push(...r.value.errors);
    }
    return out;
  }
}
