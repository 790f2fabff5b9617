/**
 * What the experiments of one step share: a limit on requests in flight and one pace, set by a 429
 * to any of them. Driven with a virtual clock, through the client wrapper the step uses.
 */
import { describe, expect, it } from 'vitest';
import type { GateClient } from '../src/gate/gate.js';
import { CANCEL_PATIENCE_MS, Limiter, SharedPace, sharedClient } from '../src/many/pace.js';
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
  const cancels: Array<{ runId: string; at: number }> = [];
  const cancelAnswers: RetabApiError[] = [];
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
    async cancelRun(id: string) {
      cancels.push({ runId: id, at: timing.now() });
      const refusal = cancelAnswers.shift();
      if (refusal) throw refusal;
      return { id, status: 'cancelled' };
    },
  } as unknown as GateClient;
  return { client, calls, cancels, cancelAnswers, release, stats: () => ({ maxInFlight }) };
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

  it('a cancel waits for the pace like every request, on its own signal (the job\'s is already aborted when cancels run)', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    pace.limit(tooMany(1_500));
    const fake = fakeClient(timing, []);
    const client = sharedClient(fake.client, pace, new Limiter(1));
    const cancel = client.cancelRun('exprun_a', new AbortController().signal);
    await settle();
    expect(fake.cancels).toEqual([]);
    await timing.advance(1_499);
    expect(fake.cancels).toEqual([]);
    await timing.advance(1);
    await expect(cancel).resolves.toEqual({ id: 'exprun_a', status: 'cancelled' });
    expect(fake.cancels).toEqual([{ runId: 'exprun_a', at: 1_500 }]);
  });

  it('a cancel waits for a long pause only half its time limit, then is sent all the same', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    pace.limit(tooMany(60_000));
    const fake = fakeClient(timing, []);
    const client = sharedClient(fake.client, pace, new Limiter(1));
    const cancel = client.cancelRun('exprun_a', new AbortController().signal);
    await timing.advance(CANCEL_PATIENCE_MS - 1);
    expect(fake.cancels).toEqual([]);
    await timing.advance(1);
    await expect(cancel).resolves.toEqual({ id: 'exprun_a', status: 'cancelled' });
    expect(fake.cancels).toEqual([{ runId: 'exprun_a', at: CANCEL_PATIENCE_MS }]);
    expect(CANCEL_PATIENCE_MS).toBe(2_000);
  });

  it('a cancel takes a slot like every request, and a 429 to it pauses the others', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    const fake = fakeClient(timing, []);
    fake.cancelAnswers.push(tooMany(2_000));
    const client = sharedClient(fake.client, pace, new Limiter(1));
    const signal = new AbortController().signal;
    const poll = client.getRun('exprun_b', signal);
    const refused = client.cancelRun('exprun_a', signal).catch((error: unknown) => error);
    await settle();
    expect(fake.cancels).toEqual([]);
    fake.release.shift()?.();
    await poll;
    expect(await refused).toBeInstanceOf(RetabApiError);
    expect(pace.pausedUntil).toBe(2_000);
  });
});

