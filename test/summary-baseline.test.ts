/** The short table names the baseline: the base branch's recorded run, `baseline_run_id`, or Retab's previous run. */
import { describe, expect, it } from 'vitest';
import { withRunDetails, type GateResult } from '../src/gate/result.js';
import type { MetricsDetails, RunDetails } from '../src/details/run-details.js';
import type { ExperimentRun } from '../src/retab/run.js';
import type { BaselineInfo } from '../src/verdict/regression.js';
import { renderComment } from '../src/github/comment-render.js';
import { renderSummary } from '../src/report/summary.js';
import { makeRun } from './support/runs.js';

const run: ExperimentRun = makeRun({ id: 'exprun_1', score: 0.83, error_count: 0 });
const result: GateResult = { status: 'completed', passed: true, failures: [], runId: 'exprun_1', threshold: 0.8, maxErrors: 0, run, errors: { known: true, count: 0, source: 'run' }, waitedMs: 1 };
const metrics: MetricsDetails = {
  state: 'ok', score: 0.83, prior_score: 0.86, prior_run_id: 'exprun_prev', listed_document_count: 12, unscored_document_count: 0,
  worst_documents: [], document_scores: null, paired_changes: null,
} as unknown as MetricsDetails;
const details: RunDetails = { requested_prior_run_id: null, metrics, results: { state: 'failed', message: 'x' } } as RunDetails;

function withBaseline(baseline?: BaselineInfo): string {
  const judged = withRunDetails(result, details, { maxScoreDrop: 0.05, onMissingComparison: 'warn', confidence: null });
  if (baseline && judged.comparison) judged.comparison = { ...judged.comparison, baseline };
  return renderSummary(judged);
}

const row = (text: string) => text.split('\n').find((line) => line.startsWith('| Change against the baseline |')) ?? '';

describe('the baseline in the short table', () => {
  it("without a recorded choice, names Retab's previous completed run", () => {
    expect(row(withBaseline())).toBe("| Change against the baseline | **▼ −0.03** against run exprun\\_prev, Retab's previous completed run, 0.83 against 0.86 | ≥ −0.05 ✅ |");
  });

  it("names the base branch's run with its commit, linked, and how far behind the base it is", () => {
    const text = withBaseline({ run_id: 'exprun_base', source: 'base', commit: { sha: 'abc1234def5678', url: 'https://github.com/octo/repo/commit/abc1234def5678', branch: 'main', behind: 2 }, note: null });
    expect(row(text)).toContain('against run exprun\\_base, gated on main at [abc1234](https://github.com/octo/repo/commit/abc1234def5678), 2 commits behind the base, 0.83 against 0.86');
  });

  it('never links a commit address that is not https', () => {
    const text = withBaseline({ run_id: 'exprun_base', source: 'base', commit: { sha: 'abc1234def5678', url: 'javascript:alert(1)', branch: null, behind: 0 }, note: null });
    expect(row(text)).toContain('against run exprun\\_base, gated at abc1234, the base commit itself, 0.83');
    expect(text).not.toContain('javascript');
  });

  it('names `baseline_run_id`, and says the note (nothing recorded on the base branch) before the first fold', () => {
    const input = withBaseline({ run_id: 'exprun_given', source: 'input', commit: null, note: null });
    expect(row(input)).toContain('against run exprun\\_given (`baseline_run_id`)');
    const note = 'No run of the base branch was found; add a push workflow to record one.';
    const fallback = withBaseline({ run_id: 'exprun_prev', source: 'previous', commit: null, note });
    expect(fallback.slice(0, fallback.indexOf('<details>'))).toMatch(/\n> (- )?No run of the base branch was found; add a push workflow to record one\.\n/);
    // The comment has the same shape.
    expect(renderComment(withRunDetails(result, details, { maxScoreDrop: 0.05, onMissingComparison: 'warn', confidence: null }), { marker: '<!-- m -->', label: '' }, {})).toContain("| Change against the baseline | **▼ −0.03** against run exprun\\_prev, Retab's previous completed run");
  });
});
