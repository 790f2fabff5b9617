/**
 * The report of several experiments stays within GitHub's limits however large the runs: 50
 * experiments of 50,000 documents each, with the longest lists the details keep (documents,
 * fields, the trend, the statistics) and hostile text at its longest. The summary stays under
 * 1 MiB, the comment under 65,536 characters, and both say what was left out.
 */
import { describe, expect, it } from 'vitest';
import { MAX_COMMENT_CHARS } from '../src/github/comment-render.js';
import type { GateResult } from '../src/gate/result.js';
import type { ExperimentOutcome, ManyResult } from '../src/many/gate-many.js';
import { buildManyOutputs } from '../src/many/outputs.js';
import { renderManyComment } from '../src/many/artifacts.js';
import { renderManySummary } from '../src/many/summary.js';
import { MAX_OUTPUT_BYTES } from '../src/report/outputs.js';
import { MAX_SUMMARY_BYTES } from '../src/report/summary.js';
import { comparisonStatistics } from '../src/verdict/comparison-statistics.js';
import { FIELD_LIMITS } from '../src/details/field-details.js';
import { DETAIL_LIMITS, type MetricsDetails } from '../src/details/run-details.js';
import { TREND_RUNS } from '../src/details/trend.js';
import { makeRun } from './support/runs.js';

const DOCUMENTS = 50_000;
/** Characters that grow the most when escaped (`<` becomes `&lt;`). */
const hostile = (length: number) => '<&>'.repeat(Math.ceil(length / 3)).slice(0, length);

function largeResult(index: number, passed: boolean): GateResult {
  const errors = 5_000;
  const metrics: MetricsDetails = {
    state: 'ok',
    score: 0.87,
    prior_score: 0.88,
    prior_run_id: 'exprun_prior',
    scored_document_count: DOCUMENTS - errors,
    total_document_count: DOCUMENTS,
    listed_document_count: DOCUMENTS,
    unscored_document_count: errors,
    prior_only_document_count: 0,
    document_scores: { n: DOCUMENTS - errors, mean: 0.87, sd: 0.2 },
    paired_changes: { n: DOCUMENTS - errors - 1_000, mean: -0.01, sd: 0.3 },
    worst_documents: Array.from({ length: DETAIL_LIMITS.worstDocuments }, (_, i) => ({ id: `expdoc_${i}`, filename: hostile(400), score: 0.1, prior_score: 0.2 })),
  };
  return {
    status: 'completed',
    passed,
    failures: passed ? [] : [{ rule: 'too_many_errors', message: `${errors} errors occurred; at most 0 allowed (\`max_errors\`) ${hostile(900)}` }],
    runId: `exprun_${index}`,
    threshold: 0.8,
    maxErrors: 0,
    run: makeRun({ id: `exprun_${index}`, total_document_count: DOCUMENTS, completed_document_count: DOCUMENTS, error_count: errors, workflow_name: hostile(300) }),
    waitedMs: 60_000,
    details: {
      requested_prior_run_id: null,
      metrics,
      results: {
        state: 'ok',
        document_count: DOCUMENTS,
        status_counts: { completed: DOCUMENTS - errors, error: errors },
        errored_documents: Array.from({ length: DETAIL_LIMITS.erroredDocuments }, (_, i) => ({ id: `expres_${i}`, document_id: `expdoc_${i}`, filename: hostile(400), status: 'error', message: hostile(2_000) })),
        errored_document_count: errors,
        pages: 500,
      },
      // Every statistics section at its longest: the fields read and weakest, and the trend.
      fields: {
        state: 'ok',
        kind: 'fields',
        count: 5_000,
        weakest: Array.from({ length: FIELD_LIMITS.rows }, (_, i) => ({ path: `${hostile(300)}.${i}`, score: 0.1 })),
        changes: Array.from({ length: FIELD_LIMITS.reads }, (_, i) => ({ path: `${hostile(300)}.${i}`, score: 0.1, prior_score: 0.3, change: -0.2 })),
        flows: [],
        reads: { asked: FIELD_LIMITS.reads, answered: FIELD_LIMITS.reads - 1, failed: 1, skipped: 0 },
        problem: hostile(2_000),
        skip_reason: null,
      },
      trend: {
        state: 'ok',
        points: Array.from({ length: TREND_RUNS }, (_, i) => ({ id: `exprun_${index}_${i}`, score: 0.8 + i / 200, created_at: '2026-11-01T00:00:00Z' })),
        sparkline: '▁▂▃▄▅▆▇█'.repeat(3).slice(0, TREND_RUNS),
        min: 0.8,
        max: 0.8 + (TREND_RUNS - 1) / 200,
      },
    },
    comparison: {
      score: 0.87,
      prior_score: 0.88,
      prior_run_id: 'exprun_prior',
      delta: -0.01,
      measure: 'the metrics summary score',
      max_score_drop: 0.02,
      on_missing_comparison: 'warn',
      confidence: 0.95,
      basis: 'interval',
      statistics: comparisonStatistics(metrics, 0.95, 0.02),
      applied: false,
      note: null,
      remarks: [],
    },
  };
}

