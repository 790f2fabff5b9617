import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetabClient } from '../src/retab/client.js';
import { readRunDetails, type ReadDetailsOptions } from '../src/details/run-details.js';
import { startSimulator } from './simulator/retab-simulator.js';

let sim: Awaited<ReturnType<typeof startSimulator>>;
let client: RetabClient;

beforeEach(async () => {
  sim = await startSimulator({
    runs: [{ id: 'exprun_paged', runningMs: 0, total: 2_345, final: { status: 'completed', score: 0.8, error_count: 7 }, documents: { priorScore: 0.82, priorRunId: 'exprun_1' } }],
  });
  client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey });
});
afterEach(async () => {
  await client.close();
  await sim.close();
});

const options = (runId: string, extra: Partial<ReadDetailsOptions> = {}): ReadDetailsOptions => ({
  runId,
  baselineRunId: null,
  signal: new AbortController().signal,
  sleep: async () => {},
  random: () => 0,
  ...extra,
});

describe('readRunDetails against the simulator', () => {
  it('streams every results page by cursor and keeps only the bounded lists and counts', async () => {
    const details = await readRunDetails(client, options('exprun_paged', { limits: { worstDocuments: 3, erroredDocuments: 2 } }));
    const pages = sim.requests.filter((r) => r.path.startsWith('/v1/workflows/experiments/results'));
    // Pages of 100, the most Retab's CLI accepts.
    expect(pages).toHaveLength(24);
    expect(pages.slice(0, 3).map((r) => r.path)).toEqual([
      '/v1/workflows/experiments/results?run_id=exprun_paged&limit=100',
      '/v1/workflows/experiments/results?run_id=exprun_paged&limit=100&after=expres_000099',
      '/v1/workflows/experiments/results?run_id=exprun_paged&limit=100&after=expres_000199',
    ]);
    expect(details.results).toMatchObject({ state: 'ok', document_count: 2_345, status_counts: { completed: 2_338, error: 7 }, errored_document_count: 7, pages: 24 });
    if (details.results.state !== 'ok' || details.metrics.state !== 'ok') throw new Error('expected both reads to succeed');
    expect(details.results.errored_documents).toHaveLength(2);
    // The errored documents are named from the metrics' filenames.
    expect(details.results.errored_documents[0]?.filename).toMatch(/^invoice-\d{5}\.pdf$/);
    expect(details.metrics).toMatchObject({ score: 0.8001, prior_score: 0.8201, prior_run_id: 'exprun_1', scored_document_count: 2_338, listed_document_count: 2_345, unscored_document_count: 7 });
    const scores = details.metrics.worst_documents.map((d) => d.score);
    expect(scores).toHaveLength(3);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
  });

  it('asks for the metrics summary while the results pages stream, not after them', async () => {
    await readRunDetails(client, options('exprun_paged'));
    const paths = sim.requests.map((r) => r.path);
    const summary = paths.findIndex((path) => path.includes('view=summary'));
    const pages = paths.flatMap((path, i) => (path.startsWith('/v1/workflows/experiments/results') ? [i] : []));
    expect(pages).toHaveLength(24);
    expect(summary).toBeGreaterThan(-1);
    expect(summary).toBeLessThan(pages[1] ?? -1);
  });

  it('asks for the baseline run when given one', async () => {
    const details = await readRunDetails(client, options('exprun_regressed', { baselineRunId: 'exprun_low' }));
    expect(sim.requests.some((r) => r.path === '/v1/workflows/experiments/metrics?run_id=exprun_regressed&view=summary&include_prior=true&prior_run_id=exprun_low')).toBe(true);
    expect(details.metrics).toMatchObject({ state: 'ok', prior_score: 0.62, prior_run_id: 'exprun_low' });
  });

  it('reports no_metrics and stale_metrics, answered in a 200 as the SDK reads them, with the last run of stale metrics', async () => {
    expect((await readRunDetails(client, options('exprun_nometrics'))).metrics).toEqual({ state: 'no_metrics', message: 'run exprun_nometrics has no metrics yet: No metrics for run exprun_nometrics' });
    expect((await readRunDetails(client, options('exprun_stale'))).metrics).toEqual({
      state: 'stale_metrics',
      message: 'run exprun_stale has stale metrics: The experiment documents changed since the run (documents_changed); last computed for run exprun_last (score 0.83, 2026-05-01T09:30:00Z)',
    });
    expect(sim.requests.filter((r) => r.path.startsWith('/v1/workflows/experiments/metrics')).map((r) => r.status)).toEqual([200, 200]);
  });

  it('reads stale_metrics with an error status too', async () => {
    sim.addRun({ id: 'exprun_stale409', runningMs: 0, total: 3, final: { status: 'completed', score: 0.9, error_count: 0 }, documents: { metrics: 'stale_metrics_409' } });
    const details = await readRunDetails(client, options('exprun_stale409'));
    expect(details.metrics).toMatchObject({ state: 'stale_metrics', message: expect.stringContaining('last computed for run exprun_last') });
  });

  it('retries a transient failure, then gives up with a message naming the page and status', async () => {
    sim.fault({ path: '/v1/workflows/experiments/results', status: 503, times: 1 });
    expect((await readRunDetails(client, options('exprun_pass'))).results.state).toBe('ok');
    sim.fault({ path: '/v1/workflows/experiments/results?run_id=exprun_paged&limit=100&after=expres_000099', status: 500, times: 3 });
    sim.fault({ path: '/v1/workflows/experiments/metrics', status: 401, body: '{"detail":"Invalid API key"}' });
    const details = await readRunDetails(client, options('exprun_paged'));
    expect(details.results).toEqual({
      state: 'failed',
      message: expect.stringMatching(/^could not read the results of run exprun_paged \(stopped on page 2, after 100 documents\): Retab answered HTTP 500/),
    });
    expect(details.metrics).toEqual({ state: 'failed', message: expect.stringMatching(/^could not read the metrics of run exprun_paged: Retab answered HTTP 401 .*Invalid API key/) });
  });

  it('counts at most a bounded number of distinct statuses, the rest together', async () => {
    const data = Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, lifecycle: { status: `status_${i}` } }));
    sim.fault({ path: '/v1/workflows/experiments/results', status: 200, times: 1, body: JSON.stringify({ data, list_metadata: { after: null } }) });
    const details = await readRunDetails(client, options('exprun_pass'));
    if (details.results.state !== 'ok') throw new Error('expected the results to be read');
    expect(details.results.document_count).toBe(50);
    expect(Object.keys(details.results.status_counts)).toHaveLength(21);
    expect(details.results.status_counts['(other)']).toBe(30);
  });

  it('stops on a cursor that does not advance', async () => {
    sim.fault({ path: '/v1/workflows/experiments/results', status: 200, times: 5, body: JSON.stringify({ data: [{ id: 'x', lifecycle: { status: 'completed' } }], list_metadata: { after: 'same' } }) });
    const details = await readRunDetails(client, options('exprun_pass'));
    expect(details.results).toEqual({ state: 'failed', message: expect.stringContaining('the results cursor did not advance (after=same on page 2)') });
  });
});
