/** Durations as users write them in workflow files: `90s`, `15m`, `1h30m`, `500ms` or bare seconds. */

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
const COMPOUND = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/;
const BARE_SECONDS = /^\d+(?:\.\d+)?$/;

/** Milliseconds for a duration text, or `null` when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const value = text.trim().toLowerCase();
  if (value === '') return null;
  if (BARE_SECONDS.test(value)) return Math.round(Number(value) * UNIT_MS.s);
  const match = COMPOUND.exec(value);
  if (!match) return null;
  const [, hours, minutes, seconds, millis] = match;
  if (hours === undefined && minutes === undefined && seconds === undefined && millis === undefined) return null;
  const total =
    Number(hours ?? 0) * UNIT_MS.h +
    Number(minutes ?? 0) * UNIT_MS.m +
    Number(seconds ?? 0) * UNIT_MS.s +
    Number(millis ?? 0);
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** A short human duration: `850ms`, `42s`, `4m 18s`, `1h 2m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms / 1_000);
  const hours = Math.floor(totalSeconds / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return seconds > 0 ? `${minutes}m ${seconds}s` : `${minutes}m`;
  return `${seconds}s`;
}
