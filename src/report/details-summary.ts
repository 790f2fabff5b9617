/**
 * The summary's account of the details read after the run: the prior score and the change, scored
 * documents, the worst documents and the errored ones. Every list is capped ("and N more") and
 * every string from the API escaped and cut, so the text is bounded however large the run.
 */
import { formatLevel, powerWarning, type ComparisonStatistics } from '../verdict/comparison-statistics.js';
import type { FieldChange, FieldDetails, FieldUnavailable } from '../details/field-details.js';
import type { GateResult } from '../gate/result.js';
import type { BaselineInfo, Comparison } from '../verdict/regression.js';
import type { Interval } from '../common/statistics.js';
import type { ErroredDocument, MetricsDetails, ResultsDetails, WorstDocument } from '../details/run-details.js';
import { formatScore } from '../common/format.js';
import { escapeMarkdown as md, markdownTable } from './markdown.js';

export type SummaryRow = [name: string, value: string, gate: string];

export interface DetailOptions {
  /** Rows per list (worst documents, errored documents). */
  rows?: number;
}

export const DEFAULT_DETAIL_ROWS = 20;

/** `▲ +0.04`, `▼ −0.04`, `± 0`: the sign and the arrow agree with the rounded figure. */
export function formatChange(delta: number): string {
  const rounded = Number(delta.toFixed(4));
  if (rounded === 0) return '± 0';
  return rounded > 0 ? `▲ +${formatScore(rounded)}` : `▼ −${formatScore(-rounded)}`;
}

/** `0.8442 ± 0.0637 (95 % CI 0.7805–0.9078, 12 documents)`; the change's bounds carry their sign. */
function intervalText(interval: Interval, signed: boolean, documents: string): string {
  const half = (interval.high - interval.low) / 2;
  const value = signed ? formatChangeFigure(interval.mean) : formatScore(interval.mean);
  const bounds = signed ? `${formatChangeFigure(interval.low)} to ${formatChangeFigure(interval.high)}` : `${formatScore(interval.low)}–${formatScore(interval.high)}`;
  return `${value} ± ${formatScore(half)} (${formatLevel(interval.level)} CI ${bounds}, ${documents})`;
}

/** −0.06, +0.01, 0. */
function formatChangeFigure(value: number): string {
  const rounded = Number(value.toFixed(4));
  return rounded < 0 ? `−${formatScore(-rounded)}` : rounded > 0 ? `+${formatScore(rounded)}` : '0';
}

function regressed(result: GateResult): boolean {
  return result.failures.some((f) => f.rule === 'score_regressed');
}

/** Rows for the figures table, after the score: its error bars, the prior score, the change and its error bars, the power. */
export function comparisonRows(result: GateResult): SummaryRow[] {
  const comparison = result.comparison;
  if (!comparison) return [];
  const statistics = comparison.statistics;
  const rows: SummaryRow[] = [];
  if (statistics?.score_interval) {
    const n = statistics.score_interval.n;
    rows.push([`Score, ${formatLevel(statistics.level)} CI`, intervalText(statistics.score_interval, false, `mean of ${n} ${n === 1 ? 'document' : 'documents'}`), '']);
  }
  if (comparison.prior_score !== null) {
    const against = comparison.prior_run_id ? ` (run ${md(comparison.prior_run_id, 200)})` : '';
    rows.push(['Prior score', `${formatScore(comparison.prior_score)}${against}`, '']);
  }
  const baseline = comparison.baseline && baselineText(comparison.baseline);
  if (baseline) rows.push(['Baseline', baseline, '']);
  const maxDrop = comparison.max_score_drop;
  if (comparison.delta !== null) {
    const gate = maxDrop === null || comparison.basis !== 'point' ? '' : `≥ −${formatScore(maxDrop)}${regressed(result) ? ' ❌' : ' ✅'}`;
    // Which measure: the summary's score over the documents with a result, for both runs (like with like).
    const measured = comparison.score !== null && comparison.prior_score !== null ? ` (${formatScore(comparison.score)} against ${formatScore(comparison.prior_score)}, scored documents only)` : '';
    rows.push(['Change', `**${formatChange(comparison.delta)}**${measured}`, gate]);
  }
  if (statistics?.change_interval) rows.push(changeIntervalRow(result, comparison, statistics, statistics.change_interval));
  const power = statistics?.power;
  if (power) {
    rows.push(['Smallest drop caught 4 times in 5', `${formatScore(power.detectable_drop)} (${statistics.paired_document_count} paired documents, ${formatLevel(power.level)} interval rule)`, power.underpowered ? '⚠️ too few documents' : '']);
  }
  return rows;
}

