/**
 * The summary's account of the details read after the run: the prior score and the change, scored
 * documents, the worst documents and the errored ones. Every list is capped ("and N more") and
 * every string from the API escaped and cut, so the text is bounded however large the run.
 */
import type { GateResult } from '../gate-result.js';
import type { ErroredDocument, MetricsDetails, ResultsDetails, WorstDocument } from '../run-details.js';
import { formatScore } from '../verdict.js';
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

/** Rows for the figures table, after the score: the prior score and the change. */
export function comparisonRows(result: GateResult): SummaryRow[] {
  const comparison = result.comparison;
  if (!comparison) return [];
  const rows: SummaryRow[] = [];
  if (comparison.prior_score !== null) {
    const against = comparison.prior_run_id ? ` (run ${md(comparison.prior_run_id, 200)})` : '';
    rows.push(['Prior score', `${formatScore(comparison.prior_score)}${against}`, '']);
  }
  if (comparison.delta !== null) {
    const maxDrop = comparison.max_score_drop;
    const gate = maxDrop === null ? '' : `≥ −${formatScore(maxDrop)}${result.failures.some((f) => f.rule === 'score_regressed') ? ' ❌' : ' ✅'}`;
    // Which measure: the summary's score over the documents with a result, for both runs (like with like).
    const measured = comparison.score !== null && comparison.prior_score !== null ? ` (${formatScore(comparison.score)} against ${formatScore(comparison.prior_score)}, scored documents only)` : '';
    rows.push(['Change', `**${formatChange(comparison.delta)}**${measured}`, gate]);
  }
  return rows;
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
  if (details?.results.state === 'ok') lines.push(...erroredSection(details.results, limit));
  return lines;
}

/** Why parts of the report are missing, one Markdown note each. */
function noteLines(result: GateResult): string[] {
  const details = result.details;
  const notes: string[] = [];
  if (details && details.metrics.state !== 'ok') notes.push(`Per-document scores and the prior run are not shown: ${details.metrics.message}`);
  if (details && details.results.state !== 'ok') notes.push(`Per-document results are not shown: ${details.results.message}`);
  if (result.comparison?.note) notes.push(result.comparison.note);
  return notes.flatMap((note) => ['> [!NOTE]', `> ${md(note, 1_000)}`, '']);
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
