/**
 * The summary's account of the details read after the run: the change against the baseline, what
 * moved most, and the folded sections (documents, fields or labels, errored documents, the trend).
 * Every list is capped ("and N more") and every string from the API escaped and cut, so the text is
 * bounded however large the run.
 */
import { formatLevel, powerWarning } from '../verdict/comparison-statistics.js';
import type { FieldDetails, FieldUnavailable } from '../details/field-details.js';
import type { GateResult } from '../gate/result.js';
import type { BaselineInfo, Comparison } from '../verdict/regression.js';
import type { Interval } from '../common/statistics.js';
import type { ErroredDocument, MetricsDetails, ResultsDetails, WorstDocument } from '../details/run-details.js';
import { decimalsFor, fixed, formatScore } from '../common/format.js';
import { escapeMarkdown as md, markdownTable } from './markdown.js';

export type SummaryRow = [name: string, value: string, gate: string];

export interface DetailOptions {
  /** Rows per list (worst documents, errored documents). */
  rows?: number;
}

export const DEFAULT_DETAIL_ROWS = 20;
/** Rows of "what moved most" (documents, and as many fields), and errored documents shown before the first fold. */
export const VISIBLE_MOVES = 2;
export const VISIBLE_ERRORED = 5;

/** `▲ +0.04`, `▼ −0.04`, `± 0`: the sign and the arrow agree with the rounded figure. */
export function formatChange(delta: number): string {
  const rounded = Number(delta.toFixed(4));
  if (rounded === 0) return '± 0';
  return rounded > 0 ? `▲ +${formatScore(rounded)}` : `▼ −${formatScore(-rounded)}`;
}

/** The decimals an interval's figures share. */
export function intervalDecimals(interval: Interval): number {
  return decimalsFor([interval.mean, (interval.high - interval.low) / 2, interval.low, interval.high]);
}

/** `0.8442 ± 0.0637`, and `95 % CI 0.7805–0.9078`: each figure with the same decimals; a change's figures carry their sign. */
export function intervalParts(interval: Interval, signed: boolean): { figure: string; bounds: string } {
  const half = (interval.high - interval.low) / 2;
  const d = intervalDecimals(interval);
  const range = signed ? `${fixed(interval.low, d, true)} to ${fixed(interval.high, d, true)}` : `${fixed(interval.low, d, false)}–${fixed(interval.high, d, false)}`;
  return { figure: `${fixed(interval.mean, d, signed)} ± ${fixed(half, d, false)}`, bounds: `${formatLevel(interval.level)} CI ${range}` };
}

function regressed(result: GateResult): boolean {
  return result.failures.some((f) => f.rule === 'score_regressed');
}

/** The baseline as a reader names it: its run, and where the choice came from. */
export function baselineName(comparison: Comparison): string | null {
  const baseline: BaselineInfo | undefined = comparison.baseline;
  const runId = baseline ? baseline.run_id : comparison.prior_run_id;
  if (!runId) return null;
  const run = `run ${md(runId, 200)}`;
  if (!baseline || baseline.source === 'previous') return `${run}, Retab's previous completed run`;
  if (baseline.source === 'input') return `${run} (\`baseline_run_id\`)`;
  const commit = baseline.commit;
  if (!commit) return `${run}, gated on the base branch`;
  const short = md(commit.sha.slice(0, 7), 7);
  // The URL comes from GitHub's own answer for that commit; only an https address becomes a link.
  const at = commit.url && /^https:\/\/[^\s()<>]+$/.test(commit.url) ? `[${short}](${commit.url})` : short;
  const branch = commit.branch ? ` on ${md(commit.branch, 100)}` : '';
  const behind = commit.behind > 0 ? `, ${commit.behind} ${commit.behind === 1 ? 'commit' : 'commits'} behind the base` : ', the base commit itself';
  return `${run}, gated${branch} at ${at}${behind}`;
}

/**
 * The short table's row for the change against the baseline: the point change, its paired interval
 * when there is one, and the baseline named. The gate's mark only where the rule was checked on it.
 */
