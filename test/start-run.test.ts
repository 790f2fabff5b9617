import { describe, expect, it } from 'vitest';
import { RequestNotSentError, RetabApiError, RetabConnectionError, RetabNeverAnsweredError, RetabResponseError, RetabTimeoutError } from '../src/retab/errors.js';
import type { ExperimentRun } from '../src/retab/run.js';
import { answeredRunProblem, baselineFrom, creationWindow, decideLook, knownOrphan, newRuns, postNotBefore, StartUnknownError, type Baseline, type CandidateCriteria } from '../src/start/run-adoption.js';
import { classifyStartFailure, startRun, type RequestTurn, type StartRunOptions } from '../src/start/start-run.js';
import { makeRun } from './support/runs.js';

const POST = { method: 'POST', path: '/v1/workflows/experiments/runs' };
const T0 = Date.parse('2026-08-01T12:00:00Z');

/** A run of exp_1 created at `createdAt` (ms), as the live server lists it: `manual_run`. */
function run(id: string, createdAt: number | null, extra: Partial<ExperimentRun> = {}): ExperimentRun {
  return makeRun({
    id,
    status: 'queued',
    experiment_id: 'exp_1',
    workflow_id: 'wf_1',
    created_at: createdAt === null ? null : new Date(createdAt).toISOString(),
    trigger: 'manual_run',
    ...extra,
  });
}

const refused = () => new RetabConnectionError('ECONNREFUSED', POST, 'http://127.0.0.1:1', null);
const reset = () => new RetabConnectionError('ECONNRESET', POST, 'http://127.0.0.1:1', null);
const apiError = (status: number, retryAfterMs: number | null = null) => new RetabApiError(status, 'req_1', 'detail', POST, retryAfterMs, '');
/** Retab never answered during the step, the last try as `last` (see retab/no-answer.ts). */
const neverAnswered = (last: RetabConnectionError) => new RetabNeverAnsweredError(last, 'http://127.0.0.1:1', 60_000);
const unreadable202 = () => new RetabResponseError('unexpected_shape', 202, null, POST, 'does not have the expected shape');

describe('classifyStartFailure', () => {
  it.each([
    ['connection refused', refused(), 'not_sent'],
    ['DNS failure', new RetabConnectionError('ENOTFOUND', POST, 'x', null), 'not_sent'],
    ['connection reset', reset(), 'uncertain'],
    ['socket closed', new RetabConnectionError('UND_ERR_SOCKET', POST, 'x', null), 'uncertain'],
    ['request timeout', new RetabTimeoutError(30_000, POST), 'uncertain'],
    ['502', apiError(502), 'uncertain'],
    ['500', apiError(500), 'uncertain'],
    ['501', apiError(501), 'uncertain'],
    ['429 (turned away by the rate limiter)', apiError(429), 'not_sent'],
    ['408', apiError(408), 'uncertain'],
    ['404', apiError(404), 'rejected'],
    ['401', apiError(401), 'rejected'],
    ['422', apiError(422), 'rejected'],
    ['409', apiError(409), 'rejected'],
    ['202 with an unreadable body', unreadable202(), 'started_unreadable'],
    ['withdrawn while it waited for its turn', new RequestNotSentError('the start was not sent'), 'not_sent'],
    ['never answered, the last try refused', neverAnswered(refused()), 'not_sent'],
    ['never answered, the last try reset after sending', neverAnswered(reset()), 'uncertain'],
    ['a bug', new TypeError('x is undefined'), 'rejected'],
  ])('%s → %s', (_name, error, kind) => {
    expect(classifyStartFailure(error)).toBe(kind);
  });
});

/** A baseline that must exist (the answer had a `Date`). */
function baselineOf(...args: Parameters<typeof baselineFrom>): Baseline {
  const baseline = baselineFrom(...args);
  if (!baseline) throw new Error('no baseline');
  return baseline;
}

