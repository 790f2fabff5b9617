import { describe, expect, it } from 'vitest';
import { RetabApiError, RetabConnectionError, RetabResponseError, RetabTimeoutError } from '../src/retab/errors.js';
import type { ExperimentRun } from '../src/retab/run.js';
import { classifyStartFailure, findStartedRun, startRun, type StartRunOptions } from '../src/start-run.js';

const POST = { method: 'POST', path: '/v1/workflows/experiments/runs' };
const T0 = Date.parse('2026-08-01T12:00:00Z');

function run(id: string, createdAt: number | null, extra: Partial<ExperimentRun> = {}): ExperimentRun {
  return {
    id,
    status: 'queued',
    message: null,
    error_code: null,
    block_name: null,
    reason: null,
    experiment_id: 'exp_1',
    workflow_id: 'wf_1',
    workflow_version_id: null,
    workflow_name: null,
    block_id: null,
    block_kind: null,
    n_consensus: null,
    score: null,
    error_count: 0,
    total_document_count: null,
    completed_document_count: null,
    created_at: createdAt === null ? null : new Date(createdAt).toISOString(),
    started_at: null,
    completed_at: null,
    duration_ms: null,
    trigger: 'api',
    parent_run_id: null,
    ...extra,
  };
}

const refused = () => new RetabConnectionError('ECONNREFUSED', POST, 'http://127.0.0.1:1', null);
const reset = () => new RetabConnectionError('ECONNRESET', POST, 'http://127.0.0.1:1', null);
const apiError = (status: number, retryAfterMs: number | null = null) => new RetabApiError(status, 'req_1', 'detail', POST, retryAfterMs, '');

describe('classifyStartFailure', () => {
  it.each([
    ['connection refused', refused(), 'not_sent'],
    ['DNS failure', new RetabConnectionError('ENOTFOUND', POST, 'x', null), 'not_sent'],
    ['connection reset', reset(), 'ambiguous'],
    ['socket closed', new RetabConnectionError('UND_ERR_SOCKET', POST, 'x', null), 'ambiguous'],
    ['request timeout', new RetabTimeoutError(30_000, POST), 'ambiguous'],
    ['502', apiError(502), 'ambiguous'],
    ['500', apiError(500), 'ambiguous'],
    ['429', apiError(429), 'ambiguous'],
    ['408', apiError(408), 'ambiguous'],
    ['404', apiError(404), 'rejected'],
    ['401', apiError(401), 'rejected'],
    ['422', apiError(422), 'rejected'],
    ['409', apiError(409), 'rejected'],
    ['202 with an unreadable body', new RetabResponseError('unexpected_shape', 202, null, POST, 'bad'), 'started_unreadable'],
    ['a bug', new TypeError('x is undefined'), 'rejected'],
  ])('%s → %s', (_name, error, kind) => {
    expect(classifyStartFailure(error)).toBe(kind);
  });
});

describe('findStartedRun', () => {
  const criteria = { experimentId: 'exp_1', workflowId: null, sinceMs: T0, clockSkewMs: 60_000 };

  it('adopts the run created closest to the attempt, allowing for clock skew', () => {
    const runs = [run('late', T0 + 30_000), run('skewed', T0 - 5_000), run('old', T0 - 120_000)];
    expect(findStartedRun(runs, criteria)?.id).toBe('skewed');
  });

  it('ignores runs created before the attempt (less the skew), of other experiments or workflows, or not started by the API', () => {
    const runs = [
      run('old', T0 - 61_000),
      run('other_experiment', T0, { experiment_id: 'exp_2' }),
      run('other_workflow', T0, { workflow_id: 'wf_2' }),
      run('manual', T0, { trigger: 'manual_run' }),
      run('no_time', null),
    ];
    expect(findStartedRun(runs, { ...criteria, workflowId: 'wf_1' })).toBeNull();
    expect(findStartedRun([...runs, run('ours', T0 + 200)], { ...criteria, workflowId: 'wf_1' })?.id).toBe('ours');
  });

  it('accepts a run whose trigger or workflow is not reported', () => {
    expect(findStartedRun([run('r', T0 + 1, { trigger: null, workflow_id: null })], { ...criteria, workflowId: 'wf_1' })?.id).toBe('r');
  });
});

/** A scripted Retab and a fake clock: each POST / list answers from a queue. */
function harness(script: { posts: Array<ExperimentRun | Error | ((at: number) => ExperimentRun | Error)>; lists?: Array<ExperimentRun[] | Error> }, overrides: Partial<StartRunOptions> = {}) {
  let clock = T0;
  const calls: string[] = [];
  const controller = new AbortController();
  const answer = <T>(queue: Array<T | Error | ((at: number) => T | Error)>, what: string): T => {
    const next = queue.shift();
    if (next === undefined) throw new Error(`unexpected ${what}`);
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
      return answer(script.posts, 'POST');
    },
    listRecentRuns: async () => {
      calls.push('LIST');
      clock += 50;
      return answer(script.lists ?? [], 'LIST');
    },
    deadline: T0 + 60_000,
    signal: controller.signal,
    now: () => clock,
    sleep: async (ms) => {
      calls.push(`sleep ${ms}`);
      clock += ms;
    },
    random: () => 0.5,
    ...overrides,
  };
  return { options, calls, controller, advance: (ms: number) => (clock += ms) };
}