export function changeRows(result: GateResult): SummaryRow[] {
  const comparison = result.comparison;
  if (!comparison || comparison.delta === null) return [];
  const statistics = comparison.statistics;
  const interval = statistics?.change_interval ?? null;
  const maxDrop = comparison.max_score_drop;
  const mark = regressed(result) ? ' ❌' : ' ✅';
  let gate = '';
  if (maxDrop !== null && comparison.basis === 'point') gate = `≥ −${formatScore(maxDrop)}${mark}`;
  if (maxDrop !== null && comparison.basis === 'interval') gate = `upper bound ≥ −${formatScore(maxDrop)}${mark}`;
  let figure = `**${formatChange(comparison.delta)}**`;
  if (interval) {
    const { figure: value, bounds } = intervalParts(interval, true);
    figure = `**${value.startsWith('−') ? '▼ ' : value.startsWith('+') ? '▲ ' : ''}${value}** (${bounds}, ${interval.n} paired documents)`;
  }
  const measured = comparison.score !== null && comparison.prior_score !== null ? `, ${formatScore(comparison.score)} against ${formatScore(comparison.prior_score)}` : '';
  const baseline = baselineName(comparison);
  return [['Change against the baseline', `${figure}${baseline ? ` against ${baseline}` : ''}${measured}`, gate]];
}

/** The score's error bars, for the score row: over the documents, which is the measure compared. */
export function scoreInterval(result: GateResult): { decimals: number; text: string } | null {
  const interval = result.comparison?.statistics?.score_interval;
  if (!interval) return null;
  const { figure, bounds } = intervalParts(interval, false);
  return { decimals: intervalDecimals(interval), text: `mean of ${interval.n} ${interval.n === 1 ? 'document' : 'documents'} ${figure}, ${bounds}` };
}

/** How many documents have a score, for the documents row. */
export function scoredText(result: GateResult): string | null {
  const metrics = result.details?.metrics;
  if (metrics?.state !== 'ok') return null;
  const scored = metrics.scored_document_count ?? metrics.listed_document_count - metrics.unscored_document_count;
  return `${scored} scored`;
}

/** Run facts that belong to the comparison: the power, and the paired documents. */
export function comparisonFactRows(result: GateResult): SummaryRow[] {
  const statistics = result.comparison?.statistics;
  const rows: SummaryRow[] = [];
  const interval = statistics?.change_interval;
  if (statistics && interval && statistics.unpaired_document_count > 0) {
    rows.push(['Paired documents', `${interval.n} documents in both runs; ${statistics.unpaired_document_count} scored in this run only`, '']);
  }
  const power = statistics?.power;
  if (statistics && power) {
    rows.push(['Smallest drop caught 4 times in 5', `${formatScore(power.detectable_drop)} (${statistics.paired_document_count} paired documents, ${formatLevel(power.level)} interval rule)`, power.underpowered ? '⚠️ too few documents' : '']);
  }
  return rows;
}

/** The run facts' trend row: the experiment's recent completed runs as a sparkline, oldest first, or why there is none. */
export function trendRows(result: GateResult): SummaryRow[] {
  const trend = result.details?.trend;
  if (!trend) return [];
  if (trend.state !== 'ok') return [['Trend', `not drawn: ${md(trend.message, 300)}`, '']];
  const first = trend.points[0]?.score ?? 0;
  const last = trend.points.at(-1)?.score ?? 0;
  return [['Trend', `${formatScore(first)} ${trend.sparkline} ${formatScore(last)} (${trend.points.length} completed runs, oldest first; lowest ${formatScore(trend.min)}, highest ${formatScore(trend.max)})`, '']];
}

/** A `<details>` block: the summary line, a blank line, the body, the closing tag and a blank line. */
export function fold(summary: string, body: string[]): string[] {
  return [`<details><summary>${summary}</summary>`, '', ...body, '</details>', ''];
}

/**
 * What moved most against the baseline, regressions first: a few of the lowest-scoring documents and
 * of the fields read against the baseline.
 */
