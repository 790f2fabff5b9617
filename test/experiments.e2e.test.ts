/**
 * Several experiments in one step, on the built action against the simulator: started together,
 * waited for together within one timeout, one verdict; a 429 slows every wait; SIGINT cancels the
 * runs the step started and no other; `fail_fast` stops the rest; one comment per step.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGithubSimulator } from './simulator/github-simulator.js';
import { startSimulator, type ExperimentSpec } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type ResultJson = { name: string; line: number; experiment_id: string | null; run_id: string | null; passed: boolean; status: string; score: number | null; failed_rules: string[]; duration_ms: number | null };

const completed = (id: string, runningMs: number, score: number, errors = 0): ExperimentSpec => ({ id, run: { queuedMs: 100, runningMs, total: 20, final: { status: 'completed', score, error_count: errors } } });
const FOREVER = 24 * 3_600_000;

/** Ten experiments of different lengths and outcomes. */
const EXPERIMENTS: ExperimentSpec[] = [
  completed('exp_e2e_pass_a', 800, 0.91),
  completed('exp_e2e_pass_b', 2_500, 0.88),
  completed('exp_e2e_low', 2_500, 0.55),
  { id: 'exp_e2e_error', run: { runningMs: 50, total: 20, final: { status: 'error', message: 'Block classify failed: model returned invalid JSON' } } },
  completed('exp_e2e_slow', FOREVER, 0.9),
  completed('exp_e2e_errors', 2_500, 0.93, 3),
  completed('exp_e2e_strict', 1_500, 0.91),
];

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ experiments: EXPERIMENTS });
});
afterEach(async () => {
  await sim.close();
});

const base = (extra: Record<string, string>) => ({ threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, ...extra });
const results = (outputs: Record<string, string>) => JSON.parse(outputs.results ?? '[]') as ResultJson[];
const startedRunIds = () => EXPERIMENTS.flatMap((experiment) => sim.startedRuns(experiment.id).map((run) => run.id));
const cancelledIds = () => sim.cancelRequests().map((request) => /runs\/([^/]+)\/cancel$/.exec(request.path)?.[1]);

const TEN_LINES = [
  '# ten experiments: mixed outcomes',
  'exp_e2e_pass_a name="Extract invoices"',
  'exp_e2e_pass_b',
  'exp_e2e_low',
  'exp_e2e_error name=Classifier',
  '',
  'exp_e2e_slow',
  'exp_e2e_errors',
  'exp_e2e_strict threshold=0.95',
  'run:exprun_pass',
  'run:exprun_low threshold=0.6',
  'run:exprun_forever name="Someone else\'s run"',
].join('\n');

