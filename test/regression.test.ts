import { describe, expect, it } from 'vitest';
import { withRunDetails, type GateResult } from '../src/gate/result.js';
import { formatChange } from '../src/report/details-summary.js';
import { buildOutputs } from '../src/report/outputs.js';
import { renderSummary } from '../src/report/summary.js';
import type { MetricsDetails, RunDetails } from '../src/details/run-details.js';
import type { ExperimentRun } from '../src/retab/run.js';
import { Moments } from '../src/common/statistics.js';
import { mulberry32 } from './support/prng.js';

const run = (score: number | null): ExperimentRun => ({
  id: 'exprun_2', status: 'completed', message: null, error_code: null, block_name: null, reason: null, experiment_id: 'exp_abc', workflow_id: null, workflow_version_id: null,
  workflow_name: null, block_id: null, block_kind: null, n_consensus: null, score, error_count: 0, total_document_count: 12,
  completed_document_count: 12, created_at: null, started_at: null, completed_at: null, duration_ms: null, trigger: null, parent_run_id: null,
});

const base = (score: number | null): GateResult => ({
  status: 'completed', passed: true, failures: [], runId: 'exprun_2', threshold: 0.5, maxErrors: 0, run: run(score), waitedMs: 1000,
});

const drop = (maxScoreDrop: number | null, onMissingComparison: 'warn' | 'fail' = 'warn', confidence: number | null = null) => ({ maxScoreDrop, onMissingComparison, confidence });

/** The metrics summary: its own score (over the documents with a result) is 0.83 unless said. */
const metrics = (prior: number | null, extra: Partial<MetricsDetails> = {}): RunDetails => ({
  requested_prior_run_id: null,
  metrics: {
    state: 'ok', score: 0.83, prior_score: prior, prior_run_id: 'exprun_1', scored_document_count: 11, total_document_count: 12,
    listed_document_count: 12, unscored_document_count: 1, prior_only_document_count: 0, worst_documents: [], document_scores: null, paired_changes: null, ...extra,
  },
  results: { state: 'ok', document_count: 12, status_counts: { completed: 12 }, errored_documents: [], errored_document_count: 0, pages: 1 },
});

