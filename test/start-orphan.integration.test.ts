import { afterEach, expect, it } from 'vitest';
import { run } from '../src/main.js';
import type { ActionIO } from '../src/runner/io.js';
import { startSimulator } from './simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let sim: Simulator | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

function io(inputs: Record<string, string>) {
  const outputs: Record<string, string> = {};
  const lines: string[] = [];
  let summary = '';
  const actionIO: ActionIO = {
    getInput: (name) => inputs[name] ?? '',
    setSecret: () => {},
    setOutput: (name, value) => void (outputs[name] = value),
    info: (line) => void lines.push(line),
    debug: () => {},
    warning: (line) => void lines.push(`warning: ${line}`),
    setFailed: (line) => void lines.push(`failed: ${line}`),
    writeSummary: async (markdown) => void (summary = markdown),
  };
  return { actionIO, outputs, lines, summary: () => summary };
}

it('when the job is cancelled while the POST is unanswered, finds the run Retab started and cancels it', async () => {
  const simulator = await startSimulator();
  sim = simulator;
  simulator.fault({ method: 'POST', path: /^\/v1\/workflows\/experiments\/runs$/, afterHandling: 'hang' });
  const controller = new AbortController();
  const inputs = { experiment_id: 'exp_forever', threshold: '0.8', max_errors: '0', api_key: simulator.apiKey, base_url: simulator.url, timeout: '10m', cancel_on_abort: 'true' };
  const poll = setInterval(() => {
    // Cancel the job once Retab has the POST (and started the run), while the answer never comes.
    if (simulator.startedRuns('exp_forever').length > 0) {
      clearInterval(poll);
      controller.abort(new Error('received SIGINT'));
    }
  }, 10);
  const { actionIO, outputs, lines, summary } = io(inputs);
  await run({ io: actionIO, env: {}, signal: controller.signal });
  clearInterval(poll);

  const started = simulator.startedRuns('exp_forever');
  expect(started).toEqual([{ id: outputs.run_id, cancelled: true }]);
  expect(outputs).toMatchObject({ passed: 'false', status: 'interrupted' });
  expect(lines).toContain(`Found run ${outputs.run_id}, which an unanswered attempt started.`);
  expect(summary()).toContain('because the job was cancelled');
  expect(simulator.requests.filter((r) => r.method === 'POST' && !r.path.endsWith('/cancel'))).toHaveLength(1);
});

it('when the job is cancelled while the POST is unanswered, never cancels a run another job started just before', async () => {
  const simulator = await startSimulator();
  sim = simulator;
  // Another pull request's run of the same experiment, started moments before this job's POST.
  const other = simulator.startOtherRun('exp_forever', { trigger: 'api' });
  // This job's POST never reaches Retab's handler and never gets an answer.
  simulator.fault({ method: 'POST', path: /^\/v1\/workflows\/experiments\/runs$/, action: 'hang' });
  const controller = new AbortController();
  simulator.onStartRequest(() => setTimeout(() => controller.abort(new Error('received SIGINT')), 50));
  const inputs = { experiment_id: 'exp_forever', threshold: '0.8', max_errors: '0', api_key: simulator.apiKey, base_url: simulator.url, timeout: '10m', cancel_on_abort: 'true' };
  const { actionIO, outputs } = io(inputs);
  await run({ io: actionIO, env: {}, signal: controller.signal });

  expect(outputs).toMatchObject({ passed: 'false', status: 'interrupted', run_id: '' });
  expect(simulator.otherRuns('exp_forever')).toEqual([{ id: other, cancelled: false }]);
  expect(simulator.cancelRequests()).toHaveLength(0);
});
