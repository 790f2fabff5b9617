/**
 * `Retry-After` as seconds or an HTTP date; ignored when zero or negative (an immediate retry loop
 * helps nobody: the jittered backoff applies instead), unreadable or absurdly large. A tiny
 * positive value (`0.001`) is read as it is; `backoffDelay` raises it to the backoff's floor.
 */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | null {
  if (!header) return null;
  const value = header.trim();
  let ms: number;
  if (/^\d+(?:\.\d+)?$/.test(value)) ms = Number(value) * 1_000;
  else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return null;
    ms = date - nowMs;
  }
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_RETRY_AFTER_MS) return null;
  return Math.round(ms);
}
