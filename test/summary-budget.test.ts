/** However much there is to say, a single experiment's summary keeps to one screen before its first fold. */
import { describe, expect, it } from 'vitest';
import { withRunDetails, type GateResult } from '../src/gate/result.js';
import type { RunDetails } from '../src/details/run-details.js';
import { renderSummary, VISIBLE_LINES } from '../src/report/summary.js';
import { makeRun } from './support/runs.js';

const visible = (text: string) => text.slice(0, text.indexOf('<details>')).trimEnd().split('\n');

describe('the visible-line budget', () => {
  it('with a started-by line, a baseline note, remarks and 100 errored documents: at most 30 lines, the errored documents first and all listed in the fold', () => {
    const worst = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, filename: `${i}.pdf`, score: 0.5 + i / 100, prior_score: 0.6 + i / 50 }));
    const details: RunDetails = {
      requested_prior_run_id: null,
      metrics: {
        state: 'ok', score: 0.8, prior_score: 0.86, prior_run_id: 'exprun_1', scored_document_count: 30, total_document_count: 130,
        listed_document_count: 30, unscored_document_count: 0, prior_only_document_count: 0, worst_documents: worst, document_scores: null, paired_changes: null,
      },
      results: {
        state: 'ok', document_count: 130, status_counts: { completed: 30, error: 100 }, pages: 2, errored_document_count: 100,
        errored_documents: Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, document_id: `e${i}`, filename: null, status: 'error', message: 'failed' })),
      },
    } as RunDetails;
    const base: GateResult = {
      status: 'completed', passed: false, failures: [{ rule: 'too_many_errors', message: '100 errors occurred; at most 0 allowed' }], runId: 'exprun_2', threshold: 0.5, maxErrors: 0,
      run: makeRun({ id: 'exprun_2', score: 0.8, error_count: 100 }), errors: { known: true, count: 100, source: 'run' }, waitedMs: 1000,
      startedBy: { workflow: 'CI', runNumber: '4', url: null, commit: '0123abc' },
    } as GateResult;
    const result = withRunDetails(base, details, { maxScoreDrop: 0.5, onMissingComparison: 'warn', confidence: null });
    if (result.comparison) result.comparison = { ...result.comparison, remarks: ['one remark', 'another remark', 'a third remark'], baseline: { run_id: 'exprun_1', source: 'previous', commit: null, note: 'no run of the base branch was found' } };
    const text = renderSummary(result);
    const lines = visible(text);
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(VISIBLE_LINES);
    expect(VISIBLE_LINES).toBe(30);
    const errored = text.indexOf('#### Errored documents (100 of 130)');
    expect(errored).toBeGreaterThan(0);
    expect(errored).toBeLessThan(text.indexOf('<details>'));
    expect(text).toContain('<details><summary>Errored documents (100 of 130)</summary>');
  });
});
