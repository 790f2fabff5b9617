/**
 * The job summary, as Markdown, on one screen: the verdict and its reason, the failing rules, one
 * short table (score, change against the baseline, errors, documents), the evidence of the rule
 * that failed, what moved most; everything else folded in `<details>`. Pure: the same result always
 * renders the same text. Every string from the API is escaped and bounded, so the summary stays far
 * below GitHub's 1 MiB limit.
 */
import { describeCancellation } from '../start/cancel-run.js';
import { formatDuration } from '../common/duration.js';
import type { StartedBy } from '../inputs/github-context.js';
import { errorsOf, type GateResult } from '../gate/result.js';
import type { ExperimentRun } from '../retab/run.js';
import { formatScore } from '../common/format.js';
import { formatLevel } from '../verdict/comparison-statistics.js';
import { errorWhere, type Rule } from '../verdict/rules.js';
import {
  changeRows,
  comparisonFactRows,
  erroredEvidence,
  VISIBLE_ERRORED,
  VISIBLE_MOVES,
  fold,
  foldedSections,
  movedSection,
  noteLines,
  scoredText,
  scoreInterval,
  trendRows,
  type DetailOptions,
  type SummaryRow,
} from './details-summary.js';
import { cutToFit, escapeMarkdown as md, markdownTable } from './markdown.js';

const TITLE = 'Retab experiment gate';
/** GitHub's limit for one step's summary, in bytes. */
export const MAX_SUMMARY_BYTES = 1024 * 1024;

export function renderSummary(result: GateResult, options: DetailOptions = {}): string {
  // Bounded by construction far below the limit; the cut only guards against a future change.
  return cutToFit(summaryLines(result, options).join('\n'), MAX_SUMMARY_BYTES - 1, '\n\n…(cut to fit a job summary)\n', (text) => Buffer.byteLength(text));
}

/** The summary without its headline: one experiment's part of a report that gives its own heading. */
export function summaryBody(result: GateResult, options: DetailOptions = {}): string {
  return summaryLines(result, options).slice(1).join('\n').trim();
}

/** The headline's reasons for a failure, e.g. "score below threshold, too many errors"; empty on a pass. */
export function failureLabels(result: GateResult): string {
  return [...new Set(result.failures.map((failure) => RULE_LABELS[failure.rule]))].join(', ');
}

/** The most lines before the first fold: one screen. */
export const VISIBLE_LINES = 30;

/**
 * The errored documents (when `max_errors` failed) and what moved most, in `room` lines: fewer
 * rows of each until they fit, the moves giving way first. The folded lists below hold them all.
 */
function visibleEvidence(result: GateResult, erroredShown: boolean, room: number): { lines: string[]; errored: number } {
  const steps: Array<[errored: number, moves: number]> = [[VISIBLE_ERRORED, VISIBLE_MOVES], [VISIBLE_ERRORED, 1], [3, 1], [3, 0], [1, 0], [0, 0]];
  let last = { lines: [] as string[], errored: 0 };
  for (const [errored, moves] of steps) {
    const shown = erroredShown ? errored : 0;
    last = { lines: [...(shown > 0 ? erroredEvidence(result, shown) : []), ...(moves > 0 ? movedSection(result, moves) : [])], errored: shown };
    // The blank line that ends the last section is not a line a reader counts.
    if (last.lines.length - 1 <= room) return last;
  }
  return last;
}

function summaryLines(result: GateResult, options: DetailOptions): string[] {
  const lines = [headline(result), ''];
  if (result.startedBy) lines.push(startedByLine(result, result.startedBy), '');
  if (result.failures.length > 0) {
    for (const failure of result.failures) lines.push(`- ${md(failure.message, 1_000)}`);
    lines.push('');
  }
  // The status read after cancelling is the run's last word: said before the table.
  if (result.cancellation) lines.push(md(describeCancellation(result.cancellation), 1_000), '');
  const rows = tableRows(result);
  if (rows.length > 0) lines.push(...markdownTable(['', 'Value', 'Gate'], rows));
  lines.push(...noteLines(result));
  // The evidence of the rule that failed comes first.
  const erroredShown = result.failures.some((failure) => failure.rule === 'too_many_errors');
  const evidence = visibleEvidence(result, erroredShown, VISIBLE_LINES - lines.length);
  lines.push(...evidence.lines);
  lines.push(...foldedSections(result, options, evidence.errored));
  const facts = factRows(result);
  if (facts.length > 0) lines.push(...fold(result.details?.trend?.state === 'ok' ? 'Trend and run facts' : 'Run facts', markdownTable(['', 'Value', ''], facts)));
  return lines;
}

