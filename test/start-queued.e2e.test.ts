/**
 * With `experiments`, a start can wait for its turn: in the step's request queue (a few requests in
 * flight at most) or in a shared 429 pause. On the built action against the simulator, while
 * another job starts a run of the same experiment during that wait: the runs list that tells this
 * job's run from others is taken when the POST leaves, and a start that never left is never looked
 * for, adopted or cancelled. Each test has its own simulator, so they run concurrently (an
 * uncertain answer makes the action look at the runs list for 20 s). Run `npm run build` first.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runAction } from './support/run-action.js';
import { startSimulator, type ExperimentSpec, type RecordedRequest } from './simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type ResultJson = { name: string; experiment_id: string | null; run_id: string | null; passed: boolean; status: string };

const START_PATH = /^\/v1\/workflows\/experiments\/runs$/;
const EXPERIMENT: ExperimentSpec = { id: 'exp_q', run: { queuedMs: 100, runningMs: 300, total: 12, final: { status: 'completed', score: 0.9, error_count: 0 } } };
const isListOf = (request: RecordedRequest, experimentId: string) => request.method === 'GET' && request.path.startsWith(`/v1/workflows/experiments/runs?experiment_id=${experimentId}&`);
const RATE_LIMITED = (retryAfterS: number) => ({ status: 429, headers: { 'retry-after': String(retryAfterS) }, body: '{"detail":"Rate limit exceeded. Please try again later."}' });

async function simulator(onTestFinished: (fn: () => Promise<void>) => void, options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const sim = await startSimulator({ experiments: [EXPERIMENT], ...options });
  onTestFinished(() => sim.close());
  return sim;
}

/** `then`, `ms` after the first runs list of `exp_q` reached Retab (this job's first baseline). */
function afterFirstList(sim: Simulator, ms: number, then: () => void) {
  let seen = false;
  sim.onRequest((request) => {
    if (seen || !isListOf(request, 'exp_q')) return;
    seen = true;
    setTimeout(then, ms);
  });
}

function action(sim: Simulator, inputs: Record<string, string>, onStart?: (child: ChildProcess) => void) {
  return runAction({
    inputs: { threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, poll_interval: '200ms', timeout: '2m', ...inputs },
    ...(onStart ? { onStart } : {}),
    killAfterMs: 90_000,
  });
}

const rows = (outputs: Record<string, string>) => JSON.parse(outputs.results ?? '[]') as ResultJson[];
const rowOf = (outputs: Record<string, string>, experimentId: string) => rows(outputs).find((row) => row.experiment_id === experimentId);
const rowNamed = (outputs: Record<string, string>, name: string) => rows(outputs).find((row) => row.name === name);
const startPosts = (sim: Simulator) => sim.requests.filter((request) => request.method === 'POST' && START_PATH.test(request.path));

