/**
 * One page of per-document results (`GET /v1/workflows/experiments/results`): each document's
 * lifecycle (status and, on error, a message) behind a cursor. There is no score here.
 */
import * as z from 'zod/mini';
import { lifecycleSchema } from './run.js';

const text = z.nullish(z.string());

const resultSchema = z.object({
  id: z.string(),
  document_id: text,
  lifecycle: lifecycleSchema,
});

export const rawResultsPageSchema = z.object({
  data: z.array(resultSchema),
  list_metadata: z.nullish(z.object({ after: text, before: text })),
});

export type RawResultsPage = z.infer<typeof rawResultsPageSchema>;

export interface DocumentResult {
  id: string;
  document_id: string | null;
  status: string;
  /** The error's message, when the document errored. */
  message: string | null;
}

export interface ResultsPage {
  results: DocumentResult[];
  /** The cursor for the next page, or null on the last. */
  after: string | null;
}

/** Retab's CLI validates `--limit` against 1–100: a server may refuse a larger page. */
export const MAX_RESULTS_PAGE_SIZE = 100;

export function normalizeResultsPage(raw: RawResultsPage): ResultsPage {
  return {
    results: raw.data.map((item) => ({
      id: item.id,
      document_id: item.document_id ?? null,
      status: item.lifecycle.status,
      message: item.lifecycle.message ?? item.lifecycle.details?.message ?? item.lifecycle.reason ?? null,
    })),
    after: raw.list_metadata?.after ?? null,
  };
}
