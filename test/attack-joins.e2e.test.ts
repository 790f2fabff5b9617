/**
 * Attacks where separately built parts meet, end to end on the built action: API text that the
 * statistics, field-by-field and trend parts added (aggregate keys, confusion labels, by_target
 * figures, the runs list), and the gate's own `name` and `matrix` inputs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGithubSimulator } from './simulator/github-simulator.js';
import { renderRun, startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';
import { unexpectedCommands } from './support/workflow-commands.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type Result = Awaited<ReturnType<typeof runAction>>;

const KEY = 'rt_test_Zq9xJoinsCanary0123456789';
const TOKEN = 'ghs_TokenCanary9876543210abcdefXYZ';
const RUN = 'exprun_j';
const PWN = '::error::PWNED';
const HOSTILE = `\n${PWN} https://evil.example/x @octocat \u202e $x$ ${KEY}`;

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ apiKey: KEY, runs: [{ id: RUN, runningMs: 0, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
});
afterEach(async () => {
  await sim.close();
});

async function gate(inputs: Record<string, string> = {}): Promise<Result> {
  return runAction({
    inputs: { run_id: RUN, threshold: '0.8', api_key: KEY, github_token: TOKEN, base_url: sim.url, timeout: '8s', poll_interval: '100ms', ...inputs },
    env: { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' },
  });
}

function expectInert(result: Result) {
  expect(unexpectedCommands(result.stdout, [KEY, TOKEN])).toEqual([]);
  const stdout = result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n');
  for (const [where, text] of Object.entries({ stdout, stderr: result.stderr, outputs: JSON.stringify(result.outputs), summary: result.summary, report: result.report ?? '' })) {
    for (const secret of [KEY, TOKEN]) expect(text, `${where} holds ${secret}`).not.toContain(secret);
    expect(text, `${where} holds NaN or Infinity`).not.toMatch(/\bNaN\b|Infinity/);
  }
  expect(result.summary).not.toMatch(/[a-z]+:\/\/|www\./i);
  expect(result.summary).not.toContain('$x$');
  expect(result.summary).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThan(20_000);
  for (const [name, value] of Object.entries(result.outputs)) expect(Buffer.byteLength(value), name).toBeLessThanOrEqual(64 * 1024);
  expect(Buffer.byteLength(result.summary)).toBeLessThan(100_000);
  expect(() => JSON.parse(result.report ?? '')).not.toThrow();
}

function serveMetrics(body: unknown, view: 'summary' | 'by_target' = 'summary') {
  sim.fault({ path: new RegExp(`/metrics\\?.*view=${view}`), status: 200, times: Infinity, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const summary = (aggregate: unknown, documents: unknown[] = [{ id: 'd1', score: 0.9, prior_score: 0.8 }, { id: 'd2', score: 0.8, prior_score: 0.85 }]) => ({
  kind: 'summary', run_id: RUN, score: 0.9, prior_score: 0.88, prior_run_id: 'exprun_p', documents, aggregate,
});

describe('field names, labels and figures from the aggregate and by_target', () => {
  it('hostile field paths, and by_target figures far outside a score', async () => {
    serveMetrics(summary({ likelihoods: { [`a${HOSTILE}`]: 0.5, b: 0.7 } }));
    serveMetrics({ kind: 'by_target', score: 1e308, prior_score: -1e308 }, 'by_target');
    const result = await gate();
    expectInert(result);
    // Each field's read is refused as not a score, and said; the names are shown as text.
    expect(result.summary).toContain('2 of 2 fields could not be read against the prior run');
    expect(result.summary).toContain('https\\[:\\]//evil.example/x @\u200boctocat');
    const report = JSON.parse(result.report ?? '{}');
    expect(report.fields.reads).toEqual({ asked: 2, answered: 0, failed: 2, skipped: 0 });
  });

  it('hostile labels and flows, huge flow shares', async () => {
    serveMetrics(summary({ diag: { [`l${HOSTILE}`]: 0.5 }, flows: [{ source: `s${HOSTILE}`, target: `t${HOSTILE}`, score: 1e308 }, { source: 'x', target: 'y', score: -1e308 }] }));
    const result = await gate();
    expectInert(result);
    // A share that is not a share: the aggregate is not in a shape we know, and the summary says so.
    expect(result.summary).toContain('Field\\-by\\-field figures are not shown');
    expect(result.outputs.status).toBe('completed');
  });

  it('thousands of fields', async () => {
    serveMetrics(summary({ likelihoods: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`f${i}${HOSTILE}`, (i % 1000) / 1000])) }));
    const result = await gate();
    expectInert(result);
  });
});

describe('the trend and the stale-metrics answer', () => {
  const listed = (runs: unknown[]) =>
    sim.fault({ path: /\/runs\?/, method: 'GET', status: 200, times: Infinity, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: runs }) });
  const run = (id: string, score: unknown, extra: object = {}) => ({ id, experiment_id: 'exp_abc', lifecycle: { status: 'completed' }, score, timing: { created_at: '2026-05-01T09:30:00Z' }, ...extra });

  it('a runs list with a malformed entry: no trend, said, the gate unaffected', async () => {
    listed([run('exprun_a', 0.8), run(`exprun_b\n${PWN}`, 0.7), run('exprun_c', 'high')]);
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('completed');
    expect(result.outputs.passed).toBe('true');
    expect(JSON.parse(result.report ?? '{}').trend.state).toBe('failed');
  });

  it('a runs list of other experiments and odd figures draws no one else\'s runs', async () => {
    listed([run('exprun_a', 0.8), run('exprun_x', 0.1, { experiment_id: 'exp_other' }), run('exprun_y', 0.2, { experiment_id: null }), run('exprun_z', 0.3, { lifecycle: { status: 'error' } })]);
    const result = await gate();
    expectInert(result);
    const trend = JSON.parse(result.report ?? '{}').trend;
    expect(trend.points.map((point: { id: string }) => point.id)).toEqual(['exprun_a', RUN]);
  });

  it('stale reasons that are huge objects stay bounded everywhere', async () => {
    const reason = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}${HOSTILE}`, `v${HOSTILE}`]));
    serveMetrics({ kind: 'stale_metrics', error: 'stale_metrics', stale_reasons: [reason, reason, reason], message: `stale${HOSTILE}`, last_run: { run_id: `x\n${PWN}`, score: 1e308 } });
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('completed');
    expect(Buffer.byteLength(result.report ?? '')).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(result.stdout.length).toBeLessThan(200_000);
  });
});

describe('everything maxed at once', () => {
  it('the summary and the comment stay within their limits, inert, with the name and matrix as plain text', async () => {
    const github = await startGithubSimulator({ tokens: [TOKEN] });
    const dir = await mkdtemp(join(tmpdir(), 'retab-attack-'));
    try {
      const long = (prefix: string) => `${prefix}${HOSTILE}${'$<@_*'.repeat(600)}`;
      const run = renderRun({ id: RUN, total: 4, final: { status: 'error', score: 0.1, error_count: null } as never }, 1e9, 'flat') as Record<string, unknown>;
      run.lifecycle = { status: 'error', message: long('m'), details: { message: long('d'), stack_trace: long('s'), block_id: 'b1', block_name: long('n'), error_code: 'E'.repeat(100), context: null } };
      sim.fault({ path: `/v1/workflows/experiments/runs/${RUN}`, method: 'GET', status: 200, times: Infinity, headers: { 'content-type': 'application/json' }, body: JSON.stringify(run) });
      const results = Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, document_id: `d${i}`, lifecycle: { status: 'error', message: long(`e${i}`) } }));
      sim.fault({ path: '/v1/workflows/experiments/results', status: 200, times: Infinity, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: results, list_metadata: { after: null } }) });
      const documents = Array.from({ length: 300 }, (_, i) => ({ id: `d${i}`, filename: long(`f${i}`), score: (i % 10) / 10, prior_score: 0.9 }));
      serveMetrics(summary({ diag: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [long(`l${i}`), i / 50])), flows: Array.from({ length: 50 }, (_, i) => ({ source: long(`s${i}`), target: long(`t${i}`), score: i / 50 })) }, documents));
      const eventPath = join(dir, 'event.json');
      await writeFile(eventPath, JSON.stringify({ pull_request: { number: 7 } }));
      const matrix = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, long(`v${i}`)]));
      const result = await runAction({
        inputs: { run_id: RUN, threshold: '0.8', max_errors: '0', max_score_drop: '0.01', confidence: '95%', api_key: KEY, github_token: TOKEN, base_url: sim.url, timeout: '8s', poll_interval: '100ms', comment: 'true', name: 'invoices <!-- x --> @team' },
        matrix,
        env: {
          ACTIONS_STEP_DEBUG: 'true',
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_REPOSITORY: 'octo/repo',
          GITHUB_WORKFLOW: 'CI',
          GITHUB_JOB: 'gate',
          GITHUB_ACTION: 'gate',
          GITHUB_API_URL: github.url,
          GITHUB_SERVER_URL: 'https://github.example',
          GITHUB_RUN_ID: '456',
        },
      });
      expectInert(result);
      expect(result.outputs.status).toBe('error');
      expect(result.exitCode).not.toBe(0);
      const comments = github.comments.filter((c) => c.issue === 'octo/repo#7');
      expect(comments).toHaveLength(1);
      const body = comments[0]?.body ?? '';
      expect(body.length).toBeLessThanOrEqual(65_536);
      expect(body).not.toMatch(/[a-z]+:\/\/evil|www\.|\$x\$|<!-- x|@team|@octocat/);
      for (const secret of [KEY, TOKEN]) expect(body).not.toContain(secret);
      // One hidden marker, at the start, closed once.
      expect(body.startsWith('<!-- retab-experiment-gate')).toBe(true);
      expect(body.split('-->').length).toBe(2);
    } finally {
      await github.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the gate\'s own inputs in the comment', () => {
  it('a secret given as the gate\'s name or in a matrix value never reaches the comment, and the marker stays the same from run to run', async () => {
    const github = await startGithubSimulator({ tokens: [TOKEN] });
    const dir = await mkdtemp(join(tmpdir(), 'retab-attack-'));
    try {
      const eventPath = join(dir, 'event.json');
      await writeFile(eventPath, JSON.stringify({ pull_request: { number: 8 } }));
      const once = () =>
        runAction({
          inputs: { run_id: RUN, threshold: '0.8', api_key: KEY, github_token: TOKEN, base_url: sim.url, timeout: '8s', poll_interval: '100ms', comment: 'true', name: KEY },
          matrix: { os: 'ubuntu', token: TOKEN },
          env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath, GITHUB_REPOSITORY: 'octo/repo', GITHUB_WORKFLOW: 'CI', GITHUB_JOB: 'gate', GITHUB_ACTION: 'gate', GITHUB_API_URL: github.url, GITHUB_RUN_ID: '456' },
        });
      const first = await once();
      expectInert(first);
      await once();
      const comments = github.comments.filter((c) => c.issue === 'octo/repo#8');
      expect(comments).toHaveLength(1);
      const body = comments[0]?.body ?? '';
      expect(body).toContain('Gate \\*\\*\\* · matrix os=ubuntu, token=\\*\\*\\*');
      for (const secret of [KEY, TOKEN, encodeURIComponent(KEY), 'Zq9xJoin', 'TokenCan']) expect(body).not.toContain(secret);
    } finally {
      await github.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a cancelled job during the reads the statistics and trend parts added', () => {
  it.each([
    ['the trend (the runs list)', /\/runs\?/, /Trend \| not drawn: could not list the recent runs/],
    // Not "the report's time budget ran out": it was the cancellation.
    ['a field against the prior run (view=by_target)', /view=by_target/, /\d+ fields were not read: received SIGTERM/],
  ])('SIGTERM while %s hangs: the request is abandoned at once; the verdict, read in full before, stands; what is missing is said', async (_name, path, said) => {
    sim.fault({ path, action: 'hang', times: Infinity });
    const result = await runAction({
      inputs: { run_id: RUN, threshold: '0.8', api_key: KEY, github_token: TOKEN, base_url: sim.url, timeout: '10m', poll_interval: '100ms' },
      onStart(child) {
        const timer = setInterval(() => {
          if (!sim.requests.some((request) => path.test(request.path))) return;
          clearInterval(timer);
          child.kill('SIGTERM');
        }, 20);
        child.on('close', () => clearInterval(timer));
      },
      killAfterMs: 60_000,
    });
    expectInert(result);
    expect(result.signal).toBeNull();
    // The report's time budget is 2 minutes and each request's limit 30 s: far above this bound.
    expect(result.durationMs).toBeLessThan(10_000);
    // The run, its error count and its metrics were read before the signal: the verdict rests on them.
    expect(result.outputs).toMatchObject({ run_id: RUN, status: 'completed', passed: 'true', error_count: '0' });
    expect(result.exitCode).toBe(0);
    expect(result.summary).toMatch(said);
    expect(result.summary).toContain('SIGTERM');
  });
});

describe('a runs list with a malformed entry when starting a run', () => {
  const malformedList = () =>
    sim.fault({
      path: /\/runs\?/,
      method: 'GET',
      status: 200,
      times: Infinity,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ id: `exprun_z\n${PWN}`, experiment_id: 'exp_pass', lifecycle: { status: 'completed' }, score: 0.5 }] }),
    });
  const start = () => gate({ run_id: '', experiment_id: 'exp_pass', timeout: '20s' });

  it('a clean start still starts one run, gated, after a warning that the runs could not be listed', async () => {
    malformedList();
    const result = await start();
    expectInert(result);
    expect(sim.startedRuns('exp_pass')).toHaveLength(1);
    expect(result.outputs).toMatchObject({ status: 'completed', passed: 'true' });
    expect(result.stdout).toMatch(/::warning::Could not list the runs of experiment exp_pass before starting one/);
  });

  it('an uncertain start cannot be resolved without the list: one POST, a clear failure, no second run', async () => {
    malformedList();
    sim.fault({ path: '/v1/workflows/experiments/runs', method: 'POST', afterHandling: 502, body: 'bad gateway' });
    const result = await start();
    expectInert(result);
    expect(sim.startedRuns('exp_pass')).toHaveLength(1);
    expect(result.outputs.passed).toBe('false');
    expect(result.exitCode).toBe(1);
    expect(result.stdout.match(/^::error::/gm) ?? []).toHaveLength(1);
  });
});

describe('several experiments in one step', () => {
  it('a secret given as a line\'s name reaches neither the report nor any other output', async () => {
    sim.addRun({ id: 'exprun_k', runningMs: 0, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } });
    const result = await gate({ run_id: '', experiments: `run:${RUN} name=${KEY}\nrun:exprun_k name="k ${TOKEN}"` });
    expectInert(result);
    expect(result.outputs.passed).toBe('true');
    expect(result.report).toContain('"name": "***"');
  });
});