describe.concurrent('a start that waits for its turn', () => {
  it('a 429 pause between its list and its POST: another job’s run created meanwhile is never taken for this job’s', async ({ onTestFinished }) => {
    // The run list shows new runs 3 s late, so the other job's run is not listed when the POST leaves.
    const sim = await simulator(onTestFinished, { listLagMs: 3_000 });
    // Another experiment of the step meets Retab's rate limiter: the whole step pauses for 3 s.
    sim.fault({ method: 'GET', path: '/v1/workflows/experiments/runs/exprun_pass', ...RATE_LIMITED(3) });
    // This job's POST meets a gateway error before reaching Retab: it started nothing.
    sim.fault({ method: 'POST', path: START_PATH, status: 502, body: 'Bad gateway' });
    let other = '';
    let requestsBeforeOther = 0;
    afterFirstList(sim, 1_500, () => {
      requestsBeforeOther = sim.requests.length;
      other = sim.startOtherRun('exp_q');
    });

    const result = await action(sim, { experiments: 'exp_q\nrun:exprun_pass' });
    expect(other).not.toBe('');
    expect(result.exitCode).toBe(1);
    expect(rowOf(result.outputs, 'exp_q')).toMatchObject({ passed: false, status: 'api_error', run_id: null });
    expect(result.stdout).toMatch(/::error::exp_q: .*HTTP 502.*, and no new run of it was listed within 2\d s; the action did not send the request again/);
    expect(result.stdout).toContain('[exp_q] The start waited');
    expect(sim.runReads(other)).toEqual([]);
    expect(sim.otherRuns('exp_q')).toEqual([{ id: other, cancelled: false }]);
    expect(startPosts(sim)).toHaveLength(1);
    // The list the POST was judged by was taken after the other run was created, a moment before the POST.
    const post = startPosts(sim)[0];
    const baseline = sim.requests.filter((request, i) => i >= requestsBeforeOther && isListOf(request, 'exp_q') && request.at <= (post?.at ?? 0)).at(-1);
    expect(baseline).toBeDefined();
    expect((post?.at ?? 0) - (baseline?.at ?? 0)).toBeLessThan(2_000);
    // The run the step was given still passed: the pause held it back, nothing more.
    expect(rowNamed(result.outputs, 'run:exprun_pass')).toMatchObject({ passed: true, status: 'completed' });
  }, 80_000);

  it('SIGTERM while its POST waits in a 429 pause: nothing was sent, so no run is looked for or cancelled', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished);
    sim.fault({ method: 'GET', path: '/v1/workflows/experiments/runs/exprun_pass', ...RATE_LIMITED(3) });
    let child: ChildProcess | null = null;
    let other = '';
    afterFirstList(sim, 1_500, () => {
      other = sim.startOtherRun('exp_q');
      setTimeout(() => child?.kill('SIGTERM'), 500);
    });

    const result = await action(sim, { experiments: 'exp_q\nrun:exprun_pass' }, (started) => (child = started));
    expect(result.exitCode).toBe(1);
    expect(rowOf(result.outputs, 'exp_q')).toMatchObject({ status: 'interrupted', run_id: null });
    expect(startPosts(sim)).toEqual([]);
    expect(sim.cancelRequests()).toEqual([]);
    expect(sim.otherRuns('exp_q')).toEqual([{ id: other, cancelled: false }]);
    expect(result.stdout).not.toContain('which an unanswered attempt started');
  }, 60_000);

  it('the timeout while its POST waits in a 429 pause: nothing was sent, so no run is looked for or cancelled', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished);
    sim.fault({ method: 'GET', path: '/v1/workflows/experiments/runs/exprun_pass', ...RATE_LIMITED(4) });
    let other = '';
    afterFirstList(sim, 1_500, () => (other = sim.startOtherRun('exp_q')));

    const result = await action(sim, { experiments: 'exp_q\nrun:exprun_pass', timeout: '3s' });
    expect(other).not.toBe('');
    expect(result.exitCode).toBe(1);
    expect(rowOf(result.outputs, 'exp_q')).toMatchObject({ status: 'timed_out', run_id: null });
    expect(result.stdout).toMatch(/::error::exp_q: no run of experiment exp_q could be started within the timeout of 3s; the last attempt failed: the start was not sent: it was still waiting for its turn/);
    expect(startPosts(sim)).toEqual([]);
    expect(sim.cancelRequests()).toEqual([]);
    expect(sim.otherRuns('exp_q')).toEqual([{ id: other, cancelled: false }]);
  }, 60_000);

  it('SIGTERM while its POST waits behind the step’s slow requests: nothing was sent, so no run is looked for or cancelled', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished);
    // Four runs the step was given answer their first read after 4 s: every slot is taken meanwhile.
    const given = ['exprun_pass', 'exprun_low', 'exprun_errors', 'exprun_failed'];
    for (const id of given) sim.fault({ method: 'GET', path: `/v1/workflows/experiments/runs/${id}`, delayMs: 4_000 });
    let child: ChildProcess | null = null;
    let other = '';
    afterFirstList(sim, 1_500, () => {
      other = sim.startOtherRun('exp_q');
      setTimeout(() => child?.kill('SIGTERM'), 500);
    });

    const lines = ['exp_q', ...given.map((id) => `run:${id}`)].join('\n');
    const result = await action(sim, { experiments: lines }, (started) => (child = started));
    expect(result.exitCode).toBe(1);
    expect(rowOf(result.outputs, 'exp_q')).toMatchObject({ status: 'interrupted' });
    expect(sim.otherRuns('exp_q')).toEqual([{ id: other, cancelled: false }]);
    // Whatever this job sent, it cancels only a run it started.
    const cancelled = sim.cancelRequests().map((request) => /runs\/([^/]+)\/cancel$/.exec(request.path)?.[1]);
    expect(cancelled).toEqual(sim.startedRuns('exp_q').map((run) => run.id));
    expect(startPosts(sim).length).toBe(sim.startedRuns('exp_q').length);
  }, 60_000);
});