const RULE_LABELS: Record<Rule, string> = {
  run_error: 'the run ended in error',
  run_cancelled: 'the run was cancelled',
  timed_out: 'timed out',
  interrupted: 'interrupted',
  api_error: 'Retab API error',
  internal_error: 'unexpected error',
  not_found: 'run not found',
  no_score: 'no score',
  score_below_threshold: 'score below threshold',
  too_many_errors: 'too many errors',
  errors_unknown: 'error count unknown',
  score_regressed: 'score regressed',
  comparison_unavailable: 'no comparison with the prior run',
  input_error: 'invalid input',
};

function headline(result: GateResult): string {
  if (result.passed) {
    const why = passReasons(result);
    return `### ✅ ${TITLE}: passed${why ? ` (${why})` : ''}`;
  }
  return `### ❌ ${TITLE}: failed (${failureLabels(result)})`;
}

/** "Run exprun_1 was started by this workflow: [CI #42](…/actions/runs/…) at commit 0123abc." */
function startedByLine(result: GateResult, by: StartedBy): string {
  const runId = result.run?.id ?? result.runId;
  const label = `${md(by.workflow ?? 'workflow run', 200)}${by.runNumber ? ` #${by.runNumber}` : ''}`;
  // The URL is built only from values checked against GitHub's shapes (see inputs/github-context.ts).
  const link = by.url ? `[${label}](${by.url})` : label;
  const commit = by.commit ? ` at commit ${by.commit}` : '';
  return `${runId ? `Run ${md(runId)}` : 'The run'} was started by this workflow: ${link}${commit}.`;
}

/** Why a pass passed: the rules checked, with their figures. */
function passReasons(result: GateResult): string {
  const run = result.run;
  const reasons: string[] = [];
  if (run?.score != null && result.threshold !== null) reasons.push(`score ${formatScore(run.score)} ≥ ${formatScore(result.threshold)}`);
  const errors = errorsOf(result);
  if (errors?.known && result.maxErrors !== null) reasons.push(`${errors.count} ${errors.count === 1 ? 'error' : 'errors'} ≤ ${result.maxErrors}`);
  const comparison = result.comparison;
  if (comparison?.applied && comparison.delta !== null && comparison.max_score_drop !== null) {
    // Passed on an interval that reaches past the tolerance: the drop may be noise, not "no drop".
    const interval = comparison.basis === 'interval' ? comparison.statistics?.change_interval : null;
    const straddles = interval && interval.low < -comparison.max_score_drop && comparison.delta < 0;
    reasons.push(straddles ? `a drop of ${formatScore(-comparison.delta)} that may be noise at ${formatLevel(interval.level)}` : `no drop beyond ${formatScore(comparison.max_score_drop)}`);
  }
  return reasons.join(', ');
}

/** Why no rule on the run's figures was checked, or null when the run completed. */
function notChecked(result: GateResult): string | null {
  const run = result.run;
  if (!run) return 'not checked: no run was read';
  if (run.status === 'completed') return null;
  if (run.status === 'error') return 'not checked: the run ended in error';
  if (run.status === 'cancelled') return 'not checked: the run was cancelled';
  return `not checked: the run did not finish (still ${md(run.status)})`;
}

/** The short table: score, change against the baseline, errors, documents (and the status when the run did not complete). */
function tableRows(result: GateResult): SummaryRow[] {
  const run = result.run;
  const rows: SummaryRow[] = [];
  const skipped = notChecked(result);
  if (result.threshold !== null || run) rows.push(['Score', scoreText(result, skipped), scoreGate(result, skipped)]);
  rows.push(...changeRows(result));
  if (result.maxErrors !== null || run) rows.push(['Errors', skipped ?? errorsText(result), errorsGate(result, skipped)]);
  if (!run) {
    if (result.runId) rows.push(['Run', md(result.runId), '']);
    return rows;
  }
  const scored = scoredText(result);
  rows.push(['Documents', `${documents(run)}${scored ? `, ${scored}` : ''}`, '']);
  if (run.status !== 'completed' || result.cancellation) rows.push(['Status', statusText(run, result), '']);
  return rows;
}

