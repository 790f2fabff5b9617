/**
 * Start a new run of an experiment: never two runs, never someone else's.
 * `POST /v1/workflows/experiments/runs` has no idempotency key, so:
 *
 * 1. Before each POST the experiment's newest runs are listed (the baseline, see run-adoption.ts):
 *    whatever is listed there, or was created before it by Retab's clock, is someone else's. An
 *    answer naming such a run is not ours: it is handled as an uncertain answer (4.).
 * 2. With several experiments the POST waits for its turn (the step's queue, a shared 429 pause:
 *    see `RequestTurn`). A turn that came late takes the list again within it, so the baseline
 *    is never older than a moment before the POST; a start stopped before its turn came sent
 *    nothing, and nothing is looked for, adopted or cancelled for it.
 * 3. The POST is sent again only when the previous attempt provably started nothing: it never
 *    reached Retab (connection refused, DNS, withdrawn before it left), or Retab's rate limiter
 *    turned it away (429, which is answered before the request is handled). Any other refusal
 *    (4xx) fails at once.
 * 4. After an uncertain answer (reset or timeout after sending, 408, 5xx, an unreadable 2xx)
 *    the POST is never sent again. The runs list is read for a bounded while (it can lag); exactly
 *    one new run over that whole look is ours and is adopted. None, several, or a list that cannot
 *    be read: the start fails with a `StartUnknownError` saying what to check.
 * 5. When the deadline passes or the job is cancelled after an uncertain answer, one last look
 *    names the run to cancel, only when exactly one new run is known.
 *
 * The HTTP calls, the clock, sleeping and randomness come in as parameters: the decisions are
 * tested without a server, the whole against the simulator.
 */
import { timeoutSignal } from '../common/timeout-signal.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../common/backoff.js';
import { formatDuration } from '../common/duration.js';
import { messageOf } from '../common/errors.js';
import {
  isRetryable,
  RequestNotSentError,
  RetabApiError,
  RetabConnectionError,
  RetabNeverAnsweredError,
  RetabProxyError,
  RetabResponseError,
  RetabTimeoutError,
  retryAfterOf,
} from '../retab/errors.js';
import { retryDelayWithin } from '../retab/no-answer.js';
import type { ExperimentRun } from '../retab/run.js';
import {
  answeredRunProblem,
  baselineFrom,
  baselineIsStale,
  creationWindow,
  decideLook,
  knownOrphan,
  newRuns,
  postNotBefore,
  StartUnknownError,
  type Baseline,
  type CandidateCriteria,
  type RunList,
} from './run-adoption.js';
import type { Timing } from '../common/timing.js';

/** How an attempt to start a run failed, as far as "did it start a run?" goes. */
export type StartFailureKind =
  /** The request never reached the server (connection refused), or was turned away by the rate limiter (429): sending it again is safe. */
  | 'not_sent'
  /** The server answered and refused (400, 401, 403, 404, 409, 422): no run was started. */
  | 'rejected'
  /** The server may or may not have started a run: look, never send again. */
  | 'uncertain'
  /** The server answered 2xx, so a run was started, but its body cannot be read: find it, never send again. */
  | 'started_unreadable';

const UNCERTAIN_STATUSES = new Set([408]);
/** A rate limiter answers before the request is handled: nothing was started, and several experiments started at once may well meet one. */
const THROTTLED = 429;

export function classifyStartFailure(error: unknown): StartFailureKind {
  // Withdrawn while it waited for its turn (see many/pace.ts): it never left the runner.
  if (error instanceof RequestNotSentError) return 'not_sent';
  // Retab never answered during the step (see retab/no-answer.ts): as its last try was.
  if (error instanceof RetabNeverAnsweredError) return error.neverSent ? 'not_sent' : 'uncertain';
  if (error instanceof RetabConnectionError) return error.neverSent ? 'not_sent' : 'uncertain';
  // The proxy answered instead of Retab: nothing was sent; a refusal is final, a proxy's 5xx may pass.
  if (error instanceof RetabProxyError) return error.retryable ? 'not_sent' : 'rejected';
  if (error instanceof RetabTimeoutError) return 'uncertain';
  if (error instanceof RetabApiError && error.status === THROTTLED) return 'not_sent';
  if (error instanceof RetabApiError) return error.status >= 500 || UNCERTAIN_STATUSES.has(error.status) ? 'uncertain' : 'rejected';
  if (error instanceof RetabResponseError) return error.status >= 200 && error.status < 300 ? 'started_unreadable' : 'uncertain';
  // Not an HTTP failure: a bug. The request may have gone out, so treat it as refused rather than resend it.
  return 'rejected';
}