describe.concurrent('fail_fast and a start waiting for its turn', () => {
  it('another experiment fails while this start waits out a 429 pause: it is stopped, sent nothing, and nothing is cancelled', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished);
    sim.fault({ method: 'GET', path: '/v1/workflows/experiments/runs/exprun_pass', ...RATE_LIMITED(4) });
    let other = '';
    afterFirstList(sim, 1_200, () => (other = sim.startOtherRun('exp_q')));
    // exprun_failed's error is read as the pause ends, while this start, its turn come late, lists again and waits its second.
    const result = await action(sim, { experiments: 'exp_q\nrun:exprun_failed\nrun:exprun_pass', fail_fast: 'true', poll_interval: '100ms' });
    expect(result.exitCode).toBe(1);
    expect(rowNamed(result.outputs, 'run:exprun_failed')).toMatchObject({ status: 'error' });
    expect(rowOf(result.outputs, 'exp_q')).toMatchObject({ status: 'interrupted', run_id: null });
    expect(startPosts(sim)).toEqual([]);
    expect(sim.cancelRequests()).toEqual([]);
    expect(sim.otherRuns('exp_q')).toEqual([{ id: other, cancelled: false }]);
  }, 60_000);
});

describe.concurrent('several starts at once, against a rate limit and other jobs', () => {
  const SIX = ['exp_s1', 'exp_s2', 'exp_s3', 'exp_s4', 'exp_s5', 'exp_s6'];
  const experiments = SIX.map((id): ExperimentSpec => ({ id, run: { queuedMs: 100, runningMs: 400, total: 12, final: { status: 'completed', score: 0.9, error_count: 0 } } }));

  it('six starts, the first POSTs turned away with 429 while other jobs start runs of each: each gates its own one run', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished, { experiments, listLagMs: 1_500 });
    sim.fault({ method: 'POST', path: START_PATH, ...RATE_LIMITED(2), times: 3 });
    // Whenever this job's POST is turned away, another job starts a run of every experiment.
    sim.onRequest((request) => {
      if (request.method === 'POST' && START_PATH.test(request.path) && sim.requests.filter((r) => r.method === 'POST').length <= 3) for (const id of SIX) sim.startOtherRun(id);
    });
    const result = await action(sim, { experiments: SIX.join('\n'), timeout: '60s' });
    expect(result.exitCode).toBe(0);
    for (const id of SIX) {
      const started = sim.startedRuns(id);
      expect(started, id).toHaveLength(1);
      expect(rowOf(result.outputs, id), id).toMatchObject({ passed: true, run_id: started[0]?.id });
      for (const other of sim.otherRuns(id)) expect(sim.runReads(other.id), other.id).toEqual([]);
    }
    expect(sim.cancelRequests()).toEqual([]);
    // Every POST that was sent left during no pause: none within Retry-After's 2 s of a 429 (a margin for one already on its way).
    const limited = sim.requests.filter((request) => request.status === 429);
    for (const refusal of limited) expect(startPosts(sim).filter((post) => post.at > refusal.at + 300 && post.at < refusal.at + 1_700)).toEqual([]);
  }, 60_000);

  it('SIGTERM while six starts wait out a 429 pause: no POST leaves after it, and only runs this job started are cancelled', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished, { experiments });
    sim.fault({ method: 'POST', path: START_PATH, ...RATE_LIMITED(5), times: 1 });
    let child: ChildProcess | null = null;
    let signalledAt = Infinity;
    sim.onRequest((request) => {
      if (request.status === 0 && request.method === 'POST' && signalledAt === Infinity && startPosts(sim).length === 1) {
        setTimeout(() => {
          signalledAt = Date.now();
          for (const id of SIX) sim.startOtherRun(id);
          child?.kill('SIGTERM');
        }, 1_500);
      }
    });
    const result = await action(sim, { experiments: SIX.join('\n') }, (started) => (child = started));
    expect(result.exitCode).toBe(1);
    const cancelled = sim.cancelRequests().map((request) => /runs\/([^/]+)\/cancel$/.exec(request.path)?.[1]).sort();
    expect(cancelled).toEqual(SIX.flatMap((id) => sim.startedRuns(id).map((run) => run.id)).sort());
    for (const id of SIX) expect(sim.otherRuns(id).every((run) => !run.cancelled), id).toBe(true);
    expect(startPosts(sim).filter((post) => post.at > (startPosts(sim)[0]?.at ?? 0) + 1_400)).toEqual([]);
    // The start Retab turned away was waiting to send again: it sent nothing more and started nothing.
    const waiting = rows(result.outputs).filter((row) => row.run_id === null);
    expect(waiting.length).toBeGreaterThanOrEqual(1);
    for (const row of waiting) expect(row.status).toBe('interrupted');
    expect(startPosts(sim).filter((post) => post.status === 202)).toHaveLength(SIX.flatMap((id) => sim.startedRuns(id)).length);
  }, 60_000);
});
