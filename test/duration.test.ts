import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/common/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2s500ms', 2_500],
    ['600', 600_000],
    ['1.5', 1_500],
    ['1.5h', 5_400_000],
    [' 30M ', 1_800_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '10 s', '-5s', '5x', 'h', '1e3', 'NaN', 'Infinity', '1s1h', '30m1h', '10sec', '１０s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [42_000, '42s'],
    [258_221, '4m 18s'],
    [600_000, '10m'],
    [3_720_000, '1h 2m'],
    [3_600_000, '1h'],
  ])('formats %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
