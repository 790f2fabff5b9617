/**
 * A baseline that is the gated run itself is an input error, on the built action: named by its
 * input (or its line of `experiments`), with the value and what is accepted, before any request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

let sim: Awaited<ReturnType<typeof startSimulator>>;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

const gate = (inputs: Record<string, string>) => runAction({ inputs: { threshold: '0.8', max_score_drop: '0.02', base_url: sim.url, api_key: sim.apiKey, poll_interval: '100ms', ...inputs } });
const errors = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('::error'));

describe('a baseline that is the gated run itself', () => {
  it('with `run_id`: an input error before any request', async () => {
    const before = sim.requests.length;
    const result = await gate({ run_id: 'exprun_pass', baseline_run_id: 'exprun_pass' });
    expect(sim.requests.length).toBe(before);
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'input_error' });
    expect(errors(result.stdout).join('\n')).toContain('Input `baseline_run_id`: got "exprun_pass"; it is the gated run itself (`run_id`)');
  });

  it('with `experiments`, per line or from the step: an input error naming the line, before any request', async () => {
    const before = sim.requests.length;
    const result = await gate({ experiments: 'run:exprun_pass baseline_run_id=exprun_pass\nrun:exprun_low', baseline_run_id: 'exprun_low' });
    expect(sim.requests.length).toBe(before);
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'input_error', results: '[]' });
    const text = errors(result.stdout).join('\n');
    expect(text).toContain('Input `experiments`, line 1 (`baseline_run_id`): got "exprun_pass"; it is this line\'s own run (`run:exprun_pass`)');
    expect(text).toContain("Input `experiments`, line 2: got \"exprun_low\"; the step's `baseline_run_id` is this line's own run (`run:exprun_low`)");
  });
});
