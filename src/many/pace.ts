/**
 * What the experiments of one step share when they talk to Retab: a few requests in flight at
 * most, and one pace. A 429 to any request that gates (a start, a poll, a cancel: Retab limits the
 * key, not the run) pauses every request for as long as `Retry-After` says (else the backoff), so
 * ten waits do not each learn it on their own. Cancels go through the same pace and limit: a burst
 * of them on abort would only be turned away. A cancel waits for a pause only so long, though: it
 * has a few seconds, and must be tried at least once.
 *
 * A start's POST waits for a turn of its own (`startTurn`), so that the runs list it is judged by is
 * taken when it leaves, and a start stopped while it waits is known to have sent nothing.
 *
 * The report's reads are best-effort: a 429 to one of them pauses only the reads of the same
 * endpoint, and for no longer than such a read would itself wait to retry. A long `Retry-After`
 * on a metrics summary must not hold the polls that notice the other runs finish; if the whole key
 * is limited, the polls meet their own 429s and pause everyone. In the queue for a slot, the
 * gating requests go before the report's reads, so a finished run's pages cannot delay the polls.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../common/backoff.js';
import { CANCEL_TIMEOUT_MS } from '../start/cancel-run.js';
import { messageOf } from '../common/errors.js';
import type { GateClient, ReportClient, StartClient } from '../gate/gate.js';
import { RequestNotSentError, RetabApiError, retryAfterOf } from '../retab/errors.js';
import { MAX_DETAIL_RETRY_WAIT_MS } from '../details/run-details.js';
import type { Timing } from '../common/timing.js';

/** At most this many requests to Retab at once, whatever the number of experiments. */
export const MAX_IN_FLIGHT = 4;

/** One pause for every request of the step, set by a 429 and read before each request. */
export class SharedPace {
  private resumeAt = 0;
  /** 429s since the last answer that was not one: the backoff grows with them. */
  private limited = 0;

  constructor(
    readonly timing: Timing,
    readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  /** Resolves when requests may be sent again (at once when no pause is on), at `until` at the latest, or when `signal` aborts. */
  async ready(signal: AbortSignal, until = Infinity): Promise<void> {
    for (;;) {
      const waitMs = Math.min(this.resumeAt, until) - this.timing.now();
      if (waitMs <= 0 || signal.aborted) return;
      await this.timing.sleep(waitMs, signal);
    }
  }

  /** Retab answered 429: nobody sends before `Retry-After` (or the backoff) has passed, nor waits longer than `maxPauseMs`. */
  limit(error: unknown, maxPauseMs = Infinity): void {
    this.limited += 1;
    const delayMs = Math.min(maxPauseMs, backoffDelay(this.limited, this.timing.random(), retryAfterOf(error), this.backoff));
    this.resumeAt = Math.max(this.resumeAt, this.timing.now() + delayMs);
  }

  /** An answer that was not a 429: the next one starts the backoff from the bottom again. */
  answered(): void {
    this.limited = 0;
  }

  /** When requests may be sent again, on the injected clock. */
  get pausedUntil(): number {
    return this.resumeAt;
  }

  get paused(): boolean {
    return this.resumeAt > this.timing.now();
  }
}

/**
 * A limit on concurrent calls, first come, first served, but urgent callers before the others; a
 * caller whose signal aborts leaves the queue.
 */
export class Limiter {
  private active = 0;
  private readonly urgent: Array<() => void> = [];
  private readonly others: Array<() => void> = [];

  constructor(readonly max: number) {}

  async run<T>(signal: AbortSignal, task: () => Promise<T>, urgent = true): Promise<T> {
    await this.acquire(signal, urgent ? this.urgent : this.others);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal, queue: Array<() => void>): Promise<void> {
    if (this.active < this.max) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const enter = () => {
        signal.removeEventListener('abort', leave);
        this.active += 1;
        resolve();
      };
      const leave = () => {
        const at = queue.indexOf(enter);
        if (at >= 0) queue.splice(at, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      queue.push(enter);
    });
  }

