/** The checks of an event pipeline's numeric options, before any work. */
import { EventsInvalidOptionError } from "./errors.ts";
import type { EventPipelineOptions } from "./pipeline.ts";
import { MAX_TIMER_MS } from "../timers/index.ts";

/** The numeric options, each an integer in its range (throws `EventsInvalidOptionError`). */
export function validateNumbers(o: EventPipelineOptions): void {
  const ranges: [keyof EventPipelineOptions, number, number][] = [
    ["batchSize", 1, Number.MAX_SAFE_INTEGER],
    ["batchDelayMs", 0, MAX_TIMER_MS],
    ["maxOutboxRows", 1, Number.MAX_SAFE_INTEGER],
    ["maxOutboxBytes", 1, Number.MAX_SAFE_INTEGER],
    ["maxInFlight", 1, Number.MAX_SAFE_INTEGER],
    ["ackTimeoutMs", 1, MAX_TIMER_MS],
  ];
  for (const [key, min, max] of ranges) {
    const value = o[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
      const to = max === Number.MAX_SAFE_INTEGER ? "or more" : `to ${max}`;
      throw new EventsInvalidOptionError(key, value, `an integer from ${min} ${to}`);
    }
  }
}
