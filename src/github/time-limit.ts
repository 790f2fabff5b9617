/**
 * The comment's own time: it comes after the verdict, and is best-effort, so a GitHub API that
 * accepts connections and never answers may cost the step seconds, never the minutes a request's
 * default time limits would allow. It ends at once when the job is cancelled.
 */
import { timeoutSignal } from '../common/timeout-signal.js';

/** The whole comment: learning the token's account, finding the earlier comment, writing it. */
export const COMMENT_TIME_LIMIT_MS = 15_000;
/** Each request to GitHub: a hung one leaves time for the next (`GET /user` after GraphQL `viewer`). */
export const COMMENT_REQUEST_TIME_LIMIT_MS = 10_000;

export interface CommentTimeLimit {
  /** Aborted when the comment's time is up, or when `cancelled` aborts. */
  signal: AbortSignal;
  /** Why the comment was stopped, for its warning; null while it was not. */
  stoppedBecause(): string | null;
}

/** `cancelled`: the job's cancellation, as it reaches the comment (see runner/job-cancellation.ts). */
export function commentTimeLimit(cancelled: AbortSignal, ms = COMMENT_TIME_LIMIT_MS): CommentTimeLimit {
  const signal = AbortSignal.any([cancelled, timeoutSignal(ms, () => `no answer within ${seconds(ms)}`)]);
  return {
    signal,
    stoppedBecause() {
      if (!signal.aborted) return null;
      if (cancelled.aborted) return `the job was cancelled (${reasonText(cancelled.reason)}) while the comment was written`;
      return `GitHub did not answer within ${seconds(ms)}, the comment's time limit`;
    },
  };
}

/**
 * `call` with `signal`, bounded to `ms` on its own too. A request the per-request limit ended is
 * said as such, without the HTTP 500 that Octokit gives every request that did not complete.
 */
export async function withRequestLimit<T>(signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>, ms = COMMENT_REQUEST_TIME_LIMIT_MS): Promise<T> {
  const own = timeoutSignal(ms, () => `no answer within ${seconds(ms)}`);
  try {
    return await call(AbortSignal.any([signal, own]));
  } catch (error) {
    if (!signal.aborted && own.aborted) throw new Error(`GitHub did not answer within ${seconds(ms)}`);
    throw error;
  }
}


function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