/** "exprun_x, gated on `main` at [abc1234](…), 2 commits behind the base"; null without a run. */
export function baselineText(baseline: BaselineInfo): string | null {
  if (!baseline.run_id) return null;
  const run = md(baseline.run_id, 200);
  if (baseline.source === 'input') return `${run} (\`baseline_run_id\`)`;
  if (baseline.source === 'previous' || !baseline.commit) return `${run} (Retab's previous completed run)`;
  const { sha, url, branch, behind } = baseline.commit;
  const short = md(sha.slice(0, 7), 7);
  const at = url ? `[${short}](${url})` : short;
  const ago = behind === 0 ? 'the base commit itself' : `${behind} commit${behind === 1 ? '' : 's'} behind`;
  return `${run}, gated on ${branch ? md(branch, 200) : 'the base branch'} at ${at}, ${ago}`;
}

function changeIntervalRow(result: GateResult, comparison: Comparison, statistics: ComparisonStatistics, interval: Interval): SummaryRow {
  const unpaired = statistics.unpaired_document_count;
  const documents = `${interval.n} documents in both runs${unpaired > 0 ? `; ${unpaired} scored in this run only` : ''}`;
  const maxDrop = comparison.max_score_drop;
  const gate = maxDrop !== null && comparison.basis === 'interval' ? `upper bound ≥ −${formatScore(maxDrop)}${regressed(result) ? ' ❌' : ' ✅'}` : '';
  return [`Change, ${formatLevel(statistics.level)} CI (paired)`, intervalText(interval, true, documents), gate];
}

/** A row for the figures table: the experiment's recent completed runs as a sparkline, oldest first. */
export function trendRows(result: GateResult): SummaryRow[] {
  const trend = result.details?.trend;
  if (!trend) return [];
  if (trend.state !== 'ok') return [['Trend', `— (${md(trend.message, 300)})`, '']];
  const first = trend.points[0]?.score ?? 0;
  const last = trend.points.at(-1)?.score ?? 0;
  return [['Trend', `${formatScore(first)} ${trend.sparkline} ${formatScore(last)} (${trend.points.length} completed runs, oldest first; lowest ${formatScore(trend.min)}, highest ${formatScore(trend.max)})`, '']];
}

/** A row for the figures table, after the documents: how many documents have a score. */
export function scoredRow(result: GateResult): SummaryRow[] {
  const metrics = result.details?.metrics;
  if (metrics?.state !== 'ok') return [];
  const scored = metrics.scored_document_count ?? metrics.listed_document_count - metrics.unscored_document_count;
  const total = metrics.total_document_count ?? result.run?.total_document_count ?? null;
  return [['Scored documents', total === null ? String(scored) : `${scored} / ${total}`, '']];
}

/** The sections after the table: notes on what could not be read, worst documents, errored documents. */
export function detailSections(result: GateResult, options: DetailOptions = {}): string[] {
  const limit = Math.max(0, options.rows ?? DEFAULT_DETAIL_ROWS);
  const lines = noteLines(result);
  const details = result.details;
  if (details?.metrics.state === 'ok') lines.push(...worstSection(details.metrics, limit));
  if (details?.fields) lines.push(...fieldSections(details.fields, limit));
  if (details?.results.state === 'ok') lines.push(...erroredSection(details.results, limit));
  return lines;
}

/** What changed field by field, the weakest fields (or labels), the largest confusions; what could not be read. */
function fieldSections(fields: FieldDetails | FieldUnavailable, limit: number): string[] {
  if (fields.state !== 'ok') return ['> [!NOTE]', `> ${md(`Field-by-field figures are not shown: ${fields.message}.`, 1_000)}`, ''];
  const rows = Math.min(limit, 10);
  const lines: string[] = [];
  if (fields.kind === 'fields') {
    lines.push('#### Fields', '');
    if (fields.changes.length > 0) {
      lines.push(`Against the prior run, the ${fields.reads.asked} lowest-scoring of ${fields.count} fields, the largest move first:`, '');
      lines.push(...markdownTable(['Field', 'Score', 'Prior', 'Change'], fields.changes.slice(0, rows).map(fieldChangeRow)));
    }
    lines.push(...markdownTable(['Weakest field', 'Score'], fields.weakest.slice(0, rows).map((field) => [md(field.path, 120), formatScore(field.score)])));
  } else {
    lines.push('#### Labels', '');
    if (fields.weakest.length > 0) lines.push(...markdownTable(['Weakest label', 'Agreement'], fields.weakest.slice(0, rows).map((label) => [md(label.path, 120), formatScore(label.score)])));
    if (fields.flows.length > 0) lines.push(...markdownTable(['Confused', 'Taken for', 'Share'], fields.flows.slice(0, rows).map((flow) => [md(flow.source, 120), md(flow.target, 120), formatScore(flow.score)])));
  }
  const { failed, skipped, asked } = fields.reads;
  const missing: string[] = [];
  if (failed > 0) missing.push(`${failed} of ${asked} fields could not be read against the prior run (${fields.problem ?? 'no reason given'})`);
  // The signal says why: the report's time budget, or the job's cancellation.
  if (skipped > 0) missing.push(`${skipped} fields were not read: ${fields.skip_reason ?? "the report's time budget ran out"}`);
  for (const line of missing) lines.push('> [!NOTE]', `> ${md(`${line}.`, 1_000)}`, '');
  return lines;
}