function scoreText(result: GateResult, skipped: string | null): string {
  const score = result.run?.score;
  if (score === null || score === undefined) return skipped ?? 'none given';
  const interval = scoreInterval(result);
  // With its error bars, the score takes their decimals.
  return interval ? `**${score.toFixed(interval.decimals)}** (${interval.text})` : `**${formatScore(score)}**`;
}

/** The trend and the run facts, folded: status, duration, consensus, block, workflow, the run, who started it, the power. */
function factRows(result: GateResult): SummaryRow[] {
  const run = result.run;
  if (!run) return [];
  const rows: SummaryRow[] = [];
  rows.push(...trendRows(result));
  rows.push(['Status', statusText(run, result), '']);
  rows.push(['Duration', duration(run, result), '']);
  if (run.n_consensus !== null) rows.push(['Consensus', `${run.n_consensus}\\-way`, '']);
  if (run.block_id || run.block_kind) rows.push(['Block', joinKnown([run.block_id, run.block_kind && `(${run.block_kind})`]), '']);
  const workflow = workflowText(run);
  if (workflow) rows.push(['Workflow', workflow, '']);
  rows.push(['Run', joinKnown([run.id, run.experiment_id && `of experiment ${run.experiment_id}`]), '']);
  rows.push(...comparisonFactRows(result));
  return rows;
}

function scoreGate(result: GateResult, skipped: string | null): string {
  if (result.threshold === null) return '';
  const score = result.run?.score;
  // A mark only for a rule that was checked: a completed run with a score.
  const mark = skipped || score === null || score === undefined ? '' : score >= result.threshold ? ' ✅' : ' ❌';
  return `≥ ${formatScore(result.threshold)}${mark}`;
}

/** Unknown is shown as unknown, never as 0; a count taken from the per-document results says so. */
export function errorsText(result: GateResult): string {
  const errors = errorsOf(result);
  if (!errors) return '—';
  if (!errors.known) return errors.cut ? 'not counted (reads cut by `fail_fast`)' : 'unknown';
  return errors.source === 'results' ? `${errors.count} (counted in the per-document results)` : String(errors.count);
}

function errorsGate(result: GateResult, skipped: string | null): string {
  if (result.maxErrors === null) return '';
  // Only a completed run is judged on its errors.
  const errors = skipped ? null : errorsOf(result);
  if (!errors) return `≤ ${result.maxErrors}`;
  // Not counted because another experiment failed first: not checked, so neither mark.
  const mark = !errors.known && errors.cut ? '' : !errors.known || errors.count > result.maxErrors ? ' ❌' : ' ✅';
  return `≤ ${result.maxErrors}${mark}`;
}

function documents(run: ExperimentRun): string {
  if (run.total_document_count === null) return run.completed_document_count === null ? '—' : `${run.completed_document_count} completed`;
  return `${run.completed_document_count ?? 0} / ${run.total_document_count} completed`;
}

function statusText(run: ExperimentRun, result: GateResult): string {
  // After a cancel, the status Retab answered the cancel with, not the one read before it.
  const cancelled = result.cancellation?.kind === 'cancelled' ? result.cancellation.status : null;
  if (cancelled && cancelled !== run.status) return `${md(cancelled)} (after cancelling; it was ${md(run.status)})`;
  const detail = run.status === 'error' ? run.message : run.status === 'cancelled' ? run.reason : null;
  return detail ? `${md(run.status)}: ${md(detail)}${md(errorWhere(run))}` : md(run.status);
}

function duration(run: ExperimentRun, result: GateResult): string {
  const runTime = run.duration_ms === null ? '—' : formatDuration(run.duration_ms);
  return result.waitedMs === null ? runTime : `${runTime} (waited ${formatDuration(result.waitedMs)})`;
}

function workflowText(run: ExperimentRun): string {
  const version = run.workflow_version_id && `version ${run.workflow_version_id}`;
  return joinKnown([run.workflow_name, run.workflow_id && (run.workflow_name ? `(${run.workflow_id})` : run.workflow_id), version]);
}

/** The known parts, each escaped, joined by spaces. */
function joinKnown(parts: Array<string | null | undefined>): string {
  return parts
    .filter((part): part is string => Boolean(part))
    .map((part) => md(part, 200))
    .join(' ');
}
