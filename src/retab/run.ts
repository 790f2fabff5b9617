/**
 * An experiment run as Retab returns it, in either of its two documented shapes, normalised to one
 * stable shape in the API's own vocabulary. Unknown fields are ignored; only `id` and
 * `lifecycle.status` are essential.
 */
import { z } from 'zod';

/** A run id as Retab writes them (`exprun_…`); the `run_id` input is held to the same pattern. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** A lifecycle status: one short lower-case word (`queued`, `running`, `completed`). */
export const STATUS_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

export const TERMINAL_STATUSES = ['completed', 'error', 'cancelled'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** The normalised run. This is also what the `run` output holds, as JSON. */
export interface ExperimentRun {
  id: string;
  status: string;
  /** The error's message, when `status` is `error`. */
  message: string | null;
  /** Why it was cancelled, when `status` is `cancelled`. */
  reason: string | null;
  experiment_id: string | null;
  workflow_id: string | null;
  workflow_version_id: string | null;
  workflow_name: string | null;
  block_id: string | null;
  block_kind: string | null;
  n_consensus: number | null;
  score: number | null;
  error_count: number;
  total_document_count: number | null;
  completed_document_count: number | null;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
  trigger: string | null;
  parent_run_id: string | null;
}

const text = z.string().nullish();
const count = z.number().int().nonnegative().nullish();

/** A run's or a document result's lifecycle: its status and, on error or cancellation, why. */
export const lifecycleSchema = z.object({
  status: z.string().min(1),
  message: text,
  reason: text,
  details: z.object({ message: text }).passthrough().nullish().catch(null),
});

export const rawRunSchema = z.object({
  id: z.string().min(1),
  lifecycle: lifecycleSchema,
  // Reference-page shape.
  workflow: z
    .object({ workflow_id: text, version_id: text, name_at_run_time: text, requested_version: text })
    .nullish(),
  block_kind: text,
  // OpenAPI shape.
  workflow_id: text,
  workflow_version_id: text,
  block_type: text,
  // Common.
  trigger: z.object({ type: text }).nullish(),
  timing: z
    .object({ created_at: text, started_at: text, completed_at: text, duration_ms: z.number().nonnegative().nullish() })
    .nullish(),
  experiment_id: text,
  block_id: text,
  n_consensus: z.number().int().positive().nullish(),
  score: z.number().min(0).max(1).nullish(),
  total_document_count: count,
  completed_document_count: count,
  document_count: count,
  error_count: count,
  parent_run_id: text,
});

export type RawRun = z.infer<typeof rawRunSchema>;

/** A page of `GET /v1/workflows/experiments/runs`; only the first page is ever read. */
export const runListSchema = z.object({ data: z.array(rawRunSchema) });

/** The answer to `POST …/runs/{run_id}/cancel`. */
export const cancelAnswerSchema = z.object({ id: z.string().min(1), lifecycle: z.object({ status: z.string().min(1) }) });

/**
 * Why an answer about a run cannot be used, or null: its id or status does not have the shape of
 * one (text that could carry a workflow command or a link never passes), or it describes another
 * run than the one asked for.
 */
export function runAnswerProblem(answer: { id: string; status: string }, expectedId: string | null): string | null {
  if (!RUN_ID_PATTERN.test(answer.id)) return 'gives an id that is not a run id';
  if (expectedId !== null && answer.id !== expectedId) return `describes run ${answer.id}, not run ${expectedId}`;
  if (!STATUS_PATTERN.test(answer.status)) return 'gives a status that is not a lifecycle status';
  return null;
}

export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export function normalizeRun(raw: RawRun): ExperimentRun {
  const timing = raw.timing ?? {};
  const lifecycle = raw.lifecycle;
  return {
    id: raw.id,
    status: lifecycle.status,
    message: lifecycle.message ?? lifecycle.details?.message ?? null,
    reason: lifecycle.reason ?? null,
    experiment_id: raw.experiment_id ?? null,
    workflow_id: raw.workflow?.workflow_id ?? raw.workflow_id ?? null,
    workflow_version_id: raw.workflow?.version_id ?? raw.workflow_version_id ?? null,
    workflow_name: raw.workflow?.name_at_run_time ?? null,
    block_id: raw.block_id ?? null,
    block_kind: raw.block_kind ?? raw.block_type ?? null,
    n_consensus: raw.n_consensus ?? null,
    score: raw.score ?? null,
    error_count: raw.error_count ?? 0,
    total_document_count: raw.total_document_count ?? raw.document_count ?? null,
    completed_document_count: raw.completed_document_count ?? null,
    created_at: timing.created_at ?? null,
    started_at: timing.started_at ?? null,
    completed_at: timing.completed_at ?? null,
    duration_ms: timing.duration_ms ?? elapsedBetween(timing.started_at, timing.completed_at),
    trigger: raw.trigger?.type ?? null,
    parent_run_id: raw.parent_run_id ?? null,
  };
}

function elapsedBetween(start: string | null | undefined, end: string | null | undefined): number | null {
  if (!start || !end) return null;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** "score: Too big: expected number to be <=1; lifecycle.status: Required" */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