export function movedSection(result: GateResult, rows = VISIBLE_MOVES): string[] {
  const moves: Array<{ change: number; cells: string[] }> = [];
  const metrics = result.details?.metrics;
  if (metrics?.state === 'ok') {
    const docs = metrics.worst_documents.flatMap((doc) => (doc.prior_score === null ? [] : [{ change: doc.score - doc.prior_score, cells: [`document ${md(doc.filename ?? doc.id, 120)}`, ...scoreCells(doc.score, doc.prior_score)] }]));
    moves.push(...largest(docs, rows));
  }
  const fields = result.details?.fields;
  if (fields?.state === 'ok') {
    const changed = fields.changes.flatMap((field) => (field.change === null ? [] : [{ change: field.change, cells: [`field ${md(field.path, 120)}`, ...scoreCells(field.score, field.prior_score)] }]));
    moves.push(...largest(changed, rows));
  }
  if (moves.length === 0) return [];
  return ['#### What moved most', '', ...markdownTable(['', 'Score', 'Baseline', 'Change'], moves.sort(byMove).map((move) => move.cells))];
}

/** Regressions first, the largest drop first; then the largest gains. */
function byMove(a: { change: number }, b: { change: number }): number {
  return Number(a.change >= 0) - Number(b.change >= 0) || Math.abs(b.change) - Math.abs(a.change);
}

/** The few largest moves, leaving out the ones that round to none. */
function largest<T extends { change: number }>(moves: T[], rows: number): T[] {
  return moves.filter((move) => Number(move.change.toFixed(4)) !== 0).sort(byMove).slice(0, rows);
}

function scoreCells(score: number | null, prior: number | null): string[] {
  return [score === null ? '—' : formatScore(score), prior === null ? '—' : formatScore(prior), score === null || prior === null ? 'unknown' : formatChange(score - prior)];
}

/** The errored documents, open: the evidence when `max_errors` failed. */
export function erroredEvidence(result: GateResult, rows = VISIBLE_ERRORED): string[] {
  const results = result.details?.results;
  if (results?.state !== 'ok' || results.errored_document_count === 0) return [];
  return [`#### Errored documents (${results.errored_document_count} of ${results.document_count})`, '', ...erroredList(results, rows), ''];
}

/** The folded sections: errored documents (unless all were shown open: `erroredShown`), documents, fields or labels. */
export function foldedSections(result: GateResult, options: DetailOptions, erroredShown: number): string[] {
  const limit = Math.max(0, options.rows ?? DEFAULT_DETAIL_ROWS);
  const details = result.details;
  const lines: string[] = [];
  if (details?.results.state === 'ok' && details.results.errored_document_count > 0) {
    const results = details.results;
    const shown = Math.min(limit, results.errored_document_count);
    // Shown open already (`erroredShown` of them), with no more to list: no second copy.
    if (erroredShown === 0 || shown > erroredShown) lines.push(...fold(`Errored documents (${results.errored_document_count} of ${results.document_count})`, [...erroredList(results, limit), '']));
  }
  if (details?.metrics.state === 'ok') lines.push(...worstSection(details.metrics, limit));
  if (details?.fields) lines.push(...fieldSections(details.fields, limit));
  return lines;
}

/** What changed field by field in one table (score, baseline, change, weakest first), or the labels and confusions. */
function fieldSections(fields: FieldDetails | FieldUnavailable, limit: number): string[] {
  if (fields.state !== 'ok') return [];
  const rows = Math.min(limit, 10);
  const body: string[] = [];
  let title: string;
  if (fields.kind === 'fields') {
    title = `Fields: the ${Math.min(rows, fields.weakest.length)} lowest-scoring of ${fields.count}`;
    const changes = new Map(fields.changes.map((change) => [change.path, change]));
    const table = fields.weakest.slice(0, rows).map((field) => {
      const change = changes.get(field.path);
      return [md(field.path, 120), ...scoreCells(field.score, change ? change.prior_score : null).slice(0, 2), change ? (change.change === null ? 'unknown' : formatChange(change.change)) : '—'];
    });
    body.push(...markdownTable(['Field', 'Score', 'Baseline', 'Change'], table));
  } else {
    title = `Labels: the ${Math.min(rows, fields.weakest.length)} weakest of ${fields.count}`;
    if (fields.weakest.length > 0) body.push(...markdownTable(['Weakest label', 'Agreement'], fields.weakest.slice(0, rows).map((label) => [md(label.path, 120), formatScore(label.score)])));
    if (fields.flows.length > 0) body.push(...markdownTable(['Confused', 'Taken for', 'Share'], fields.flows.slice(0, rows).map((flow) => [md(flow.source, 120), md(flow.target, 120), formatScore(flow.score)])));
  }
  if (body.length === 0) return [];
  return fold(title, body);
}

