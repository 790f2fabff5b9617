/**
 * `experiments` through `run()` against the simulator: with one line the outputs are those of the
 * single flow, plus `results`; with several the single-run outputs hold the first failure.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from '../src/main.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { recordingIO } from './support/recording-io.js';
import { simulatorInputs } from './support/simulator-inputs.js';

let sim: Awaited<ReturnType<typeof startSimulator>>;
beforeAll(async () => {
  sim = await startSimulator({
    runs: [
      { id: 'exprun_late_errors', runningMs: 5_000, total: 40, final: { status: 'completed', score: 0.91, error_count: 3 } },
      { id: 'exprun_soon_low', runningMs: 100, total: 12, final: { status: 'completed', score: 0.62, error_count: 0 } },
    ],
  });
});
afterAll(() => sim.close());

const outputsOf = async (inputs: Record<string, string>) => {
  const { io, recording } = recordingIO(simulatorInputs(sim, inputs));
  await run({ io, env: {} });
  const { report_path: _path, ...outputs } = recording.outputs;
  return { outputs, recording };
};

it.each(['exprun_pass', 'exprun_low', 'exprun_failed'])('one line, run:%s: the same outputs as run_id, plus results', async (runId) => {
  const single = await outputsOf({ run_id: runId });
  const many = await outputsOf({ experiments: `run:${runId}` });
  const { results, ...rest } = many.outputs;
  expect(rest).toEqual(single.outputs);
  expect(JSON.parse(results ?? '')).toEqual([expect.objectContaining({ name: `run:${runId}`, run_id: runId, passed: single.outputs.passed === 'true', status: single.outputs.status })]);
  expect(many.recording.failed === null).toBe(single.recording.failed === null);
});

it('several lines: passed is for the step, the other outputs for the experiment that failed first', async () => {
  // The line that fails first in time, not the first failing line: seen finished at least one poll
  // (2 s or more) after the other, so which failed first never depends on the machine's load.
  const { outputs, recording } = await outputsOf({ experiments: 'run:exprun_pass\nrun:exprun_late_errors threshold=0.5\nrun:exprun_soon_low threshold=0.7' });
  expect(outputs).toMatchObject({ passed: 'false', run_id: 'exprun_soon_low', score: '0.62', threshold: '0.7', status: 'completed' });
  expect(recording.failed).toBe('run:exprun_late_errors: 3 errors occurred; at most 0 allowed (`max_errors`)\nrun:exprun_soon_low: score 0.62 is below the threshold 0.7');
  const report = JSON.parse(await readFile(recording.outputs.report_path ?? '', 'utf8'));
  expect(report).toMatchObject({ version: 1, passed: false, stopped_by: null });
  expect(report.experiments.map((entry: { name: string; line: number; run_id: string; passed: boolean }) => [entry.name, entry.line, entry.run_id, entry.passed])).toEqual([
    ['run:exprun_pass', 1, 'exprun_pass', true],
    ['run:exprun_late_errors', 2, 'exprun_late_errors', false],
    ['run:exprun_soon_low', 3, 'exprun_soon_low', false],
  ]);
  expect(report.experiments[1].results).toMatchObject({ errored_document_count: 3 });
  const passing = await outputsOf({ experiments: 'run:exprun_improved max_errors=2\nrun:exprun_pass' });
  expect(passing.outputs).toMatchObject({ passed: 'true', run_id: 'exprun_improved' });
  expect(passing.recording.failed).toBeNull();
});
