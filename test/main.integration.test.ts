import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/main.js';
import { INPUT_NAMES } from '../src/inputs/settings.js';
import { OUTPUT_NAMES } from '../src/report/outputs.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { recordingIO, type ActionCall, type Recording } from './support/recording-io.js';
import { simulatorInputs } from './support/simulator-inputs.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** How many times the action called `method`. */
const times = (recording: Recording, method: ActionCall) => recording.calls.filter((call) => call === method).length;

describe('run() against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ runs: [{ id: 'exprun_quick', runningMs: 150, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
  });
  afterAll(() => sim.close());

  const inputs = (overrides: Record<string, string>) => simulatorInputs(sim, { timeout: '30s', ...overrides });

  it('masks the key first, then writes outputs and the summary, and does not fail a passing run', async () => {
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_quick' }));
    await run({ io, env: {} });
    expect(recording.calls[0]).toBe('setSecret');
    expect(recording.secrets).toEqual([sim.apiKey]);
    expect(recording.outputs).toMatchObject({ passed: 'true', status: 'completed', score: '0.9', run_id: 'exprun_quick' });
    expect(Object.keys(recording.outputs).sort()).toEqual(['baseline_run_id', 'baseline_source', 'completed_document_count', 'duration_ms', 'error_count', 'passed', 'prior_score', 'report_path', 'run', 'run_id', 'score', 'score_ci_high', 'score_ci_low', 'score_delta', 'score_delta_ci_high', 'score_delta_ci_low', 'status', 'threshold', 'total_document_count']);
    expect(times(recording, 'writeSummary')).toBe(1);
    expect(recording.failed).toBeNull();
  });

  it('fails once, after the outputs and the summary', async () => {
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_low' }));
    await run({ io, env: {} });
    expect(recording.failed).toBe('score 0.62 is below the threshold 0.8');
    expect(recording.calls.indexOf('setFailed')).toBeGreaterThan(recording.calls.lastIndexOf('setOutput'));
    expect(recording.calls.indexOf('setFailed')).toBeGreaterThan(recording.calls.indexOf('writeSummary'));
    expect(times(recording, 'setFailed')).toBe(1);
  });

  it('reads the key from RETAB_API_KEY and the base URL from RETAB_API_BASE_URL', async () => {
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_quick', api_key: '', base_url: '' }));
    await run({ io, env: { RETAB_API_KEY: sim.apiKey, RETAB_API_BASE_URL: sim.url } });
    expect(recording.secrets).toEqual([sim.apiKey]);
    expect(recording.outputs.passed).toBe('true');
  });

  it('rejects bad inputs before any request, and still writes outputs and a summary', async () => {
    const before = sim.requests.length;
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_quick', threshold: '85', timeout: 'forever' }));
    await run({ io, env: {} });
    expect(sim.requests.length).toBe(before);
    expect(recording.outputs).toMatchObject({ passed: 'false', status: 'input_error', run_id: 'exprun_quick' });
    expect(times(recording, 'setFailed')).toBe(1);
    expect(recording.failed).toContain('Input `threshold`: got "85"');
    expect(recording.failed).toContain('Input `timeout`: got "forever"');
    expect(recording.summary).toContain('invalid input');
  });

  it('masks the GitHub token with the key before anything else, even when the inputs are bad', async () => {
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_quick', threshold: 'high', github_token: ' ghs_secret_token ' }));
    await run({ io, env: {} });
    expect(recording.calls.slice(0, 2)).toEqual(['setSecret', 'setSecret']);
    expect(recording.secrets).toEqual([sim.apiKey, 'ghs_secret_token']);
    expect(recording.failed).toContain('Input `threshold`');
    expect(times(recording, 'writeSummary')).toBe(1);
    expect(`${recording.log()}\n${recording.summary}`).not.toContain('ghs_secret_token');
  });

  it('reports a malformed proxy variable like any failure: outputs, summary, then one setFailed', async () => {
    const before = sim.requests.length;
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_quick' }));
    await run({ io, env: { HTTPS_PROXY: 'not a proxy url' } });
    expect(sim.requests.length).toBe(before);
    expect(recording.outputs).toMatchObject({ passed: 'false', status: 'api_error', run_id: 'exprun_quick', threshold: '0.8' });
    expect(times(recording, 'writeSummary')).toBe(1);
    expect(times(recording, 'setFailed')).toBe(1);
    expect(recording.failed).toContain('could not set up the HTTP client');
    expect(recording.failed).toContain('HTTPS_PROXY');
    expect(recording.calls.indexOf('setFailed')).toBeGreaterThan(recording.calls.lastIndexOf('setOutput'));
    expect(recording.calls.indexOf('setFailed')).toBeGreaterThan(recording.calls.indexOf('writeSummary'));
  });

  it('reports a bug in the flow as internal_error, still with outputs, a summary and one setFailed', async () => {
    // One 503 makes the wait draw a jitter, and the jitter source is broken: an error nobody expects.
    sim.fault({ path: '/v1/workflows/experiments/runs/exprun_quick', status: 503, times: 1 });
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_quick' }));
    const random = () => {
      throw new TypeError('a bug in the flow');
    };
    await run({ io, env: {}, random });
    expect(recording.outputs).toMatchObject({ passed: 'false', status: 'internal_error', run_id: 'exprun_quick' });
    expect(recording.failed).toContain('unexpected error: a bug in the flow');
    expect(recording.summary).toContain('failed (unexpected error)');
    expect(times(recording, 'setFailed')).toBe(1);
    expect(recording.calls.indexOf('setFailed')).toBeGreaterThan(recording.calls.indexOf('writeSummary'));
  });

  it('fails, once, when the outputs cannot be written, even for a passing run', async () => {
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_quick' }));
    io.setOutput = () => {
      throw new Error('EACCES: permission denied, open GITHUB_OUTPUT');
    };
    const temp = await mkdtemp(join(tmpdir(), 'retab-gate-outputs-'));
    await run({ io, env: { RUNNER_TEMP: temp } });
    expect(times(recording, 'setFailed')).toBe(1);
    expect(recording.failed).toBe("could not write the step's outputs: EACCES: permission denied, open GITHUB_OUTPUT");
    // The JSON report is written all the same (an artifact upload can still pick it up).
    const [reportDir] = await readdir(temp);
    expect(JSON.parse(await readFile(join(temp, reportDir ?? '', 'retab-gate-report.json'), 'utf8')).passed).toBe(true);
    await rm(temp, { recursive: true, force: true });
    // The summary is still written: the reader learns what the run did, and why the step failed.
    expect(recording.summary).toContain('passed');
    expect(recording.calls.indexOf('setFailed')).toBeGreaterThan(recording.calls.indexOf('writeSummary'));
  });

  it('logs progress when something changes, not on every poll', async () => {
    sim.addRun({ id: 'exprun_steady', runningMs: 1_000, total: 2, final: { status: 'completed', score: 0.9 } });
    const { io, recording } = recordingIO(inputs({ run_id: 'exprun_steady' }));
    await run({ io, env: {} });
    const progress = recording.info.filter((line) => line.startsWith('Run exprun_steady:'));
    const polls = sim.runReads('exprun_steady').length;
    expect(polls).toBeGreaterThan(progress.length);
    expect(progress.at(-1)).toMatch(/^Run exprun_steady: completed, 2\/2 documents/);
  });
});

it('knows every input that action.yml declares', async () => {
  const { parse } = await import('yaml');
  const { readFile } = await import('node:fs/promises');
  const action = parse(await readFile(new URL('../action.yml', import.meta.url), 'utf8')) as { inputs: Record<string, unknown> };
  expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort());
});

it('writes exactly the outputs that action.yml declares', async () => {
  const { parse } = await import('yaml');
  const { readFile } = await import('node:fs/promises');
  const action = parse(await readFile(new URL('../action.yml', import.meta.url), 'utf8')) as { outputs: Record<string, unknown> };
  // `report_path` is written with the JSON report (github/artifacts.ts), `results` with `experiments` (many/outputs.ts), the others from the result.
  expect(Object.keys(action.outputs).sort()).toEqual([...OUTPUT_NAMES, 'report_path', 'results'].sort());
});
