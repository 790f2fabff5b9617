/**
 * The regression gate: compare this run with the prior run (from the metrics summary) and fail
 * when the score fell by more than `max_score_drop`. Pure.
 *
 * Like with like: the metrics summary's `score` covers only the documents that produced a result,
 * and its `prior_score` is the same measure for the prior run, so the change is taken between
 * those two, never between the run's own `score` and the summary's `prior_score`.
 *
 * With a `confidence` level, the rule fails only when the whole interval of the paired per-document
 * change lies below −max_score_drop: a drop that may be noise passes, with a remark saying so.
 * Without per-document data for both runs it falls back to the point estimates, and says so.
 *
 * When there is nothing to compare with (no metrics, a failed read, no prior run), the verdict
 * stands on the run alone and a note says why, unless `on_missing_comparison: fail` asks for the
 * `max_score_drop` rule to fail instead.
 */
import { comparisonStatistics, DEFAULT_LEVEL, formatLevel, type ComparisonStatistics } from './comparison-statistics.js';
import type { RunDetails } from '../details/run-details.js';
import { decimalsFor, fixed, formatScore } from '../common/format.js';
import type { Failure } from './rules.js';
import { documentsNeeded } from '../common/statistics.js';

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
  /** The level for the interval rule, or `null` for the point estimates. */
  confidence: number | null;
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
  /** The `confidence` asked for; null: the rule uses point estimates. */
  confidence: number | null;
  /** What the `max_score_drop` rule stood on: the point change, or the paired interval. */
  basis: 'point' | 'interval' | null;
  /** Error bars and power, when the metrics summary was read. */
  statistics: ComparisonStatistics | null;
  /** Whether the regression gate was applied; when not, `note` says why. */
  applied: boolean;
  note: string | null;
  /** What else the reader must know: a drop that may be noise, a fallback to point estimates. */
  remarks: string[];
  /** Which run the comparison is with, and where that choice came from; absent until it is known. */
  baseline?: BaselineInfo;
  /**
   * With the interval rule, a fall past `max_score_drop` at the point estimate whose interval does
   * not lie wholly below it: the step passes, and the check run says inconclusive. How many paired
   * documents (with the same spread) would likely settle it; null when no number would.
   */
  inconclusive?: { documents_needed: number | null } | null;
}

/** What the baseline run, read from Retab, means for the comparison (see verdict/baseline.ts). */
export interface BaselineJudgement {
  info: BaselineInfo;
  /** Why the runs cannot be compared (another experiment, other documents), or null. */
  notComparable: string | null;
  /** The block did not change (same `block_execution_fingerprint`): any change is noise. */
  sameBlock: boolean;
}

/** Said when the block did not change between the two runs. */
export const NOISE_BY_CONSTRUCTION = 'the block did not change (the same `block_execution_fingerprint` in both runs): any change in the score is noise by construction';

/** Where the baseline came from: the base branch's recorded run, Retab's previous completed run, or `baseline_run_id`. */
export type BaselineSource = 'base' | 'previous' | 'input';

export interface BaselineInfo {
  /** The run compared with; null when there is none. */
  run_id: string | null;
  source: BaselineSource;
  /** With `base`: the commit whose check run recorded the baseline. */
  commit: { sha: string; url: string | null; branch: string | null; behind: number } | null;
  /** What the reader must know about the choice (no run of the base branch was found, and how to record one); null when nothing. */
  note: string | null;
}

export function compareWithPrior(details: RunDetails | null, policy: RegressionPolicy, baseline: BaselineJudgement | null = null): Comparison {
  const { maxScoreDrop, confidence } = policy;
  const metrics = details?.metrics;
  const notComparable = baseline?.notComparable ?? null;
  // No verdict is drawn from a baseline that is not comparable: as if there were nothing to compare with.
  const ok = metrics?.state === 'ok' && !notComparable ? metrics : null;
  const score = ok?.score ?? null;
  const prior = ok?.prior_score ?? null;
  const delta = score !== null && prior !== null ? score - prior : null;
  const statistics = ok ? comparisonStatistics(ok, confidence ?? DEFAULT_LEVEL, maxScoreDrop) : null;
  const interval = confidence !== null ? (statistics?.change_interval ?? null) : null;
  const basis = maxScoreDrop === null ? null : interval ? 'interval' : delta !== null ? 'point' : null;
  let why: string | null = null;
  if (maxScoreDrop !== null && basis === null) {
    if (notComparable) why = notComparable;
    else if (!metrics) why = 'the run did not finish';
    else if (metrics.state !== 'ok') why = metrics.message;
    else if (prior === null) why = 'Retab gave no prior score to compare with (is this the first run of the experiment?)';
    else why = "the metrics summary gives no score for this run (the run's own score is a different measure, so it is not compared)";
  }
  const remarks: string[] = [];
  if (maxScoreDrop !== null && confidence !== null && basis === 'point') {
    remarks.push(`\`confidence\` is set, but fewer than 2 documents have a score in both runs, so \`max_score_drop\` used the point estimates`);
  }
  if (notComparable && maxScoreDrop === null) remarks.push(notComparable);
  if (baseline?.sameBlock && !notComparable) remarks.push(NOISE_BY_CONSTRUCTION);
  return {
    score,
    prior_score: prior,
    prior_run_id: ok?.prior_run_id ?? null,
    delta,
    measure: COMPARED_MEASURE,
    max_score_drop: maxScoreDrop,
    on_missing_comparison: policy.onMissingComparison,
    confidence,
    basis,
    statistics,
    applied: basis !== null,
    note: why && `the regression gate (\`max_score_drop\`) was not applied: ${why}`,
    remarks,
    // Retab's previous run is known once the metrics name it.
    ...(baseline ? { baseline: baseline.info.source === 'previous' && baseline.info.run_id === null ? { ...baseline.info, run_id: ok?.prior_run_id ?? null } : baseline.info } : {}),
  };
}