describe('the regression gate', () => {
  it('fails when the score fell by more than max_score_drop, naming the figures', () => {
    const result = withRunDetails(base(0.83), metrics(0.86), drop(0.02));
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      {
        rule: 'score_regressed',
        message: 'score 0.83 fell 0.03 below the prior score 0.86 (run exprun_1); at most 0.02 allowed (`max_score_drop`; scores of the documents that produced a result)',
      },
    ]);
    expect(buildOutputs(result)).toMatchObject({ prior_score: '0.86', score_delta: '-0.03' });
  });

  it('passes a drop of exactly max_score_drop despite float noise, and any rise', () => {
    const at = (score: number, prior: number, maxDrop: number) => withRunDetails(base(score), metrics(prior, { score }), drop(maxDrop)).passed;
    expect(at(0.85, 0.87, 0.02)).toBe(true);
    expect(at(0.9, 0.87, 0)).toBe(true);
    expect(at(0.8699, 0.87, 0)).toBe(false);
  });

  it("compares like with like: the metrics summary's score with its prior score, never the run's own score", () => {
    // The run's score (0.7) counts the documents without a result; the summary's (0.85) does not.
    const result = withRunDetails(base(0.7), metrics(0.86, { score: 0.85 }), drop(0.02));
    expect(result.passed).toBe(true);
    expect(result.comparison).toMatchObject({ score: 0.85, prior_score: 0.86, measure: expect.stringContaining('metrics summary score') });
    expect(buildOutputs(result)).toMatchObject({ score: '0.7', prior_score: '0.86', score_delta: '-0.01' });
    expect(renderSummary(result)).toMatch(/\n\| Change against the baseline \| \*\*▼ −0\.01\*\* against run .*, 0\.85 against 0\.86 \|/);
    // No summary score: nothing is compared, rather than the run's score against the summary's prior.
    const unknown = withRunDetails(base(0.7), metrics(0.86, { score: null }), drop(0.02));
    expect(unknown.passed).toBe(true);
    expect(unknown.comparison).toMatchObject({ delta: null, applied: false, note: expect.stringContaining('gives no score for this run') });
    expect(buildOutputs(unknown).score_delta).toBe('');
  });

  it('stands on the run alone, with a note, when there is nothing to compare with', () => {
    const first = withRunDetails(base(0.83), metrics(null), drop(0.02));
    expect(first.passed).toBe(true);
    expect(first.comparison?.note).toMatch(/was not applied: Retab gave no prior score/);
    const none: RunDetails = { requested_prior_run_id: null, metrics: { state: 'no_metrics', message: 'run exprun_2 has no metrics yet' }, results: metrics(null).results };
    const unavailable = withRunDetails(base(0.83), none, drop(0.02));
    expect(unavailable.passed).toBe(true);
    expect(renderSummary(unavailable)).toContain('run exprun\\_2 has no metrics yet');
    expect(buildOutputs(unavailable)).toMatchObject({ prior_score: '', score_delta: '' });
  });

  it('fails the max_score_drop rule on a comparison that cannot be made, with on_missing_comparison: fail', () => {
    const none: RunDetails = { requested_prior_run_id: null, metrics: { state: 'stale_metrics', message: 'run exprun_2 has stale metrics' }, results: metrics(null).results };
    for (const details of [none, metrics(null), metrics(0.86, { score: null })]) {
      const strict = withRunDetails(base(0.83), details, drop(0.02, 'fail'));
      expect(strict.passed).toBe(false);
      expect(strict.failures).toEqual([{ rule: 'comparison_unavailable', message: expect.stringMatching(/^the regression gate \(`max_score_drop`\) was not applied: .*\(`on_missing_comparison: fail`\)$/) }]);
      expect(renderSummary(strict).split('\n')[0]).toBe('### ❌ Retab experiment gate: failed (no comparison with the prior run)');
    }
    // Without max_score_drop there is no rule to fail; a run that did not complete already fails.
    expect(withRunDetails(base(0.83), none, drop(null, 'fail')).passed).toBe(true);
    const errored = { ...base(0.83), status: 'error', passed: false, failures: [{ rule: 'run_error' as const, message: 'boom' }] };
    expect(withRunDetails(errored, none, drop(0.02, 'fail')).failures.map((f) => f.rule)).toEqual(['run_error']);
  });

  it('keeps the run verdict: a low score still fails without a regression rule', () => {
    const result = withRunDetails({ ...base(0.4), passed: false, failures: [{ rule: 'score_below_threshold', message: 'low' }] }, metrics(0.41, { score: 0.4 }), drop(0.02));
    expect(result.failures.map((f) => f.rule)).toEqual(['score_below_threshold']);
  });
});

/** Per-document data: the scores (and paired changes) the statistics are made from. */
const SCORES = [0.91, 0.85, 0.78, 0.88, 0.95, 0.62, 0.81, 0.9, 0.87, 0.73, 0.99, 0.84];
function sample(values: number[]) {
  const moments = new Moments();
  for (const value of values) moments.add(value);
  return moments.sample();
}
/** n changes with this mean and spread (half at mean − spread, half at mean + spread). */
function changes(n: number, mean: number, spread: number) {
  return sample(Array.from({ length: n }, (_, i) => mean + (i % 2 === 0 ? -spread : spread)));
}