/** What the fields could not show, for the notes. */
function fieldNotes(fields: FieldDetails | FieldUnavailable | undefined | null): string[] {
  if (!fields) return [];
  if (fields.state !== 'ok') return [`Field-by-field figures are not shown: ${fields.message}.`];
  const { failed, skipped, asked } = fields.reads;
  const notes: string[] = [];
  if (failed > 0) notes.push(`${failed} of ${asked} fields could not be read against the prior run (${fields.problem ?? 'no reason given'}).`);
  // The signal says why: the report's time budget, or the job's cancellation.
  if (skipped > 0) notes.push(`${skipped} fields were not read: ${fields.skip_reason ?? "the report's time budget ran out"}.`);
  return notes;
}

/** Why parts of the report are missing, and what else the reader must know: one note block, one warning. */
export function noteLines(result: GateResult): string[] {
  const details = result.details;
  const notes: string[] = [];
  const baselineNote = result.comparison?.baseline?.note;
  if (baselineNote) notes.push(baselineNote);
  if (details && details.metrics.state !== 'ok') {
    notes.push(`Per-document scores and the prior run are not shown, and the figures are point estimates without error bars: ${details.metrics.message}`);
  }
  if (details && details.results.state !== 'ok') notes.push(`Per-document results are not shown: ${details.results.message}`);
  const comparison = result.comparison;
  if (comparison?.note) notes.push(comparison.note);
  const statistics = comparison?.statistics;
  if (statistics && !statistics.score_interval) notes.push('Fewer than 2 documents have a score: the score has no error bars.');
  // With `confidence`, the rule's own remark says this already.
  const ruleSaysSo = comparison?.confidence !== null && comparison?.basis === 'point';
  if (statistics && statistics.score_interval && !statistics.change_interval && comparison?.prior_score !== null && !ruleSaysSo) {
    notes.push('Fewer than 2 documents have a score in both runs: the change is a point estimate, without error bars.');
  }
  notes.push(...(comparison?.remarks ?? []));
  notes.push(...fieldNotes(details?.fields));
  const lines = notes.length === 0 ? [] : ['> [!NOTE]', ...notes.map((note) => `> ${notes.length === 1 ? '' : '- '}${md(note, 1_000)}`), ''];
  const warning = powerWarning(comparison?.statistics, comparison?.max_score_drop ?? null);
  if (warning) lines.push('> [!WARNING]', `> ${md(warning, 1_000)}`, '');
  return lines;
}

function worstSection(metrics: MetricsDetails, limit: number): string[] {
  const shown = metrics.worst_documents.slice(0, limit);
  if (shown.length === 0) return [];
  const scored = metrics.listed_document_count - metrics.unscored_document_count;
  const body = markdownTable(['Document', 'Score', 'Baseline', 'Change'], shown.map(worstRow));
  const more = scored - shown.length;
  if (more > 0) body.push(`…and ${more} more scored ${more === 1 ? 'document' : 'documents'}.`, '');
  return fold(`Documents: the ${shown.length} lowest-scoring of ${scored}`, body);
}

function erroredList(results: ResultsDetails, limit: number): string[] {
  const shown = results.errored_documents.slice(0, limit);
  const lines = shown.map(erroredLine);
  const more = results.errored_document_count - shown.length;
  if (more > 0) lines.push(`- …and ${more} more`);
  return lines;
}

function worstRow(doc: WorstDocument): string[] {
  return [md(doc.filename ?? doc.id, 120), ...scoreCells(doc.score, doc.prior_score).slice(0, 2), doc.prior_score === null ? '—' : formatChange(doc.score - doc.prior_score)];
}

function erroredLine(doc: ErroredDocument): string {
  const name = md(doc.filename ?? doc.document_id ?? doc.id, 120);
  return `- **${name}**: ${doc.message ? md(doc.message, 300) : 'no message given'}`;
}
