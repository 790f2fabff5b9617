/**
 * The key never shows: the built action, with debug logging on, on the success path and on every
 * kind of failure, including a server that echoes the key back. The only place the key may appear
 * is the `::add-mask::` command that tells the runner to hide it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

const KEY = 'rt_test_Zq9xLeakCanary0123456789';
const DEBUG_ENV = { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' };
const TOKEN = 'ghs_TokenLeakCanary0123456789abcdef';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({
    apiKey: KEY,
    runs: [{ id: 'exprun_leak', runningMs: 300, total: 3, final: { status: 'completed', score: 0.9, error_count: 0 } }],
  });
});
afterEach(async () => {
  await sim.close();
});

type Case = {
  name: string;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  key?: string;
  setup?: () => void;
  status: string;
};

const cases: Case[] = [
  { name: 'success', status: 'completed' },
  { name: 'success, key from RETAB_API_KEY', inputs: { api_key: '' }, env: { RETAB_API_KEY: KEY }, status: 'completed' },
  { name: 'HTTP 401 for a wrong key', key: 'rt_live_WrongKeyCanary987654321', status: 'api_error' },
  { name: 'HTTP 503 until the timeout', setup: () => sim.fault({ path: '/v1/', status: 503, times: Infinity }), inputs: { timeout: '2s' }, status: 'timed_out' },
  { name: 'run not found', inputs: { run_id: 'exprun_nope' }, status: 'not_found' },
  {
    name: 'a 400 whose body echoes the request headers',
    setup: () => sim.fault({ path: '/v1/', status: 400, body: JSON.stringify({ detail: `bad request; headers: authorization=Bearer ${KEY} api-key=${KEY}` }) }),
    status: 'api_error',
  },
  {
    name: 'a gateway HTML page echoing the key, then an answer',
    setup: () => sim.fault({ path: '/v1/', status: 502, headers: { 'content-type': 'text/html' }, body: `<html><body>502 for Bearer ${KEY}</body></html>` }),
    status: 'completed',
  },
  {
    name: 'a 200 that is not JSON and echoes the key',
    setup: () => sim.fault({ path: '/v1/', status: 200, body: `Api-Key: ${KEY}`, times: Infinity }),
    inputs: { timeout: '2s' },
    status: 'timed_out',
  },
  { name: 'a redirect to another origin', setup: () => sim.fault({ path: '/v1/', status: 302, headers: { location: `http://127.0.0.1:1/?key=${KEY}` } }), status: 'api_error' },
  {
    name: 'a 400 that sends the key back JSON-escaped (\\u0072t_test_…)',
    setup: () => sim.fault({ path: '/v1/', status: 400, headers: { 'content-type': 'application/json' }, body: `{"detail":"bad key \\u0072${KEY.slice(1)}"}` }),
    status: 'api_error',
  },
  {
    name: 'the key in x-request-id, quoted by the retry line',
    setup: () => sim.fault({ path: '/v1/', status: 503, headers: { 'x-request-id': KEY }, body: '{"detail":"busy"}' }),
    status: 'completed',
  },
  {
    name: 'the key in a field of a 200 body (the run error message)',
    setup: () =>
      sim.fault({ path: '/v1/', status: 200, times: Infinity, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'exprun_leak', lifecycle: { status: 'error', message: `refused Bearer ${KEY}` } }) }),
    status: 'error',
  },
  {
    name: 'the GitHub token in a field of a 200 body',
    inputs: { github_token: TOKEN },
    setup: () =>
      sim.fault({ path: '/v1/', status: 200, times: Infinity, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'exprun_leak', lifecycle: { status: 'error', message: `token ${TOKEN}` } }) }),
    status: 'error',
  },
  { name: 'bad inputs besides the key', inputs: { threshold: 'lots', timeout: 'forever' }, status: 'input_error' },
  { name: 'a key with a space in it', key: 'rt_test_Space Canary42', status: 'input_error' },
];

describe('with ACTIONS_STEP_DEBUG=true, the key appears only in ::add-mask::', () => {
  it.each(cases)('$name', async ({ inputs, env, key = KEY, setup, status }) => {
    setup?.();
    const result = await runAction({
      inputs: { run_id: 'exprun_leak', threshold: '0.8', api_key: key, base_url: sim.url, timeout: '20s', poll_interval: '100ms', ...inputs },
      env: { ...DEBUG_ENV, ...env },
    });
    expect(result.outputs.status).toBe(status);
    expect(result.summary.length).toBeGreaterThan(0);
    expect(result.stdout).toContain(`::add-mask::${key}`);
    if (status !== 'input_error') expect(result.stdout).toMatch(/::debug::GET \/v1\/workflows\/experiments\/runs\/\S+ -> /);

    const stdout = result.stdout
      .split('\n')
      .filter((line) => line !== `::add-mask::${key}` && line !== `::add-mask::${TOKEN}`)
      .join('\n');
    for (const [where, text] of Object.entries({ stdout, stderr: result.stderr, outputs: JSON.stringify(result.outputs), summary: result.summary })) {
      expect(text, where).not.toContain(key);
      // A key cut short for an excerpt is a leak too.
      expect(text, where).not.toContain(key.slice(0, 16));
      expect(text, where).not.toContain(TOKEN.slice(4, 16));
    }
    // Debug lines carry method, path, status, latency and request id: never headers.
    const debugLines = stdout.split('\n').filter((line) => line.startsWith('::debug::'));
    const requestLines = debugLines.filter((line) => /^::debug::[A-Z]+ \//.test(line));
    if (status !== 'input_error') expect(requestLines.length).toBeGreaterThan(0);
    for (const line of requestLines) expect(line).toMatch(/^::debug::(GET|POST) \/v1\/\S+ -> (\d{3}|no answer) in \d+ ms/);
    expect(debugLines.join('\n').toLowerCase()).not.toMatch(/authorization|api-key|bearer/);
  });
});

describe('with several experiments in one step, the key and the token appear only in ::add-mask::', () => {
  it('keeps them out of the log, the outputs (results included), the summary and the report when one experiment echoes them', async () => {
    // One of three runs answers with both secrets (the second JSON-escaped) in its error message.
    sim.fault({
      path: '/v1/workflows/experiments/runs/exprun_echo',
      status: 200,
      times: Infinity,
      headers: { 'content-type': 'application/json', 'x-request-id': `req ${KEY}` },
      body: `{"id":"exprun_echo","lifecycle":{"status":"error","message":"refused Bearer \\u0072${KEY.slice(1)} and ${TOKEN}"}}`,
    });
    const result = await runAction({
      inputs: {
        experiments: ['run:exprun_leak name=first', 'run:exprun_echo name=echo', 'run:exprun_pass threshold=0.5 name=third'].join('\n'),
        threshold: '0.8',
        api_key: KEY,
        github_token: TOKEN,
        base_url: sim.url,
        timeout: '20s',
        poll_interval: '100ms',
      },
      env: DEBUG_ENV,
    });
    expect(result.outputs.passed).toBe('false');
    const rows = JSON.parse(result.outputs.results ?? '[]') as Array<{ name: string; status: string }>;
    expect(rows.map((row) => [row.name, row.status])).toEqual([
      ['first', 'completed'],
      ['echo', 'error'],
      ['third', 'completed'],
    ]);
    expect(result.stdout).toContain(`::add-mask::${KEY}`);
    expect(result.report).not.toBeNull();
    const stdout = result.stdout
      .split('\n')
      .filter((line) => line !== `::add-mask::${KEY}` && line !== `::add-mask::${TOKEN}`)
      .join('\n');
    for (const [where, text] of Object.entries({ stdout, stderr: result.stderr, outputs: JSON.stringify(result.outputs), summary: result.summary, report: result.report ?? '' })) {
      expect(text, where).not.toContain(KEY.slice(0, 16));
      expect(text, where).not.toContain(KEY.slice(8));
      expect(text, where).not.toContain(TOKEN.slice(4, 16));
    }
    // The message itself still reaches the reader, with the secrets starred.
    expect(result.summary).toContain('refused Bearer');
  });
});
