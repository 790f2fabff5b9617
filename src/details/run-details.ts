/**
 * What the action reads about a finished run besides the run itself: the metrics summary (the
 * prior run's score, each document's score) and the per-document results (which documents
 * errored, and why). Best-effort: a failure here is recorded and reported, never thrown, and the
 * verdict then stands on the run alone. Memory stays bounded however large the run: result pages
 * are streamed and only the worst and the first errored documents are kept, with counts.
 */
import { backoffDelay, type BackoffOptions } from '../common/backoff.js';
import { BoundedCounts, FirstN, RepeatDetector, WorstK } from './bounded.js';
import type { RetabClient } from '../retab/client.js';
import { isRetryable, retryAfterOf } from '../retab/errors.js';
import { readFieldDetails, type FieldDetails, type FieldUnavailable } from './field-details.js';
import type { DocumentScore, LastRun, MetricsSummary } from '../retab/metrics.js';
import { readAggregate, type Aggregate } from '../retab/targets.js';
import type { Trend, TrendUnavailable } from './trend.js';
import { formatScore } from '../common/format.js';
import type { DocumentResult, ResultsPage } from '../retab/results.js';
import { Moments, type Sample } from '../common/statistics.js';
import type { Timing } from '../common/timing.js';
import { messageOf } from '../common/errors.js';
import { StopRequest } from '../start/cancel-run.js';

/** How many rows the report keeps; the summary and the comment show fewer. */
export const DETAIL_LIMITS = { worstDocuments: 100, erroredDocuments: 100 } as const;

export interface WorstDocument {
  id: string;
  filename: string | null;
  score: number;
  prior_score: number | null;
}

export interface ErroredDocument {
  id: string;
  document_id: string | null;
  /** From the metrics summary, when its documents carry the same id. */
  filename: string | null;
  status: string;
  message: string | null;
}

/**
 * Why a read gave nothing usable: Retab said so (`no_metrics`, `stale_metrics`), the read failed, or
 * it was cut because another experiment failed first (`fail_fast`): nothing wrong with this run.
 */
export interface Unavailable {
  state: 'no_metrics' | 'stale_metrics' | 'failed' | 'cut';
  message: string;
}

export interface MetricsDetails {
  state: 'ok';
  score: number | null;
  prior_score: number | null;
  prior_run_id: string | null;
  scored_document_count: number | null;
  total_document_count: number | null;
  /** The documents listed, and how many of them had no score. */
  listed_document_count: number;
  unscored_document_count: number;
  /** Of those without a score, how many have a prior score: the prior run scored them, this run did not. */
  prior_only_document_count: number;
  /** The lowest-scoring documents, worst first, at most `DETAIL_LIMITS.worstDocuments`. */
  worst_documents: WorstDocument[];
  /** The documents' scores as n, mean and spread (kept as sums while reading), or null when none has one. */
  document_scores: Sample | null;
  /** score − prior_score of the documents scored in both runs, the same way; null when none was. */
  paired_changes: Sample | null;
}

export interface ResultsDetails {
  state: 'ok';
  document_count: number;
  /** Documents per lifecycle status, e.g. `{"completed": 11, "error": 1}`. */
  status_counts: Record<string, number>;
  /** The first documents that errored, at most `DETAIL_LIMITS.erroredDocuments`. */
  errored_documents: ErroredDocument[];
  errored_document_count: number;
  pages: number;
}

export interface RunDetails {
  /** The run compared with: `baseline_run_id` when given, else Retab's choice (the previous completed run). */
  requested_prior_run_id: string | null;
  metrics: MetricsDetails | Unavailable;
  results: ResultsDetails | Unavailable;
  /** What changed field by field (see field-details.ts); absent when the metrics could not be read. */
  fields?: FieldDetails | FieldUnavailable | null;
  /** The experiment's recent completed runs (see trend.ts); absent when not read. */
  trend?: Trend | TrendUnavailable | null;
}

export interface ReadDetailsOptions extends Pick<Timing, 'sleep' | 'random'> {
  runId: string;
  baselineRunId: string | null;
  signal: AbortSignal;
  debug?: (line: string) => void;
  limits?: { worstDocuments: number; erroredDocuments: number };
  /** Retries per request for transient failures. */
  retries?: number;
  /** Why a metrics summary that was read cannot be used (it contradicts itself), or null; see `summaryContradiction`. */
  checkMetrics?: (metrics: MetricsDetails) => string | null;
  backoff?: BackoffOptions;
}

