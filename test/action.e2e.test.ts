/**
 * The built action, run the way the runner runs it: `node dist/index.js` with INPUT_* variables
 * (action.yml's defaults filled in), outputs and summary read back from their files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let sim: Simulator;
let openapi: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
  openapi = await startSimulator({ shape: 'openapi' });
});
afterAll(async () => {
  await sim.close();
  await openapi.close();
});

function gate(runId: string, inputs: Record<string, string> = {}, server = sim) {
  return runAction({ inputs: { run_id: runId, threshold: '0.8', base_url: server.url, api_key: server.apiKey, poll_interval: '100ms', ...inputs } });
}

/** `::error::` annotations in the log. */
const annotations = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('::error'));

describe('the built action', () => {
  it('passes a run that scores above the threshold, with every output and a summary', async () => {
    const result = await gate('exprun_pass');
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      passed: 'true',
      status: 'completed',
      score: '0.87',
      threshold: '0.8',
      error_count: '0',
      duration_ms: '1200',
      run_id: 'exprun_pass',
      total_document_count: '12',
      completed_document_count: '12',
    });
    expect(JSON.parse(result.outputs.run ?? '')).toMatchObject({ id: 'exprun_pass', status: 'completed', score: 0.87, block_kind: 'extract' });
    expect(result.summary).toMatch(/^### ✅ Retab experiment gate: passed/);
    expect(result.summary).toContain('| Score | **0.8700** (mean of 12 documents 0.8700 ± 0.0312, 95 % CI 0.8388–0.9012) | ≥ 0.8 ✅ |');
    expect(annotations(result.stdout)).toEqual([]);
    expect(result.stdout).toMatch(/Run exprun_pass: (pending|queued)/);
    expect(result.stdout).toMatch(/Run exprun_pass: running, \d+\/12 documents/);
  });

  it('fails below the threshold with one annotation naming the figures', async () => {
    const result = await gate('exprun_low', { threshold: '80%' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'completed', score: '0.62', threshold: '0.8' });
    expect(annotations(result.stdout)).toEqual(['::error::score 0.62 is below the threshold 0.8']);
    expect(result.summary).toContain('failed (score below threshold)');
  });

  it('fails when more errors occurred than allowed, and passes when they are allowed', async () => {
    const failed = await gate('exprun_errors');
    expect(failed.exitCode).toBe(1);
    expect(failed.outputs).toMatchObject({ passed: 'false', error_count: '3', score: '0.91' });
    expect(annotations(failed.stdout)).toEqual(['::error::3 errors occurred; at most 0 allowed (`max_errors`)']);

    const allowed = await gate('exprun_errors', { max_errors: '3' });
    expect(allowed.exitCode).toBe(0);
    expect(allowed.outputs.passed).toBe('true');
  });

  it('fails a run that ended in error, showing its message', async () => {
    const result = await gate('exprun_failed');
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'error', score: '' });
    expect(annotations(result.stdout)[0]).toContain('model returned invalid JSON');
    expect(result.summary).toContain('model returned invalid JSON');
  });

  it('fails a cancelled run, showing its reason', async () => {
    const result = await gate('exprun_cancelled');
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'cancelled' });
    expect(annotations(result.stdout)[0]).toContain('Cancelled by jane@example.com');
  });

  it('fails a completed run that has no score', async () => {
    const result = await gate('exprun_noscore');
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'completed', score: '' });
  });

  it('gives up at the timeout, with the last figures it read', async () => {
    const result = await gate('exprun_forever', { timeout: '2s', poll_interval: '500ms' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'timed_out', total_document_count: '500' });
    expect(JSON.parse(result.outputs.run ?? '').status).toBe('running');
    expect(annotations(result.stdout)[0]).toContain('did not finish within the timeout of 2s; it was still running');
    expect(result.summary).toContain('failed (timed out)');
    expect(result.durationMs).toBeLessThan(15_000);
  });

  it('rejects bad input before any request, naming the input, the value and what is accepted', async () => {
    const before = sim.requests.length;
    const result = await gate('exprun_pass', { threshold: '1.5' });
    expect(sim.requests.length).toBe(before);
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'input_error' });
    expect(annotations(result.stdout)[0]).toContain('Input `threshold`: got "1.5"; expected a minimum score from 0 to 1');
    expect(result.summary).toContain('failed (invalid input)');
  });

  it('says how to give a key when there is none', async () => {
    const result = await gate('exprun_pass', { api_key: '' });
    expect(result.exitCode).toBe(1);
    expect(annotations(result.stdout)[0]).toContain('set the `api_key` input');
    expect(annotations(result.stdout)[0]).toContain('RETAB_API_KEY');
  });

  it('reads the OpenAPI response shape to the same outputs', async () => {
    const result = await gate('exprun_low', { threshold: '0.6' }, openapi);
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: 'true', score: '0.62', total_document_count: '12', duration_ms: '600' });
    expect(JSON.parse(result.outputs.run ?? '')).toMatchObject({ block_kind: 'extract', workflow_id: 'wf_abc123' });
  });

  it('keeps markup from the API out of the summary', async () => {
    const result = await gate('exprun_markup');
    expect(result.exitCode).toBe(1);
    expect(result.summary).not.toMatch(/<img|<script|\]\(http/);
    expect(result.summary).toContain('&lt;script&gt;');
  });

  it('masks the key and never prints it', async () => {
    const result = await runAction({
      inputs: { run_id: 'exprun_low', threshold: '0.8', base_url: sim.url, api_key: '', poll_interval: '100ms' },
      env: { RETAB_API_KEY: sim.apiKey, ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' },
    });
    const everything = [result.stdout.replace(`::add-mask::${sim.apiKey}`, ''), result.stderr, result.summary, JSON.stringify(result.outputs)].join('\n');
    expect(result.stdout.split('\n')[0]).toBe(`::add-mask::${sim.apiKey}`);
    expect(everything).not.toContain(sim.apiKey);
  });
});