describe('error bars, the paired comparison and the confidence rule', () => {
  it('gives the score and the change their intervals, as outputs and in the summary', () => {
    const details = metrics(0.86, { score: 0.8442, document_scores: sample(SCORES), paired_changes: changes(12, -0.0158, 0.02) });
    const result = withRunDetails(base(0.84), details, drop(null));
    // Interval of SCORES at 95 %: 0.7804878607508958 to 0.9078454725824376 (see statistics.test.ts).
    expect(buildOutputs(result)).toMatchObject({ score_ci_low: '0.7805', score_ci_high: '0.9078' });
    const interval = result.comparison?.statistics?.change_interval;
    expect(interval?.n).toBe(12);
    expect(buildOutputs(result).score_delta_ci_low).toBe(String(Number(interval?.low.toFixed(4))));
    const text = renderSummary(result);
    expect(text).toContain('| Score | **0.8400** (mean of 12 documents 0.8442 ± 0.0637, 95 % CI 0.7805–0.9078) |');
    expect(text).toMatch(/\| Change against the baseline \| \*\*▼ −0\.0158 ± 0\.01\d\d\*\* \(95 % CI −0\.0\d{3} to −0\.00\d\d, 12 paired documents\) against run .* \| {2}\|/);
  });

  it('says how many documents were paired when the runs scored different documents', () => {
    const result = withRunDetails(base(0.84), metrics(0.86, { document_scores: sample(SCORES), paired_changes: changes(8, -0.01, 0.02) }), drop(0.02));
    expect(result.comparison?.statistics).toMatchObject({ paired_document_count: 8, unpaired_document_count: 4 });
    expect(renderSummary(result)).toContain('8 documents in both runs; 4 scored in this run only');
  });

  it('with a confidence level, passes a drop that may be noise, with a note, where the point estimate fails', () => {
    // Mean change −0.03 past max_score_drop 0.02, but 30 changes spread ±0.1: the interval reaches above −0.02.
    const noisy = metrics(0.86, { score: 0.83, document_scores: sample(SCORES), paired_changes: changes(30, -0.03, 0.1) });
    expect(withRunDetails(base(0.83), noisy, drop(0.02)).passed).toBe(false);
    const result = withRunDetails(base(0.83), noisy, drop(0.02, 'warn', 0.95));
    expect(result.passed).toBe(true);
    expect(result.comparison).toMatchObject({ basis: 'interval', confidence: 0.95 });
    expect(result.comparison?.remarks.join('\n')).toMatch(/the drop may be noise, so the regression gate passes/);
    const text = renderSummary(result);
    expect(text).toContain('the drop may be noise');
    expect(text).toMatch(/\| Change against the baseline \| .* \| upper bound ≥ −0\.02 ✅ \|/);
  });

  it('with a confidence level, fails when the whole interval lies below −max_score_drop', () => {
    const clear = metrics(0.86, { score: 0.8, document_scores: sample(SCORES), paired_changes: changes(30, -0.06, 0.01) });
    const result = withRunDetails(base(0.8), clear, drop(0.02, 'warn', 0.95));
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      {
        rule: 'score_regressed',
        message: expect.stringMatching(/^the score fell: the mean change over the 30 documents scored in both runs is −0\.0600 \(95 % CI −0\.06\d{2} to −0\.05\d{2}\), entirely below −0\.02 \(`max_score_drop` at `confidence` 95 %\)$/),
      },
    ]);
  });

  it('falls back to the point estimates, and says so, without per-document changes', () => {
    const result = withRunDetails(base(0.83), metrics(0.86, { document_scores: sample(SCORES), paired_changes: null }), drop(0.02, 'warn', 0.95));
    expect(result.passed).toBe(false);
    expect(result.comparison?.basis).toBe('point');
    const text = renderSummary(result);
    expect(text).toContain('fewer than 2 documents have a score in both runs, so \\`max\\_score\\_drop\\` used the point estimates');
    expect(buildOutputs(result)).toMatchObject({ score_delta_ci_low: '', score_delta_ci_high: '' });
    // Without confidence, the summary still says the change has no error bars.
    expect(renderSummary(withRunDetails(base(0.83), metrics(0.86, { document_scores: sample(SCORES), paired_changes: null }), drop(0.02)))).toContain(
      'the change is a point estimate, without error bars',
    );
  });

  it('warns, without failing, when the experiment has too few documents for the tolerance asked', () => {
    const few = metrics(0.86, { score: 0.86, document_scores: sample(SCORES), paired_changes: changes(12, 0, 0.05) });
    const result = withRunDetails(base(0.86), few, drop(0.02, 'warn', 0.95));
    expect(result.passed).toBe(true);
    const power = result.comparison?.statistics?.power;
    expect(power?.underpowered).toBe(true);
    // 12 changes of sd 0.0522: 0.02 + (t(0.975, 11) + t(0.8, 11)) · 0.0522 / √12 ≈ 0.0661.
    expect(power?.detectable_drop).toBeCloseTo(0.02 + (2.2009851600916384 + 0.8755299780738818) * (0.05 * Math.sqrt(12 / 11)) / Math.sqrt(12), 6);
    expect(power?.documents_needed).toBeGreaterThan(12);
    const text = renderSummary(result);
    expect(text).toContain('> [!WARNING]');
    expect(text).toContain(`about ${power?.documents_needed} documents scored in both runs`);
    // Enough documents: no warning.
    const many = withRunDetails(base(0.86), metrics(0.86, { document_scores: sample(SCORES), paired_changes: changes(2_000, 0, 0.05) }), drop(0.02, 'warn', 0.95));
    expect(many.comparison?.statistics?.power?.underpowered).toBe(false);
    expect(renderSummary(many)).not.toContain('[!WARNING]');
  });
});