/** Lifecycle statuses counted one by one; Retab has six, so any beyond this are counted together. */
const MAX_COUNTED_STATUSES = 20;
const OTHER_STATUSES = '(other)';

const DETAIL_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 5_000 };
/** The details are best-effort: a longer `Retry-After` than this is not worth holding the step for. */
export const MAX_DETAIL_RETRY_WAIT_MS = 10_000;

type DetailsClient = Pick<RetabClient, 'getMetricsSummary' | 'getResultsPage' | 'getTargetMetrics'>;

export async function readRunDetails(client: DetailsClient, options: ReadDetailsOptions): Promise<RunDetails> {
  const limits = options.limits ?? DETAIL_LIMITS;
  // Both reads at once; the metrics are reduced once the results have named the errored documents.
  const summary = settled(withRetries(options, () => client.getMetricsSummary(options.runId, { priorRunId: options.baselineRunId, signal: options.signal })), options.signal);
  const results = await readResults(client, options, limits.erroredDocuments);
  const { metrics, aggregate } = checked(reduceMetrics(await summary, options.runId, limits.worstDocuments, results.state === 'ok' ? results.errored_documents : []), options);
  const fields =
    metrics.state === 'ok'
      ? await readFieldDetails(aggregate, {
          runId: options.runId,
          baselineRunId: options.baselineRunId,
          signal: options.signal,
          // One retry at most: a field is worth less than the time budget it would take.
          getTarget: (runId, path, target) => withRetries({ ...options, retries: 1 }, () => client.getTargetMetrics(runId, path, target)),
        })
      : null;
  return { requested_prior_run_id: options.baselineRunId, metrics, results, fields };
}

/** A summary that contradicts itself is an answer that cannot be trusted, like one listing a document twice: nothing from it is used. */
function checked(reduced: { metrics: MetricsDetails | Unavailable; aggregate: Aggregate | null }, options: ReadDetailsOptions): { metrics: MetricsDetails | Unavailable; aggregate: Aggregate | null } {
  const problem = reduced.metrics.state === 'ok' ? (options.checkMetrics?.(reduced.metrics) ?? null) : null;
  if (problem === null) return reduced;
  return { metrics: { state: 'failed', message: `could not use the metrics of run ${options.runId}: ${problem}` }, aggregate: null };
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown; cut: string | null };

/** A promise that never rejects: its value, or why there is none (and whether `fail_fast` cut it, as it stood when it failed). */
async function settled<T>(promise: Promise<T>, signal: AbortSignal): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error, cut: cutBy(signal) };
  }
}

/** Why a read was stopped by another experiment's failure (`fail_fast`), or null: not the job's cancellation, not the time budget. */
function cutBy(signal: AbortSignal): string | null {
  return signal.aborted && signal.reason instanceof StopRequest ? signal.reason.message : null;
}

/** The metrics summary as read, reduced to the figures and rows the report keeps; the errored documents get their file names from it. */
function reduceMetrics(
  read: Settled<MetricsSummary>,
  runId: string,
  worstLimit: number,
  errored: ErroredDocument[],
): { metrics: MetricsDetails | Unavailable; aggregate: Aggregate | null } {
  if (!read.ok && read.cut !== null) return { metrics: { state: 'cut', message: `the metrics of run ${runId} were not read: ${read.cut}` }, aggregate: null };
  if (!read.ok) return { metrics: { state: 'failed', message: `could not read the metrics of run ${runId}: ${messageOf(read.error)}` }, aggregate: null };
  const summary = read.value;
  if (summary.kind !== 'summary') {
    const reasons = summary.stale_reasons.length > 0 ? ` (${summary.stale_reasons.slice(0, 5).join('; ')})` : '';
    const what = summary.kind === 'no_metrics' ? 'has no metrics yet' : 'has stale metrics';
    return { metrics: { state: summary.kind, message: `run ${runId} ${what}${summary.message ? `: ${summary.message}` : ''}${reasons}${lastRunNote(summary.last_run)}` }, aggregate: null };
  }
  // The whole list came in one body; keep only what the report shows, and name the errored documents.
  const worst = new WorstK<DocumentScore & { score: number }>(worstLimit, compareDocuments);
  const wanted = new Map(errored.filter((doc) => doc.document_id).map((doc) => [doc.document_id as string, doc]));
  // Sums, not lists: the statistics need n, the mean and the spread, whatever the number of documents.
  const scores = new Moments();
  const changes = new Moments();
  let unscored = 0;
  let priorOnly = 0;
  for (const doc of summary.documents) {
    const named = wanted.get(doc.id);
    if (named && doc.filename) named.filename = doc.filename;
    if (doc.score === null) {
      unscored += 1;
      if (doc.prior_score !== null) priorOnly += 1;
      continue;
    }
    worst.add(doc as DocumentScore & { score: number });
    scores.add(doc.score);
    if (doc.prior_score !== null) changes.add(doc.score - doc.prior_score);
  }
  const metrics: MetricsDetails = {
    state: 'ok',
    score: summary.score,
    prior_score: summary.prior_score,
    prior_run_id: summary.prior_run_id,
    scored_document_count: summary.scored_document_count,
    total_document_count: summary.total_document_count,
    listed_document_count: summary.documents.length,
    unscored_document_count: unscored,
    prior_only_document_count: priorOnly,
    worst_documents: worst.sorted().map((doc) => ({ id: doc.id, filename: doc.filename, score: doc.score, prior_score: doc.prior_score })),
    document_scores: scores.sample(),
    paired_changes: changes.sample(),
  };
  return { metrics, aggregate: readAggregate(summary.aggregate) };
}

