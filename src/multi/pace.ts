/**
 * What the experiments of one step share when they talk to Retab: a few requests in flight at
 * most, and one pace. A 429 to any of them (Retab limits the key, not the run) pauses every
 * request for as long as `Retry-After` says (else the backoff), so ten waits do not each learn it
 * on their own. Cancelling a run goes straight through: it is what must still happen when time is up.
 * A start's POST waits for a turn of its own (`startTurn`), so that the runs list it is judged by is
 * taken when it leaves, and a start stopped while it waits is known to have sent nothing.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../backoff.js';
import { messageOf } from '../errors.js';
import type { GateClient, StartClient } from '../gate.js';
import { RequestNotSentError, RetabApiError, retryAfterOf } from '../retab/errors.js';
import type { Timing } from '../timing.js';

/** At most this many requests to Retab at once, whatever the number of experiments. */
export const MAX_IN_FLIGHT = 4;

const NEVER = new AbortController().signal;

/** One pause for every request of the step, set by a 429 and read before each request. */
export class SharedPace {
  private resumeAt = 0;
  /** 429s since the last answer that was not one: the backoff grows with them. */
  private limited = 0;

  constructor(
    private readonly timing: Timing,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  /** Resolves when requests may be sent again (at once when no pause is on), or when `signal` aborts. */
  async ready(signal: AbortSignal): Promise<void> {
    for (;;) {
      const waitMs = this.resumeAt - this.timing.now();
      if (waitMs <= 0 || signal.aborted) return;
      await this.timing.sleep(waitMs, signal);
    }
  }

  /** Retab answered 429: nobody sends before `Retry-After` (or the backoff) has passed. */
  limit(error: unknown): void {
    this.limited += 1;
    const delayMs = backoffDelay(this.limited, this.timing.random(), retryAfterOf(error), this.backoff);
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

  /** Whether a pause is on now. */
  get paused(): boolean {
    return this.resumeAt > this.timing.now();
  }
}

/** A first-come, first-served limit on concurrent calls; a caller whose signal aborts leaves the queue. */
export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly max: number) {}

  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
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
        const at = this.queue.indexOf(enter);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      this.queue.push(enter);
    });
  }

  private release(): void {
    this.active -= 1;
    this.queue.shift()?.();
  }
}

/** The abort signal among a call's arguments: given alone, or as `{ signal }`. */
function signalIn(args: readonly unknown[]): AbortSignal {
  for (const arg of args) {
    if (arg instanceof AbortSignal) return arg;
    const inner = (arg as { signal?: unknown } | null)?.signal;
    if (inner instanceof AbortSignal) return inner;
  }
  return NEVER;
}

/**
 * `client`, with every request but the cancel going through the limiter and the shared pace. A
 * start's POST goes in a turn of its own (see `startTurn`).
 */
export function sharedClient(client: GateClient, pace: SharedPace, limiter: Limiter): GateClient {
  const through = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const signal = signalIn(args);
      return limiter.run(signal, async () => {
        await pace.ready(signal);
        try {
          const answer = await call(...args);
          pace.answered();
          return answer;
        } catch (error) {
          if (error instanceof RetabApiError && error.status === 429) pace.limit(error);
          else if (error instanceof RetabApiError) pace.answered();
          throw error;
        }
      });
    };
  const turn = startTurn(client, pace, limiter);
  return {
    getRun: through((...args: Parameters<GateClient['getRun']>) => client.getRun(...args)),
    startRun: (experimentId, workflowId, signal) => turn(signal ?? NEVER, (direct) => direct.startRun(experimentId, workflowId, signal)),
    startTurn: turn,
    listRecentRuns: through((...args: Parameters<GateClient['listRecentRuns']>) => client.listRecentRuns(...args)),
    getMetricsSummary: through((...args: Parameters<GateClient['getMetricsSummary']>) => client.getMetricsSummary(...args)),
    getResultsPage: through((...args: Parameters<GateClient['getResultsPage']>) => client.getResultsPage(...args)),
    getTargetMetrics: through((...args: Parameters<GateClient['getTargetMetrics']>) => client.getTargetMetrics(...args)),
    cancelRun: (...args: Parameters<GateClient['cancelRun']>) => client.cancelRun(...args),
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

/** One request sent at once, telling the pace how Retab answered (as `sharedClient` does). */
async function paced<R>(pace: SharedPace, send: () => Promise<R>): Promise<R> {
  try {
    const answer = await send();
    pace.answered();
    return answer;
  } catch (error) {
    if (error instanceof RetabApiError && error.status === 429) pace.limit(error);
    else if (error instanceof RetabApiError) pace.answered();
    throw error;
  }
}