  private release(): void {
    this.active -= 1;
    (this.urgent.shift() ?? this.others.shift())?.();
  }
}

/** The abort signal among a call's arguments: given alone, or as `{ signal }`. */
function signalIn(args: readonly unknown[]): AbortSignal {
  for (const arg of args) {
    if (arg instanceof AbortSignal) return arg;
    const inner = (arg as { signal?: unknown } | null)?.signal;
    if (inner instanceof AbortSignal) return inner;
  }
  // One that never aborts, of its own: a shared one would gather the listeners of every such call.
  return new AbortController().signal;
}

/** Which paces a request waits for (and how long at most), which one a 429 to it sets (and for how long at most), and whether it goes before the report's reads. */
interface Route {
  waitsFor: readonly SharedPace[];
  patienceMs: number;
  sets: SharedPace;
  maxPauseMs: number;
  urgent: boolean;
}

/**
 * How long a cancel waits for a pause before it is sent all the same: half its time limit, so it
 * is tried at least once however long the pause (a backoff's guess, or a `Retry-After` meant for
 * the polls), and can still be tried again after a 429 of its own.
 */
export const CANCEL_PATIENCE_MS = CANCEL_TIMEOUT_MS / 2;

const PAUSED = Symbol('paused');

/** `client` as the experiments of a step share it; `report` is for the report's best-effort reads. */
export interface StepClient extends GateClient {
  report: ReportClient;
}

/**
 * `client`, with every request going through the limiter and the shared pace; the report's reads
 * (`report`, and the summary, results and per-field reads of the client itself) through a pace of
 * their own per endpoint, besides the shared one.
 *
 * A request waits for its paces before it takes a slot: one held back by a pause holds no slot
 * that another request, not paused, could use. Each waits on its own signal: a cancel's, not the
 * job's, which is already aborted when the cancels run. A start's POST goes in a turn of its own
 * (see `startTurn`).
 */
export function sharedClient(client: GateClient, pace: SharedPace, limiter: Limiter): StepClient {
  const send = async <R>(route: Route, signal: AbortSignal, call: () => Promise<R>): Promise<R> => {
    const waitsUntil = pace.timing.now() + route.patienceMs;
    for (;;) {
      for (const each of route.waitsFor) await each.ready(signal, waitsUntil);
      const answer = await limiter.run(
        signal,
        async () => {
          // A pause that began while this request queued for its slot: give the slot back and wait.
          if (!signal.aborted && pace.timing.now() < waitsUntil && route.waitsFor.some((each) => each.paused)) return PAUSED;
          return paced(route.sets, call, route.maxPauseMs);
        },
        route.urgent,
      );
      if (answer !== PAUSED) return answer;
    }
  };
  const via =
    (route: Route) =>
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      send(route, signalIn(args), () => call(...args));
  const through = via({ waitsFor: [pace], patienceMs: Infinity, sets: pace, maxPauseMs: Infinity, urgent: true });
  const cancelling = via({ waitsFor: [pace], patienceMs: CANCEL_PATIENCE_MS, sets: pace, maxPauseMs: Infinity, urgent: true });
  // One pause per report endpoint, set only by its own 429s, as long at most as a report read waits to retry.
  const reportRoute = (): Route => {
    const own = new SharedPace(pace.timing, pace.backoff);
    return { waitsFor: [pace, own], patienceMs: Infinity, sets: own, maxPauseMs: MAX_DETAIL_RETRY_WAIT_MS, urgent: false };
  };
  const turn = startTurn(client, pace, limiter);
  const report: ReportClient = {
    getMetricsSummary: via(reportRoute())((...args: Parameters<GateClient['getMetricsSummary']>) => client.getMetricsSummary(...args)),
    getResultsPage: via(reportRoute())((...args: Parameters<GateClient['getResultsPage']>) => client.getResultsPage(...args)),
    getTargetMetrics: via(reportRoute())((...args: Parameters<GateClient['getTargetMetrics']>) => client.getTargetMetrics(...args)),
    listRecentRuns: via(reportRoute())((...args: Parameters<GateClient['listRecentRuns']>) => client.listRecentRuns(...args)),
  };
  return {
    getRun: through((...args: Parameters<GateClient['getRun']>) => client.getRun(...args)),
    startRun: (experimentId, workflowId, signal) => turn(signal ?? new AbortController().signal, (direct) => direct.startRun(experimentId, workflowId, signal)),
    startTurn: turn,
    listRecentRuns: through((...args: Parameters<GateClient['listRecentRuns']>) => client.listRecentRuns(...args)),
    getMetricsSummary: report.getMetricsSummary,
    getResultsPage: report.getResultsPage,
    getTargetMetrics: report.getTargetMetrics,
    cancelRun: cancelling((...args: Parameters<GateClient['cancelRun']>) => client.cancelRun(...args)),
    // One client for every experiment: one notion of whether Retab has answered during the step.
    noAnswerDeadline: () => client.noAnswerDeadline?.() ?? null,
    report,
  };
}

/**
 * A start's turn (see `RequestTurn` in start-run.ts): a slot of the limiter, then the end of any
 * pause, then `task` with calls that send at once. The POST is never sent during a pause (one may
 * begin within the turn, after a 429 to another request), and a start withdrawn before its POST
 * left rejects with `RequestNotSentError`: nothing reached Retab, so nothing is looked for.
 */
function startTurn(client: StartClient, pace: SharedPace, limiter: Limiter): NonNullable<GateClient['startTurn']> {
  const direct: StartClient = {
    listRecentRuns: (...args) => paced(pace, () => client.listRecentRuns(...args)),
    startRun: (experimentId, workflowId, signal) => {
      const held = signal?.aborted ? 'it was stopped' : pace.paused ? 'Retab asked the step to pause (HTTP 429 to another request)' : null;
      if (held) return Promise.reject(new RequestNotSentError(`the start was not sent: ${held} before it left`));
      return paced(pace, () => client.startRun(experimentId, workflowId, signal));
    },
  };
  return async (signal, task) => {
    let entered = false;
    try {
      return await limiter.run(signal, async () => {
        await pace.ready(signal);
        if (signal.aborted) throw signal.reason;
        entered = true;
        return task(direct);
      });
    } catch (error) {
      if (entered) throw error;
      throw new RequestNotSentError(`the start was not sent: it was still waiting for its turn (${messageOf(error)})`, { cause: error });
    }
  };
}

/** One request sent at once, telling `pace` how Retab answered: a 429 pauses it (for `maxPauseMs` at most), any other answer resets its backoff. */
async function paced<R>(pace: SharedPace, send: () => Promise<R>, maxPauseMs = Infinity): Promise<R> {
  try {
    const answer = await send();
    pace.answered();
    return answer;
  } catch (error) {
    if (error instanceof RetabApiError && error.status === 429) pace.limit(error, maxPauseMs);
    else if (error instanceof RetabApiError) pace.answered();
    throw error;
  }
}
