/**
 * What the experiments of one step share: a limit on requests in flight and one pace, set by a 429
 * to any of them. Driven with a virtual clock, through the client wrapper the step uses.
 */
import { describe, expect, it } from 'vitest';
import type { GateClient } from '../src/gate.js';
import { Limiter, SharedPace, sharedClient } from '../src/multi/pace.js';
import { RequestNotSentError, RetabApiError } from '../src/retab/errors.js';
import type { ExperimentRun } from '../src/retab/run.js';

/** A virtual clock whose sleeps resolve in time order as the test advances it. */
function virtualTiming() {
  let clock = 0;
  const sleepers: Array<{ until: number; resolve: () => void }> = [];
  return {
    now: () => clock,
    random: () => 0.5,
    sleep: (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        sleepers.push({ until: clock + ms, resolve });
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    async advance(ms: number) {
      clock += ms;
      for (const sleeper of sleepers.splice(0).filter((s) => (s.until <= clock ? (s.resolve(), false) : true))) sleepers.push(sleeper);
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

const tooMany = (retryAfterMs: number | null) => new RetabApiError(429, 'req_1', 'Too many requests', { method: 'GET', path: '/v1/x' }, retryAfterMs, '');

/** A client whose getRun answers from a queue of results, recording when each call reached it. */
function fakeClient(timing: { now: () => number }, answers: Array<'ok' | RetabApiError>) {
  const calls: Array<{ runId: string; at: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const release: Array<() => void> = [];
  const client = {
    async getRun(runId: string) {
      calls.push({ runId, at: timing.now() });
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => release.push(resolve));
      inFlight -= 1;
      const answer = answers.shift() ?? 'ok';
      if (answer !== 'ok') throw answer;
      return { id: runId } as ExperimentRun;
    },
    cancelRun: async (id: string) => ({ id, status: 'cancelled' }),
  } as unknown as GateClient;
  return { client, calls, release, stats: () => ({ maxInFlight }) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the shared pace', () => {
  it('a 429 to one experiment holds back every other request until Retry-After has passed', async () => {
    const timing = virtualTiming();
    const fake = fakeClient(timing, [tooMany(5_000)]);
    const client = sharedClient(fake.client, new SharedPace(timing), new Limiter(4));
    const signal = new AbortController().signal;

    const first = client.getRun('exprun_a', signal).catch((error: unknown) => error);
    await settle();
    fake.release.shift()?.();
    expect(await first).toBeInstanceOf(RetabApiError);

    // Another experiment's poll, a moment later: it waits for the pace, not for its own schedule.
    await timing.advance(1_000);
    const second = client.getRun('exprun_b', signal);
    await settle();
    expect(fake.calls.map((call) => call.runId)).toEqual(['exprun_a']);
    await timing.advance(3_999);
    expect(fake.calls).toHaveLength(1);
    await timing.advance(1);
    await settle();
    expect(fake.calls.at(-1)).toEqual({ runId: 'exprun_b', at: 5_000 });
    fake.release.shift()?.();
    await expect(second).resolves.toEqual({ id: 'exprun_b' });
  });

  it('without Retry-After, the pause is the backoff, growing with each 429 in a row', () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing, { baseMs: 1_000, capMs: 30_000 });
    pace.limit(tooMany(null));
    const firstPause = pace.pausedUntil;
    pace.limit(tooMany(null));
    expect(firstPause).toBeGreaterThan(0);
    expect(pace.pausedUntil).toBeGreaterThan(firstPause);
  });

  it('cancelling a run is never held back: it is what must still happen when time is up', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    pace.limit(tooMany(60_000));
    const fake = fakeClient(timing, []);
    const client = sharedClient(fake.client, pace, new Limiter(1));
    await expect(client.cancelRun('exprun_a', new AbortController().signal)).resolves.toEqual({ id: 'exprun_a', status: 'cancelled' });
  });
});

describe('the limit on requests in flight', () => {
  it('sends at most `max` at once, the others as slots free up', async () => {
    const timing = virtualTiming();
    const fake = fakeClient(timing, []);
    const client = sharedClient(fake.client, new SharedPace(timing), new Limiter(3));
    const signal = new AbortController().signal;
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => client.getRun(`exprun_${i}`, signal)));
    for (let i = 0; i < 10; i++) {
      await settle();
      fake.release.shift()?.();
    }
    await all;
    expect(fake.calls).toHaveLength(10);
    expect(fake.stats().maxInFlight).toBe(3);
  });

  it('a caller whose signal aborts while queued leaves the queue without sending', async () => {
    const limiter = new Limiter(1);
    let release = () => {};
    const busy = limiter.run(new AbortController().signal, () => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    let sent = false;
    const queued = limiter.run(controller.signal, async () => void (sent = true));
    controller.abort(new Error('stop'));
    await expect(queued).rejects.toThrow('stop');
    release();
    await busy;
    expect(sent).toBe(false);
  });
});

