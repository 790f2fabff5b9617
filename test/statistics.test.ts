import { describe, expect, it } from 'vitest';
import { CHANGE_RANGE, POWER, Moments, SCORE_RANGE, detectableDrop, documentsNeeded, meanInterval, normalQuantile, studentTCdf, tQuantile, type Sample } from '../src/common/statistics.js';
import { mulberry32 } from './support/prng.js';

/**
 * Reference values computed once outside this project (neither package is a dependency), on Node 20:
 * means and sample standard deviations with jStat 1.9.6 (npm `jstat`: `jStat.mean`, `jStat.stdev(x, true)`);
 * t quantiles, the t distribution function and normal quantiles with stdlib (npm
 * `@stdlib/stats-base-dists-t-quantile` 0.2.3, `-t-cdf` 0.2.3, `-normal-quantile` 0.3.1). The
 * intervals are jStat's mean ± stdlib's t quantile × jStat's sd / √n. (jStat's own `studentt.inv` is
 * off by up to 5e-8, e.g. 12.7062047361 for p = 0.975, df = 1 where tan(0.475π) = 12.7062047362.)
 */
const SCORES = [0.91, 0.85, 0.78, 0.88, 0.95, 0.62, 0.81, 0.9, 0.87, 0.73, 0.99, 0.84];
const PRIORS = [0.93, 0.85, 0.8, 0.86, 0.97, 0.7, 0.8, 0.94, 0.9, 0.75, 0.98, 0.88];
const REFERENCE = {
  scores: { mean: 0.8441666666666667, sd: 0.10022323567764597, ci95: [0.7804878607508958, 0.9078454725824376] },
  changes: { mean: -0.019166666666666665, sd: 0.02745519766433814, ci90: [-0.033400190436419834, -0.004933142896913498] },
  tinv: [
    [0.975, 1, 12.706204736174694],
    [0.975, 5, 2.570581835636314],
    [0.975, 11, 2.2009851600916384],
    [0.975, 29, 2.045229642132704],
    [0.8, 29, 0.8541919858818556],
    [0.995, 99, 2.6264054572808275],
    [0.975, 999, 1.9623414611334495],
    [0.9, 49999, 1.2815684978069513],
    [0.8, 2, 1.0606601717798214],
  ],
  tcdf: [
    [2, 10, 0.9633059826146297],
    [-1.5, 3, 0.1152919326224115],
    [0.3, 200, 0.617755634905336],
  ],
  ninv: [
    [0.975, 1.9599639845400538],
    [0.8, 0.8416212335729144],
    [0.995, 2.5758293035489004],
    [0.000001, -4.753424308828307],
  ],
} as const;

function sampleOf(values: number[]): Sample {
  const moments = new Moments();
  for (const value of values) moments.add(value);
  const sample = moments.sample();
  if (!sample) throw new Error('no values');
  return sample;
}

describe('statistics against reference values', () => {
  it('mean, sample standard deviation and the t interval of the scores', () => {
    const sample = sampleOf(SCORES);
    expect(sample.n).toBe(12);
    expect(sample.mean).toBeCloseTo(REFERENCE.scores.mean, 12);
    expect(sample.sd).toBeCloseTo(REFERENCE.scores.sd, 12);
    const interval = meanInterval(sample, 0.95);
    expect(interval?.low).toBeCloseTo(REFERENCE.scores.ci95[0], 12);
    expect(interval?.high).toBeCloseTo(REFERENCE.scores.ci95[1], 12);
  });

  it('the paired changes and their 90 % interval', () => {
    const sample = sampleOf(SCORES.map((score, i) => score - (PRIORS[i] ?? 0)));
    expect(sample.mean).toBeCloseTo(REFERENCE.changes.mean, 12);
    expect(sample.sd).toBeCloseTo(REFERENCE.changes.sd, 12);
    const interval = meanInterval(sample, 0.9);
    expect(interval?.low).toBeCloseTo(REFERENCE.changes.ci90[0], 12);
    expect(interval?.high).toBeCloseTo(REFERENCE.changes.ci90[1], 12);
  });

  it.each(REFERENCE.tinv)('t quantile p=%d, df=%d', (p, df, expected) => {
    expect(tQuantile(p, df)).toBeCloseTo(expected, 10);
  });

  it.each(REFERENCE.tcdf)('t distribution function t=%d, df=%d', (t, df, expected) => {
    expect(studentTCdf(t, df)).toBeCloseTo(expected, 11);
  });

  it.each(REFERENCE.ninv)('normal quantile p=%d', (p, expected) => {
    // Acklam's approximation: relative error below 1.2e-9.
    expect(Math.abs(normalQuantile(p) - expected) / Math.abs(expected)).toBeLessThan(1.2e-9);
  });
});

