/**
 * Exponential backoff with full jitter above a floor; `Retry-After` wins when the server gave one,
 * but never below the floor: a server (or a proxy) that says "retry in 1 ms", or a jitter that
 * rolls zero, must not turn the retries into a tight loop.
 */

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** The least any retry waits, whatever `Retry-After` or the jitter say; half of `baseMs` when absent. */
  floorMs?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 30_000 };

/** The least any retry waits under `options`. */
export function backoffFloor(options: BackoffOptions): number {
  return Math.max(0, options.floorMs ?? options.baseMs / 2);
}

/** Delay before retry number `attempt` (1 for the first retry). `random` is in [0, 1). */
export function backoffDelay(attempt: number, random: number, retryAfterMs: number | null, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const floor = backoffFloor(options);
  if (retryAfterMs !== null) return Math.round(Math.max(floor, retryAfterMs));
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.max(floor, random * ceiling));
}