describe('the creation window', () => {
  const baseline = baselineOf({ runs: [run('r_old', T0 - 5_000)], serverDateMs: T0 }, T0 - 300, T0 + 200);

  it('sends the POST a full second after the baseline answer', () => {
    expect(postNotBefore(baseline)).toBe(T0 + 1_200);
  });

  it('runs from the second after the baseline answer to the failure, on Retab’s clock, whatever ours says', () => {
    // Our clock 10 minutes ahead of Retab's: the bounds follow Retab's `Date`, not ours.
    const skewed = baselineOf({ runs: [], serverDateMs: T0 }, T0 + 600_000, T0 + 600_100);
    expect(creationWindow(skewed, T0 + 602_000)).toEqual({ notBeforeMs: T0 + 1_000, notAfterMs: T0 + 1_000 + 2_000 + 1_000 });
  });

  it('is no baseline without Retab’s clock: a run listed late could not be placed', () => {
    expect(baselineFrom({ runs: [run('r_old', T0)], serverDateMs: null }, T0, T0)).toBeNull();
  });
});

describe('newRuns', () => {
  const baseline = baselineOf({ runs: [run('r_before', T0 - 500)], serverDateMs: T0 }, T0 - 100, T0);
  const criteria: CandidateCriteria = { experimentId: 'exp_1', workflowId: 'wf_1', baseline, window: creationWindow(baseline, T0 + 3_000) };
  const ids = (runs: ExperimentRun[], c = criteria) => [...newRuns(runs, c).keys()];

  it('takes a new run whatever its trigger says (the live server says manual_run)', () => {
    const runs = [run('a', T0 + 1_500, { trigger: 'manual_run' }), run('b', T0 + 1_600, { trigger: 'api' }), run('c', T0 + 1_700, { trigger: null }), run('d', T0 + 1_800, { trigger: 'something_new' })];
    expect(ids(runs)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('never takes a run listed before the POST, nor one created before the baseline answer even when listed late', () => {
    expect(ids([run('r_before', T0 + 1_500), run('lagging_other', T0 - 200), run('same_second', T0 + 999)])).toEqual([]);
  });

  it('never takes a run created after the POST failed (another job, later)', () => {
    expect(ids([run('later', T0 + 3_000 + 1_000 + 3_000)])).toEqual([]);
  });

  it('ignores runs of other experiments or workflows, without an experiment, or without a creation time', () => {
    const runs = [run('x', T0 + 1_500, { experiment_id: 'exp_2' }), run('y', T0 + 1_500, { experiment_id: null }), run('z', T0 + 1_500, { workflow_id: 'wf_2' }), run('t', null)];
    expect(ids(runs)).toEqual([]);
    expect(ids([run('w', T0 + 1_500, { workflow_id: null })])).toEqual(['w']);
  });

  it('reads a creation time without a zone as UTC, whatever the runner’s time zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const naive = new Date(T0 + 1_500).toISOString().replace('Z', '');
      expect(ids([{ ...run('naive', null), created_at: naive }])).toEqual(['naive']);
      expect(ids([{ ...run('micro', null), created_at: '2026-08-01T12:00:01.500123+00:00' }])).toEqual(['micro']);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('counts an id listed twice once, and not at all when one copy is not a candidate (a hostile list)', () => {
    expect(ids([run('dup', T0 + 1_500), run('dup', T0 + 1_500)])).toEqual(['dup']);
    expect(ids([run('dup', T0 + 1_500), run('dup', T0 + 1_500, { experiment_id: 'exp_2' })])).toEqual([]);
    expect(ids([run('dup', T0 - 5_000), run('dup', T0 + 1_500), run('dup', T0 + 1_500)])).toEqual([]);
  });
});

describe('answeredRunProblem: can the run the POST answered be the one it started?', () => {
  // The baseline was answered at T0 by Retab's clock; the POST left a second later.
  const baseline = baselineOf({ runs: [run('r_old', T0 - 5_000)], serverDateMs: T0 }, T0 - 300, T0 + 200);

  it('a new run of the experiment, created after the list: yes', () => {
    expect(answeredRunProblem(run('r_new', T0 + 1_100), 'exp_1', baseline)).toBeNull();
  });

  it('a run created before the list was answered, even one the list did not show (it lags): no', () => {
    expect(answeredRunProblem(run('r_unlisted', T0 - 10_000), 'exp_1', baseline)).toMatch(/^it was created at .*, before the runs list taken just before the start/);
    expect(answeredRunProblem(run('r_unlisted', T0 - 1), 'exp_1', baseline)).not.toBeNull();
  });

  it('a listed run, or one of another experiment: no', () => {
    expect(answeredRunProblem(run('r_old', T0 + 1_100), 'exp_1', baseline)).toBe('it was listed before the start');
    expect(answeredRunProblem(run('r_new', T0 + 1_100, { experiment_id: 'exp_2' }), 'exp_1', baseline)).toBe('it is a run of experiment exp_2');
  });

  it('without a creation time, or without a baseline, it is judged on what can be checked', () => {
    expect(answeredRunProblem(run('r_new', null), 'exp_1', baseline)).toBeNull();
    expect(answeredRunProblem(run('r_any', T0 - 10_000), 'exp_1', null)).toBeNull();
  });
});

describe('decideLook', () => {
  const one = new Map([['a', run('a', T0)]]);
  const two = new Map([...one, ['b', run('b', T0)]]);
  it.each([
    ['no new run, still looking', 'keep_looking', new Map(), false],
    ['one new run, still looking (a second may be listed late)', 'keep_looking', one, false],
    ['two new runs, at once', 'several', two, false],
    ['no new run at the end', 'none', new Map(), true],
    ['one new run at the end', 'adopt', one, true],
    ['two new runs at the end', 'several', two, true],
  ])('%s → %s', (_name, kind, seen, over) => {
    expect(decideLook(seen as Map<string, ExperimentRun>, over).kind).toBe(kind);
  });

  it('knows an orphan only when exactly one new run was seen', () => {
    expect(knownOrphan(one)?.id).toBe('a');
    expect(knownOrphan(two)).toBeNull();
    expect(knownOrphan(new Map())).toBeNull();
  });
});

type Scripted<T> = T | Error | ((at: number) => T | Error);

/**
 * A scripted Retab and a virtual clock (Retab's clock is ours): each POST and each list answers
 * from a queue; a list answer's `Date` is the clock's whole second. Lists without a script answer
 * the last scripted one again (a list that stays the same).
 */
function harness(script: { posts: Array<Scripted<ExperimentRun>>; lists?: Array<Scripted<ExperimentRun[]>>; date?: boolean }, overrides: Partial<StartRunOptions> = {}) {
  let clock = T0;
  const calls: string[] = [];
  const controller = new AbortController();
  const lists = script.lists ?? [[]];
  let lastList: Scripted<ExperimentRun[]> = [];
  const resolve = <T>(next: Scripted<T>): T => {
    const value = typeof next === 'function' ? (next as (at: number) => T | Error)(clock) : next;
    if (value instanceof Error) throw value;
    return value;
  };
  const options: StartRunOptions = {
    experimentId: 'exp_1',
    workflowId: null,
    createRun: async () => {
      calls.push('POST');
      clock += 100;
      const next = script.posts.shift();
      if (next === undefined) throw new Error('unexpected POST');
      return resolve(next);
    },
    listRuns: async () => {
      calls.push('LIST');
      clock += 50;
      lastList = lists.length > 0 ? (lists.shift() as Scripted<ExperimentRun[]>) : lastList;
      return { runs: resolve(lastList), serverDateMs: script.date === false ? null : Math.floor(clock / 1000) * 1000 };
    },
    deadline: T0 + 120_000,
    signal: controller.signal,
    now: () => clock,
    sleep: async (ms) => {
      calls.push(`sleep ${ms}`);
      clock += ms;
    },
    random: () => 0.5,
    ...overrides,
  };
  const posts = () => calls.filter((call) => call === 'POST').length;
  return { options, calls, controller, posts, now: () => clock };
}

/** The POST goes out at T0 + 1050 (after the baseline and the second's wait) and fails at T0 + 1150. */
const OURS_AT = T0 + 1_100;

describe('startRun', () => {
  it('lists the experiment runs, then starts a run with one POST a second later', async () => {
    const h = harness({ posts: [run('r1', OURS_AT)] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: false, attempts: 1, run: { id: 'r1' } });
    expect(h.calls).toEqual(['LIST', 'sleep 1000', 'POST']);
  });

  it('without Retab’s clock (no Date header), starts at once with a warning, and fails an uncertain answer rather than guess', async () => {
    const warnings: string[] = [];
    const clean = harness({ posts: [run('r1', OURS_AT)], date: false }, { onWarning: (line) => void warnings.push(line) });
    expect(await startRun(clean.options)).toMatchObject({ kind: 'started', adopted: false });
    expect(clean.calls).toEqual(['LIST', 'POST']);
    expect(warnings.join('\n')).toContain('no usable Date header');
    // A run another job started before, which the list shows only after the POST: without Retab's clock it would pass for ours.
    const lagging = harness({ posts: [reset()], lists: [[], [run('r_other', T0 - 800)]], date: false });
    expect(await startRun(lagging.options)).toMatchObject({ kind: 'failed', error: { reason: 'no_baseline' } });
    expect(lagging.posts()).toBe(1);
  });

  it('while Retab cannot be reached at all, sends no POST until the list answers', async () => {
    const h = harness({ posts: [run('r1', OURS_AT)], lists: [refused(), refused(), []] });
    expect(await startRun(h.options)).toMatchObject({ kind: 'started', attempts: 1 });
    expect(h.calls.filter((call) => call === 'POST' || call === 'LIST')).toEqual(['LIST', 'LIST', 'LIST', 'POST']);
  });

  it('fails, sending no POST, when the list before it finds that Retab never answered during the step', async () => {
    const h = harness({ posts: [], lists: [refused(), neverAnswered(refused())] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', attempts: 0, error: { name: 'RetabNeverAnsweredError' } });
    expect(h.posts()).toBe(0);
  });

  it('fails at once, without looking, when a POST that never left finds that Retab never answered', async () => {
    const h = harness({ posts: [neverAnswered(refused())] });
    expect(await startRun(h.options)).toMatchObject({ kind: 'failed', attempts: 1, error: { name: 'RetabNeverAnsweredError' } });
    expect(h.calls.filter((call) => call === 'POST' || call === 'LIST')).toEqual(['LIST', 'POST']);
  });

  it('still looks for the run when the POST that found Retab never answered may have left (a reset)', async () => {
    const h = harness({ posts: [neverAnswered(reset())], lists: [[], [run('r_ours', OURS_AT)]] });
    expect(await startRun(h.options)).toMatchObject({ kind: 'started', adopted: true, attempts: 1 });
    expect(h.posts()).toBe(1);
  });

  it('waits no longer than the moment the client gives up on a Retab that never answered', async () => {
    const giveUpAt = T0 + 2_000;
    const h = harness({ posts: [(at) => run('r1', at)], lists: [refused(), refused(), refused(), refused(), []] }, { random: () => 0.99, noAnswerDeadline: () => giveUpAt });
    await startRun(h.options);
    // The backoff says 990 ms, then 1,980 ms: the second wait is cut to end at the give-up moment
    // (each list takes 50 ms of the harness's clock).
    const slept = h.calls.filter((call) => call.startsWith('sleep ')).map((call) => Number(call.slice(6)));
    expect(slept.slice(0, 2)).toEqual([990, giveUpAt - (T0 + 50 + 990 + 50)]);
  });

  it('sends the POST again, after a fresh list, when the request never reached Retab', async () => {
    // The run is created when the last POST is handled, after the last baseline.
    const h = harness({ posts: [refused(), refused(), (at) => run('r1', at)] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: false, attempts: 3 });
    expect(h.calls.filter((call) => call === 'POST' || call === 'LIST')).toEqual(['LIST', 'POST', 'LIST', 'POST', 'LIST', 'POST']);
  });

  it('after a 429, waits as Retry-After says, lists again and sends the POST again: the rate limiter started nothing', async () => {
    const h = harness({ posts: [apiError(429, 5_000), (at) => run('r1', at)] });
    const started = h.now();
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: false, attempts: 2 });
    expect(h.calls.filter((call) => call === 'POST' || call === 'LIST')).toEqual(['LIST', 'POST', 'LIST', 'POST']);
    expect(h.now() - started).toBeGreaterThanOrEqual(5_000);
  });

  // Seen: the live server marks API-created runs `manual_run`; the action did not recognise its run and POSTed again.
  it.each([
    ['a reset after sending', reset()],
    ['a 502', apiError(502)],
    ['a 501 (not worth retrying, still uncertain)', apiError(501)],
    ['a request timeout', new RetabTimeoutError(30_000, POST)],
    ['a 202 whose body cannot be read', unreadable202()],
  ])('after %s, adopts the one new run (trigger manual_run) and never sends the POST again', async (_name, error) => {
    const h = harness({ posts: [error], lists: [[run('r_old', T0 - 3_600_000)], [run('r_ours', OURS_AT), run('r_old', T0 - 3_600_000)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1, run: { id: 'r_ours', trigger: 'manual_run' } });
    expect(h.posts()).toBe(1);
    // It keeps looking for the whole window before deciding: a second new run would make it unknowable.
    expect(h.now() - OURS_AT).toBeGreaterThanOrEqual(20_000);
  });

  // Seen: a run another job started shortly before the POST was adopted (and later cancelled).
  it('never adopts a run another job started just before the POST, listed in the baseline', async () => {
    const other = run('r_other', T0 - 800, { trigger: 'api' });
    const h = harness({ posts: [apiError(502)], lists: [[other]] });
    const outcome = await startRun(h.options);
    expect(outcome.kind).toBe('failed');
    const error = outcome.kind === 'failed' ? outcome.error : null;
    expect(error).toBeInstanceOf(StartUnknownError);
    expect(error).toMatchObject({ reason: 'not_listed' });
    expect(error?.message).toMatch(/experiment exp_1 was uncertain \(.*HTTP 502.*\), and no new run of it was listed within 2\d s; the action did not send the request again.*Check the runs of experiment exp_1/);
    expect(h.posts()).toBe(1);
  });

  it('never adopts a run another job started just before the POST that the list shows only later (lag)', async () => {
    const other = run('r_other', T0 - 800, { trigger: 'api' });
    // The baseline does not show it yet; every later look does.
    const h = harness({ posts: [apiError(502)], lists: [[], [other]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'not_listed' } });
    expect(h.posts()).toBe(1);
  });

  it('on timeout after an uncertain answer, never names another job’s run as the orphan to cancel', async () => {
    const other = run('r_other', T0 - 800);
    const h = harness({ posts: [reset()], lists: [[other]] }, { deadline: T0 + 8_000 });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'timed_out', orphan: null });
  });

  // Seen: the runs list showed the new run a few seconds late, and the action POSTed a second time.
  it('keeps looking while the list lags, and adopts the run once it shows, with one POST', async () => {
    const lagging = (at: number) => (at >= OURS_AT + 9_000 ? [run('r_ours', OURS_AT)] : []);
    const h = harness({ posts: [apiError(503)], lists: [[], lagging] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1, run: { id: 'r_ours' } });
    expect(h.posts()).toBe(1);
  });

  it('when the list lags longer than the window, fails without a second POST, naming the experiment', async () => {
    const h = harness({ posts: [apiError(503)], lists: [[]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', attempts: 1, error: { reason: 'not_listed' } });
    expect(h.posts()).toBe(1);
    // Bounded: about the window, not the deadline.
    expect(h.now() - T0).toBeLessThan(25_000);
  });

  it('when two new runs appear (another job started one too), fails at once, naming both, and gates neither', async () => {
    const h = harness({ posts: [reset()], lists: [[], [run('r_a', OURS_AT)], [run('r_a', OURS_AT), run('r_b', OURS_AT + 20)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'several_new' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toContain('2 new runs of it appeared (r_a, r_b)');
    expect(h.posts()).toBe(1);
  });

  it('ignores a hostile list: runs of other experiments and duplicate ids do not make a second candidate', async () => {
    const hostile = [run('r_ours', OURS_AT), run('r_ours', OURS_AT), run('r_x', OURS_AT, { experiment_id: 'exp_2' }), run('r_old', OURS_AT, { experiment_id: 'exp_2' }), run('r_old', T0 - 9_000)];
    const h = harness({ posts: [reset()], lists: [[run('r_old', T0 - 9_000)], hostile] });
    expect(await startRun(h.options)).toMatchObject({ kind: 'started', adopted: true, run: { id: 'r_ours' } });
  });

  it('never gates a run the POST answer names when it was listed before or belongs to another experiment: looks for its own', async () => {
    for (const answered of [run('r_old', T0 - 9_000), run('r_elsewhere', OURS_AT, { experiment_id: 'exp_2' })]) {
      const h = harness({ posts: [answered], lists: [[run('r_old', T0 - 9_000)], [run('r_old', T0 - 9_000), run('r_ours', OURS_AT)]] });
      expect(await startRun(h.options)).toMatchObject({ kind: 'started', adopted: true, run: { id: 'r_ours' } });
      expect(h.posts()).toBe(1);
    }
  });

  it('after a 2xx it could not read, says Retab started a run when none is listed', async () => {
    const h = harness({ posts: [unreadable202()], lists: [[]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'not_listed' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toContain('HTTP 202');
  });

  it('when the baseline cannot be read, starts anyway and gates a run the POST answered', async () => {
    const warnings: string[] = [];
    const h = harness({ posts: [run('r1', OURS_AT)], lists: [apiError(403)] }, { onWarning: (line) => void warnings.push(line) });
    expect(await startRun(h.options)).toMatchObject({ kind: 'started', adopted: false, run: { id: 'r1' } });
    expect(warnings.join('\n')).toContain('Could not list the runs of experiment exp_1 before starting one');
  });

  it('when the baseline cannot be read and the answer is uncertain, fails without looking or sending again', async () => {
    const h = harness({ posts: [reset()], lists: [apiError(503), apiError(503), apiError(503), [run('r_any', OURS_AT)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'no_baseline' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toContain('could not be listed before the start (');
    expect(h.calls.filter((call) => call === 'POST' || call === 'LIST')).toEqual(['LIST', 'LIST', 'LIST', 'POST']);
  });

  it('keeps looking when a look fails, then decides', async () => {
    const h = harness({ posts: [reset()], lists: [[], apiError(503), apiError(429, 2_000), [run('r1', OURS_AT)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1 });
    expect(h.calls).toContain('sleep 2000');
  });

  it('fails when the list cannot be read during the look (refused, or failing past the window)', async () => {
    const refusing = harness({ posts: [reset()], lists: [[], apiError(403)] });
    expect(await startRun(refusing.options)).toMatchObject({ kind: 'failed', error: { reason: 'list_unreadable' } });
    const failing = harness({ posts: [reset()], lists: [[], apiError(503)] });
    const outcome = await startRun(failing.options);
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'list_unreadable' } });
    expect(failing.now() - T0).toBeLessThan(120_000);
    expect(failing.posts()).toBe(1);
  });

  it('fails at once when Retab refuses (404: no such experiment), without looking again', async () => {
    const h = harness({ posts: [apiError(404)] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', attempts: 1 });
    expect(h.calls).toEqual(['LIST', 'sleep 1000', 'POST']);
  });

  it('stops at the deadline, and names the one new run as the orphan to cancel', async () => {
    const h = harness({ posts: [apiError(502)], lists: [[], [run('r_late', OURS_AT)]] }, { deadline: T0 + 5_000 });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'timed_out', orphan: { id: 'r_late' } });
    expect(outcome.kind === 'timed_out' && outcome.lastError?.message).toContain('HTTP 502');
  });

  it('stops at the deadline with no orphan when two new runs were seen', async () => {
    const h = harness({ posts: [apiError(502)], lists: [[], [run('r_a', OURS_AT)], [run('r_a', OURS_AT), run('r_b', OURS_AT)]] }, { deadline: T0 + 4_000 });
    const outcome = await startRun(h.options);
    // The last look, at the deadline, shows a second new run: neither is known to be ours.
    expect(outcome).toMatchObject({ kind: 'timed_out', orphan: null });
    expect(h.calls.filter((call) => call === 'LIST')).toHaveLength(3);
  });

  it('does not look for an orphan when no attempt can have started a run', async () => {
    const h = harness({ posts: [refused(), refused(), refused(), refused(), refused(), refused()] }, { deadline: T0 + 3_000 });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'timed_out', orphan: null });
  });

  it('stops when the job is cancelled during the POST, and finds the run it may have started', async () => {
    const h = harness({ posts: [], lists: [[], [run('r1', OURS_AT)]] });
    h.options.createRun = async () => {
      h.controller.abort(new Error('received SIGINT'));
      throw new Error('received SIGINT');
    };
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'interrupted', orphan: { id: 'r1' } });
  });

  it('never gates a run the POST answer names that was created before the baseline, though not listed: looks for its own', async () => {
    const h = harness({ posts: [run('r_unlisted', T0 - 10_000)], lists: [[], [run('r1', OURS_AT)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, run: { id: 'r1' } });
    expect(h.posts()).toBe(1);
  });

  it('when the POST’s turn comes late, lists again within the turn and judges the answer by that list', async () => {
    const h = harness({ posts: [apiError(502)], lists: [[], [run('r_other', T0 + 2_000)], [run('r_other', T0 + 2_000)]] });
    // Another experiment's slow requests hold every slot for 4 s; another job's run is created meanwhile.
    const turn: RequestTurn = async (_signal, task) => {
      h.calls.push('turn');
      await h.options.sleep(4_000, h.controller.signal);
      return task(h.options);
    };
    const outcome = await startRun({ ...h.options, turn, lookWindowMs: 3_000 });
    expect(h.calls.slice(0, 7)).toEqual(['LIST', 'sleep 1000', 'turn', 'sleep 4000', 'LIST', 'sleep 1000', 'POST']);
    // The other job's run is in the list taken within the turn: not ours, so nothing to adopt.
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'not_listed' } });
  });

  it('when the timeout passes within a turn come late, before the POST left, nothing is looked for', async () => {
    const h = harness({ posts: [], lists: [[], [run('r_other', T0 + 2_000)]] }, { deadline: T0 + 5_600 });
    const turn: RequestTurn = async (_signal, task) => {
      await h.options.sleep(4_000, h.controller.signal);
      return task(h.options);
    };
    const outcome = await startRun({ ...h.options, turn });
    expect(outcome).toMatchObject({ kind: 'timed_out', attempts: 0, orphan: null });
    expect(h.calls.filter((call) => call === 'LIST' || call === 'POST')).toEqual(['LIST', 'LIST']);
  });

  it('when the POST’s turn comes at once, sends on the list taken just before', async () => {
    const h = harness({ posts: [run('r1', OURS_AT)] });
    const turn: RequestTurn = async (_signal, task) => task(h.options);
    expect(await startRun({ ...h.options, turn })).toMatchObject({ kind: 'started', adopted: false });
    expect(h.calls).toEqual(['LIST', 'sleep 1000', 'POST']);
  });

  it.each([
    ['the job is cancelled', 'interrupted'],
    ['the timeout passes', 'timed_out'],
  ])('when %s while the POST waits for its turn, nothing was sent: nothing is looked for', async (_name, kind) => {
    const h = harness({ posts: [], lists: [[], [run('r_other', OURS_AT)]] }, { deadline: T0 + 3_000 });
    const turn: RequestTurn = async () => {
      if (kind === 'interrupted') h.controller.abort(new Error('received SIGTERM'));
      else await h.options.sleep(5_000, h.controller.signal);
      throw new RequestNotSentError('the start was not sent: it was still waiting for its turn');
    };
    const outcome = await startRun({ ...h.options, turn });
    expect(outcome).toMatchObject({ kind, attempts: 0, orphan: null });
    expect(h.calls.filter((call) => call === 'LIST' || call === 'POST')).toEqual(['LIST']);
  });

  it('when the POST is withdrawn before it left as the job is cancelled, nothing is looked for', async () => {
    const h = harness({ posts: [], lists: [[], [run('r_other', OURS_AT)]] });
    h.options.createRun = async () => {
      h.controller.abort(new Error('received SIGTERM'));
      throw new RequestNotSentError('the start was not sent: it was stopped before it left');
    };
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'interrupted', orphan: null });
    expect(h.calls.filter((call) => call === 'LIST')).toHaveLength(1);
  });

  it('does nothing when the job is already cancelled', async () => {
    const h = harness({ posts: [] });
    h.controller.abort();
    expect(await startRun(h.options)).toMatchObject({ kind: 'interrupted', attempts: 0, orphan: null });
    expect(h.calls).toEqual([]);
  });
});