export type StartOutcome =
  | { kind: 'started'; run: ExperimentRun; adopted: boolean; attempts: number; elapsedMs: number }
  /** The server refused, an error that cannot be retried, or (`StartUnknownError`) it cannot be known whether a run was started. */
  | { kind: 'failed'; error: Error; attempts: number; elapsedMs: number }
  /**
   * The deadline passed, or the job was cancelled, before a run was known. `orphan` is the one new
   * run found after an uncertain answer, known to be ours: the caller should cancel it.
   */
  | { kind: 'timed_out' | 'interrupted'; lastError: Error | null; orphan: ExperimentRun | null; attempts: number; elapsedMs: number };

/** The two requests a start makes. */
export interface AttemptCalls {
  /** The POST. */
  createRun: (signal: AbortSignal) => Promise<ExperimentRun>;
  /** The experiment's newest runs (at most 100, newest first), with the answer's `Date`. */
  listRuns: (signal: AbortSignal) => Promise<RunList>;
}

/**
 * Runs `task` once a request's turn comes (with several experiments: a slot in the step's queue,
 * then the end of any shared 429 pause, see many/pace.ts), holding the turn until `task` ends;
 * `calls` send within the turn without waiting again. When `signal` aborts first, it rejects
 * without running `task`: nothing was sent.
 */
export type RequestTurn = <T>(signal: AbortSignal, task: (calls: AttemptCalls) => Promise<T>) => Promise<T>;

/** What became of a POST sent in its turn; `judgedBy` is the baseline its answer is judged against. */
type Posted =
  /** It never left: the turn did not come (`error` says why), or the job stopped within it. */
  | { kind: 'withdrawn'; error: Error | null }
  /** The turn came late and the runs list could not be read again within it: nothing was sent. */
  | { kind: 'relist_failed'; error: Error }
  | { kind: 'answered'; run: ExperimentRun; judgedBy: Baseline | null }
  | { kind: 'failed'; error: Error; failedAt: number; judgedBy: Baseline | null };

export interface StartRunOptions extends Timing, AttemptCalls {
  experimentId: string;
  workflowId: string | null;
  /** Where the POST waits for its turn; none by default (one experiment: the POST goes at once). */
  turn?: RequestTurn;
  /** Local time (ms) by which a run must be known. */
  deadline: number;
  /** Aborted when the job is cancelled. */
  signal: AbortSignal;
  backoff?: BackoffOptions;
  /** After an uncertain answer, the time before the first look. */
  settleMs?: number;
  /** After an uncertain answer, the time between looks. */
  lookEveryMs?: number;
  /** After an uncertain answer, how long to keep looking (from the answer) before deciding: the list can lag. */
  lookWindowMs?: number;
  /** How many times the baseline list is tried before the POST goes without one. */
  baselineTries?: number;
  /** The time limit of the last look for an orphan, after the deadline or a cancellation. */
  lastLookMs?: number;
  onRetry?: (message: string, delayMs: number) => void;
  onWarning?: (message: string) => void;
  /**
   * While Retab has never answered, when the client stops trying it (see retab/no-answer.ts); null
   * once it has. A retry waits no longer, so the start ends then rather than a backoff later.
   */
  noAnswerDeadline?: () => number | null;
}

export const DEFAULT_LOOK_WINDOW_MS = 20_000;
const DEFAULT_SETTLE_MS = 1_000;
const DEFAULT_LOOK_EVERY_MS = 2_000;
const DEFAULT_BASELINE_TRIES = 3;
const DEFAULT_LAST_LOOK_MS = 2_000;

export async function startRun(options: StartRunOptions): Promise<StartOutcome> {
  return new RunStarter(options).start();
}

/** What is known after an uncertain answer: the baseline it is judged against and the new runs seen so far. */
interface Uncertain {
  criteria: CandidateCriteria | null;
  error: Error;
  failedAt: number;
  seen: Map<string, ExperimentRun>;
}

/** One call of `startRun`: what the attempts so far have learnt, and one method per step. */
class RunStarter {
  private readonly started: number;
  private attempts = 0;
  private failures = 0;
  private lastError: Error | null = null;
  /** Why the last baseline could not be read, for the message. */
  private baselineError: string | null = null;
  private uncertain: Uncertain | null = null;

