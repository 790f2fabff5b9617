/**
 * The regression gate: compare the run's score with the prior run's (from the metrics summary) and
 * fail when it fell by more than `max_score_drop`. Pure. When there is nothing to compare with
 * (no metrics, a failed read, no prior run), the verdict stands on the run alone and a note says why.
 */
import type { GateResult } from './gate-result.js';
import type { RunDetails } from './run-details.js';
import { formatScore, type Failure } from './verdict.js';

/** Float noise must not fail a drop of exactly `max_score_drop`. */
const EPSILON = 1e-9;

export interface Comparison {
  score: number | null;
  prior_score: number | null;
  prior_run_id: string | null;
  /** score − prior_score, or null when either is unknown. */
  delta: number | null;
  max_score_drop: number | null;
  /** Whether the regression gate was applied; when not, `note` says why. */
  applied: boolean;
  note: string | null;
}

export function compareWithPrior(result: GateResult, details: RunDetails | null, maxScoreDrop: number | null): Comparison {
  const metrics = details?.metrics;
  const ok = metrics?.state === 'ok' ? metrics : null;
  // The gated score is the run's; the metrics' own score stands in only when the run has none.
  const score = result.run?.score ?? ok?.score ?? null;
  const prior = ok?.prior_score ?? null;
  const delta = score !== null && prior !== null ? score - prior : null;
  let note: string | null = null;
  if (maxScoreDrop !== null && delta === null) {
    if (!metrics) note = 'the run did not finish';
    else if (metrics.state !== 'ok') note = metrics.message;
    else if (prior === null) note = 'Retab gave no prior score to compare with (is this the first run of the experiment?)';
    else note = 'the run has no score';
  }
  return {
    score,
    prior_score: prior,
    prior_run_id: ok?.prior_run_id ?? null,
    delta,
    max_score_drop: maxScoreDrop,
    applied: maxScoreDrop !== null && delta !== null,
    note: note && `the regression gate (\`max_score_drop\`) was not applied: ${note}`,
  };
}

export function regressionFailure(comparison: Comparison): Failure | null {
  const { delta, max_score_drop: maxDrop, score, prior_score: prior } = comparison;
  if (!comparison.applied || delta === null || maxDrop === null || score === null || prior === null) return null;
  if (-delta <= maxDrop + EPSILON) return null;
  const against = comparison.prior_run_id ? ` (run ${comparison.prior_run_id})` : '';
  return {
    rule: 'score_regressed',
    message: `score ${formatScore(score)} fell ${formatScore(-delta)} below the prior score ${formatScore(prior)}${against}; at most ${formatScore(maxDrop)} allowed (\`max_score_drop\`)`,
  };
}

/** The gate result with the details read after the run, the comparison, and the regression rule applied. */
export function withRunDetails(result: GateResult, details: RunDetails | null, maxScoreDrop: number | null): GateResult {
  const comparison = compareWithPrior(result, details, maxScoreDrop);
  const failure = regressionFailure(comparison);
  const failures = failure ? [...result.failures, failure] : result.failures;
  return { ...result, details, comparison, failures, passed: failures.length === 0 };
}
