/**
 * Start a new run of an experiment, without ever starting two. `POST /v1/workflows/experiments/runs`
 * has no idempotency key, so the POST is sent again only when the previous attempt provably never
 * reached the server. After an ambiguous failure (reset or timeout after sending, 5xx, 429, an
 * unreadable 2xx) the experiment's newest runs are listed and a run created since the attempt is
 * adopted; only when there is none is the POST tried again. Everything stays inside the deadline.
 *
 * The HTTP calls, the clock, sleeping and randomness come in as parameters: the decisions are
 * tested without a server, the whole against the simulator.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { formatDuration } from './duration.js';
import { isRetryable, RetabApiError, RetabConnectionError, RetabResponseError, RetabTimeoutError, retryAfterOf } from './retab/errors.js';
import type { ExperimentRun } from './retab/run.js';

/** How an attempt to start a run failed, as far as "did it start a run?" goes. */
export type StartFailureKind =
  /** The request never reached the server (e.g. connection refused): sending it again is safe. */
  | 'not_sent'
  /** The server answered and refused (400, 401, 403, 404, 409, 422): no run was started. */
  | 'rejected'
  /** The server may or may not have started a run: look before sending again. */
  | 'ambiguous'
  /** The server answered 2xx, so a run was started, but its body cannot be read: find it, never send again. */
  | 'started_unreadable';

const AMBIGUOUS_STATUSES = new Set([408, 429]);

export function classifyStartFailure(error: unknown): StartFailureKind {
  if (error instanceof RetabConnectionError) return error.neverSent ? 'not_sent' : 'ambiguous';
  if (error instanceof RetabTimeoutError) return 'ambiguous';
  if (error instanceof RetabApiError) return error.status >= 500 || AMBIGUOUS_STATUSES.has(error.status) ? 'ambiguous' : 'rejected';
  if (error instanceof RetabResponseError) return error.status >= 200 && error.status < 300 ? 'started_unreadable' : 'ambiguous';
  // Not an HTTP failure: a bug. The request may have gone out, so treat it as refused rather than resend it.
  return 'rejected';
}

export interface AdoptionCriteria {
  experimentId: string;
  workflowId: string | null;
  /** Local time (ms) of the first attempt whose result is unknown. */
  sinceMs: number;
  /** How far Retab's clock may be behind ours. */
  clockSkewMs: number;
}

/**
 * The run among `runs` that our POST most likely created: of this experiment (and workflow, when
 * given), started by the API, created no earlier than the first ambiguous attempt (less the clock
 * skew); the one created closest to that attempt. `null` when there is none.
 */
export function findStartedRun(runs: readonly ExperimentRun[], criteria: AdoptionCriteria): ExperimentRun | null {
  const earliest = criteria.sinceMs - criteria.clockSkewMs;
  let best: { run: ExperimentRun; distance: number } | null = null;
  for (const run of runs) {
    if (run.experiment_id !== null && run.experiment_id !== criteria.experimentId) continue;
    if (criteria.workflowId !== null && run.workflow_id !== null && run.workflow_id !== criteria.workflowId) continue;
    if (run.trigger !== null && run.trigger !== 'api') continue;
    const created = run.created_at === null ? NaN : Date.parse(run.created_at);
    if (!Number.isFinite(created) || created < earliest) continue;
    const distance = Math.abs(created - criteria.sinceMs);
    if (!best || distance < best.distance) best = { run, distance };
  }
  return best?.run ?? null;
}

export type StartOutcome =
  | { kind: 'started'; run: ExperimentRun; adopted: boolean; attempts: number; elapsedMs: number }
  /** The server refused, or an error that cannot be retried; `error` says why. */
  | { kind: 'failed'; error: Error; attempts: number; elapsedMs: number }
  /**
   * The deadline passed, or the job was cancelled, before a run was known. `orphan` is a run found by
   * one last look when an attempt may have started one: the caller should cancel it.
   */
  | { kind: 'timed_out' | 'interrupted'; lastError: Error | null; orphan: ExperimentRun | null; attempts: number; elapsedMs: number };

export interface StartRunOptions {
  experimentId: string;
  workflowId: string | null;
  /** The POST. */
  createRun: (signal: AbortSignal) => Promise<ExperimentRun>;
  /** The experiment's newest runs, newest first. */
  listRecentRuns: (signal: AbortSignal) => Promise<ExperimentRun[]>;
  /** Local time (ms) by which a run must be known. */
  deadline: number;
  /** Aborted when the job is cancelled. */
  signal: AbortSignal;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  backoff?: BackoffOptions;
  clockSkewMs?: number;
  /** After an ambiguous failure, the least time to give Retab to list the run before looking. */
  settleMs?: number;
  /** The time limit of the last look for an orphan, after the deadline or a cancellation. */
  lastLookMs?: number;
  onRetry?: (message: string, delayMs: number) => void;
}

