/**
 * The pure decisions where the verdict, the report and several experiments meet: one error count
 * everywhere, a summary that contradicts itself, a read cut by `fail_fast`, the trend's order, and
 * the power warning's limits.
 */
import { describe, expect, it } from 'vitest';
import { comparisonStatistics, powerWarning } from '../src/comparison-statistics.js';
import { resultFromWait, type GateResult } from '../src/gate-result.js';
import type { ExperimentOutcome, ManyResult } from '../src/multi/gate-many.js';
import { buildManyOutputs, experimentJson } from '../src/multi/outputs.js';
import { renderManySummary } from '../src/multi/summary.js';
import { buildOutputs } from '../src/report/outputs.js';
import { renderSummary } from '../src/report/summary.js';
import type { MetricsDetails } from '../src/run-details.js';
import { sparkline, trendOf } from '../src/trend.js';
import { makeRun } from './support/runs.js';

const criteria = { runId: 'exprun_2', threshold: 0.8, maxErrors: 3, timeoutMs: 60_000 };
const finished = (overrides: Parameters<typeof makeRun>[0]) => ({ kind: 'finished' as const, run: makeRun(overrides), polls: 1, elapsedMs: 1_000 });
const outcome = (result: GateResult, name = 'exp_a'): ExperimentOutcome => ({ line: 1, name, experimentId: 'exp_a', result, endedRank: 0, stopped: false });
const many = (...experiments: ExperimentOutcome[]): ManyResult => ({
  passed: experiments.every((e) => e.result.passed),
  experiments,
  headline: experiments.find((e) => !e.result.passed) ?? (experiments[0] as ExperimentOutcome),
  stoppedBy: null,
});

describe('one error count everywhere', () => {
  const cases = [
    // The run gave none: the errored documents counted in the results.
    { run: { error_count: null }, results: { errored: 2 }, count: 2, passed: true },
    // The run says fewer than its results list: the larger figure.
    { run: { error_count: 1 }, results: { errored: 5 }, count: 5, passed: false },
    { run: { error_count: 4 }, results: { errored: 0 }, count: 4, passed: false },
  ];
  it.each(cases)('the verdict, results[], the Errors cell and the error_count output use one count ($count)', ({ run, results, count, passed }) => {
    const result = resultFromWait(finished(run), criteria, results);
    expect(result.passed).toBe(passed);
    const step = many(outcome(result));
    expect(experimentJson(step.experiments[0] as ExperimentOutcome).error_count).toBe(count);
    expect(JSON.parse(buildManyOutputs(step).results)[0].error_count).toBe(count);
    expect(buildOutputs(result).error_count).toBe(String(count));
    expect(renderManySummary(step)).toMatch(new RegExp(`\\| \\*\\*exp\\\\_a\\*\\* \\| [^|]+ \\| [^|]+ \\| [^|]+ \\| ${count}( \\(counted in the per-document results\\))? \\(≤ 3\\) \\|`));
    expect(renderSummary(result)).toMatch(new RegExp(`\\| Errors \\| ${count}( \\(counted in the per-document results\\))? \\| ≤ 3 ${passed ? '✅' : '❌'} \\|`));
  });

  it('unknown stays unknown in every place, never 0 or "null"', () => {
    const result = resultFromWait(finished({ error_count: null }), criteria, { unreadable: 'HTTP 503' });
    const step = many(outcome(result));
    expect(experimentJson(step.experiments[0] as ExperimentOutcome).error_count).toBeNull();
    expect(buildOutputs(result).error_count).toBe('');
    expect(renderManySummary(step)).toContain('| unknown (≤ 3) |');
    expect(renderManySummary(step)).not.toContain('null');
  });
});

describe('no warning that says nothing', () => {
  const metrics = (changes: { n: number; mean: number; sd: number }): MetricsDetails => ({
    state: 'ok', score: 0.86, prior_score: 0.86, prior_run_id: 'exprun_1', scored_document_count: changes.n, total_document_count: changes.n,
    listed_document_count: changes.n, unscored_document_count: 0, worst_documents: [], document_scores: { n: changes.n, mean: 0.86, sd: 0.1 }, paired_changes: changes,
  });

  it('max_score_drop: 0 gives the smallest drop caught, without a "too few documents" warning', () => {
    const statistics = comparisonStatistics(metrics({ n: 12, mean: 0, sd: 0.05 }), 0.95, 0);
    expect(statistics.power).toMatchObject({ underpowered: false, documents_needed: null });
    expect(statistics.power?.detectable_drop).toBeGreaterThan(0);
    expect(powerWarning(statistics, 0)).toBeNull();
    // The same documents with a tolerance above 0 are warned about, as before.
    expect(powerWarning(comparisonStatistics(metrics({ n: 12, mean: 0, sd: 0.05 }), 0.95, 0.02), 0.02)).toMatch(/too few documents for `max_score_drop` 0\.02/);
  });
});

describe('the trend in time order', () => {
  const at = (day: number) => `2026-04-${String(day).padStart(2, '0')}T09:00:00Z`;
  const current = makeRun({ id: 'exprun_gated', score: 0.8, created_at: at(20) });
  const run = (id: string, day: number | null, score = 0.9) => makeRun({ id, score, created_at: day === null ? null : at(day) });

  it('puts the runs oldest first by created_at, whatever order the list came in, the gated run last', () => {
    const shuffled = [run('exprun_12', 12, 0.85), run('exprun_10', 10, 0.95), run('exprun_14', 14, 0.82), run('exprun_11', 11, 0.9)];
    const trend = trendOf(shuffled, current);
    if (trend.state !== 'ok') throw new Error('expected a trend');
    expect(trend.points.map((p) => p.id)).toEqual(['exprun_10', 'exprun_11', 'exprun_12', 'exprun_14', 'exprun_gated']);
    expect(trend.sparkline).toBe(sparkline([0.95, 0.9, 0.85, 0.82, 0.8]));
  });

  it('leaves out runs created after the gated run, and runs that give no creation time', () => {
    const listed = [run('exprun_later', 25, 0.99), run('exprun_same', 20, 0.7), run('exprun_untimed', null, 0.1), run('exprun_12', 12, 0.85)];
    const trend = trendOf(listed, current);
    if (trend.state !== 'ok') throw new Error('expected a trend');
    expect(trend.points.map((p) => p.id)).toEqual(['exprun_12', 'exprun_same', 'exprun_gated']);
    // A time without a zone is UTC, as for the start: 09:30 on the 20th, after the gated run.
    const unzoned = trendOf([makeRun({ id: 'exprun_x', created_at: '2026-04-20T09:30:00' }), run('exprun_12', 12)], current);
    expect(unzoned.state === 'ok' && unzoned.points.map((p) => p.id)).toEqual(['exprun_12', 'exprun_gated']);
  });

  it('says so when the gated run itself gives no creation time', () => {
    expect(trendOf([run('exprun_12', 12)], makeRun({ created_at: null }))).toEqual({ state: 'missing', message: expect.stringContaining('gives no creation time') });
  });
});
