import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetabClient } from '../src/retab/client.js';
import { RetabApiError, RetabResponseError } from '../src/retab/errors.js';
import { startSimulator } from './simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

describe.each(['flat', 'reference'] as const)('the client against the simulator (%s shape)', (shape) => {
  let sim: Simulator;
  let client: RetabClient;
  const debug: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ shape, runs: [{ id: 'exprun_done', total: 7, final: { status: 'completed', score: 0.75, error_count: 1 } }] });
    client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey, debug: (line) => debug.push(line) });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('asks for result pages of at most 100, whatever limit it is given', async () => {
    const page = await client.getResultsPage('exprun_done', { limit: 1_000 });
    expect(page.results).toHaveLength(7);
    expect(sim.requests.at(-1)?.path).toBe('/v1/workflows/experiments/results?run_id=exprun_done&limit=100');
  });

  it('reads a finished run into the same figures', async () => {
    const run = await client.getRun('exprun_done');
    expect(run).toMatchObject({
      id: 'exprun_done',
      status: 'completed',
      score: 0.75,
      error_count: 1,
      total_document_count: 7,
      completed_document_count: 7,
      workflow_id: 'wf_abc123',
      workflow_version_id: 'draft_2026_05_18',
      block_kind: 'extract',
      n_consensus: 5,
    });
  });

  it('lists an experiment’s newest runs, at most 100 a page, newest first, with Retab’s clock from the Date header', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const started = await client.startRun('exp_pass', null);
    const list = await client.listRecentRuns('exp_pass', 500);
    expect(sim.requests.at(-1)?.path).toBe('/v1/workflows/experiments/runs?experiment_id=exp_pass&order=desc&limit=100');
    expect(list.runs.map((run) => run.id)).toContain(started.id);
    expect(list.runs.find((run) => run.id === started.id)).toMatchObject({ experiment_id: 'exp_pass', trigger: 'manual_run' });
    expect(list.serverDateMs).not.toBeNull();
    expect(list.serverDateMs ?? 0).toBeGreaterThanOrEqual(before);
    expect((list.serverDateMs ?? 0) % 1000).toBe(0);
  });

  it('sends the key both ways, asks for JSON, and logs method, path, status and request id without headers', async () => {
    await client.getRun('exprun_done');
    const last = sim.requests.at(-1);
    expect(last?.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
    expect(last?.headers['api-key']).toBe(sim.apiKey);
    expect(last?.headers.accept).toBe('application/json');
    expect(debug.at(-1)).toMatch(/^GET \/v1\/workflows\/experiments\/runs\/exprun_done -> 200 in \d+ ms \(request id req_sim_\d+\)$/);
    expect(debug.join('\n')).not.toContain(sim.apiKey);
  });

  it('turns a 404 into an API error with the status, request id and detail', async () => {
    const error = await client.getRun('exprun_missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetabApiError);
    expect(error).toMatchObject({ status: 404, retryable: false });
    expect((error as Error).message).toMatch(/HTTP 404 .*request id req_sim_\d+.*Experiment run not found: exprun_missing/);
  });

  it('explains a rejected key without showing it', async () => {
    const wrong = new RetabClient({ baseUrl: new URL(sim.url), apiKey: 'rt_live_wrong' });
    const error = (await wrong.getRun('exprun_done').catch((e: unknown) => e)) as RetabApiError;
    await wrong.close();
    expect(error.status).toBe(401);
    expect(error.message).toContain('`api_key` or RETAB_API_KEY');
    expect(error.message).toContain('live key');
    expect(error.message).not.toContain('rt_live_wrong');
  });

  it('says which field of a 200 answer does not fit', async () => {
    sim.fault({ path: '/v1/workflows/experiments/runs/exprun_done', status: 200, body: JSON.stringify({ id: 'exprun_done', lifecycle: { status: 'completed' }, score: 'high' }) });
    const error = await client.getRun('exprun_done').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetabResponseError);
    expect((error as Error).message).toContain('score:');
  });

  it('URL-encodes the run id', async () => {
    await client.getRun('exprun_x y').catch(() => undefined);
    expect(sim.requests.at(-1)?.path).toBe('/v1/workflows/experiments/runs/exprun_x%20y');
  });
});

