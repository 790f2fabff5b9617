/**
 * Attacks where separately built parts meet, end to end on the built action: API text that the
 * statistics, field-by-field and trend parts added (aggregate keys, confusion labels, by_target
 * figures, the runs list), and the gate's own `name` and `matrix` inputs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
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
