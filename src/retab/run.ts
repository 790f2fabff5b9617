/**
 * An experiment run as Retab returns it, in either of its two shapes (the SDK's current flat one, or
 * the docs page's older one with a `workflow` object), normalised to one stable shape in the API's
 * own vocabulary. Unknown fields are ignored; only `id` and
 * `lifecycle.status` are essential.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini carries no messages (every issue would read "Invalid input"): English ones, worded as the
// full zod words them, for the problems `describeIssues` reports in an answer.
z.config(en());

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
  /** The error's machine-readable code and the block that failed, when `status` is `error` and Retab says. */
  error_code: string | null;
  block_name: string | null;
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
  /** `null` when Retab did not say: unknown, never taken for zero. */
  error_count: number | null;
  total_document_count: number | null;
  completed_document_count: number | null;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
  trigger: string | null;
  parent_run_id: string | null;
  /** What the run was over (the documents) and what ran (the block), for comparing like with like; null when Retab did not say. */
  documents_fingerprint?: string | null;
  block_execution_fingerprint?: string | null;
}

const text = z.nullish(z.string());
const count = z.nullish(z.number().check(z.int(), z.nonnegative()));
/** A detail worth showing when it is text, and nothing to fail over when it is not. */
const optionalText = z.catch(text, null);

/**
 * How far outside [0, 1] a score may be and still be a score: floating-point noise from Retab's
 * averaging (1.0000000000000002, -1e-16), which is clamped. Anything further out is not a score.
 */
export const SCORE_NOISE = 1e-9;

/** A score in [0, 1], with floating-point noise around the bounds clamped. */
export const definiteScoreSchema = z.pipe(
  z.number().check(z.minimum(-SCORE_NOISE, { message: 'expected a score from 0 to 1' }), z.maximum(1 + SCORE_NOISE, { message: 'expected a score from 0 to 1' })),
  z.transform((score: number) => Math.min(1, Math.max(0, score))),
);

/** The same, or null when absent. */
export const scoreSchema = z.nullish(definiteScoreSchema);

/** An error code is a short token (`BLOCK_FAILED`); anything else is not worth showing. */
const errorCode = z.catch(z.nullish(z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,100}$/))), null);
/** A fingerprint is a short token (`ddd95baadce6045f`); anything else is not one, and compares with nothing. */
const fingerprint = z.catch(z.nullish(z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,128}$/))), null);
/** A block's name is free text: one line, bounded. */
const blockName = z.catch(z.nullish(z.pipe(z.string(), z.transform((name: string) => oneLine(name).slice(0, 200) || null))), null);

/** Control characters (line breaks included) become spaces. */
function oneLine(text: string): string {
  return [...text].map((char) => (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? ' ' : char)).join('').trim();
}

/** A run's or a document result's lifecycle: its status and, on error or cancellation, why. */
export const lifecycleSchema = z.object({
  status: z.string().check(z.minLength(1)),
  message: text,
  reason: text,
  // The SDK's ErrorDetails; each field may be null. The stack trace is for the debug log only.
  details: z.catch(
    z.nullish(z.looseObject({ message: optionalText, error_code: errorCode, block_id: optionalText, block_name: blockName, stack_trace: optionalText })),
    null,
  ),
});

/** A run longer than a year is not a run: such a duration is a broken figure. */
const MAX_DURATION_MS = 366 * 24 * 3_600_000;
/** Only a detail of the run: a duration that cannot be one (negative, `1e308`) is dropped, and the timestamps say it instead. */
const durationSchema = z.catch(z.nullish(z.number().check(z.nonnegative(), z.lte(MAX_DURATION_MS))), null);

export const rawRunSchema = z.object({
  id: z.string().check(z.minLength(1)),
  lifecycle: lifecycleSchema,
  // The docs page's older shape.
  workflow: z.nullish(z.object({ workflow_id: text, version_id: text, name_at_run_time: text, requested_version: text })),
  block_kind: text,
  // The current, flat shape (the SDK's `ExperimentRun`).
  workflow_id: text,
  workflow_version_id: text,
  block_type: text,
  // Common.
  trigger: z.nullish(z.object({ type: text })),
  timing: z.nullish(z.object({ created_at: text, started_at: text, completed_at: text, duration_ms: durationSchema })),
  experiment_id: text,
  block_id: text,
  n_consensus: z.nullish(z.number().check(z.int(), z.positive())),
  score: scoreSchema,
  total_document_count: count,
  completed_document_count: count,
  document_count: count,
  error_count: count,
  parent_run_id: text,
  documents_fingerprint: fingerprint,
  block_execution_fingerprint: fingerprint,
  // The docs page's older name for it.
  definition_fingerprint: fingerprint,
});

export type RawRun = z.infer<typeof rawRunSchema>;

/** A page of `GET /v1/workflows/experiments/runs`; only the first page is ever read. */
export const runListSchema = z.object({ data: z.array(rawRunSchema) });

/** The answer to `POST …/runs/{run_id}/cancel`. */
export const cancelAnswerSchema = z.object({ id: z.string().check(z.minLength(1)), lifecycle: z.object({ status: z.string().check(z.minLength(1)) }) });

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
    error_code: lifecycle.details?.error_code ?? null,
    block_name: lifecycle.details?.block_name ?? null,
    reason: lifecycle.reason ?? null,
    experiment_id: raw.experiment_id ?? null,
    workflow_id: raw.workflow?.workflow_id ?? raw.workflow_id ?? null,
    workflow_version_id: raw.workflow?.version_id ?? raw.workflow_version_id ?? null,
    workflow_name: raw.workflow?.name_at_run_time ?? null,
    block_id: raw.block_id ?? null,
    block_kind: raw.block_kind ?? raw.block_type ?? null,
    n_consensus: raw.n_consensus ?? null,
    score: raw.score ?? null,
    error_count: raw.error_count ?? null,
    total_document_count: raw.total_document_count ?? raw.document_count ?? null,
    completed_document_count: raw.completed_document_count ?? null,
    created_at: timing.created_at ?? null,
    started_at: timing.started_at ?? null,
    completed_at: timing.completed_at ?? null,
    duration_ms: timing.duration_ms ?? elapsedBetween(timing.started_at, timing.completed_at),
    trigger: raw.trigger?.type ?? null,
    parent_run_id: raw.parent_run_id ?? null,
    documents_fingerprint: raw.documents_fingerprint ?? null,
    block_execution_fingerprint: raw.block_execution_fingerprint ?? raw.definition_fingerprint ?? null,
  };
}

function elapsedBetween(start: string | null | undefined, end: string | null | undefined): number | null {
  if (!start || !end) return null;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS ? ms : null;
}

/** "score: expected a score from 0 to 1; lifecycle.status: Invalid input: expected string, received undefined" */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