describe('formatChange', () => {
  it('shows an arrow and a sign that agree with the rounded figure', () => {
    expect(formatChange(0.83 - 0.79)).toBe('▲ +0.04');
    expect(formatChange(0.79 - 0.83)).toBe('▼ −0.04');
    expect(formatChange(0.00001)).toBe('± 0');
  });
});

describe('the summary with details', () => {
  it('shows prior score, change, scored documents, capped lists, and escapes API strings', () => {
    const worst = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, filename: `<b>x</b>|${i}.pdf`, score: 0.5 + i / 100, prior_score: 0.6 }));
    const details = metrics(0.86, { worst_documents: worst, listed_document_count: 100, unscored_document_count: 0 });
    details.results = {
      state: 'ok', document_count: 100, status_counts: { completed: 60, error: 40 }, pages: 1, errored_document_count: 40,
      errored_documents: Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, document_id: `d${i}`, filename: null, status: 'error', message: '[link](http://evil.example)\n# h' })),
    };
    const text = renderSummary(withRunDetails(base(0.83), details, drop(null)), { rows: 5 });
    expect(text).toContain("| Change against the baseline | **▼ −0.03** against run exprun\\_1, Retab's previous completed run, 0.83 against 0.86 |  |");
    expect(text).toContain('| Documents | 12 / 12 completed, 11 scored |  |');
    expect(text).toContain('| &lt;b&gt;x&lt;/b&gt;\\|0.pdf | 0.5 | 0.6 | ▼ −0.1 |');
    expect(text).toContain('…and 95 more scored documents.');
    expect(text).toContain('<details><summary>Errored documents (40 of 100)</summary>');
    expect(text).toContain('- **d0**: \\[link\\]\\(http\\[:\\]//evil.example\\) \\# h');
    expect(text).toContain('- …and 35 more');
    expect(text).not.toMatch(/<b>|\]\(http/);
  });
});

describe('the confidence rule, by simulation (docs/statistics.md has the full table)', () => {
  /** The share of 2,000 simulated runs of n documents, with paired changes ~ N(delta, 0.05), that the rule fails. */
  function failRate(n: number, delta: number, seed: number): number {
    const random = mulberry32(seed);
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    let failed = 0;
    const trials = 2_000;
    for (let trial = 0; trial < trials; trial++) {
      const moments = new Moments();
      for (let i = 0; i < n; i++) moments.add(delta + 0.05 * normal());
      const paired = moments.sample();
      const result = withRunDetails(base(0.8), metrics(0.8, { score: 0.8 + (paired?.mean ?? 0), paired_changes: paired }), drop(0.02, 'warn', 0.95));
      if (!result.passed) failed += 1;
    }
    return failed / trials;
  }

  it('fails a true change of exactly −max_score_drop at most (1 − level) / 2 of the time, and no change almost never', () => {
    // 2.5 % plus three standard errors of a 2,000-trial rate (0.35 %).
    for (const n of [30, 100]) expect(failRate(n, -0.02, n)).toBeLessThan(0.025 + 3 * Math.sqrt((0.025 * 0.975) / 2_000));
    expect(failRate(30, 0, 1)).toBeLessThan(0.002);
    // And it does catch a large drop with enough documents.
    expect(failRate(100, -0.04, 2)).toBeGreaterThan(0.9);
  });
});