  constructor(private readonly options: StartRunOptions) {
    this.started = options.now();
  }

  async start(): Promise<StartOutcome> {
    const { options } = this;
    for (;;) {
      const stop = this.stopIfDue();
      if (stop) return stop;
      const baseline = await this.takeBaseline();
      if (baseline === 'stop') return this.stopIfDue() ?? this.stopped('timed_out');
      if (baseline instanceof RetabNeverAnsweredError) return this.failed(baseline);
      if (baseline === 'unreachable') continue;
      // `Date` has whole seconds: wait for the next one, so that our run is created after it.
      if (baseline) await this.sleepUntil(postNotBefore(baseline));
      const due = this.stopIfDue();
      if (due) return due;

      const posted = await this.post(baseline);
      switch (posted.kind) {
        case 'withdrawn':
          // The POST never left: nothing to look for. A wait that failed while the job goes on is a bug: the start fails, never uncertain.
          if (posted.error) this.lastError = posted.error;
          return this.stopIfDue() ?? this.failed(posted.error ?? new Error('the start was withdrawn before it was sent'));
        case 'relist_failed':
          if (posted.error instanceof RetabNeverAnsweredError) return this.failed(posted.error);
          await this.backOff(posted.error, 'Listing the experiment runs again before the start failed; listing again', 0);
          continue;
        case 'answered': {
          const { run, judgedBy } = posted;
          const problem = answeredRunProblem(run, options.experimentId, judgedBy);
          if (problem === null) return { kind: 'started', run, adopted: false, attempts: this.attempts, elapsedMs: this.elapsed() };
          // A 2xx, so a run was started, but the answer names another one: find ours.
          const error = new Error(`Retab answered the start with run ${run.id} of experiment ${run.experiment_id ?? 'unknown'}, which is not a new run of experiment ${options.experimentId}: ${problem}`);
          this.lastError = error;
          this.uncertain = { criteria: judgedBy ? this.criteria(judgedBy, options.now()) : null, error, failedAt: options.now(), seen: new Map() };
          return this.lookForStartedRun(this.uncertain);
        }
        case 'failed': {
          const { error, failedAt, judgedBy } = posted;
          const cutShort = options.signal.aborted || failedAt >= options.deadline;
          const kind = classifyStartFailure(error);
          this.lastError = error;
          if (kind === 'not_sent') {
            // Nothing reached Retab (or it turned the request away): never uncertain, even when time is up.
            if (cutShort) return this.stopIfDue() ?? this.stopped('timed_out');
            // Nothing reached it, and it has never answered: the address is wrong, no use sending again.
            if (error instanceof RetabNeverAnsweredError) return this.failed(error);
            const what = error instanceof RetabApiError ? 'Retab turned the request away (rate limit); sending it again' : 'The request never reached Retab; sending it again';
            await this.backOff(error, what, 0);
            continue;
          }
          // Cut short mid-request, the request may have left: look for what it started.
          if (kind === 'rejected' && !cutShort) return this.failed(error);
          this.uncertain = { criteria: judgedBy ? this.criteria(judgedBy, failedAt) : null, error, failedAt, seen: new Map() };
          return this.lookForStartedRun(this.uncertain);
        }
      }
    }
  }

  /**
   * The POST, once its turn comes (see `StartRunOptions.turn`). A turn that came late makes the
   * baseline stale: it is taken again within the turn, so that the list the POST is judged by is
   * at most a moment older than the POST. A turn that never came sent nothing.
   */
  private async post(baseline: Baseline | null): Promise<Posted> {
    const { options } = this;
    const turn: RequestTurn = options.turn ?? ((_signal, task) => task(options));
    let sending = false;
    try {
      return await turn(this.requestSignal(), async (calls): Promise<Posted> => {
        let judgedBy = baseline;
        if (baseline && baselineIsStale(baseline, options.now())) {
          options.onRetry?.(`The start waited ${formatDuration(options.now() - postNotBefore(baseline))} for its turn (other requests of the step, or a pause Retab asked for); listing the experiment runs again before sending it`, 0);
          const fresh = await this.listOnce(calls.listRuns);
          if (fresh.kind === 'stop') return { kind: 'withdrawn', error: null };
          if (fresh.kind === 'failed') return { kind: 'relist_failed', error: fresh.error };
          judgedBy = fresh.baseline;
          if (judgedBy) await this.sleepUntil(postNotBefore(judgedBy));
          if (this.isDue()) return { kind: 'withdrawn', error: null };
        }
        sending = true;
        this.attempts += 1;
        try {
          return { kind: 'answered', run: await calls.createRun(this.requestSignal()), judgedBy };
        } catch (caught) {
          return { kind: 'failed', error: toError(caught), failedAt: options.now(), judgedBy };
        }
      });
    } catch (caught) {
      // Only the wait for the turn throws (the task catches what the requests throw): nothing was sent.
      if (sending) throw caught;
      return { kind: 'withdrawn', error: toError(caught) };
    }
  }

