/**
 * The pure decisions where the verdict, the report and several experiments meet: one error count
 * everywhere, a summary that contradicts itself, a read cut by `fail_fast`, the trend's order, and
 * the power warning's limits.
 */
import { describe, expect, it } from 'vitest';
import { StopRequest } from '../src/start/cancel-run.js';
import { changeTolerance, comparisonStatistics, powerWarning, SUMMARY_ROUNDING, summaryContradiction } from '../src/verdict/comparison-statistics.js';
import { resultFromWait, withRunDetails, type GateResult } from '../src/gate/result.js';
import type { ExperimentOutcome, ManyResult } from '../src/many/gate-many.js';
import { buildManyOutputs, experimentJson } from '../src/many/outputs.js';
import { renderManySummary } from '../src/many/summary.js';
import { buildOutputs } from '../src/report/outputs.js';
import { renderSummary } from '../src/report/summary.js';
import { readRunDetails, type MetricsDetails } from '../src/details/run-details.js';
import { errorCountOf } from '../src/verdict/rules.js';
import { sparkline, trendOf } from '../src/details/trend.js';
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
    listed_document_count: changes.n, unscored_document_count: 0, prior_only_document_count: 0, worst_documents: [], document_scores: { n: changes.n, mean: 0.86, sd: 0.1 }, paired_changes: changes,
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

describe('a summary that contradicts itself is not noise', () => {
  const metrics = (score: number, prior: number, changes: { n: number; mean: number; sd: number }, extra: Partial<MetricsDetails> = {}): MetricsDetails => ({
    state: 'ok', score, prior_score: prior, prior_run_id: 'exprun_1', scored_document_count: changes.n, total_document_count: changes.n, listed_document_count: changes.n,
    unscored_document_count: 0, prior_only_document_count: 0, worst_documents: [], document_scores: { n: changes.n, mean: score, sd: 0.1 }, paired_changes: changes, ...extra,
  });
  // 30 changes of sd 0.1: the 95 % half-width is t(0.975, 29) · 0.1 / √30 ≈ 0.0373.
  const HALF = 2.045229642132703 * (0.1 / Math.sqrt(30));

  it('a zero-width interval tolerates rounding only', () => {
    const still = { n: 30, mean: 0, sd: 0 };
    expect(changeTolerance(metrics(0.83, 0.83, still), 0.95)).toBeCloseTo(SUMMARY_ROUNDING, 12);
    expect(summaryContradiction(metrics(0.83, 0.835, still), 0.95)).toBeNull();
    expect(summaryContradiction(metrics(0.83, 0.88, still), 0.95)).toMatch(
      /^the summary contradicts its own documents: its score change, 0\.83 against 0\.88 \(−0\.05\), lies 0\.05 from the mean change of its 30 documents scored in both runs \(0 ± 0 at 95 %\), more than the 0\.01 /,
    );
  });

  it('a spread interval tolerates twice its half-width and rounding, no more', () => {
    const spread = { n: 30, mean: -0.03, sd: 0.1 };
    expect(changeTolerance(metrics(0.83, 0.86, spread), 0.95)).toBeCloseTo(2 * HALF + SUMMARY_ROUNDING, 6);
    expect(summaryContradiction(metrics(0.83, 0.86, spread), 0.95)).toBeNull();
    expect(summaryContradiction(metrics(0.83 + 2 * HALF + 0.0099, 0.86, spread), 0.95)).toBeNull();
    expect(summaryContradiction(metrics(0.83 + 2 * HALF + 0.0101, 0.86, spread), 0.95)).not.toBeNull();
    // A wider level, a wider interval: the same gap is no longer a contradiction.
    expect(summaryContradiction(metrics(0.83 + 2 * HALF + 0.0101, 0.86, spread), 0.99)).toBeNull();
  });

  it('documents scored in one run only widen it by the most they could move a mean', () => {
    const still = { n: 20, mean: 0, sd: 0 };
    // 20 of 40 scored in this run only: the summary's mean may lie up to 0.5 from theirs.
    const half = metrics(0.8, 0.9, still, { document_scores: { n: 40, mean: 0.8, sd: 0.2 }, scored_document_count: 40 });
    expect(changeTolerance(half, 0.95)).toBeCloseTo(0.5 + SUMMARY_ROUNDING, 12);
    expect(summaryContradiction(half, 0.95)).toBeNull();
    // 5 the prior run scored and this one did not: 5 / 25.
    expect(changeTolerance(metrics(0.8, 0.9, still, { prior_only_document_count: 5 }), 0.95)).toBeCloseTo(0.2 + SUMMARY_ROUNDING, 12);
    // Counted by the summary but not listed: 10 of 30.
    expect(changeTolerance(metrics(0.8, 0.9, still, { scored_document_count: 30 }), 0.95)).toBeCloseTo(10 / 30 + SUMMARY_ROUNDING, 12);
  });

  it('is not checked without a paired interval or without both summary figures', () => {
    expect(summaryContradiction(metrics(0.83, 0.88, { n: 1, mean: 0, sd: 0 }), 0.95)).toBeNull();
    expect(summaryContradiction({ ...metrics(0.83, 0.88, { n: 30, mean: 0, sd: 0 }), prior_score: null }, 0.95)).toBeNull();
    expect(summaryContradiction({ ...metrics(0.83, 0.88, { n: 30, mean: 0, sd: 0 }), paired_changes: null }, 0.95)).toBeNull();
  });

  it('a zero-width interval never yields "may be noise", even where the summary fell past the tolerance within rounding', () => {
    const base: GateResult = resultFromWait(finished({ score: 0.83 }), { ...criteria, maxErrors: 0 }, { errored: 0 });
    // Every document moved by −0.019, the summary (rounded) says −0.025: within rounding, past −0.02.
    const details = { requested_prior_run_id: null, metrics: metrics(0.83, 0.855, { n: 30, mean: -0.019, sd: 0 }), results: { state: 'ok' as const, document_count: 30, status_counts: { completed: 30 }, errored_documents: [], errored_document_count: 0, pages: 1 } };
    expect(summaryContradiction(details.metrics, 0.95)).toBeNull();
    const result = withRunDetails(base, details, { maxScoreDrop: 0.02, onMissingComparison: 'warn', confidence: 0.95 });
    expect(result.passed).toBe(true);
    expect(result.comparison?.remarks.join('\n')).not.toContain('noise');
    expect(renderSummary(result)).not.toContain('noise');
    // An interval that does reach past −0.02 still says so.
    const spread = { ...details, metrics: metrics(0.83, 0.86, { n: 30, mean: -0.03, sd: 0.1 }) };
    expect(withRunDetails(base, spread, { maxScoreDrop: 0.02, onMissingComparison: 'warn', confidence: 0.95 }).comparison?.remarks.join('\n')).toContain('the drop may be noise');
  });
});

