/**
 * The regression gate: compare this run with the prior run (from the metrics summary) and fail
 * when the score fell by more than `max_score_drop`. Pure.
 *
 * Like with like: the metrics summary's `score` covers only the documents that produced a result,
 * and its `prior_score` is the same measure for the prior run, so the change is taken between
 * those two, never between the run's own `score` and the summary's `prior_score`.
 *
 * When there is nothing to compare with (no metrics, a failed read, no prior run), the verdict
 * stands on the run alone and a note says why, unless `on_missing_comparison: fail` asks for the
 * `max_score_drop` rule to fail instead.
 */
import type { GateResult } from './gate-result.js';
import type { RunDetails } from './run-details.js';
import { formatScore, type Failure } from './verdict.js';

/** Float noise must not fail a drop of exactly `max_score_drop`. */
const EPSILON = 1e-9;

/** What the change is measured on, said in the summary and the report. */
export const COMPARED_MEASURE = 'the metrics summary score (the mean over the documents that produced a result), for both runs';

export type MissingComparison = 'warn' | 'fail';

export interface RegressionPolicy {
  /** The largest fall that still passes, or `null` for no regression gate. */
  maxScoreDrop: number | null;
  /** What an unreadable comparison does to the `max_score_drop` rule. */
  onMissingComparison: MissingComparison;
}

export interface Comparison {
  /** This run's metrics summary score: the measure compared (see `COMPARED_MEASURE`). */
  score: number | null;
  /** The same measure for the prior run. */
  prior_score: number | null;
  prior_run_id: string | null;
  /** score − prior_score, or null when either is unknown. */
  delta: number | null;
  measure: string;
  max_score_drop: number | null;
  on_missing_comparison: MissingComparison;
  /** Whether the regression gate was applied; when not, `note` says why. */
  applied: boolean;
  note: string | null;
}

export function compareWithPrior(result: GateResult, details: RunDetails | null, policy: RegressionPolicy): Comparison {
  const maxScoreDrop = policy.maxScoreDrop;
  const metrics = details?.metrics;
  const ok = metrics?.state === 'ok' ? metrics : null;
  const score = ok?.score ?? null;
  const prior = ok?.prior_score ?? null;
  const delta = score !== null && prior !== null ? score - prior : null;
  let why: string | null = null;
  if (maxScoreDrop !== null && delta === null) {
    if (!metrics) why = 'the run did not finish';
    else if (metrics.state !== 'ok') why = metrics.message;
    else if (prior === null) why = 'Retab gave no prior score to compare with (is this the first run of the experiment?)';
    else why = "the metrics summary gives no score for this run (the run's own score is a different measure, so it is not compared)";
  }
  return {
    score,
    prior_score: prior,
    prior_run_id: ok?.prior_run_id ?? null,
    delta,
    measure: COMPARED_MEASURE,
    max_score_drop: maxScoreDrop,
    on_missing_comparison: policy.onMissingComparison,
    applied: maxScoreDrop !== null && delta !== null,
    note: why && `the regression gate (\`max_score_drop\`) was not applied: ${why}`,
  };
}

export function regressionFailure(comparison: Comparison, result: GateResult): Failure | null {
  const { delta, max_score_drop: maxDrop, score, prior_score: prior } = comparison;
  if (maxDrop === null) return null;
  if (!comparison.applied || delta === null || score === null || prior === null) {
    // A run that did not complete already fails; the missing comparison would only repeat it.
    if (comparison.on_missing_comparison !== 'fail' || result.status !== 'completed' || !comparison.note) return null;
    return { rule: 'comparison_unavailable', message: `${comparison.note} (\`on_missing_comparison: fail\`)` };
  }
  if (-delta <= maxDrop + EPSILON) return null;
  const against = comparison.prior_run_id ? ` (run ${comparison.prior_run_id})` : '';
  return {
    rule: 'score_regressed',
    message: `score ${formatScore(score)} fell ${formatScore(-delta)} below the prior score ${formatScore(prior)}${against}; at most ${formatScore(maxDrop)} allowed (\`max_score_drop\`; scores of the documents that produced a result)`,
  };
}

/** The gate result with the details read after the run, the comparison, and the regression rule applied. */
export function withRunDetails(result: GateResult, details: RunDetails | null, policy: RegressionPolicy): GateResult {
  const comparison = compareWithPrior(result, details, policy);
  const failure = regressionFailure(comparison, result);
  const failures = failure ? [...result.failures, failure] : result.failures;
  return { ...result, details, comparison, failures, passed: failures.length === 0 };
}