  /**
   * The runs listed just before the POST; null when they cannot be read (the POST goes anyway),
   * 'unreachable' when Retab cannot be reached at all (try again later, POST nothing), 'stop' when
   * the job should stop, the error when Retab has never answered for the client's limit (POST nothing).
   */
  private async takeBaseline(): Promise<Baseline | null | 'stop' | 'unreachable' | RetabNeverAnsweredError> {
    const { options } = this;
    const tries = options.baselineTries ?? DEFAULT_BASELINE_TRIES;
    for (let attempt = 1; ; attempt++) {
      const listed = await this.listOnce(options.listRuns);
      if (listed.kind !== 'failed') return listed.kind === 'stop' ? 'stop' : listed.baseline;
      const { error } = listed;
      if (error instanceof RetabNeverAnsweredError) return error;
      if (error instanceof RetabConnectionError && error.neverSent) {
        // The POST would not get through either: wait for Retab rather than start blind.
        await this.backOff(error, 'Retab cannot be reached; trying again', 0);
        return 'unreachable';
      }
      if (!isRetryable(error) || attempt >= tries) {
        options.onWarning?.(this.cannotTell());
        return null;
      }
      await this.backOff(error, 'Listing the experiment runs failed; listing again', 0);
    }
  }

  /** One read of the runs list as a baseline: `stop` when the job should stop. */
  private async listOnce(listRuns: AttemptCalls['listRuns']): Promise<{ kind: 'taken'; baseline: Baseline | null } | { kind: 'failed'; error: Error } | { kind: 'stop' }> {
    const { options } = this;
    const sentAt = options.now();
    try {
      const list = await listRuns(this.requestSignal());
      const baseline = baselineFrom(list, sentAt, options.now());
      this.baselineError = baseline ? null : 'the answer had no usable Date header, so Retab’s clock is unknown';
      if (!baseline) options.onWarning?.(this.cannotTell());
      return { kind: 'taken', baseline };
    } catch (caught) {
      if (this.isDue()) return { kind: 'stop' };
      const error = toError(caught);
      this.baselineError = error.message;
      return { kind: 'failed', error };
    }
  }

  private cannotTell(): string {
    const { experimentId } = this.options;
    return `Could not list the runs of experiment ${experimentId} before starting one (${this.baselineError}). Starting it anyway; if Retab's answer is uncertain, the action will fail rather than guess which run is its own.`;
  }

  /** After an uncertain answer: look for the new run for `lookWindowMs`, then decide. The POST is never sent again. */
  private async lookForStartedRun(uncertain: Uncertain): Promise<StartOutcome> {
    const { options } = this;
    const { criteria, error, failedAt, seen } = uncertain;
    const stop = this.stopIfDue();
    if (stop) return stop;
    if (!criteria) return this.failed(new StartUnknownError('no_baseline', options.experimentId, error, { listError: this.baselineError ?? undefined }));

    const windowMs = options.lookWindowMs ?? DEFAULT_LOOK_WINDOW_MS;
    const lookEnd = failedAt + windowMs;
    // A list that keeps failing gets one more window, then the start fails.
    const giveUpAt = lookEnd + windowMs;
    options.onRetry?.(`Retab may have started the run (${error.message}); looking for it among the experiment runs for up to ${formatDuration(windowMs)}`, 0);
    await this.sleepFor(options.settleMs ?? DEFAULT_SETTLE_MS);
    for (;;) {
      const due = this.stopIfDue();
      if (due) return due;
      const lookedAt = options.now();
      let list: RunList;
      try {
        list = await options.listRuns(this.requestSignal());
      } catch (caught) {
        const listError = toError(caught);
        const stopped = this.stopIfDue();
        if (stopped) return stopped;
        if (!isRetryable(listError) || options.now() >= giveUpAt) {
          return this.failed(new StartUnknownError('list_unreadable', options.experimentId, error, { listError: listError.message }));
        }
        await this.backOff(listError, 'Listing the experiment runs failed; listing again', 0);
        continue;
      }
      for (const [id, run] of newRuns(list.runs, criteria)) seen.set(id, run);
      const decision = decideLook(seen, lookedAt >= lookEnd);
      switch (decision.kind) {
        case 'adopt':
          return { kind: 'started', run: decision.run, adopted: true, attempts: this.attempts, elapsedMs: this.elapsed() };
        case 'several':
          return this.failed(new StartUnknownError('several_new', options.experimentId, error, { ids: decision.ids }));
        case 'none':
          return this.failed(new StartUnknownError('not_listed', options.experimentId, error, { lookedMs: lookedAt - failedAt }));
        case 'keep_looking':
          await this.sleepFor(Math.min(options.lookEveryMs ?? DEFAULT_LOOK_EVERY_MS, Math.max(0, lookEnd - options.now())));
      }
    }
  }