describe('statistics: properties', () => {
  const random = mulberry32(20261129);
  const values = (n: number, spread = 0.2) => Array.from({ length: n }, () => 0.5 + (random() - 0.5) * spread);

  it('moments do not depend on the order of the values, and match the two-pass formulas', () => {
    for (let round = 0; round < 20; round++) {
      const xs = values(2 + Math.floor(random() * 500));
      const forward = sampleOf(xs);
      const backward = sampleOf([...xs].reverse());
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
      expect(forward.mean).toBeCloseTo(mean, 12);
      expect(forward.sd).toBeCloseTo(sd, 12);
      expect(backward.mean).toBeCloseTo(mean, 12);
      expect(backward.sd).toBeCloseTo(sd, 12);
    }
  });

  it('an interval holds its mean, widens with the level and narrows with more documents', () => {
    for (let round = 0; round < 20; round++) {
      const sample = sampleOf(values(3 + Math.floor(random() * 200)));
      const i90 = meanInterval(sample, 0.9);
      const i95 = meanInterval(sample, 0.95);
      const i99 = meanInterval(sample, 0.99);
      if (!i90 || !i95 || !i99) throw new Error('expected intervals');
      expect(i95.low).toBeLessThanOrEqual(sample.mean);
      expect(i95.high).toBeGreaterThanOrEqual(sample.mean);
      expect(i95.high - i95.mean).toBeCloseTo(i95.mean - i95.low, 12);
      expect(i99.high - i99.low).toBeGreaterThan(i95.high - i95.low);
      expect(i95.high - i95.low).toBeGreaterThan(i90.high - i90.low);
      const more = meanInterval({ ...sample, n: sample.n * 4 }, 0.95);
      expect((more?.high ?? 0) - (more?.low ?? 0)).toBeLessThan(i95.high - i95.low);
    }
    expect(meanInterval({ n: 1, mean: 0.8, sd: 0 }, 0.95)).toBeNull();
  });

  it('cuts an interval to where the mean can lie: two scores of 0.3 and 1 give no bound above 1', () => {
    // Two documents scored 0.3 and 1: the t interval is 0.65 ± 12.706 × 0.35, far outside [0, 1].
    const sample = { n: 2, mean: 0.65, sd: Math.SQRT2 * 0.35 };
    const free = meanInterval(sample, 0.95);
    expect(free?.high).toBeGreaterThan(1);
    expect(meanInterval(sample, 0.95, SCORE_RANGE)).toMatchObject({ low: 0, high: 1, mean: 0.65 });
    expect(meanInterval({ n: 2, mean: -0.5, sd: 1 }, 0.95, CHANGE_RANGE)).toMatchObject({ low: -1, high: 1 });
    // Inside the range, nothing changes.
    const wide = { n: 400, mean: 0.8, sd: 0.1 };
    expect(meanInterval(wide, 0.95, SCORE_RANGE)).toEqual(meanInterval(wide, 0.95));
  });

  it('the t quantile inverts the distribution function, exceeds the normal one and falls towards it with df', () => {
    for (let round = 0; round < 50; round++) {
      const p = 0.5 + random() * 0.499;
      const df = 1 + Math.floor(random() * 5000);
      const t = tQuantile(p, df);
      expect(studentTCdf(t, df)).toBeCloseTo(p, 10);
      expect(tQuantile(1 - p, df)).toBeCloseTo(-t, 10);
      expect(t).toBeGreaterThanOrEqual(normalQuantile(p) - 1e-9);
      expect(tQuantile(p, df + 10)).toBeLessThanOrEqual(t + 1e-12);
    }
  });

  it('the detectable drop shrinks with more documents; documentsNeeded is the smallest n that reaches the target', () => {
    for (let round = 0; round < 20; round++) {
      const sd = 0.01 + random() * 0.2;
      const maxDrop = 0.005 + random() * 0.05;
      const level = [0.9, 0.95, 0.99][round % 3] ?? 0.95;
      const small = detectableDrop({ n: 30, sd }, level, maxDrop) ?? 0;
      const large = detectableDrop({ n: 1000, sd }, level, maxDrop) ?? 0;
      expect(small).toBeGreaterThan(large);
      expect(large).toBeGreaterThan(maxDrop);
      const needed = documentsNeeded(sd, level, maxDrop, 2 * maxDrop);
      if (needed === null) throw new Error('expected a number of documents');
      expect(detectableDrop({ n: needed, sd }, level, maxDrop)).toBeLessThanOrEqual(2 * maxDrop + 1e-12);
      if (needed > 2) expect(detectableDrop({ n: needed - 1, sd }, level, maxDrop)).toBeGreaterThan(2 * maxDrop);
    }
    expect(documentsNeeded(0.1, 0.95, 0, 0)).toBeNull();
    // More than ten million is "no number would", whichever way the search reaches it: the normal
    // figure alone is already 15 billion here (a tiny max_score_drop against a wide spread).
    expect(documentsNeeded(0.3, 0.999, 0.00001, 0.00002)).toBeNull();
    expect(documentsNeeded(0.5, 0.95, 0.0001, 0.0002)).toBeNull();
    expect(POWER).toBe(0.8);
  });
});