export const DEFAULT_CLOCK_SKEW_MS = 60_000;
const DEFAULT_SETTLE_MS = 1_000;
const DEFAULT_LAST_LOOK_MS = 2_000;

export async function startRun(options: StartRunOptions): Promise<StartOutcome> {
  const { now, signal, deadline } = options;
  const started = now();
  const elapsed = () => now() - started;
  const clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  let attempts = 0;
  let failures = 0;
  let lastError: Error | null = null;
  /** Set once an attempt may have started a run: from then on, look before sending again. */
  let uncertainSince: number | null = null;
  /** A 2xx was seen: a run exists, so the POST is never sent again. */
  let certainlyStarted = false;

  const criteria = (): AdoptionCriteria => ({
    experimentId: options.experimentId,
    workflowId: options.workflowId,
    sinceMs: uncertainSince ?? started,
    clockSkewMs,
  });
  const stopped = async (kind: 'timed_out' | 'interrupted'): Promise<StartOutcome> => {
    const orphan = uncertainSince === null ? null : await lastLook();
    return { kind, lastError, orphan, attempts, elapsedMs: elapsed() };
  };
  const lastLook = async (): Promise<ExperimentRun | null> => {
    try {
      return findStartedRun(await options.listRecentRuns(AbortSignal.timeout(options.lastLookMs ?? DEFAULT_LAST_LOOK_MS)), criteria());
    } catch {
      return null;
    }
  };
  const requestSignal = () => AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, deadline - now()))]);
  /** Back off before the next request; at least `minimumMs`, never past the deadline. */
  const wait = async (error: Error, what: string, minimumMs: number): Promise<void> => {
    failures += 1;
    const backoff = backoffDelay(failures, options.random(), retryAfterOf(error), options.backoff ?? DEFAULT_BACKOFF);
    const delay = Math.min(Math.max(minimumMs, backoff), Math.max(0, deadline - now()));
    options.onRetry?.(`${what} in ${formatDuration(delay)}: ${error.message}`, delay);
    await options.sleep(delay, signal);
  };
  const asError = (caught: unknown) => (caught instanceof Error ? caught : new Error(String(caught)));

  for (;;) {
    if (signal.aborted) return stopped('interrupted');
    if (now() >= deadline) return stopped('timed_out');

    // Look first when an earlier attempt may have started a run.
    if (uncertainSince !== null) {
      let runs: ExperimentRun[];
      try {
        runs = await options.listRecentRuns(requestSignal());
      } catch (caught) {
        const error = asError(caught);
        if (signal.aborted) return stopped('interrupted');
        if (now() >= deadline) return stopped('timed_out');
        if (!isRetryable(error)) {
          return { kind: 'failed', error: new Error(`could not check whether a run of experiment ${options.experimentId} was started: ${error.message}`), attempts, elapsedMs: elapsed() };
        }
        lastError = error;
        await wait(error, 'Listing the experiment runs failed; listing again', 0);
        continue;
      }
      const found = findStartedRun(runs, criteria());
      if (found) return { kind: 'started', run: found, adopted: true, attempts, elapsedMs: elapsed() };
      if (certainlyStarted) {
        // Retab said 2xx, so the run exists: keep looking, never start another.
        const error = new Error(`Retab started a run of experiment ${options.experimentId} but it is not listed yet`);
        lastError = error;
        await wait(error, 'Looking for the started run again', settleMs);
        continue;
      }
    }

    attempts += 1;
    const attemptAt = now();
    try {
      const run = await options.createRun(requestSignal());
      return { kind: 'started', run, adopted: false, attempts, elapsedMs: elapsed() };
    } catch (caught) {
      const error = asError(caught);
      const kind = signal.aborted || now() >= deadline ? 'ambiguous' : classifyStartFailure(error);
      if (kind !== 'not_sent') uncertainSince ??= attemptAt;
      if (signal.aborted) return stopped('interrupted');
      if (now() >= deadline) return stopped('timed_out');
      if (kind === 'rejected') return { kind: 'failed', error, attempts, elapsedMs: elapsed() };
      if (kind === 'started_unreadable') certainlyStarted = true;
      lastError = error;
      const what = kind === 'not_sent' ? 'The request never reached Retab; sending it again' : 'Retab may have started the run; looking for it before sending again';
      await wait(error, what, kind === 'not_sent' ? 0 : settleMs);
    }
  }
}