describe('startRun', () => {
  it('starts a run with one POST', async () => {
    const h = harness({ posts: [run('r1', T0)] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: false, attempts: 1, run: { id: 'r1' } });
    expect(h.calls).toEqual(['POST']);
  });

  it('sends the POST again, without looking, when the request never reached Retab', async () => {
    const h = harness({ posts: [refused(), refused(), run('r1', T0)] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: false, attempts: 3 });
    expect(h.calls.filter((call) => call === 'POST')).toHaveLength(3);
    expect(h.calls).not.toContain('LIST');
  });

  it.each([
    ['a reset after sending', reset()],
    ['a 502', apiError(502)],
    ['a request timeout', new RetabTimeoutError(30_000, POST)],
    ['a 202 whose body cannot be read', new RetabResponseError('not_json', 202, null, POST, 'is not JSON')],
  ])('after %s, adopts the run Retab started instead of sending again', async (_name, error) => {
    const h = harness({ posts: [error], lists: [[run('r_ours', T0 + 80), run('r_old', T0 - 3_600_000)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1, run: { id: 'r_ours' } });
    expect(h.calls.filter((call) => call === 'POST')).toHaveLength(1);
    // It gives Retab a moment before looking.
    expect(h.calls[1]).toMatch(/^sleep \d+$/);
    expect(Number(h.calls[1]?.slice(6))).toBeGreaterThanOrEqual(1_000);
  });

  it('sends the POST again only when the look finds no run started since the attempt', async () => {
    const h = harness({ posts: [apiError(503), run('r2', T0 + 2_000)], lists: [[run('r_old', T0 - 3_600_000)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: false, attempts: 2, run: { id: 'r2' } });
    expect(h.calls.filter((call) => call !== 'POST' && call !== 'LIST')).toHaveLength(1);
    expect(h.calls.filter((call) => call === 'POST' || call === 'LIST')).toEqual(['POST', 'LIST', 'POST']);
  });

  it('after an ambiguous failure that is not worth retrying (501), looks once, then fails without sending again', async () => {
    const h = harness({ posts: [apiError(501)], lists: [[run('r_old', T0 - 3_600_000)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', attempts: 1 });
    if (outcome.kind === 'failed') expect(outcome.error.message).toContain('HTTP 501');
    expect(h.calls.filter((call) => call === 'POST' || call === 'LIST')).toEqual(['POST', 'LIST']);
  });

  it('after an ambiguous 501, still adopts the run it may have started', async () => {
    const h = harness({ posts: [apiError(501)], lists: [[run('r_ours', T0 + 80)]] });
    expect(await startRun(h.options)).toMatchObject({ kind: 'started', adopted: true, attempts: 1, run: { id: 'r_ours' } });
  });

  it('after a second ambiguous failure, still adopts a run created since the first attempt', async () => {
    const h = harness({ posts: [apiError(502), apiError(502)], lists: [[], [run('r_from_first', T0 + 50)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 2, run: { id: 'r_from_first' } });
  });

  it('keeps looking when the list itself fails, without sending the POST again', async () => {
    const h = harness({ posts: [reset()], lists: [apiError(503), apiError(429, 2_000), [run('r1', T0 + 10)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1 });
    expect(h.calls).toContain('sleep 2000');
  });

  it('never sends the POST again after a 2xx, even when the run is not listed yet', async () => {
    const h = harness({ posts: [new RetabResponseError('unexpected_shape', 202, null, POST, 'bad')], lists: [[], [], [run('r1', T0 + 10)]] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1 });
    expect(h.calls.filter((call) => call === 'POST')).toHaveLength(1);
  });

  it('fails at once when Retab refuses (404: no such experiment), without looking or retrying', async () => {
    const h = harness({ posts: [apiError(404)] });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'failed', attempts: 1 });
    expect(h.calls).toEqual(['POST']);
  });

  it('fails when the list answers an error that cannot be retried, naming the experiment', async () => {
    const h = harness({ posts: [reset()], lists: [apiError(403)] });
    const outcome = await startRun(h.options);
    expect(outcome.kind).toBe('failed');
    if (outcome.kind === 'failed') expect(outcome.error.message).toContain('exp_1');
  });

  it('stops at the deadline, and a last look finds a run an uncertain attempt started', async () => {
    const posts = [apiError(502), apiError(502), apiError(502), apiError(502)];
    const h = harness({ posts, lists: [[], [], [], [run('r_late', T0 + 4_000)]] }, { deadline: T0 + 5_000 });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'timed_out', orphan: { id: 'r_late' } });
    expect(outcome.kind === 'timed_out' && outcome.lastError?.message).toContain('HTTP 502');
    expect(posts).toHaveLength(0);
  });

  it('does not look for an orphan when no attempt can have started a run', async () => {
    const h = harness({ posts: [refused(), refused(), refused(), refused(), refused(), refused()] }, { deadline: T0 + 3_000 });
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'timed_out', orphan: null });
    expect(h.calls).not.toContain('LIST');
  });

  it('stops when the job is cancelled during the POST, and finds the run it may have started', async () => {
    const h = harness({ posts: [], lists: [[run('r1', T0 + 10)]] });
    h.options.createRun = async () => {
      h.controller.abort(new Error('received SIGINT'));
      throw new Error('received SIGINT');
    };
    const outcome = await startRun(h.options);
    expect(outcome).toMatchObject({ kind: 'interrupted', orphan: { id: 'r1' } });
  });

  it('does nothing when the job is already cancelled', async () => {
    const h = harness({ posts: [] });
    h.controller.abort();
    expect(await startRun(h.options)).toMatchObject({ kind: 'interrupted', attempts: 0, orphan: null });
    expect(h.calls).toEqual([]);
  });
});
