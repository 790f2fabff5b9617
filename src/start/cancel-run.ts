/**
 * Cancel a run the action started, when the wait gives up on it (timeout, job cancelled): nobody
 * would read its result, and it costs. Best-effort, with its own short time limit, because after
 * SIGINT the runner sends SIGTERM about 7.5 s later and then kills the process. Within that limit
 * a 429 (or another transient failure) is tried again, after `Retry-After` when Retab gives one:
 * twelve cancels on abort meet the key's rate limit like any burst. Cancelling is idempotent, so
 * sending it again is safe. A run given by `run_id` belongs to someone else and is never
 * cancelled: the caller only asks for started runs.
 */
import { backoffDelay, type BackoffOptions } from '../common/backoff.js';
import { formatDuration } from '../common/duration.js';
import { isMalformed, isRetryable, MALFORMED_ANSWER_LIMIT, RetabApiError, retryAfterOf } from '../retab/errors.js';
import { messageOf } from '../common/errors.js';
import type { Timing } from '../common/timing.js';

/** Why the wait gave up on the run; `fail_fast`: another experiment of the step failed first. */
export type CancelReason = 'timed_out' | 'interrupted' | 'fail_fast';

export type Cancellation =
  | { kind: 'cancelled'; runId: string; reason: CancelReason; status: string }
  /** Retab answered 404: the run finished (completed or error) in the meantime, or is gone. */
  | { kind: 'not_cancellable'; runId: string; reason: CancelReason; detail: string }
  | { kind: 'failed'; runId: string; reason: CancelReason; detail: string }
  /** `cancel_on_abort: false`. */
  | { kind: 'disabled'; runId: string; reason: CancelReason };

export const CANCEL_TIMEOUT_MS = 4_000;

/** Whether a wait that ended this way gives up on the run; `null` when it does not (the run finished, or the API failed). */
export function cancelReasonFor(outcomeKind: string): CancelReason | null {
  return outcomeKind === 'timed_out' || outcomeKind === 'interrupted' ? outcomeKind : null;
}

/**
 * The abort reason of a stop that is not the job's cancellation (`fail_fast`): a run it leaves is
 * cancelled with its reason, so the log and the summary say why.
 */
export class StopRequest extends Error {
  override readonly name = 'StopRequest';
  constructor(
    readonly reason: CancelReason,
    message: string,
  ) {
    super(message);
  }
}

/** Like `cancelReasonFor`, with an interruption told apart by what aborted `signal`. */
export function cancelReasonAfter(outcomeKind: string, signal: AbortSignal): CancelReason | null {
  const reason = cancelReasonFor(outcomeKind);
  return reason === 'interrupted' && signal.reason instanceof StopRequest ? signal.reason.reason : reason;
}

export interface CancelOptions extends Timing {
  runId: string;
  reason: CancelReason;
  enabled: boolean;
  cancelRun: (runId: string, signal: AbortSignal) => Promise<{ status: string }>;
  timeoutMs?: number;
  backoff?: BackoffOptions;
}

/** Short: the whole budget is a few seconds. */
const CANCEL_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 1_000 };

export async function cancelStartedRun(options: CancelOptions): Promise<Cancellation> {
  const { runId, reason } = options;
  if (!options.enabled) return { kind: 'disabled', runId, reason };
  const timeoutMs = options.timeoutMs ?? CANCEL_TIMEOUT_MS;
  const deadline = options.now() + timeoutMs;
  // Not the job's abort signal: it is already aborted when the job was cancelled.
  const signal = AbortSignal.timeout(timeoutMs);
  let malformed = 0;
  let retries = 0;
  let last: unknown = null;
  for (;;) {
    try {
      const answer = await options.cancelRun(runId, signal);
      return { kind: 'cancelled', runId, reason, status: answer.status };
    } catch (caught) {
      if (caught instanceof RetabApiError && caught.status === 404) return { kind: 'not_cancellable', runId, reason, detail: caught.message };
      if (signal.aborted) return { kind: 'failed', runId, reason, detail: `no answer within ${timeoutMs} ms${last ? ` (before that: ${messageOf(last)})` : ''}` };
      last = caught;
      // An answer about another run (or with a status that is not one) is asked again, a few times.
      if (isMalformed(caught)) {
        if (++malformed < MALFORMED_ANSWER_LIMIT) continue;
        return { kind: 'failed', runId, reason, detail: messageOf(caught) };
      }
      if (!isRetryable(caught)) return { kind: 'failed', runId, reason, detail: messageOf(caught) };
      const delayMs = backoffDelay(++retries, options.random(), retryAfterOf(caught), options.backoff ?? CANCEL_BACKOFF);
      // A wait that would end past the time limit is not begun: say so now, rather than at the limit.
      if (options.now() + delayMs >= deadline) {
        return { kind: 'failed', runId, reason, detail: `${messageOf(caught)}; waiting ${formatDuration(delayMs)} to try again would pass the cancel's time limit (${formatDuration(timeoutMs)})` };
      }
      await options.sleep(delayMs, signal);
    }
  }
}

const BECAUSE: Record<CancelReason, string> = {
  timed_out: 'the wait timed out',
  interrupted: 'the job was cancelled',
  fail_fast: 'another experiment failed first (`fail_fast`)',
};

/** One sentence for the log and the summary (where it is escaped). */
export function describeCancellation(cancellation: Cancellation): string {
  const { runId } = cancellation;
  const because = BECAUSE[cancellation.reason];
  switch (cancellation.kind) {
    case 'cancelled':
      return `Cancelled run ${runId}, which this action started, because ${because} (its status is now ${cancellation.status}).`;
    case 'not_cancellable':
      return `Run ${runId} was not cancelled after ${because}: Retab says it can no longer be cancelled (it finished in the meantime). ${cancellation.detail}`;
    case 'failed':
      return `Could not cancel run ${runId} after ${because}: ${cancellation.detail}. It may still be running; cancel it in Retab if it should not.`;
    case 'disabled':
      return `Run ${runId} was left running after ${because}, because the input cancel_on_abort is false.`;
  }
}