describe('ten experiments in one step', () => {
  it('mixed outcomes: started together, waited together within one timeout, one verdict and a result each', async () => {
    const result = await runAction({ inputs: base({ experiments: TEN_LINES, timeout: '7s' }), killAfterMs: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.passed).toBe('false');

    const rows = results(result.outputs);
    expect(rows.map((row) => [row.name, row.line, row.passed, row.status, row.failed_rules])).toEqual([
      ['Extract invoices', 2, true, 'completed', []],
      ['exp_e2e_pass_b', 3, true, 'completed', []],
      ['exp_e2e_low', 4, false, 'completed', ['score_below_threshold']],
      ['Classifier', 5, false, 'error', ['run_error']],
      ['exp_e2e_slow', 7, false, 'timed_out', ['timed_out']],
      ['exp_e2e_errors', 8, false, 'completed', ['too_many_errors']],
      ['exp_e2e_strict', 9, false, 'completed', ['score_below_threshold']],
      ['run:exprun_pass', 10, true, 'completed', []],
      ['run:exprun_low', 11, true, 'completed', []],
      ["Someone else's run", 12, false, 'timed_out', ['timed_out']],
    ]);
    expect(rows[0]).toMatchObject({ experiment_id: 'exp_e2e_pass_a', score: 0.91, duration_ms: 800 });
    expect(rows[9]).toMatchObject({ run_id: 'exprun_forever' });

    // All seven started at once, each once; the one timeout covers the step, not each experiment.
    expect(startedRunIds()).toHaveLength(7);
    const posts = sim.requests.filter((request) => request.method === 'POST' && !request.path.endsWith('/cancel'));
    expect(Math.max(...posts.map((post) => post.at)) - Math.min(...posts.map((post) => post.at))).toBeLessThan(1_000);
    expect(result.durationMs).toBeLessThan(7_000 + 6_000);

    // Only the run the step started and had to give up on is cancelled: not the run it was given.
    expect(cancelledIds()).toEqual(sim.startedRuns('exp_e2e_slow').map((run) => run.id));

    // The single-run outputs hold the experiment that failed first: the errored run, long before the others.
    expect(result.outputs).toMatchObject({ status: 'error', run_id: rows[3]?.run_id });

    // One table, a row each (on one screen); every experiment's details folded.
    expect(result.summary).toMatch(/^### ❌ Retab experiment gate: 6 of 10 experiments failed\n/);
    expect(result.summary).toContain('| Experiment | Verdict | Score | Change | Errors | Duration | Failing rule |');
    expect(result.summary).toContain('| **Classifier** | ❌ failed | — | — | not checked | 50ms | the run ended in error |');
    expect(result.summary).toContain('| **exp\\_e2e\\_low** | ❌ failed | 0.55 (≥ 0.8) | ▼ −0.02 | 0 (≤ 0) | 3s | score below threshold |');
    expect(result.summary).toContain('<details><summary>✅ Extract invoices (line 2): passed</summary>');
    expect(result.summary).toContain('<details><summary>❌ exp\\_e2e\\_strict (line 9): failed (');
    expect(result.summary.match(/<details><summary>(✅|❌|⏹️) /gu)).toHaveLength(10);
    expect(result.summary.indexOf('<details>')).toBeGreaterThan(result.summary.indexOf('| **exp\\_e2e\\_low** |'));
    expect(result.stdout).toContain('::error::exp_e2e_low: score 0.55 is below the threshold 0.8');
  });

  it('a 429 storm: once Retab says wait, no experiment sends until Retry-After has passed', async () => {
    const lines = ['exp_e2e_pass_a', 'exp_e2e_pass_b', 'exp_e2e_low', 'exp_e2e_errors', 'exp_e2e_strict threshold=0.9', 'run:exprun_pass', 'run:exprun_low', 'run:exprun_errors', 'run:exprun_regressed', 'run:exprun_improved'];
    // Every read of a run is refused for a while, whichever experiment asks.
    sim.fault({ method: 'GET', path: /^\/v1\/workflows\/experiments\/runs\/[^/?]+$/, status: 429, headers: { 'retry-after': '2' }, body: '{"detail":"Too many requests"}', times: 8 });
    const result = await runAction({ inputs: base({ experiments: lines.join('\n'), threshold: '0.5', max_errors: '5', timeout: '60s' }), killAfterMs: 90_000 });
    expect(result.exitCode).toBe(0);
    expect(results(result.outputs).every((row) => row.passed)).toBe(true);

    const limited = sim.requests.filter((request) => request.status === 429);
    expect(limited).toHaveLength(8);
    // After each 429 (plus a margin for answers already on their way), Retry-After's 2 s are quiet.
    for (const refusal of limited) {
      const during = sim.requests.filter((request) => request.at > refusal.at + 300 && request.at < refusal.at + 1_700);
      expect(during.map((request) => `${request.method} ${request.path}`)).toEqual([]);
    }
    // Every run's reads resumed together: each experiment was still read to the end.
    expect(result.stdout).toContain('All 10 experiments passed the gate.');
  });

  it('SIGINT mid-wait: every run the step started is cancelled, and no run it was given', async () => {
    const lines = ['exp_e2e_slow', 'exp_forever', 'exp_e2e_pass_b', 'exp_e2e_low', 'exp_e2e_errors', 'exp_e2e_strict', 'exp_e2e_pass_a', 'run:exprun_forever', 'run:exprun_pass', 'run:exprun_low'];
    // Long enough that none of them ends before the signal.
    for (const id of ['exp_e2e_pass_b', 'exp_e2e_low', 'exp_e2e_errors', 'exp_e2e_strict', 'exp_e2e_pass_a']) sim.addExperiment(completed(id, FOREVER, 0.9));
    sim.addRun({ id: 'exprun_pass', runningMs: FOREVER, total: 12, final: { status: 'completed', score: 0.87 } });
    sim.addRun({ id: 'exprun_low', runningMs: FOREVER, total: 12, final: { status: 'completed', score: 0.62 } });
    const started = () => [...EXPERIMENTS.map((experiment) => experiment.id), 'exp_forever'].flatMap((id) => sim.startedRuns(id).map((run) => run.id));
    let signalledAt = 0;
    const onStart = (child: ChildProcess) => {
      const timer = setInterval(() => {
        // Once every started run and every given run has been read at least once.
        const ids = [...started(), 'exprun_forever', 'exprun_pass', 'exprun_low'];
        if (started().length < 7 || !ids.every((id) => sim.runReads(id).length > 0)) return;
        clearInterval(timer);
        signalledAt = Date.now();
        child.kill('SIGINT');
      }, 20);
      child.on('close', () => clearInterval(timer));
    };
    let closedAt = 0;
    const result = await runAction({
      inputs: base({ experiments: lines.join('\n'), timeout: '10m', poll_interval: '1m' }),
      onStart: (child) => (onStart(child), child.on('close', () => (closedAt = Date.now()))),
      killAfterMs: 60_000,
    });
    expect(signalledAt).toBeGreaterThan(0);
    expect(result.exitCode).toBe(1);
    expect(closedAt - signalledAt).toBeLessThan(10_000);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'interrupted' });
    expect(results(result.outputs).map((row) => row.status)).toEqual(Array(10).fill('interrupted'));
    expect(cancelledIds().sort()).toEqual(started().sort());
    expect(cancelledIds()).toHaveLength(7);
    for (const given of ['exprun_forever', 'exprun_pass', 'exprun_low']) expect(cancelledIds()).not.toContain(given);
  });

  it('fail_fast: the first failure stops the others and cancels the runs they started', async () => {
    const lines = ['exp_e2e_slow', 'exp_e2e_error name=Classifier', 'exp_forever', 'run:exprun_forever'];
    const result = await runAction({ inputs: base({ experiments: lines.join('\n'), timeout: '10m', fail_fast: 'true' }), killAfterMs: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.durationMs).toBeLessThan(15_000);
    const rows = results(result.outputs);
    expect(rows.map((row) => [row.name, row.status])).toEqual([
      ['exp_e2e_slow', 'interrupted'],
      ['Classifier', 'error'],
      ['exp_forever', 'interrupted'],
      ['run:exprun_forever', 'interrupted'],
    ]);
    expect(result.outputs).toMatchObject({ status: 'error', run_id: rows[1]?.run_id });
    expect(cancelledIds().sort()).toEqual([...sim.startedRuns('exp_e2e_slow'), ...sim.startedRuns('exp_forever')].map((run) => run.id).sort());
    expect(result.summary).toContain('Classifier failed first, so the others were stopped (`fail_fast`)');
    expect(result.summary).toContain('| **exp\\_forever** | ⏹️ stopped |');
    expect(result.stdout).toContain('exp_e2e_slow: stopped because Classifier failed first (`fail_fast`)');
    expect(result.stdout).toMatch(/\[exp_e2e_slow\] Cancelled run exprun_started_\d+, which this action started, because another experiment failed first \(`fail_fast`\)/);
    expect(result.stdout).not.toContain('because the job was cancelled');
  });

  it('without fail_fast, one failure does not stop the others', async () => {
    const result = await runAction({ inputs: base({ experiments: 'exp_e2e_error\nexp_e2e_pass_b', timeout: '30s' }), killAfterMs: 60_000 });
    expect(results(result.outputs).map((row) => [row.status, row.passed])).toEqual([
      ['error', false],
      ['completed', true],
    ]);
    expect(sim.cancelRequests()).toHaveLength(0);
  });

  it('a bad line stops the step before any request, naming the line', async () => {
    const result = await runAction({ inputs: base({ experiments: 'exp_e2e_pass_a\nexp_e2e_low threshold=85\nexp_e2e_low' }) });
    expect(result.exitCode).toBe(1);
    expect(sim.requests).toHaveLength(0);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'input_error', results: '[]' });
    expect(result.stdout).toContain('Input `experiments`, line 2 (`threshold`): got "85"');
    expect(result.stdout).toContain('Input `experiments`, line 3: got "exp_e2e_low"; line 2 already names it');
  });
});

