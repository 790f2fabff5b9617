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