function fifty(failing: (index: number) => boolean): ManyResult {
  const experiments: ExperimentOutcome[] = Array.from({ length: 50 }, (_, index) => ({
    line: index + 1,
    name: `${hostile(90)}${index}`,
    experimentId: `exp_${index}`,
    result: largeResult(index, !failing(index)),
    endedRank: index,
    stopped: false,
  }));
  const failed = experiments.filter((outcome) => !outcome.result.passed);
  return { passed: failed.length === 0, experiments, headline: failed[0] ?? experiments[0]!, stoppedBy: null };
}

describe('the report of 50 experiments of 50,000 documents each', () => {
  it.each([
    ['every experiment failing', () => true],
    ['every experiment passing', () => false],
    ['half failing', (index: number) => index % 2 === 0],
  ])('%s: the summary stays under 1 MiB and keeps the table whole', (_, failing) => {
    const many = fifty(failing);
    const summary = renderManySummary(many);
    expect(Buffer.byteLength(summary)).toBeLessThan(MAX_SUMMARY_BYTES);
    // The table is never cut: a row per experiment.
    for (let index = 0; index < 50; index++) expect(summary).toContain(`| **${'&lt;&amp;&gt;'.repeat(30)}${index}** |`);
    // The statistics sections are there for the experiments whose details fit.
    expect(summary).toContain('▁▂▃▄▅▆▇█');
    expect(summary).toContain('paired documents)');
    expect(summary).toContain('Smallest drop caught 4 times in 5');
    // What was cut is said.
    expect(summary).toMatch(/The details of \d+ experiments? \(.*\) are left out to fit GitHub's size limit|…and \d+ more/);
  });

  it('the comment stays under 65,536 characters and says which experiments it leaves out, failures kept first', () => {
    const many = fifty((index) => index >= 40);
    const comment = renderManyComment(many, '<!-- marker -->', '<sub>footer</sub>');
    expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(comment.startsWith('<!-- marker -->')).toBe(true);
    expect(comment.endsWith('<sub>footer</sub>')).toBe(true);
    expect(comment).toMatch(/The details of \d+ experiments \(.* and \d+ more\) are left out to fit GitHub's size limit/);
    // A failing experiment's details come before any passing one's.
    expect(comment).toContain('<details><summary>❌');
    expect(comment.indexOf('<details><summary>❌')).toBeGreaterThan(0);
  });

  it('a small report is not cut at all', () => {
    const many = fifty(() => false);
    many.experiments.splice(3);
    for (const outcome of many.experiments) outcome.result.details = null;
    const summary = renderManySummary(many);
    expect(summary).not.toContain('left out');
    // Each experiment folded once (its own folds nest inside).
    expect(summary.match(/<details><summary>(✅|❌|⏹️) /gu)).toHaveLength(3);
  });

  it('the results output holds every experiment, bounded', () => {
    const outputs = buildManyOutputs(fifty(() => true));
    const results = JSON.parse(outputs.results) as unknown[];
    expect(results).toHaveLength(50);
    expect(Buffer.byteLength(outputs.results)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
  });
});
