/**
 * The error bars and the power of a comparison, from the sums kept while reading the metrics
 * summary (see details/run-details.ts): the interval of the documents' mean score, the interval of the
 * paired per-document change against the prior run, and the smallest true drop the interval rule
 * would catch four times out of five. Pure; null where the per-document data is missing.
 */
import type { MetricsDetails } from '../details/run-details.js';
import { formatScore } from '../common/format.js';
import { CHANGE_RANGE, POWER, SCORE_RANGE, detectableDrop, documentsNeeded, meanInterval, tQuantile, type Interval } from '../common/statistics.js';

/** The level of the intervals shown when `confidence` is empty (the rule then uses point estimates). */
export const DEFAULT_LEVEL = 0.95;

export interface Power {
  /** The level of the interval rule the figure is for. */
  level: number;
  /** The probability of catching `detectable_drop`: 0.8. */
  power: number;
  /** The smallest true drop caught with that probability, with the paired documents there are. */
  detectable_drop: number;
  /** Whether that drop is more than twice `max_score_drop` (above 0): too few documents for the tolerance asked. */
  underpowered: boolean;
  /** How many paired documents (with the same spread) would catch a drop of twice `max_score_drop`; null when no number would. */
  documents_needed: number | null;
}

export interface ComparisonStatistics {
  /** The level of `score_interval` and `change_interval`. */
  level: number;
  /** The interval of the mean per-document score. */
  score_interval: Interval | null;
  /** The interval of the mean per-document change (score − prior score) over the documents scored in both runs. */
  change_interval: Interval | null;
  /** Documents scored in both runs, and documents scored in this run only. */
  paired_document_count: number;
  unpaired_document_count: number;
  /** With `max_score_drop` and a paired interval. */
  power: Power | null;
}

export function comparisonStatistics(metrics: MetricsDetails, level: number, maxScoreDrop: number | null): ComparisonStatistics {
  const scores = metrics.document_scores;
  const changes = metrics.paired_changes;
  const changeInterval = changes ? meanInterval(changes, level, CHANGE_RANGE) : null;
  return {
    level,
    score_interval: scores ? meanInterval(scores, level, SCORE_RANGE) : null,
    change_interval: changeInterval,
    paired_document_count: changes?.n ?? 0,
    unpaired_document_count: Math.max(0, (scores?.n ?? 0) - (changes?.n ?? 0)),
    power: changes && changeInterval && maxScoreDrop !== null ? powerOf(changes, level, maxScoreDrop) : null,
  };
}

function powerOf(changes: { n: number; sd: number }, level: number, maxScoreDrop: number): Power | null {
  const drop = detectableDrop(changes, level, maxScoreDrop);
  if (drop === null) return null;
  // With no tolerance (0) there is no "twice the tolerance" to measure the experiment against: no warning.
  const underpowered = maxScoreDrop > 0 && drop > 2 * maxScoreDrop + 1e-12;
  return {
    level,
    power: POWER,
    detectable_drop: drop,
    underpowered,
    documents_needed: underpowered ? documentsNeeded(changes.sd, level, maxScoreDrop, 2 * maxScoreDrop) : null,
  };
}

/** 95 %, 99.5 %: a level as people write it. */
export function formatLevel(level: number): string {
  return `${Number((level * 100).toFixed(2))} %`;
}

/** Too few documents for the tolerance asked: a warning, never a failure. */
export function powerWarning(statistics: ComparisonStatistics | null | undefined, maxDrop: number | null): string | null {
  const power = statistics?.power;
  if (!power?.underpowered || maxDrop === null) return null;
  const paired = statistics?.paired_document_count ?? 0;
  const needed =
    power.documents_needed === null
      ? 'no number of documents would catch a drop of twice `max_score_drop`'
      : `about ${power.documents_needed} documents scored in both runs (with the same spread) would catch a drop of ${formatScore(2 * maxDrop)}`;
  return `This experiment has too few documents for \`max_score_drop\` ${formatScore(maxDrop)}: with ${paired} documents scored in both runs, only a true drop of ${formatScore(power.detectable_drop)} or more is caught 4 times out of 5 (${formatLevel(power.level)} interval rule); ${needed}.`;
}

/**
 * How far the summary's own change may lie from the mean change of its paired documents for
 * rounding alone: its score and prior score each rounded to two decimals (0.005 each).
 */
export const SUMMARY_ROUNDING = 0.01;

/**
 * Why the metrics summary contradicts its own documents, or null when it does not: its change
 * (score − prior_score) and the mean change of the documents scored in both runs are two
 * measurements of one figure, and they lie further apart than `changeTolerance` allows.
 */
export function summaryContradiction(metrics: MetricsDetails, level: number): string | null {
  const { score, prior_score: prior, paired_changes: changes } = metrics;
  if (score === null || prior === null || !changes || changes.n < 2) return null;
  const tolerance = changeTolerance(metrics, level);
  const gap = Math.abs(score - prior - changes.mean);
  if (tolerance === null || !(gap > tolerance + 1e-12)) return null;
  const half = tQuantile((1 + level) / 2, changes.n - 1) * (changes.sd / Math.sqrt(changes.n));
  return (
    `the summary contradicts its own documents: its score change, ${formatScore(score)} against ${formatScore(prior)} (${signedFigure(score - prior)}), ` +
    `lies ${formatScore(gap)} from the mean change of its ${changes.n} documents scored in both runs (${signedFigure(changes.mean)} ± ${formatScore(half)} at ${formatLevel(level)}), ` +
    `more than the ${formatScore(tolerance)} that the interval, rounding and the documents scored in one run only allow`
  );
}

/**
 * The largest gap between the summary's change and the paired mean change that is not a
 * contradiction: twice the paired interval's half-width at `level` (a summary that weighs its
 * documents otherwise than a plain mean), plus `SUMMARY_ROUNDING`, plus the most the documents the
 * two figures do not share can move the summary's means (scores lie in [0, 1], so u of n documents
 * move a mean by at most u / n). With every document paired and no spread, rounding alone.
 */
export function changeTolerance(metrics: Pick<MetricsDetails, 'paired_changes' | 'document_scores' | 'scored_document_count' | 'prior_only_document_count'>, level: number): number | null {
  const changes = metrics.paired_changes;
  if (!changes || changes.n < 2) return null;
  const half = tQuantile((1 + level) / 2, changes.n - 1) * (changes.sd / Math.sqrt(changes.n));
  // Scored in this run only: listed without a prior score, or counted by the summary but not listed.
  const scored = Math.max(metrics.document_scores?.n ?? changes.n, metrics.scored_document_count ?? 0, changes.n);
  const thisOnly = scored - changes.n;
  const priorOnly = metrics.prior_only_document_count;
  const unshared = thisOnly / scored + priorOnly / (changes.n + priorOnly);
  return 2 * half + SUMMARY_ROUNDING + unshared;
}

/** −0.06, +0.01, 0. */
function signedFigure(value: number): string {
  const rounded = Number(value.toFixed(4));
  return rounded < 0 ? `−${formatScore(-rounded)}` : rounded > 0 ? `+${formatScore(rounded)}` : '0';
}
