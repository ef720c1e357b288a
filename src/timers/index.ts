/**
 * The longest delay a Node timer takes: 2^31−1 ms, about 24.8 days. `setTimeout`, `setInterval`
 * and `AbortSignal.timeout` fire a longer delay after 1 ms (with a warning), so every duration the
 * components hand to a timer is bounded by this, or waited out in several timers.
 */
export const MAX_TIMER_MS = 0x7fffffff;
