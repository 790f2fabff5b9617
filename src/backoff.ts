/** Exponential backoff with full jitter; `Retry-After` wins when the server gave one. */

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 30_000 };

/** Delay before retry number `attempt` (1 for the first retry). `random` is in [0, 1). */
export function backoffDelay(attempt: number, random: number, retryAfterMs: number | null, options: BackoffOptions = DEFAULT_BACKOFF): number {
  if (retryAfterMs !== null) return retryAfterMs;
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random * ceiling);
}