/** A paired change and its interval with the same decimals: `−0.0600 (95 % CI −0.0675 to −0.0525)`. */
function intervalText(interval: { mean: number; low: number; high: number; level: number }): string {
  const d = decimalsFor([interval.mean, interval.low, interval.high]);
  return `${fixed(interval.mean, d, true)} (${formatLevel(interval.level)} CI ${fixed(interval.low, d, true)} to ${fixed(interval.high, d, true)})`;
}

function boundsText(interval: { low: number; high: number }): string {
  const d = decimalsFor([interval.low, interval.high]);
  return `${fixed(interval.low, d, true)} to ${fixed(interval.high, d, true)}`;
}

/** `cut`: the metrics were not read because another experiment failed first (`fail_fast`): a missing comparison is then not this run's failure. */
export function regressionFailure(comparison: Comparison, runStatus: string, cut = false): Failure | null {
  const { delta, max_score_drop: maxDrop, score, prior_score: prior } = comparison;
  if (maxDrop === null) return null;
  const interval = comparison.basis === 'interval' ? comparison.statistics?.change_interval : null;
  if (interval) {
    if (interval.high >= -maxDrop - EPSILON) return null;
    return {
      rule: 'score_regressed',
      message: `the score fell: the mean change over the ${interval.n} documents scored in both runs is ${intervalText(interval)}, entirely below −${formatScore(maxDrop)} (\`max_score_drop\` at \`confidence\` ${formatLevel(interval.level)})`,
    };
  }
  if (comparison.basis !== 'point' || delta === null || score === null || prior === null) {
    // A run that did not complete already fails; the missing comparison would only repeat it.
    if (comparison.on_missing_comparison !== 'fail' || runStatus !== 'completed' || !comparison.note || cut) return null;
    return { rule: 'comparison_unavailable', message: `${comparison.note} (\`on_missing_comparison: fail\`)` };
  }
  if (-delta <= maxDrop + EPSILON) return null;
  const against = comparison.prior_run_id ? ` (run ${comparison.prior_run_id})` : '';
  return {
    rule: 'score_regressed',
    message: `score ${formatScore(score)} fell ${formatScore(-delta)} below the prior score ${formatScore(prior)}${against}; at most ${formatScore(maxDrop)} allowed (\`max_score_drop\`; scores of the documents that produced a result)`,
  };
}

/**
 * With the interval rule, a fall past `max_score_drop` that passed: it may be noise, and the reader
 * is told. Only when the interval itself reaches past −max_score_drop: a zero-width interval (or one
 * entirely above) leaves no doubt to call noise.
 */
function noiseRemark(comparison: Comparison): string | null {
  const interval = comparison.basis === 'interval' ? comparison.statistics?.change_interval : null;
  const maxDrop = comparison.max_score_drop;
  if (!interval || maxDrop === null) return null;
  const fell = Math.min(interval.mean, comparison.delta ?? Infinity);
  if (fell >= -maxDrop - EPSILON || interval.high < -maxDrop - EPSILON || interval.low >= -maxDrop - EPSILON) return null;
  return `the score fell by more than \`max_score_drop\` (${formatScore(maxDrop)}), but the ${formatLevel(interval.level)} interval of the paired change (${boundsText(interval)}, ${interval.n} documents) does not lie entirely below −${formatScore(maxDrop)}: the drop may be noise, so the regression gate passes`;
}

/** How many paired documents would likely settle an inconclusive drop: its interval wholly below −max_score_drop, 4 times out of 5. */
function inconclusive(comparison: Comparison, details: RunDetails | null): { documents_needed: number | null } {
  const interval = comparison.statistics?.change_interval;
  const changes = details?.metrics.state === 'ok' ? details.metrics.paired_changes : null;
  const maxDrop = comparison.max_score_drop;
  if (!interval || !changes || maxDrop === null) return { documents_needed: null };
  return { documents_needed: documentsNeeded(changes.sd, interval.level, maxDrop, -interval.mean) };
}

/**
 * The comparison with the prior run, its remarks, and the failure of the `max_score_drop` rule, if
 * any, for a run whose wait ended in `runStatus`.
 */
export function judgeRegression(details: RunDetails | null, policy: RegressionPolicy, runStatus: string, baseline: BaselineJudgement | null = null): { comparison: Comparison; failure: Failure | null } {
  const compared = compareWithPrior(details, policy, baseline);
  const noise = noiseRemark(compared);
  const comparison = noise ? { ...compared, remarks: [...compared.remarks, noise], inconclusive: inconclusive(compared, details) } : compared;
  return { comparison, failure: regressionFailure(comparison, runStatus, details?.metrics.state === 'cut') };
}