/** With stale metrics, the run they were last computed for: "; last computed for run exprun_1 (score 0.83, 2026-05-01T09:30:00Z)". */
function lastRunNote(lastRun: LastRun | null): string {
  if (!lastRun) return '';
  const facts = [lastRun.score === null ? null : `score ${formatScore(lastRun.score)}`, lastRun.created_at].filter(Boolean);
  return `; last computed for run ${lastRun.run_id}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
}

/** Lowest score first; on a tie, the larger fall from the prior score; then by id, so the order is stable. */
export function compareDocuments(a: { id: string; score: number; prior_score: number | null }, b: { id: string; score: number; prior_score: number | null }): number {
  if (a.score !== b.score) return a.score - b.score;
  const fallA = a.prior_score === null ? 0 : a.score - a.prior_score;
  const fallB = b.prior_score === null ? 0 : b.score - b.prior_score;
  if (fallA !== fallB) return fallA - fallB;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

async function readResults(client: DetailsClient, options: ReadDetailsOptions, erroredLimit: number): Promise<ResultsDetails | Unavailable> {
  const errored = new FirstN<ErroredDocument>(erroredLimit);
  const statusCounts = new BoundedCounts(MAX_COUNTED_STATUSES, OTHER_STATUSES);
  // A cursor that comes back would page forever; remembering every cursor would grow with the run.
  const cursors = new RepeatDetector<string>();
  let count = 0;
  let pages = 0;
  let after: string | null = null;
  try {
    do {
      const cursor: string | null = after;
      const page: ResultsPage = await withRetries(options, () => client.getResultsPage(options.runId, { after: cursor, signal: options.signal }));
      pages += 1;
      for (const result of page.results) {
        count += 1;
        statusCounts.add(result.status);
        if (isErrored(result)) errored.add({ id: result.id, document_id: result.document_id, filename: null, status: result.status, message: result.message });
      }
      after = page.after;
      // An empty page with a cursor would loop forever too.
      if (after !== null && (cursors.repeats(after) || page.results.length === 0)) {
        throw new Error(`the results cursor did not advance (after=${after} on page ${pages})`);
      }
    } while (after !== null);
  } catch (error) {
    const cut = cutBy(options.signal);
    if (cut !== null) return { state: 'cut', message: `the results of run ${options.runId} were not read to the end (page ${pages + 1}, after ${count} documents): ${cut}` };
    return { state: 'failed', message: `could not read the results of run ${options.runId} (stopped on page ${pages + 1}, after ${count} documents): ${messageOf(error)}` };
  }
  options.debug?.(`Read ${count} document results of run ${options.runId} in ${pages} pages`);
  return {
    state: 'ok',
    document_count: count,
    status_counts: statusCounts.counts,
    errored_documents: errored.items,
    errored_document_count: errored.count,
    pages,
  };
}

function isErrored(result: DocumentResult): boolean {
  return result.status === 'error';
}

async function withRetries<T>(options: ReadDetailsOptions, attempt: () => Promise<T>): Promise<T> {
  const retries = options.retries ?? 2;
  for (let failed = 0; ; failed++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error) || failed >= retries || options.signal.aborted) throw error;
      const delay = backoffDelay(failed + 1, options.random(), retryAfterOf(error), options.backoff ?? DETAIL_BACKOFF);
      await options.sleep(Math.min(delay, MAX_DETAIL_RETRY_WAIT_MS), options.signal);
    }
  }
}