describe('a start’s turn', () => {
  /** A client whose POSTs and lists answer at once, recording when each reached it. */
  function startClient(timing: { now: () => number }) {
    const calls: Array<{ call: string; at: number }> = [];
    const client = {
      async startRun(experimentId: string) {
        calls.push({ call: `POST ${experimentId}`, at: timing.now() });
        return { id: 'exprun_new' } as ExperimentRun;
      },
      async listRecentRuns(experimentId: string) {
        calls.push({ call: `LIST ${experimentId}`, at: timing.now() });
        return { runs: [], serverDateMs: timing.now() };
      },
      cancelRun: async (id: string) => ({ id, status: 'cancelled' }),
    } as unknown as GateClient;
    return { client, calls };
  }

  it('comes after the pause, and its calls send at once within it', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    pace.limit(tooMany(3_000));
    const fake = startClient(timing);
    const client = sharedClient(fake.client, pace, new Limiter(4));
    const turn = client.startTurn?.(new AbortController().signal, async (direct) => {
      await direct.listRecentRuns('exp_1', 100);
      return direct.startRun('exp_1', null);
    });
    await settle();
    expect(fake.calls).toEqual([]);
    await timing.advance(3_000);
    await expect(turn).resolves.toEqual({ id: 'exprun_new' });
    expect(fake.calls).toEqual([{ call: 'LIST exp_1', at: 3_000 }, { call: 'POST exp_1', at: 3_000 }]);
  });

  it('a start withdrawn while it waits for its turn (queued or paused) rejects as never sent, and its task never runs', async () => {
    const timing = virtualTiming();
    const fake = startClient(timing);
    const limiter = new Limiter(1);
    let release = () => {};
    const busy = limiter.run(new AbortController().signal, () => new Promise<void>((resolve) => (release = resolve)));
    const pace = new SharedPace(timing);
    const client = sharedClient(fake.client, pace, limiter);
    const queued = new AbortController();
    let ran = false;
    const waiting = client.startTurn?.(queued.signal, async () => void (ran = true));
    queued.abort(new Error('received SIGTERM'));
    await expect(waiting).rejects.toThrow(RequestNotSentError);
    await expect(waiting).rejects.toThrow(/still waiting for its turn \(received SIGTERM\)/);
    release();
    await busy;

    pace.limit(tooMany(60_000));
    const paused = new AbortController();
    const held = client.startTurn?.(paused.signal, async () => void (ran = true));
    await settle();
    paused.abort(new Error('received SIGTERM'));
    await expect(held).rejects.toThrow(RequestNotSentError);
    // The POST through the client's own `startRun` is withdrawn the same way.
    const post = new AbortController();
    const sent = client.startRun('exp_1', null, post.signal);
    post.abort(new Error('the timeout'));
    await expect(sent).rejects.toThrow(RequestNotSentError);
    expect(ran).toBe(false);
    expect(fake.calls).toEqual([]);
  });

  it('a pause that begins within the turn (a 429 to another request) holds the POST back, unsent', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    const fake = startClient(timing);
    const client = sharedClient(fake.client, pace, new Limiter(4));
    const turn = client.startTurn?.(new AbortController().signal, async (direct) => {
      await direct.listRecentRuns('exp_1', 100);
      pace.limit(tooMany(2_000));
      return direct.startRun('exp_1', null);
    });
    await expect(turn).rejects.toThrow(RequestNotSentError);
    expect(fake.calls.map((call) => call.call)).toEqual(['LIST exp_1']);
  });
});
