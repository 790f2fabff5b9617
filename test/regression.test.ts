import { describe, expect, it } from 'vitest';
import type { GateResult } from '../src/gate-result.js';
import { withRunDetails } from '../src/regression.js';
import { formatChange } from '../src/report/details-summary.js';
import { buildOutputs } from '../src/report/outputs.js';
import { renderSummary } from '../src/report/summary.js';
import type { MetricsDetails, RunDetails } from '../src/run-details.js';
import type { ExperimentRun } from '../src/retab/run.js';

const run = (score: number | null): ExperimentRun => ({
  id: 'exprun_2', status: 'completed', message: null, error_code: null, block_name: null, reason: null, experiment_id: 'exp_abc', workflow_id: null, workflow_version_id: null,
  workflow_name: null, block_id: null, block_kind: null, n_consensus: null, score, error_count: 0, total_document_count: 12,
  completed_document_count: 12, created_at: null, started_at: null, completed_at: null, duration_ms: null, trigger: null, parent_run_id: null,
});

const base = (score: number | null): GateResult => ({
  status: 'completed', passed: true, failures: [], runId: 'exprun_2', threshold: 0.5, maxErrors: 0, run: run(score), waitedMs: 1000,
});

const metrics = (prior: number | null, extra: Partial<MetricsDetails> = {}): RunDetails => ({
  requested_prior_run_id: null,
  metrics: {
    state: 'ok', score: 0.83, prior_score: prior, prior_run_id: 'exprun_1', scored_document_count: 11, total_document_count: 12,
    listed_document_count: 12, unscored_document_count: 1, worst_documents: [], ...extra,
  },
  results: { state: 'ok', document_count: 12, status_counts: { completed: 12 }, errored_documents: [], errored_document_count: 0, pages: 1 },
});

describe('the regression gate', () => {
  it('fails when the score fell by more than max_score_drop, naming the figures', () => {
    const result = withRunDetails(base(0.83), metrics(0.86), 0.02);
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      { rule: 'score_regressed', message: 'score 0.83 fell 0.03 below the prior score 0.86 (run exprun_1); at most 0.02 allowed (`max_score_drop`)' },
    ]);
    expect(buildOutputs(result)).toMatchObject({ prior_score: '0.86', score_delta: '-0.03' });
  });

  it('passes a drop of exactly max_score_drop despite float noise, and any rise', () => {
    expect(withRunDetails(base(0.85), metrics(0.87), 0.02).passed).toBe(true);
    expect(withRunDetails(base(0.9), metrics(0.87), 0).passed).toBe(true);
    expect(withRunDetails(base(0.8699), metrics(0.87), 0).passed).toBe(false);
  });

  it('stands on the run alone, with a note, when there is nothing to compare with', () => {
    const first = withRunDetails(base(0.83), metrics(null), 0.02);
    expect(first.passed).toBe(true);
    expect(first.comparison?.note).toMatch(/not applied: Retab gave no prior score/);
    const none: RunDetails = { requested_prior_run_id: null, metrics: { state: 'no_metrics', message: 'run exprun_2 has no metrics yet' }, results: metrics(null).results };
    const unavailable = withRunDetails(base(0.83), none, 0.02);
    expect(unavailable.passed).toBe(true);
    expect(renderSummary(unavailable)).toContain('run exprun\\_2 has no metrics yet');
    expect(buildOutputs(unavailable)).toMatchObject({ prior_score: '', score_delta: '' });
  });

  it('keeps the run verdict: a low score still fails without a regression rule', () => {
    const result = withRunDetails({ ...base(0.4), passed: false, failures: [{ rule: 'score_below_threshold', message: 'low' }] }, metrics(0.41), 0.02);
    expect(result.failures.map((f) => f.rule)).toEqual(['score_below_threshold']);
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
    const text = renderSummary(withRunDetails(base(0.83), details, null), { rows: 5 });
    expect(text).toContain('| Prior score | 0.86 (run exprun\\_1) |  |');
    expect(text).toContain('| Change | **▼ −0.03** |  |');
    expect(text).toContain('| Scored documents | 11 / 12 |  |');
    expect(text).toContain('| &lt;b&gt;x&lt;/b&gt;\\|0.pdf | 0.5 | 0.6 | ▼ −0.1 |');
    expect(text).toContain('…and 95 more scored documents.');
    expect(text).toContain('#### Errored documents (40 of 100)');
    expect(text).toContain('- **d0**: \\[link\\]\\(http\\[:\\]//evil.example\\) \\# h');
    expect(text).toContain('- …and 35 more');
    expect(text).not.toMatch(/<b>|\]\(http/);
  });
});
