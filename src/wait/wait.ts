/**
 * Wait for a run to reach a terminal status, within the overall timeout. Transient failures are
 * retried with backoff; everything else ends the wait with the reason. The clock, sleeping and
 * randomness come in as parameters, so this is tested without real time.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../common/backoff.js';
import type { PollRecord, PollSchedule } from './poll-schedule.js';
import { isMalformed, isRetryable, MALFORMED_ANSWER_LIMIT, RetabApiError, retryAfterOf } from '../retab/errors.js';
import { retryDelayWithin } from '../retab/no-answer.js';
import { isTerminal, type ExperimentRun } from '../retab/run.js';
import type { Timing } from '../common/timing.js';

export type WaitOutcome =
  | { kind: 'finished'; run: ExperimentRun; polls: number; elapsedMs: number }
  | { kind: 'timed_out'; run: ExperimentRun | null; polls: number; elapsedMs: number; lastError: Error | null }
  | { kind: 'interrupted'; run: ExperimentRun | null; polls: number; elapsedMs: number }
  | { kind: 'failed'; run: ExperimentRun | null; polls: number; elapsedMs: number; error: Error };

export interface WaitOptions extends Timing {
  fetchRun: (signal: AbortSignal) => Promise<ExperimentRun>;
  timeoutMs: number;
  schedule: PollSchedule;
  /** Aborted when the job is cancelled. */
  signal: AbortSignal;
  backoff?: BackoffOptions;
  /** A just-created run can lag: this many 404s in a row before "not found". */
  notFoundLimit?: number;
  onRun?: (run: ExperimentRun, elapsedMs: number) => void;
  onRetry?: (error: Error, delayMs: number, attempt: number) => void;
  /**
   * While Retab has never answered, when the client stops trying it (see retab/no-answer.ts); null
   * once it has. A retry waits no longer, so the wait ends then rather than a backoff later.
   */
  noAnswerDeadline?: () => number | null;
}

const FINAL_POLL_GRACE_MS = 2_000;

export async function waitForRun(options: WaitOptions): Promise<WaitOutcome> {
  const { now, signal } = options;
  const started = now();
  const deadline = started + options.timeoutMs;
  const notFoundLimit = options.notFoundLimit ?? 3;
  let run: ExperimentRun | null = null;
  let polls = 0;
  let failedAttempts = 0;
  let notFoundInARow = 0;
  let malformedInARow = 0;
  let lastError: Error | null = null;
  let deadlineSignal: AbortSignal | null = null;
  let stopDeadline = () => {};
  const history: PollRecord[] = [];
  const elapsed = () => now() - started;

  for (;;) {
    if (signal.aborted) return { kind: 'interrupted', run, polls, elapsedMs: elapsed() };
    let delay: number;
    try {
      polls += 1;
      // The poll made at the deadline still gets a short chance to answer.
      const remaining = Math.max(FINAL_POLL_GRACE_MS, deadline - now());
      const poll = pollSignal(signal, remaining);
      deadlineSignal = poll.deadline;
      stopDeadline = poll.stop;
      run = await options.fetchRun(poll.signal);
      stopDeadline();
      failedAttempts = 0;
      notFoundInARow = 0;
      malformedInARow = 0;
      lastError = null;
      options.onRun?.(run, elapsed());
      if (isTerminal(run.status)) return { kind: 'finished', run, polls, elapsedMs: elapsed() };
      history.push({ atMs: elapsed(), status: run.status, completed: run.completed_document_count, total: run.total_document_count });
      delay = options.schedule({ elapsedMs: elapsed(), run, history });
    } catch (caught) {
      stopDeadline();
      const error = caught instanceof Error ? caught : new Error(String(caught));
      if (signal.aborted) return { kind: 'interrupted', run, polls, elapsedMs: elapsed() };
      // The overall deadline cut the request short: that is a timeout, whatever the clock says.
      if (now() >= deadline || deadlineSignal?.aborted) return { kind: 'timed_out', run, polls, elapsedMs: elapsed(), lastError: lastError ?? error };
      const notFound = error instanceof RetabApiError && error.status === 404;
      notFoundInARow = notFound ? notFoundInARow + 1 : 0;
      malformedInARow = isMalformed(error) ? malformedInARow + 1 : 0;
      // An answer about another run, or with an id or status that cannot be one, is retried a few times, then an API error.
      const retry = notFound ? notFoundInARow < notFoundLimit : isMalformed(error) ? malformedInARow < MALFORMED_ANSWER_LIMIT : isRetryable(error);
      if (!retry) return { kind: 'failed', run, polls, elapsedMs: elapsed(), error };
      lastError = error;
      failedAttempts += 1;
      delay = retryDelayWithin(backoffDelay(failedAttempts, options.random(), retryAfterOf(error), options.backoff ?? DEFAULT_BACKOFF), now(), options.noAnswerDeadline?.() ?? null);
      options.onRetry?.(error, delay, failedAttempts);
    }

    const remaining = deadline - now();
    if (remaining <= 0) return { kind: 'timed_out', run, polls, elapsedMs: elapsed(), lastError };
    await options.sleep(Math.min(delay, remaining), signal);
  }
}

/**
 * The signal for one poll: aborted when the job is cancelled or at the poll's deadline. Its timer and
 * its listener go once the poll is over (`stop`), so a wait of thousands of polls holds none of them
 * (`AbortSignal.timeout` would keep each timer until it fires, hours later).
 */
function pollSignal(job: AbortSignal, timeoutMs: number): { signal: AbortSignal; deadline: AbortSignal; stop: () => void } {
  const deadline = new AbortController();
  const combined = new AbortController();
  const onJobAbort = () => combined.abort(job.reason);
  const timer = setTimeout(() => {
    const reason = new DOMException('The poll reached the overall timeout', 'TimeoutError');
    deadline.abort(reason);
    combined.abort(reason);
  }, timeoutMs);
  timer.unref?.();
  if (job.aborted) combined.abort(job.reason);
  else job.addEventListener('abort', onJobAbort, { once: true });
  return {
    signal: combined.signal,
    deadline: deadline.signal,
    stop: () => {
      clearTimeout(timer);
      job.removeEventListener('abort', onJobAbort);
    },
  };
}
