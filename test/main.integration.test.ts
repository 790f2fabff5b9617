import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type ActionIO } from '../src/main.js';
import { INPUT_NAMES } from '../src/inputs.js';
import { OUTPUT_NAMES } from '../src/report/outputs.js';
import { startSimulator } from './simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** An ActionIO that records everything, so the flow can be read back. */
function recordingIO(inputs: Record<string, string>) {
  const record = { secrets: [] as string[], outputs: {} as Record<string, string>, logs: [] as string[], failed: [] as string[], summaries: [] as string[], order: [] as string[] };
  const io: ActionIO = {
    getInput: (name) => inputs[name] ?? '',
    setSecret: (secret) => {
      record.order.push('setSecret');
      record.secrets.push(secret);
    },
    setOutput: (name, value) => {
      record.order.push('setOutput');
      record.outputs[name] = value;
    },
    info: (message) => record.logs.push(message),
    debug: (message) => record.logs.push(`debug: ${message}`),
    warning: (message) => record.logs.push(`warning: ${message}`),
    setFailed: (message) => {
      record.order.push('setFailed');
      record.failed.push(message);
    },
    writeSummary: async (markdown) => {
      record.order.push('writeSummary');
      record.summaries.push(markdown);
    },
  };
  return { io, record };
}

describe('run() against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ runs: [{ id: 'exprun_quick', runningMs: 150, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
  });
  afterAll(() => sim.close());

  const inputs = (overrides: Record<string, string>) => ({ threshold: '0.8', max_errors: '0', timeout: '30s', poll_interval: '100ms', base_url: sim.url, api_key: sim.apiKey, ...overrides });

  it('masks the key first, then writes outputs and the summary, and does not fail a passing run', async () => {
    const { io, record } = recordingIO(inputs({ run_id: 'exprun_quick' }));
    await run({ io, env: {} });
    expect(record.order[0]).toBe('setSecret');
    expect(record.secrets).toEqual([sim.apiKey]);
    expect(record.outputs).toMatchObject({ passed: 'true', status: 'completed', score: '0.9', run_id: 'exprun_quick' });
    expect(Object.keys(record.outputs).sort()).toEqual(['completed_document_count', 'duration_ms', 'error_count', 'passed', 'prior_score', 'report_path', 'run', 'run_id', 'score', 'score_delta', 'status', 'threshold', 'total_document_count']);
    expect(record.summaries).toHaveLength(1);
    expect(record.failed).toEqual([]);
  });

  it('fails once, after the outputs and the summary', async () => {
    const { io, record } = recordingIO(inputs({ run_id: 'exprun_low' }));
    await run({ io, env: {} });
    expect(record.failed).toEqual(['score 0.62 is below the threshold 0.8']);
    expect(record.order.indexOf('setFailed')).toBeGreaterThan(record.order.lastIndexOf('setOutput'));
    expect(record.order.indexOf('setFailed')).toBeGreaterThan(record.order.indexOf('writeSummary'));
    expect(record.order.filter((step) => step === 'setFailed')).toHaveLength(1);
  });

  it('reads the key from RETAB_API_KEY and the base URL from RETAB_API_BASE_URL', async () => {
    const { io, record } = recordingIO(inputs({ run_id: 'exprun_quick', api_key: '', base_url: '' }));
    await run({ io, env: { RETAB_API_KEY: sim.apiKey, RETAB_API_BASE_URL: sim.url } });
    expect(record.secrets).toEqual([sim.apiKey]);
    expect(record.outputs.passed).toBe('true');
  });

  it('rejects bad inputs before any request, and still writes outputs and a summary', async () => {
    const before = sim.requests.length;
    const { io, record } = recordingIO(inputs({ run_id: 'exprun_quick', threshold: '85', timeout: 'forever' }));
    await run({ io, env: {} });
    expect(sim.requests.length).toBe(before);
    expect(record.outputs).toMatchObject({ passed: 'false', status: 'input_error', run_id: 'exprun_quick' });
    expect(record.failed).toHaveLength(1);
    expect(record.failed[0]).toContain('Input `threshold`: got "85"');
    expect(record.failed[0]).toContain('Input `timeout`: got "forever"');
    expect(record.summaries[0]).toContain('invalid input');
  });

  it('masks the GitHub token with the key before anything else, even when the inputs are bad', async () => {
    const { io, record } = recordingIO(inputs({ run_id: 'exprun_quick', threshold: 'high', github_token: ' ghs_secret_token ' }));
    await run({ io, env: {} });
    expect(record.order.slice(0, 2)).toEqual(['setSecret', 'setSecret']);
    expect(record.secrets).toEqual([sim.apiKey, 'ghs_secret_token']);
    expect(record.failed[0]).toContain('Input `threshold`');
    expect([...record.logs, ...record.failed, ...record.summaries].join('\n')).not.toContain('ghs_secret_token');
  });

  it('reports a malformed proxy variable like any failure: outputs, summary, then one setFailed', async () => {
    const before = sim.requests.length;
    const { io, record } = recordingIO(inputs({ run_id: 'exprun_quick' }));
    await run({ io, env: { HTTPS_PROXY: 'not a proxy url' } });
    expect(sim.requests.length).toBe(before);
    expect(record.outputs).toMatchObject({ passed: 'false', status: 'api_error', run_id: 'exprun_quick', threshold: '0.8' });
    expect(record.summaries).toHaveLength(1);
    expect(record.failed).toHaveLength(1);
    expect(record.failed[0]).toContain('could not set up the HTTP client');
    expect(record.failed[0]).toContain('HTTPS_PROXY');
    expect(record.order.indexOf('setFailed')).toBeGreaterThan(record.order.lastIndexOf('setOutput'));
    expect(record.order.indexOf('setFailed')).toBeGreaterThan(record.order.indexOf('writeSummary'));
  });

  it('logs progress when something changes, not on every poll', async () => {
    sim.addRun({ id: 'exprun_steady', runningMs: 1_000, total: 2, final: { status: 'completed', score: 0.9 } });
    const { io, record } = recordingIO(inputs({ run_id: 'exprun_steady' }));
    await run({ io, env: {} });
    const progress = record.logs.filter((line) => line.startsWith('Run exprun_steady:'));
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
  // `report_path` is written with the JSON report (report/artifacts.ts), the others from the result.
  expect(Object.keys(action.outputs).sort()).toEqual([...OUTPUT_NAMES, 'report_path'].sort());
});