function fieldChangeRow(field: FieldChange): string[] {
  return [
    md(field.path, 120),
    field.score === null ? '—' : formatScore(field.score),
    field.prior_score === null ? '—' : formatScore(field.prior_score),
    field.change === null ? 'unknown' : formatChange(field.change),
  ];
}

/** Why parts of the report are missing, one Markdown note each. */
function noteLines(result: GateResult): string[] {
  const details = result.details;
  const notes: string[] = [];
  if (details && details.metrics.state !== 'ok') {
    notes.push(`Per-document scores and the prior run are not shown, and the figures are point estimates without error bars: ${details.metrics.message}`);
  }
  if (details && details.results.state !== 'ok') notes.push(`Per-document results are not shown: ${details.results.message}`);
  const comparison = result.comparison;
  if (comparison?.note) notes.push(comparison.note);
  if (comparison?.baseline?.note) notes.push(comparison.baseline.note);
  const statistics = comparison?.statistics;
  if (statistics && !statistics.score_interval) notes.push('Fewer than 2 documents have a score: the score has no error bars.');
  // With `confidence`, the rule's own remark says this already.
  const ruleSaysSo = comparison?.confidence !== null && comparison?.basis === 'point';
  if (statistics && statistics.score_interval && !statistics.change_interval && comparison?.prior_score !== null && !ruleSaysSo) {
    notes.push('Fewer than 2 documents have a score in both runs: the change is a point estimate, without error bars.');
  }
  notes.push(...(comparison?.remarks ?? []));
  const lines = notes.flatMap((note) => ['> [!NOTE]', `> ${md(note, 1_000)}`, '']);
  const warning = powerWarning(comparison?.statistics, comparison?.max_score_drop ?? null);
  if (warning) lines.push('> [!WARNING]', `> ${md(warning, 1_000)}`, '');
  return lines;
}


function worstSection(metrics: MetricsDetails, limit: number): string[] {
  if (metrics.worst_documents.length === 0) return [];
  const scored = metrics.listed_document_count - metrics.unscored_document_count;
  const shown = metrics.worst_documents.slice(0, limit);
  const lines = ['#### Lowest-scoring documents', ''];
  if (shown.length > 0) lines.push(...markdownTable(['Document', 'Score', 'Prior', 'Change'], shown.map(worstRow)));
  const more = scored - shown.length;
  if (more > 0) lines.push(`…and ${more} more scored ${more === 1 ? 'document' : 'documents'}.`, '');
  return lines;
}

function erroredSection(results: ResultsDetails, limit: number): string[] {
  if (results.errored_document_count === 0) return [];
  const shown = results.errored_documents.slice(0, limit);
  const lines = [`#### Errored documents (${results.errored_document_count} of ${results.document_count})`, '', ...shown.map(erroredLine)];
  const more = results.errored_document_count - shown.length;
  if (more > 0) lines.push(`- …and ${more} more`);
  lines.push('');
  return lines;
}

function worstRow(doc: WorstDocument): string[] {
  const name = md(doc.filename ?? doc.id, 120);
  const prior = doc.prior_score === null ? '—' : formatScore(doc.prior_score);
  const change = doc.prior_score === null ? '—' : formatChange(doc.score - doc.prior_score);
  return [name, formatScore(doc.score), prior, change];
}
function erroredLine(doc: ErroredDocument): string {
  const name = md(doc.filename ?? doc.document_id ?? doc.id, 120);
  return `- **${name}**: ${doc.message ? md(doc.message, 300) : 'no message given'}`;
}
