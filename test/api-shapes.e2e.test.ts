/**
 * The built action against the simulator answering in the shapes Retab's SDK reads today: the flat
 * run shape by default, the docs page's nested one still read, and the quirks one scenario each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

function gate(runId: string, inputs: Record<string, string> = {}) {
  return runAction({ inputs: { run_id: runId, threshold: '0.8', base_url: sim.url, api_key: sim.apiKey, poll_interval: '100ms', timeout: '20s', ...inputs } });
}

const annotations = (stdout: string, kind = 'error') => stdout.split('\n').filter((line) => line.startsWith(`::${kind}`));

describe("the built action, against the SDK's shapes", () => {
  it('reads the flat shape, the default now, with its workflow and block', async () => {
    const result = await gate('exprun_flat');
    expect(result.exitCode).toBe(0);
    const run = JSON.parse(result.outputs.run ?? '');
    expect(run).toMatchObject({ id: 'exprun_flat', workflow_id: 'wf_abc123', workflow_version_id: 'draft_2026_05_18', workflow_name: null, block_kind: 'extract', error_count: 0 });
    // The simulator's default is the flat shape too.
    const pass = await gate('exprun_pass');
    expect(JSON.parse(pass.outputs.run ?? '')).toMatchObject({ workflow_id: 'wf_abc123', workflow_name: null, block_kind: 'extract' });
  });

  it("still reads the docs page's nested shape", async () => {
    const result = await gate('exprun_reference');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.outputs.run ?? '')).toMatchObject({ workflow_id: 'wf_abc123', workflow_name: 'Invoice workflow', block_kind: 'extract' });
    expect(result.summary).toContain('Invoice workflow');
  });

  it('a run without error_count and 7 errored documents fails max_errors: 0, never "Errors 0 ✅"', async () => {
    const result = await gate('exprun_noerrorcount');
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'completed', error_count: '7' });
    expect(annotations(result.stdout)).toEqual([expect.stringContaining('7 errors occurred (counted in the per-document results')]);
    expect(result.summary).toContain('| Errors | 7 (counted in the per-document results) | ≤ 0 ❌ |');
    expect(result.summary).not.toMatch(/\| Errors \| 0 \|/);
  });

  it('threshold "81.4%" is exactly 0.814: a score of 0.814 passes and the threshold prints as 0.814', async () => {
    const result = await gate('exprun_exact', { threshold: '81.4%' });
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: 'true', score: '0.814', threshold: '0.814' });
    expect(result.summary).toContain('≥ 0.814 ✅');
  });

  it('a base_url ending in /v1 is trimmed with a warning, and the run is found', async () => {
    const result = await gate('exprun_pass', { base_url: `${sim.url}/v1` });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.status).toBe('completed');
    expect(annotations(result.stdout, 'warning')).toEqual([expect.stringContaining('ends with a version segment')]);
  });

  it('an error run names its error code and block in the annotation and the summary; the stack trace stays out', async () => {
    const result = await gate('exprun_failed');
    expect(result.exitCode).toBe(1);
    expect(annotations(result.stdout)).toEqual([expect.stringContaining('(error code BLOCK_FAILED, in block Extract invoice)')]);
    expect(result.summary).toContain('in block Extract invoice');
    // Only `::debug::` lines, which the runner shows in debug logging alone, may carry it.
    expect(result.stdout.split('\n').filter((line) => line.includes('Traceback') && !line.startsWith('::debug::'))).toEqual([]);
    expect(result.summary).not.toContain('Traceback');
    expect(result.outputs.run).not.toContain('Traceback');
  });

  it('the debug log carries the stack trace, on one escaped line', async () => {
    const result = await gate('exprun_failed');
    expect(result.stdout).toMatch(/^::debug::Run exprun_failed error stack trace:%0ATraceback \(most recent call last\):%0A/m);
  });

  it('stale metrics in a 200 name their last run in the warning and the summary', async () => {
    const result = await gate('exprun_stale_lastrun');
    expect(result.exitCode).toBe(0);
    expect(annotations(result.stdout, 'warning')).toEqual([expect.stringContaining('last computed for run exprun_last (score 0.83, 2026-05-01T09:30:00Z)')]);
    expect(result.summary).toContain('exprun\\_last');
  });

  it('answers with a byte order mark are read', async () => {
    const result = await gate('exprun_bom', { max_errors: '1', timeout: '10s' });
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'completed', score: '0.87', error_count: '1' });
  });

  it('a score of 1.0000000000000002 is a score of 1', async () => {
    const result = await gate('exprun_noise_high');
    expect(result.exitCode).toBe(0);
    expect(result.outputs.score).toBe('1');
  });
});
