/**
 * Start a new run of an experiment, without ever starting two. `POST /v1/workflows/experiments/runs`
 * has no idempotency key, so the POST is sent again only when the previous attempt provably never
 * reached the server. After an ambiguous failure (reset or timeout after sending, 5xx, 429, an
 * unreadable 2xx) the experiment's newest runs are listed and a run created since the attempt is
 * adopted; only when there is none, and the error is one worth retrying, is the POST tried again.
 * Everything stays inside the deadline.
 *
 * The HTTP calls, the clock, sleeping and randomness come in as parameters: the decisions are
 * tested without a server, the whole against the simulator.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { formatDuration } from './duration.js';
import { isRetryable, RetabApiError, RetabConnectionError, RetabProxyError, RetabResponseError, RetabTimeoutError, retryAfterOf } from './retab/errors.js';
import type { ExperimentRun } from './retab/run.js';
import type { Timing } from './timing.js';

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
  // The proxy answered instead of Retab: nothing was sent; a refusal is final, a proxy's 5xx may pass.
  if (error instanceof RetabProxyError) return error.retryable ? 'not_sent' : 'rejected';
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

export interface StartRunOptions extends Timing {
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
  return new RunStarter(options).start();
}

/** One call of `startRun`: what the attempts so far have learnt, and one method per step. */
class RunStarter {
  private readonly started: number;
  private attempts = 0;
  private failures = 0;
  private lastError: Error | null = null;
  /** Set once an attempt may have started a run: from then on, look before sending again. */
  private uncertainSince: number | null = null;
  /** A 2xx was seen: a run exists, so the POST is never sent again. */
  private certainlyStarted = false;
  /** The last failure may have started a run and is not worth retrying: look once more, then fail. */
  private finalLook = false;

  constructor(private readonly options: StartRunOptions) {
    this.started = options.now();
  }

  async start(): Promise<StartOutcome> {
    const { signal, deadline, now } = this.options;
    for (;;) {
      if (signal.aborted) return this.stopped('interrupted');
      if (now() >= deadline) return this.stopped('timed_out');
      // Look first when an earlier attempt may have started a run.
      const looked = this.uncertainSince === null ? 'send' : await this.look();
      const outcome = looked === 'send' ? await this.send() : looked;
      if (outcome) return outcome;
    }
  }

  /** Lists the experiment's runs: the outcome when found (or when the look fails), 'send' when the POST may go again, null to look again. */
  private async look(): Promise<StartOutcome | 'send' | null> {
    const { options } = this;
    let runs: ExperimentRun[];
    try {
      runs = await options.listRecentRuns(this.requestSignal());
    } catch (caught) {
      const error = toError(caught);
      if (options.signal.aborted) return this.stopped('interrupted');
      if (options.now() >= options.deadline) return this.stopped('timed_out');
      if (!isRetryable(error)) {
        return this.failed(new Error(`could not check whether a run of experiment ${options.experimentId} was started: ${error.message}`));
      }
      this.lastError = error;
      await this.backOff(error, 'Listing the experiment runs failed; listing again', 0);
      return null;
    }
    const found = findStartedRun(runs, this.criteria());
    if (found) return { kind: 'started', run: found, adopted: true, attempts: this.attempts, elapsedMs: this.elapsed() };
    if (this.certainlyStarted) {
      // Retab said 2xx, so the run exists: keep looking, never start another.
      const error = new Error(`Retab started a run of experiment ${options.experimentId} but it is not listed yet`);
      this.lastError = error;
      await this.backOff(error, 'Looking for the started run again', this.settleMs());
      return null;
    }
    if (this.finalLook && this.lastError) return this.failed(this.lastError);
    return 'send';
  }

  /** Sends the POST: the outcome when it answers or cannot go on, null to go round again. */
  private async send(): Promise<StartOutcome | null> {
    const { options } = this;
    this.attempts += 1;
    const attemptAt = options.now();
    try {
      const run = await options.createRun(this.requestSignal());
      return { kind: 'started', run, adopted: false, attempts: this.attempts, elapsedMs: this.elapsed() };
    } catch (caught) {
      const error = toError(caught);
      const cutShort = options.signal.aborted || options.now() >= options.deadline;
      const kind = cutShort ? 'ambiguous' : classifyStartFailure(error);
      if (kind !== 'not_sent') this.uncertainSince ??= attemptAt;
      if (options.signal.aborted) return this.stopped('interrupted');
      if (options.now() >= options.deadline) return this.stopped('timed_out');
      if (kind === 'rejected') return this.failed(error);
      if (kind === 'started_unreadable') this.certainlyStarted = true;
      // Whether to try again is the error's call; whether to look first is the kind's.
      if (kind === 'ambiguous' && !isRetryable(error)) this.finalLook = true;
      this.lastError = error;
      const what = kind === 'not_sent' ? 'The request never reached Retab; sending it again' : 'Retab may have started the run; looking for it before sending again';
      await this.backOff(error, what, kind === 'not_sent' ? 0 : this.settleMs());
      return null;
    }
  }

  /** The deadline passed or the job was cancelled: one last look for a run an attempt may have started. */
  private async stopped(kind: 'timed_out' | 'interrupted'): Promise<StartOutcome> {
    const orphan = this.uncertainSince === null ? null : await this.lastLook();
    return { kind, lastError: this.lastError, orphan, attempts: this.attempts, elapsedMs: this.elapsed() };
  }

  private async lastLook(): Promise<ExperimentRun | null> {
    try {
      const runs = await this.options.listRecentRuns(AbortSignal.timeout(this.options.lastLookMs ?? DEFAULT_LAST_LOOK_MS));
      return findStartedRun(runs, this.criteria());
    } catch {
      return null;
    }
  }

  private failed(error: Error): StartOutcome {
    return { kind: 'failed', error, attempts: this.attempts, elapsedMs: this.elapsed() };
  }

  /** Backs off before the next request: at least `minimumMs`, never past the deadline. */
  private async backOff(error: Error, what: string, minimumMs: number): Promise<void> {
    const { options } = this;
    this.failures += 1;
    const backoff = backoffDelay(this.failures, options.random(), retryAfterOf(error), options.backoff ?? DEFAULT_BACKOFF);
    const delay = Math.min(Math.max(minimumMs, backoff), Math.max(0, options.deadline - options.now()));
    options.onRetry?.(`${what} in ${formatDuration(delay)}: ${error.message}`, delay);
    await options.sleep(delay, options.signal);
  }

  private criteria(): AdoptionCriteria {
    const { options } = this;
    return {
      experimentId: options.experimentId,
      workflowId: options.workflowId,
      sinceMs: this.uncertainSince ?? this.started,
      clockSkewMs: options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS,
    };
  }

  private requestSignal(): AbortSignal {
    const { signal, deadline, now } = this.options;
    return AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, deadline - now()))]);
  }

  private settleMs(): number {
    return this.options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  private elapsed(): number {
    return this.options.now() - this.started;
  }
}

function toError(caught: unknown): Error {
  return caught instanceof Error ? caught : new Error(String(caught));
}