describe('fail_fast blames only who failed', () => {
  /** A details client whose reads never answer, until the signal stops them. */
  const hanging = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  const client = {
    getMetricsSummary: (_: string, { signal }: { signal?: AbortSignal } = {}) => hanging(signal as AbortSignal),
    getResultsPage: (_: string, { signal }: { signal?: AbortSignal } = {}) => hanging(signal as AbortSignal),
    getTargetMetrics: () => Promise.reject(new Error('not read')),
  };
  const read = async (reason: unknown) => {
    const stop = new AbortController();
    const details = readRunDetails(client, { runId: 'exprun_2', baselineRunId: null, signal: stop.signal, sleep: async () => {}, random: () => 0 });
    stop.abort(reason);
    return details;
  };

  it('a read stopped by fail_fast is cut, not failed; one stopped by the job or the time budget failed', async () => {
    const cut = await read(new StopRequest('fail_fast', 'exp_b failed (fail_fast)'));
    expect(cut.metrics).toEqual({ state: 'cut', message: 'the metrics of run exprun_2 were not read: exp_b failed (fail_fast)' });
    expect(cut.results).toEqual({ state: 'cut', message: 'the results of run exprun_2 were not read to the end (page 1, after 0 documents): exp_b failed (fail_fast)' });
    for (const reason of [new Error('the job was cancelled'), new Error('reading the report took longer than 15s')]) {
      const failed = await read(reason);
      expect([failed.metrics.state, failed.results.state]).toEqual(['failed', 'failed']);
    }
  });

  it('what a cut read would have checked is unchecked, not failed: the error count, on_missing_comparison: fail', () => {
    const cutResults = { cut: 'the results of run exprun_2 were not read: exp_b failed (fail_fast)' };
    const errors = errorCountOf(makeRun({ error_count: null }), cutResults);
    expect(errors).toMatchObject({ known: false, cut: true });
    const result = resultFromWait(finished({ error_count: null }), criteria, cutResults);
    expect(result.failures).toEqual([]);
    const details = {
      requested_prior_run_id: null,
      metrics: { state: 'cut' as const, message: 'the metrics of run exprun_2 were not read: exp_b failed (fail_fast)' },
      results: { state: 'cut' as const, message: cutResults.cut },
    };
    const reported = withRunDetails(result, details, { maxScoreDrop: 0.02, onMissingComparison: 'fail', confidence: null });
    expect(reported.passed).toBe(true);
    expect(reported.comparison?.note).toContain('were not read: exp_b failed (fail_fast)');
    expect(renderSummary(reported)).toContain('| Errors | not counted (reads cut by `fail_fast`) | ≤ 3 |');
    const step = many(outcome(reported), outcome({ ...resultFromWait(finished({ status: 'error', score: null }), criteria), passed: false }, 'exp_b'));
    expect(experimentJson(step.experiments[0] as ExperimentOutcome)).toMatchObject({ passed: true, reads_cut: true, failed_rules: [], error_count: null });
    expect(renderManySummary(step)).toContain('| **exp\\_a** | ✅ passed (reads cut) |');
    // The same missing reads for another reason still fail, as before.
    const failedResults = resultFromWait(finished({ error_count: null }), criteria, { unreadable: 'HTTP 503' });
    expect(failedResults.failures.map((f) => f.rule)).toEqual(['errors_unknown']);
    const failedMetrics = { ...details, metrics: { state: 'failed' as const, message: 'could not read the metrics of run exprun_2: HTTP 503' } };
    expect(withRunDetails(resultFromWait(finished({}), criteria, { errored: 0 }), failedMetrics, { maxScoreDrop: 0.02, onMissingComparison: 'fail', confidence: null }).failures.map((f) => f.rule)).toEqual(['comparison_unavailable']);
  });
});
