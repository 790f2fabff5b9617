import { describe, expect, it } from 'vitest';
import { renderComment } from '../src/github/comment-render.js';
import type { GateResult } from '../src/gate/result.js';
import { renderSummary } from '../src/report/summary.js';
import { readTrend, sparkline, trendOf } from '../src/details/trend.js';
import { mulberry32 } from './support/prng.js';
import { makeRun } from './support/runs.js';

const BARS = '▁▂▃▄▅▆▇█';

describe('sparkline', () => {
  it('draws one bar per value, the lowest ▁ and the highest █, in order', () => {
    // 0.9 and 0.85 sit at 1/2 and 1/4 of the way from 0.8 to 1: bars 3.5 → 4 (▅) and 1.75 → 2 (▃) of 0–7.
    expect(sparkline([0.9, 0.8, 0.85, 1])).toBe('▅▁▃█');
    expect(sparkline([0.5, 0.5, 0.5])).toBe('▄▄▄');
    expect(sparkline([])).toBe('');
  });

  it('keeps the order of the values: a higher value never gets a lower bar', () => {
    const random = mulberry32(7);
    for (let round = 0; round < 50; round++) {
      const values = Array.from({ length: 2 + Math.floor(random() * 30) }, () => random());
      const bars = [...sparkline(values)];
      expect(bars).toHaveLength(values.length);
      expect(bars[values.indexOf(Math.min(...values))]).toBe('▁');
      expect(bars[values.indexOf(Math.max(...values))]).toBe('█');
      for (let i = 0; i < values.length; i++) {
        for (let j = 0; j < values.length; j++) {
          if ((values[i] ?? 0) > (values[j] ?? 0)) expect(BARS.indexOf(bars[i] ?? '')).toBeGreaterThanOrEqual(BARS.indexOf(bars[j] ?? ''));
        }
      }
    }
  });
});

describe('trendOf', () => {
  const current = makeRun({ id: 'exprun_9', score: 0.8 });
  it('takes the completed runs with a score, oldest first, and this run last even when the list does not show it yet', () => {
    const listed = [
      makeRun({ id: 'exprun_8', score: 0.86 }),
      makeRun({ id: 'exprun_7', status: 'error', score: null }),
      makeRun({ id: 'exprun_6', status: 'running', score: null }),
      makeRun({ id: 'exprun_5', score: 0.9 }),
      makeRun({ id: 'exprun_other', experiment_id: 'exp_other', score: 0.1 }),
    ];
    const trend = trendOf(listed, current);
    if (trend.state !== 'ok') throw new Error('expected a trend');
    expect(trend.points.map((p) => p.id)).toEqual(['exprun_5', 'exprun_8', 'exprun_9']);
    expect(trend).toMatchObject({ sparkline: '█▅▁', min: 0.8, max: 0.9 });
    // Listed too: not counted twice.
    const again = trendOf([current, ...listed], current);
    expect(again.state === 'ok' && again.points).toHaveLength(3);
  });

  it('says so when there is nothing to draw, or the list could not be read', async () => {
    expect(trendOf([], current)).toEqual({ state: 'missing', message: 'fewer than 2 completed runs of the experiment have a score' });
    expect(await readTrend(async () => Promise.reject(new Error('HTTP 503')), current, AbortSignal.timeout(1_000))).toEqual({
      state: 'failed',
      message: 'could not list the recent runs of experiment "exp_abc": HTTP 503',
    });
  });

  it('renders the same line in the job summary and the pull request comment', () => {
    const trend = trendOf([makeRun({ id: 'exprun_8', score: 0.86 }), makeRun({ id: 'exprun_5', score: 0.9 })], current);
    const result: GateResult = { status: 'completed', passed: true, failures: [], runId: 'exprun_9', threshold: 0.5, maxErrors: 0, run: current, waitedMs: 1, details: { requested_prior_run_id: null, metrics: { state: 'no_metrics', message: 'none' }, results: { state: 'failed', message: 'x' }, trend } };
    const line = '| Trend | 0.9 █▅▁ 0.8 (3 completed runs, oldest first; lowest 0.8, highest 0.9) |  |';
    expect(renderSummary(result)).toContain(line);
    expect(renderComment(result, { marker: '<!-- marker -->', label: '' }, {})).toContain(line);
  });
});