describe('a best-effort read and the shared pace', () => {
  /** A client whose report reads answer from a queue per method, and whose polls answer at once. */
  function reportClient(timing: { now: () => number }) {
    const calls: Array<{ method: string; at: number }> = [];
    const answers: Record<string, RetabApiError[]> = { getMetricsSummary: [], getResultsPage: [], listRecentRuns: [] };
    const hold: { until: Promise<void> | null } = { until: null };
    const answer = (method: string) => async () => {
      calls.push({ method, at: timing.now() });
      if (hold.until) await hold.until;
      const refusal = answers[method]?.shift();
      if (refusal) throw refusal;
      return {} as never;
    };
    const client = {
      getRun: answer('getRun'),
      getMetricsSummary: answer('getMetricsSummary'),
      getResultsPage: answer('getResultsPage'),
      getTargetMetrics: answer('getTargetMetrics'),
      listRecentRuns: answer('listRecentRuns'),
      startRun: answer('startRun'),
      cancelRun: answer('cancelRun'),
    } as unknown as GateClient;
    return { client, calls, answers, hold };
  }

  it('a long Retry-After on a metrics summary holds no poll, and the next summary read no longer than a report read waits', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    const fake = reportClient(timing);
    fake.answers.getMetricsSummary?.push(tooMany(300_000));
    const client = sharedClient(fake.client, pace, new Limiter(4));
    const signal = new AbortController().signal;
    await expect(client.report.getMetricsSummary('exprun_a', { signal })).rejects.toBeInstanceOf(RetabApiError);
    // Another experiment's poll, and the gating pace, are untouched.
    expect(pace.paused).toBe(false);
    await client.getRun('exprun_b', signal);
    expect(fake.calls.at(-1)).toEqual({ method: 'getRun', at: 0 });
    // Another endpoint's report read is not held either; the same endpoint's waits 10 s, not 300 s.
    await client.report.getResultsPage('exprun_b', { signal });
    expect(fake.calls.at(-1)).toEqual({ method: 'getResultsPage', at: 0 });
    const summary = client.report.getMetricsSummary('exprun_b', { signal });
    await settle();
    expect(fake.calls.filter((call) => call.method === 'getMetricsSummary')).toHaveLength(1);
    await timing.advance(10_000);
    await summary;
    expect(fake.calls.at(-1)).toEqual({ method: 'getMetricsSummary', at: 10_000 });
  });

  it('the trend\'s runs list is a report read; the start\'s is not', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    const fake = reportClient(timing);
    fake.answers.listRecentRuns?.push(tooMany(300_000));
    const client = sharedClient(fake.client, pace, new Limiter(4));
    const signal = new AbortController().signal;
    await expect(client.report.listRecentRuns('exp_a', 20, signal)).rejects.toBeInstanceOf(RetabApiError);
    expect(pace.paused).toBe(false);
    fake.answers.listRecentRuns?.push(tooMany(5_000));
    await expect(client.listRecentRuns('exp_a', 100, signal)).rejects.toBeInstanceOf(RetabApiError);
    expect(pace.pausedUntil).toBe(5_000);
  });

  it('a report read held by its pause holds no slot: a poll goes first', async () => {
    const timing = virtualTiming();
    const pace = new SharedPace(timing);
    const fake = reportClient(timing);
    fake.answers.getMetricsSummary?.push(tooMany(8_000));
    const client = sharedClient(fake.client, pace, new Limiter(1));
    const signal = new AbortController().signal;
    await expect(client.report.getMetricsSummary('exprun_a', { signal })).rejects.toBeInstanceOf(RetabApiError);
    const held = client.report.getMetricsSummary('exprun_a', { signal });
    await settle();
    const poll = client.getRun('exprun_b', signal);
    await settle();
    expect(fake.calls.map((call) => call.method)).toEqual(['getMetricsSummary', 'getRun']);
    await timing.advance(8_000);
    await Promise.all([poll, held]);
    expect(fake.calls.at(-1)).toEqual({ method: 'getMetricsSummary', at: 8_000 });
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

  it('an urgent caller (a poll, a start, a cancel) goes before the report reads queued ahead of it', async () => {
    const limiter = new Limiter(1);
    const order: string[] = [];
    let release = () => {};
    const signal = new AbortController().signal;
    const busy = limiter.run(signal, () => new Promise<void>((resolve) => (release = resolve)));
    const reads = [1, 2].map((n) => limiter.run(signal, async () => void order.push(`read ${n}`), false));
    const poll = limiter.run(signal, async () => void order.push('poll'));
    await settle();
    release();
    await Promise.all([busy, poll, ...reads]);
    expect(order).toEqual(['poll', 'read 1', 'read 2']);
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