describe('one comment per step', () => {
  let github: Awaited<ReturnType<typeof startGithubSimulator>>;
  let dir: string;
  beforeEach(async () => {
    github = await startGithubSimulator({ tokens: ['ghs_simulator_token'] });
    dir = await mkdtemp(join(tmpdir(), 'retab-experiments-e2e-'));
  });
  afterEach(async () => {
    await github.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is written once and updated by the next run of the same step', async () => {
    const eventPath = join(dir, 'event.json');
    await writeFile(eventPath, JSON.stringify({ pull_request: { number: 7 } }));
    const env = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath, GITHUB_REPOSITORY: 'octo/repo', GITHUB_WORKFLOW: 'CI', GITHUB_JOB: 'gate', GITHUB_API_URL: github.url };
    const inputs = base({ experiments: 'run:exprun_pass\nrun:exprun_low', comment: 'true', github_token: 'ghs_simulator_token', timeout: '30s' });
    await runAction({ inputs, env });
    await runAction({ inputs, env });
    const ours = github.comments.filter((comment) => comment.issue === 'octo/repo#7');
    expect(ours).toHaveLength(1);
    expect(ours[0]?.body).toContain('### ❌ Retab experiment gate: 1 of 2 experiments failed');
    expect(ours[0]?.body).toContain('| **run:exprun\\_low** | ❌ failed |');
  });
});