  private stopIfDue(): Promise<StartOutcome> | null {
    if (this.options.signal.aborted) return this.stopped('interrupted');
    if (this.options.now() >= this.options.deadline) return this.stopped('timed_out');
    return null;
  }

  private isDue(): boolean {
    return this.options.signal.aborted || this.options.now() >= this.options.deadline;
  }

  /** The deadline passed or the job was cancelled: after an uncertain answer, one last look for the run to cancel. */
  private async stopped(kind: 'timed_out' | 'interrupted'): Promise<StartOutcome> {
    const orphan = this.uncertain ? await this.lastLook(this.uncertain) : null;
    return { kind, lastError: this.lastError, orphan, attempts: this.attempts, elapsedMs: this.elapsed() };
  }

  private async lastLook({ criteria, seen }: Uncertain): Promise<ExperimentRun | null> {
    if (!criteria) return null;
    try {
      const list = await this.options.listRuns(AbortSignal.timeout(this.options.lastLookMs ?? DEFAULT_LAST_LOOK_MS));
      for (const [id, run] of newRuns(list.runs, criteria)) seen.set(id, run);
    } catch (error) {
      this.options.onWarning?.(`Could not list the runs of experiment ${this.options.experimentId} to find the run to cancel: ${messageOf(error)}`);
    }
    return knownOrphan(seen);
  }

  private failed(error: Error): StartOutcome {
    return { kind: 'failed', error, attempts: this.attempts, elapsedMs: this.elapsed() };
  }

  /** Backs off before the next request: at least `minimumMs`, never past the deadline. */
  private async backOff(error: Error, what: string, minimumMs: number): Promise<void> {
    const { options } = this;
    this.failures += 1;
    const backoff = backoffDelay(this.failures, options.random(), retryAfterOf(error), options.backoff ?? DEFAULT_BACKOFF);
    const delay = retryDelayWithin(Math.min(Math.max(minimumMs, backoff), Math.max(0, options.deadline - options.now())), options.now(), options.noAnswerDeadline?.() ?? null);
    options.onRetry?.(`${what} in ${formatDuration(delay)}: ${error.message}`, delay);
    await options.sleep(delay, options.signal);
  }

  /** Sleeps `ms`, never past the deadline. */
  private async sleepFor(ms: number): Promise<void> {
    const { options } = this;
    const delay = Math.min(ms, Math.max(0, options.deadline - options.now()));
    if (delay > 0) await options.sleep(delay, options.signal);
  }

  private async sleepUntil(at: number): Promise<void> {
    await this.sleepFor(at - this.options.now());
  }

  private criteria(baseline: Baseline, failedAt: number): CandidateCriteria {
    const { experimentId, workflowId } = this.options;
    return { experimentId, workflowId, baseline, window: creationWindow(baseline, failedAt) };
  }

  private requestSignal(): AbortSignal {
    const { signal, deadline, now } = this.options;
    const ms = Math.max(1, deadline - now());
    return AbortSignal.any([signal, timeoutSignal(ms, () => `the start's deadline passed`)]);
  }

  private elapsed(): number {
    return this.options.now() - this.started;
  }
}

function toError(caught: unknown): Error {
  return caught instanceof Error ? caught : new Error(String(caught));
}