describe('metrics answers about another run, another baseline or another field, or listing a document twice, are malformed', () => {
  let sim: Simulator;
  let client: RetabClient;
  beforeAll(async () => {
    sim = await startSimulator({
      runs: [
        { id: 'exprun_m', total: 4, final: { status: 'completed', score: 0.8, error_count: 0 } },
        { id: 'exprun_base', total: 4, final: { status: 'completed', score: 0.85, error_count: 0 } },
      ],
    });
    client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });
  const answer = (path: RegExp, body: object) => sim.fault({ path, status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('the simulator\'s own answers pass, with and without a baseline', async () => {
    await expect(client.getMetricsSummary('exprun_m')).resolves.toMatchObject({ kind: 'summary' });
    await expect(client.getMetricsSummary('exprun_m', { priorRunId: 'exprun_base' })).resolves.toMatchObject({ kind: 'summary', prior_run_id: 'exprun_base' });
    await expect(client.getTargetMetrics('exprun_m', 'vendor.name', { priorRunId: 'exprun_base' })).resolves.toMatchObject({ score: expect.any(Number) });
    // An answer that leaves the ids out cannot be checked, and is not held against it.
    answer(/view=summary/, { kind: 'summary', score: 0.8, documents: [] });
    await expect(client.getMetricsSummary('exprun_m', { priorRunId: 'exprun_base' })).resolves.toMatchObject({ kind: 'summary' });
  });

  it.each([
    ['a summary of another run', /view=summary/, { kind: 'summary', run_id: 'exprun_other', score: 0.99, documents: [] }, null, 'describes run exprun_other, not run exprun_m'],
    ['a summary against another run than the baseline', /view=summary/, { kind: 'summary', run_id: 'exprun_m', prior_run_id: 'exprun_other', score: 0.8, prior_score: 0.5 }, 'exprun_base', 'compares with run exprun_other, not the baseline run exprun_base'],
    ['a summary whose run id is not one', /view=summary/, { kind: 'summary', run_id: 'exprun_m\n::error::x', score: 0.8 }, null, 'gives a run id that is not a run id'],
    [
      'a summary that lists a document twice (it would count twice in every figure)',
      /view=summary/,
      { kind: 'summary', run_id: 'exprun_m', score: 0.8, documents: [{ id: 'doc_a', score: 0.9 }, { id: 'doc_b', score: 0.7 }, { id: 'doc_a', score: 0.9 }] },
      null,
      'lists document doc_a more than once',
    ],
  ])('%s', async (_name, path, body, priorRunId, problem) => {
    answer(path, body);
    const error = await client.getMetricsSummary('exprun_m', { priorRunId }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetabResponseError);
    expect((error as RetabResponseError).problem).toBe('malformed');
    expect((error as Error).message).toContain(problem);
  });

  it.each([
    ['another run', { kind: 'by_target', run_id: 'exprun_other', target: 'vendor.name', score: 0.1, prior_score: 0.9 }, 'describes run exprun_other'],
    ['another baseline', { kind: 'by_target', run_id: 'exprun_m', prior_run_id: 'exprun_other', target: 'vendor.name', score: 0.1, prior_score: 0.9 }, 'not the baseline run exprun_base'],
    ['another field', { kind: 'by_target', run_id: 'exprun_m', target: 'total', score: 0.1, prior_score: 0.9 }, 'describes another field'],
  ])('a by_target answer about %s', async (_name, body, problem) => {
    answer(/view=by_target/, body);
    const error = await client.getTargetMetrics('exprun_m', 'vendor.name', { priorRunId: 'exprun_base' }).catch((caught: unknown) => caught);
    expect((error as RetabResponseError).problem).toBe('malformed');
    expect((error as Error).message).toContain(problem);
  });
});
