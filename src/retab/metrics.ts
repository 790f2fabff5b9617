/**
 * The metrics summary of a run (`GET /v1/workflows/experiments/metrics?view=summary`): its score,
 * the prior run's, and one score per document. Retab can instead answer that there are no metrics
 * yet (`no_metrics`) or that they are out of date (`stale_metrics`); both are normal answers, kept
 * as values rather than errors.
 */
import * as z from 'zod/mini';
import { scoreSchema as score } from './run.js';

const text = z.nullish(z.string());
const count = z.nullish(z.number().check(z.int(), z.nonnegative()));

const documentSchema = z.object({
  id: z.string(),
  filename: text,
  score,
  prior_score: score,
});

const summarySchema = z.object({
  kind: z.optional(z.string()),
  run_id: text,
  experiment_id: text,
  score,
  prior_score: score,
  prior_run_id: text,
  documents: z.nullish(z.array(documentSchema)),
  scored_document_count: count,
  total_document_count: count,
  block_type: text,
  // Read field by field in targets.ts; kept raw here so that an unknown shape never fails the summary.
  aggregate: z.optional(z.unknown()),
});

/** The run the stale metrics were computed for; only a detail of the answer, so an odd one is dropped. */
const lastRunSchema = z.catch(
  z.nullish(
    z.object({
      run_id: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/)),
      score: z.catch(score, null),
      // A time, not free text: anything that is not one is dropped. An ISO 8601 shape, because
      // `Date.parse` alone takes "Jan 1 2026 (any text at all)" for a date.
      created_at: z.catch(
        z.nullish(
          z.string().check(
            z.maxLength(40),
            z.regex(/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/),
            z.refine((value) => !Number.isNaN(Date.parse(value))),
          ),
        ),
        null,
      ),
    }),
  ),
  null,
);

const unavailableSchema = z.object({
  kind: z.enum(['no_metrics', 'stale_metrics']),
  message: text,
  stale_reasons: z.nullish(z.array(z.unknown())),
  last_run: lastRunSchema,
});

/** `no_metrics`/`stale_metrics` are told by `kind`, or by `error` when `kind` is missing. */
function kindFromError(body: unknown): unknown {
  if (body && typeof body === 'object' && !('kind' in body) && 'error' in body) return { ...body, kind: (body as { error: unknown }).error };
  return body;
}

/** Either answer. */
export const rawMetricsSchema = z.pipe(z.transform(kindFromError), z.union([unavailableSchema, summarySchema]));

/** The same `no_metrics`/`stale_metrics` answer can come with an error status (the status is not documented). */
export const rawUnavailableMetricsSchema = z.pipe(z.transform(kindFromError), unavailableSchema);

export type RawMetrics = z.infer<typeof rawMetricsSchema>;

export interface DocumentScore {
  id: string;
  filename: string | null;
  score: number | null;
  prior_score: number | null;
}

export type MetricsSummary =
  | {
      kind: 'summary';
      score: number | null;
      prior_score: number | null;
      prior_run_id: string | null;
      scored_document_count: number | null;
      total_document_count: number | null;
      documents: DocumentScore[];
      block_type: string | null;
      /** As Retab sent it; see targets.ts. */
      aggregate: unknown;
    }
  | { kind: 'no_metrics' | 'stale_metrics'; message: string | null; stale_reasons: string[]; last_run: LastRun | null };

/** With `stale_metrics`: the run whose metrics are out of date. */
export interface LastRun {
  run_id: string;
  score: number | null;
  created_at: string | null;
}

/**
 * A document listed twice in a summary, which would count twice in every figure drawn from the
 * list (the worst documents, the intervals): an answer that cannot be trusted. Null when none is.
 */
export function repeatedDocument(summary: { documents?: ReadonlyArray<{ id: string }> | null }): string | null {
  const seen = new Set<string>();
  for (const { id } of summary.documents ?? []) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return null;
}

export function normalizeMetrics(raw: RawMetrics): MetricsSummary {
  if (raw.kind === 'no_metrics' || raw.kind === 'stale_metrics') {
    const unavailable = raw as z.infer<typeof unavailableSchema>;
    return {
      kind: unavailable.kind,
      message: unavailable.message ?? null,
      stale_reasons: (unavailable.stale_reasons ?? []).map((reason) => (typeof reason === 'string' ? reason : JSON.stringify(reason))),
      last_run: unavailable.last_run ? { run_id: unavailable.last_run.run_id, score: unavailable.last_run.score ?? null, created_at: unavailable.last_run.created_at ?? null } : null,
    };
  }
  const summary = raw as z.infer<typeof summarySchema>;
  return {
    kind: 'summary',
    score: summary.score ?? null,
    prior_score: summary.prior_score ?? null,
    prior_run_id: summary.prior_run_id ?? null,
    scored_document_count: summary.scored_document_count ?? null,
    total_document_count: summary.total_document_count ?? null,
    block_type: summary.block_type ?? null,
    aggregate: summary.aggregate ?? null,
    documents: (summary.documents ?? []).map((doc) => ({
      id: doc.id,
      filename: doc.filename ?? null,
      score: doc.score ?? null,
      prior_score: doc.prior_score ?? null,
    })),
  };
}
