/**
 * Fault injection: the whole action (`run()`) against the Retab simulator told to misbehave. Each
 * test asserts the outcome, how many requests were made (and their spacing where it matters), and
 * that the outputs and the summary were written. Timings are real but short: the backoff and the
 * per-request timeout are injected, never mocked.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, type Dependencies } from '../src/main.js';
import { httpTransport, undiciTransport } from '../src/retab/transport.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { recordingIO } from './support/recording-io.js';
import { simulatorInputs } from './support/simulator-inputs.js';
import { freePort } from './support/free-port.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

const QUICK_RUN = 'exprun_quick';
/** Backoff ceilings of 100, 200, 400 ms; `random` near 1 makes each delay close to its ceiling. */
const BACKOFF = { baseMs: 100, capMs: 400 };
const RANDOM = () => 0.95;

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ runs: [{ id: QUICK_RUN, runningMs: 0, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
});
afterEach(async () => {
  await sim.close();
});

async function gate(inputs: Record<string, string> = {}, deps: Partial<Dependencies> = {}) {
  const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: QUICK_RUN, ...inputs }));
  const started = Date.now();
  await run({ io, env: {}, random: RANDOM, backoff: BACKOFF, requestTimeoutMs: 2_000, ...deps });
  return { ...recording, elapsedMs: Date.now() - started, reads: sim.runReads(inputs.run_id ?? QUICK_RUN) };
}

type Result = Awaited<ReturnType<typeof gate>>;

function expectReported(result: Result, status: string, passed: boolean) {
  expect(result.outputs.status).toBe(status);
  expect(result.outputs.passed).toBe(String(passed));
  expect(result.outputs.run_id).toBe(QUICK_RUN);
  expect(result.summary).toContain(passed ? 'passed' : 'failed');
  if (passed) expect(result.failed).toBeNull();
  else expect(result.failed).toBeTruthy();
}

function gaps(reads: { at: number }[]): number[] {
  return reads.slice(1).map((read, i) => read.at - (reads[i]?.at ?? 0));
}

/** The retry log lines, one per failed attempt. */
function retries(result: Result): string[] {
  return result.info.filter((line) => line.startsWith('Attempt '));
}

describe('transient HTTP statuses are retried with backoff, then the run is read', () => {
  it.each([408, 429, 500, 502, 503, 504])('HTTP %i twice, then an answer', async (status) => {
    sim.fault({ path: '/v1/', status, times: 2, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ detail: `simulated ${status}` }) });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads.map((read) => read.status)).toEqual([status, status, 200]);
    // Full jitter with random 0.95: about 95 ms, then 190 ms; never the 100 ms poll interval's rhythm alone.
    const [first, second] = gaps(result.reads);
    expect(first).toBeGreaterThanOrEqual(80);
    expect(second).toBeGreaterThanOrEqual(170);
    expect(retries(result)).toHaveLength(2);
    expect(retries(result)[0]).toContain(`HTTP ${status}`);
    expect(retries(result)[0]).toContain('request id req_sim_1');
  });

  it('keeps retrying a 503 until the overall timeout, then says what failed last', async () => {
    sim.fault({ path: '/v1/', status: 503, times: Infinity, body: '{"detail":"Service Unavailable"}' });
    const result = await gate({ timeout: '2s' });
    expectReported(result, 'timed_out', false);
    expect(result.reads.length).toBeGreaterThanOrEqual(3);
    expect(result.reads.every((read) => read.status === 503)).toBe(true);
    expect(result.failed).toMatch(/did not finish within the timeout of 2s; the last attempt failed: Retab answered HTTP 503 .*request id req_sim_\d+/);
  });
});

describe('Retry-After', () => {
  it('429 with Retry-After in seconds waits that long instead of the backoff', async () => {
    sim.fault({ path: '/v1/', status: 429, headers: { 'retry-after': '1' }, body: '{"detail":"Rate limit exceeded. Please try again later."}' });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads.map((read) => read.status)).toEqual([429, 200]);
    expect(gaps(result.reads)[0]).toBeGreaterThanOrEqual(950);
    expect(retries(result)[0]).toContain('retrying in 1s');
    expect(retries(result)[0]).toContain('Retab is rate limiting this key');
  });

  it('429 with Retry-After as an HTTP date waits until then', async () => {
    // HTTP dates have whole seconds: 3 s ahead is at least 2 s once truncated.
    sim.fault({ path: '/v1/', status: 429, headers: { 'retry-after': new Date(Date.now() + 3_000).toUTCString() } });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads.map((read) => read.status)).toEqual([429, 200]);
    expect(gaps(result.reads)[0]).toBeGreaterThanOrEqual(1_950);
  });

  it('429 without Retry-After falls back to the jittered backoff', async () => {
    sim.fault({ path: '/v1/', status: 429, times: 3 });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads.map((read) => read.status)).toEqual([429, 429, 429, 200]);
    const spacing = gaps(result.reads);
    expect(spacing[2]).toBeGreaterThanOrEqual(350);
    expect(spacing[2]).toBeLessThan(950);
  });

  it('a Retry-After longer than the time left is cut to the time left', async () => {
    sim.fault({ path: '/v1/', status: 429, times: Infinity, headers: { 'retry-after': '600' } });
    const result = await gate({ timeout: '2s' });
    expectReported(result, 'timed_out', false);
    // One read at the start, one last read at the deadline, none in between.
    expect(result.reads).toHaveLength(2);
    expect(gaps(result.reads)[0]).toBeGreaterThanOrEqual(1_900);
    expect(result.elapsedMs).toBeLessThan(30_000);
  });
});

describe('no tight loops: every retry waits at least the backoff floor (50 ms here), whatever Retry-After says', () => {
  const tiny = { status: 429, times: Infinity, headers: { 'retry-after': '0.001' }, body: '{"detail":"Rate limit exceeded. Please try again later."}' };

  it('the wait: 429 "Retry-After: 0.001" on every read', async () => {
    sim.fault({ path: '/v1/workflows/experiments/runs/', ...tiny });
    const result = await gate({ timeout: '2s' });
    expectReported(result, 'timed_out', false);
    // 2 s at one read per 50 ms at the most; without the floor, thousands.
    expect(result.reads.length).toBeLessThanOrEqual(45);
    expect(Math.min(...gaps(result.reads).slice(0, -1))).toBeGreaterThanOrEqual(45);
  });

  it('the start: 429 "Retry-After: 0.001" on every request', async () => {
    sim.fault({ path: '/v1/', ...tiny });
    const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: '', experiment_id: 'exp_pass', timeout: '2s' }));
    await run({ io, env: {}, random: () => 0, backoff: BACKOFF, requestTimeoutMs: 2_000 });
    expect(recording.outputs.passed).toBe('false');
    expect(sim.requests.length).toBeLessThanOrEqual(90);
  });

  it('the details reads: 429 "Retry-After: 0.001" on the metrics and the results', async () => {
    sim.fault({ path: '/v1/workflows/experiments/metrics', ...tiny });
    sim.fault({ path: '/v1/workflows/experiments/results', ...tiny });
    const result = await gate();
    expectReported(result, 'completed', true);
    const detailReads = sim.requests.filter((r) => /\/(metrics|results)\?/.test(r.path));
    // Two retries each, each at least the details' floor (250 ms) after the last.
    expect(detailReads).toHaveLength(6);
    for (const path of ['/metrics?', '/results?']) {
      const reads = detailReads.filter((r) => r.path.includes(path));
      expect(Math.min(...gaps(reads))).toBeGreaterThanOrEqual(240);
    }
  });
});

describe("the real API's shapes and quirks, as Retab's SDK reads them", () => {
  /** The gate on one of the simulator's built-in scenarios. */
  async function scenario(runId: string, inputs: Record<string, string> = {}) {
    const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: runId, ...inputs }));
    await run({ io, env: {}, random: RANDOM, backoff: BACKOFF, requestTimeoutMs: 2_000 });
    return recording;
  }
  const report = async (recording: { outputs: Record<string, string> }) => JSON.parse(await readFile(recording.outputs.report_path ?? '', 'utf8'));

  it('a body with a UTF-8 byte order mark is read, not retried to the timeout', async () => {
    const result = await scenario('exprun_bom', { max_errors: '1' });
    expect(result.outputs).toMatchObject({ status: 'completed', passed: 'true', score: '0.87', error_count: '1' });
    expect(result.warnings).toEqual([]);
    expect(sim.runReads('exprun_bom').every((read) => read.status === 200)).toBe(true);
    expect(result.info.filter((line) => line.startsWith('Attempt '))).toEqual([]);
  });

  it('result pages hold at most 100, which a server validating 1–100 accepts: every errored document is counted', async () => {
    const result = await scenario('exprun_manypages', { max_errors: '5' });
    expect(result.outputs.passed).toBe('true');
    expect(result.warnings).toEqual([]);
    const pages = sim.requests.filter((r) => r.path.startsWith('/v1/workflows/experiments/results'));
    expect(pages.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(pages.every((r) => r.path.includes('limit=100'))).toBe(true);
    expect(result.summary).toContain('Errored documents (5 of 250)');
  });

  it('the metrics are asked for with include_prior=true, as the SDK does', async () => {
    await scenario('exprun_pass');
    const metrics = sim.requests.filter((r) => r.path.startsWith('/v1/workflows/experiments/metrics'));
    // One summary, then the field-by-field reads (view=by_target): every one asks for the prior.
    expect(metrics.filter((r) => r.path.includes('view=summary'))).toHaveLength(1);
    for (const request of metrics) expect(new URL(request.path, 'http://x').searchParams.get('include_prior')).toBe('true');
  });

  it('stale_metrics in a 200 is read as such, its last run named in the warning and the summary', async () => {
    const result = await scenario('exprun_stale_lastrun');
    expect(result.outputs.passed).toBe('true');
    expect(result.warnings).toEqual([expect.stringContaining('has stale metrics')]);
    expect(result.warnings[0]).toContain('last computed for run exprun_last (score 0.83, 2026-05-01T09:30:00Z)');
    expect(result.summary).toContain('exprun\\_last');
  });

  it('no_metrics in a 200 is read as such', async () => {
    const result = await scenario('exprun_nometrics');
    expect(result.outputs.passed).toBe('true');
    expect(result.warnings).toEqual([expect.stringContaining('has no metrics yet')]);
  });

  it("the error lifecycle's error_code and block_name are in the failure and the summary; the stack trace only in the debug log", async () => {
    const result = await scenario('exprun_failed');
    expect(result.outputs.status).toBe('error');
    expect(result.failed).toContain('(error code BLOCK_FAILED, in block Extract invoice)');
    expect(result.summary).toContain('BLOCK\\_FAILED');
    expect(result.summary).toContain('in block Extract invoice');
    expect(result.debug.join('\n')).toContain('Traceback (most recent call last)');
    for (const text of [result.failed, result.summary, result.info.join('\n'), result.warnings.join('\n'), result.outputs.run]) expect(text).not.toContain('Traceback');
    expect(JSON.stringify(await report(result))).not.toContain('Traceback');
  });

  it('a score within floating-point noise of [0, 1] is clamped, in the run and in the metrics', async () => {
    const high = await scenario('exprun_noise_high');
    expect(high.outputs).toMatchObject({ status: 'completed', passed: 'true', score: '1' });
    expect(high.warnings).toEqual([]);
    const low = await scenario('exprun_noise_low', { threshold: '0' });
    expect(low.outputs).toMatchObject({ status: 'completed', passed: 'true', score: '0' });
  });

  it('a clearly invalid score is refused, naming the field', async () => {
    const result = await scenario('exprun_badscore', { timeout: '2s' });
    expect(result.outputs.status).toBe('api_error');
    expect(result.failed).toContain('score: expected a score from 0 to 1');
  });

  it("a Python server's bare NaN where a score should be fails at once, not retried as a gateway page", async () => {
    sim.fault({ path: `/v1/workflows/experiments/runs/${QUICK_RUN}`, status: 200, times: Infinity, body: `{"id":"${QUICK_RUN}","lifecycle":{"status":"completed"},"score":NaN,"error_count":0}` });
    const result = await gate({ timeout: '5s' });
    expectReported(result, 'api_error', false);
    expect(result.reads).toHaveLength(1);
    expect(result.failed).toContain('holds NaN or Infinity where a number should be');
  });

  it('a trailing /v1 on base_url is trimmed with a warning, and the run is found', async () => {
    const result = await scenario('exprun_pass', { base_url: `${sim.url}/v1` });
    expect(result.outputs).toMatchObject({ status: 'completed', passed: 'true' });
    expect(result.warnings).toEqual([expect.stringContaining('ends with a version segment')]);
    expect(sim.requests.some((r) => r.path.startsWith('/v1/v1/'))).toBe(false);
  });
});

describe('unknown is not zero: a completed run without error_count', () => {
  it.each(['exprun_noerrorcount', 'exprun_nullerrorcount'])('%s, with 7 errored documents in the results, fails max_errors: 0 with 7', async (runId) => {
    const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: runId }));
    await run({ io, env: {}, random: RANDOM, backoff: BACKOFF, requestTimeoutMs: 2_000 });
    expect(recording.outputs).toMatchObject({ status: 'completed', passed: 'false', error_count: '7' });
    expect(recording.failed).toContain('7 errors occurred (counted in the per-document results');
    expect(recording.summary).toContain('| Errors | 7 (counted in the per-document results) | ≤ 0 ❌ |');
    expect(recording.summary).not.toContain('≤ 0 ✅');
  });

  it('passes when the results count no errored document', async () => {
    const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: 'exprun_cleannull' }));
    await run({ io, env: {}, random: RANDOM, backoff: BACKOFF, requestTimeoutMs: 2_000 });
    expect(recording.outputs).toMatchObject({ passed: 'true', error_count: '0' });
  });

  it('when the results cannot be read either, max_errors fails saying why, whatever it allows', async () => {
    sim.fault({ path: '/v1/workflows/experiments/results', status: 403, times: Infinity, body: '{"detail":"Forbidden"}' });
    const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: 'exprun_noerrorcount', max_errors: '100' }));
    await run({ io, env: {}, random: RANDOM, backoff: BACKOFF, requestTimeoutMs: 2_000 });
    expect(recording.outputs).toMatchObject({ status: 'completed', passed: 'false', error_count: '' });
    expect(recording.failed).toContain('the number of errors is unknown');
    expect(recording.failed).toContain('HTTP 403');
    expect(recording.summary).toContain('| Errors | unknown | ≤ 100 ❌ |');
    expect(recording.summary).not.toMatch(/Errors \| 0/);
  });
});

describe('connection failures are retried', () => {
  it('connection refused: retried until the simulator comes up on that port', async () => {
    const port = await freePort();
    const result = await (async () => {
      const late = new Promise<Simulator>((resolve) => setTimeout(() => resolve(startSimulator({ port, runs: [{ id: QUICK_RUN, total: 1, final: { status: 'completed', score: 0.9 } }] })), 600));
      try {
        return await gate({ base_url: `http://127.0.0.1:${port}` });
      } finally {
        await (await late).close();
      }
    })();
    expectReported(result, 'completed', true);
    expect(retries(result).length).toBeGreaterThanOrEqual(2);
    expect(retries(result)[0]).toContain('ECONNREFUSED');
  });

  it('connection refused for good: times out and names the error', async () => {
    const port = await freePort();
    const result = await gate({ base_url: `http://127.0.0.1:${port}`, timeout: '1s' });
    expectReported(result, 'timed_out', false);
    expect(retries(result).length).toBeGreaterThanOrEqual(2);
    expect(result.failed).toContain(`Could not reach Retab at http://127.0.0.1:${port}`);
    expect(result.failed).toContain('ECONNREFUSED');
  });

  it.each([
    ['reset', 'connection reset'],
    ['close', 'socket hang-up'],
  ] as const)('%s (%s) twice, then an answer', async (action, _what) => {
    sim.fault({ path: '/v1/', action, times: 2 });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads.map((read) => read.status)).toEqual([0, 0, 200]);
    expect(retries(result)[0]).toMatch(/Could not reach Retab .*\((ECONNRESET|UND_ERR_SOCKET)\)/);
  });

  it('DNS hiccups (EAI_AGAIN) are retried; the name then resolves', async () => {
    let lookups = 0;
    const lookup: LookupFunction = (hostname, options, callback) => {
      lookups += 1;
      if (lookups <= 2) return callback(Object.assign(new Error(`getaddrinfo EAI_AGAIN ${hostname}`), { code: 'EAI_AGAIN' }), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
      return callback(null, '127.0.0.1', 4);
    };
    const result = await gate({ base_url: `http://localhost:${sim.port}` }, { transport: httpTransport({ lookup }) });
    expectReported(result, 'completed', true);
    // Two failed look-ups, then the name resolves (later reads of the report may look it up again).
    expect(lookups).toBeGreaterThanOrEqual(3);
    expect(result.reads).toHaveLength(1);
    expect(retries(result)).toHaveLength(2);
    expect(retries(result)[0]).toContain('EAI_AGAIN');
  });

  it('a name that never resolves (ENOTFOUND) is retried until the timeout', async () => {
    const lookup: LookupFunction = (hostname, _options, callback) => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
    const result = await gate({ base_url: `http://localhost:${sim.port}`, timeout: '1s' }, { transport: httpTransport({ lookup }) });
    expectReported(result, 'timed_out', false);
    expect(sim.requests).toHaveLength(0);
    expect(result.failed).toContain('ENOTFOUND');
  });
});

describe('unusable bodies', () => {
  it('a truncated body is retried', async () => {
    sim.fault({ path: '/v1/', action: 'truncate', times: 2 });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads.map((read) => read.status)).toEqual([200, 200, 200]);
    expect(retries(result)[0]).toMatch(/Retab's answer to GET .* \(HTTP 200, request id req_sim_1\) was cut off/);
  });

  it('a 200 that is not JSON is retried', async () => {
    sim.fault({ path: '/v1/', status: 200, body: 'OK', times: 2 });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads).toHaveLength(3);
    expect(retries(result)[0]).toContain('is not JSON: OK');
  });

  it.each([502, 200])('a gateway HTML page (HTTP %i) is retried', async (status) => {
    const page = '<html>\n<head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>\n</html>';
    sim.fault({ path: '/v1/', status, headers: { 'content-type': 'text/html' }, body: page, times: 2 });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads).toHaveLength(3);
    expect(retries(result)[0]).toContain('502 Bad Gateway');
    expect(retries(result)[0]).not.toContain('\n');
  });

  it('a body over the cap (declared length) is refused at once', async () => {
    sim.fault({ path: '/v1/', status: 200, body: 'x'.repeat(5 * 1024 * 1024) });
    const result = await gate();
    expectReported(result, 'api_error', false);
    expect(result.reads).toHaveLength(1);
    expect(result.failed).toContain('is larger than the 4194304 bytes this action accepts');
    expect(result.failed).toContain('request id req_sim_1');
  });

  it('a streamed body over the cap is refused without being read whole', async () => {
    const total = 256 * 1024 * 1024;
    sim.fault({ path: '/v1/', status: 200, streamBytes: total });
    const result = await gate();
    expectReported(result, 'api_error', false);
    expect(result.reads).toHaveLength(1);
    expect(result.failed).toContain('is larger than the 4194304 bytes');
    // The client stopped reading shortly after the cap: the server could not push the rest.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(result.reads[0]?.bytesSent).toBeLessThan(total / 4);
  });
});

describe('one hung request cannot eat the budget', () => {
  it('a request that never answers is cut by its own timeout and retried', async () => {
    sim.fault({ path: '/v1/', action: 'hang' });
    const result = await gate({ timeout: '20s' }, { requestTimeoutMs: 500 });
    expectReported(result, 'completed', true);
    expect(result.reads).toHaveLength(2);
    expect(gaps(result.reads)[0]).toBeGreaterThanOrEqual(450);
    expect(retries(result)[0]).toContain('did not answer GET /v1/workflows/experiments/runs/exprun_quick within 500 ms');
  });

  it('a request that hangs past the overall timeout ends the wait at the deadline', async () => {
    sim.fault({ path: '/v1/', action: 'hang', times: Infinity });
    const result = await gate({ timeout: '1s' }, { requestTimeoutMs: 60_000 });
    expectReported(result, 'timed_out', false);
    expect(result.elapsedMs).toBeLessThan(15_000);
  });
});

describe('redirects are not followed, and the key stays with base_url', () => {
  let other: Server;
  let otherRequests: { url: string | undefined; headers: Record<string, unknown> }[];
  beforeEach(async () => {
    otherRequests = [];
    other = createServer((req, res) => {
      otherRequests.push({ url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => other.close(resolve));
  });

  it.each([301, 302, 307, 308])('HTTP %i to another origin fails at once; the other origin gets nothing', async (status) => {
    const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}/v1/workflows/experiments/runs/${QUICK_RUN}`;
    sim.fault({ path: '/v1/', status, headers: { location: target } });
    const result = await gate();
    expectReported(result, 'api_error', false);
    expect(result.reads).toHaveLength(1);
    expect(otherRequests).toHaveLength(0);
    expect(result.failed).toContain(`HTTP ${status}`);
    expect(result.failed).toContain('does not follow redirects');
  });
});

describe('errors that retrying cannot fix fail at once', () => {
  it.each([
    [400, '{"detail":"Invalid run id"}', 'Check `run_id`'],
    [403, '{"detail":"Forbidden"}', 'Check the key in `api_key` or RETAB_API_KEY'],
    [422, '{"detail":[{"loc":["path","run_id"],"msg":"string too long","type":"value_error"}]}', 'path.run_id: string too long'],
  ])('HTTP %i: one request, api_error, a hint', async (status, body, hint) => {
    sim.fault({ path: '/v1/', status, body, headers: { 'content-type': 'application/json' } });
    const result = await gate();
    expectReported(result, 'api_error', false);
    expect(result.reads).toHaveLength(1);
    expect(result.failed).toContain(`HTTP ${status}`);
    expect(result.failed).toContain('request id req_sim_1');
    expect(result.failed).toContain(hint);
  });

  it('HTTP 401 for a wrong key: one request; the hint names the inputs and the key environment', async () => {
    const result = await gate({ api_key: 'rt_live_not_the_right_one' });
    expectReported(result, 'api_error', false);
    expect(result.reads).toHaveLength(1);
    expect(result.failed).toContain('HTTP 401');
    expect(result.failed).toContain('request id req_sim_1');
    expect(result.failed).toContain('Check the key in `api_key` or RETAB_API_KEY, and that it belongs to the environment (test or live) that owns the run (it looks like a live key)');
    expect(result.failed).not.toContain('rt_live_not_the_right_one');
  });
});

describe('404', () => {
  it('a missing run is read three times, then "run <id> not found"', async () => {
    const result = await gate({ run_id: 'exprun_missing' });
    expect(result.outputs.status).toBe('not_found');
    expect(result.outputs.passed).toBe('false');
    expect(result.outputs.run_id).toBe('exprun_missing');
    expect(result.summary).toContain('run not found');
    expect(result.reads).toHaveLength(3);
    expect(result.failed).toContain('run exprun_missing not found');
    expect(result.failed).toContain('HTTP 404');
    expect(result.failed).toContain('request id req_sim_3');
  });

  it('a run that appears after two 404s (a new run can lag) is read', async () => {
    sim.fault({ path: '/v1/', status: 404, times: 2, body: `{"detail":"Experiment run not found: ${QUICK_RUN}"}` });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads.map((read) => read.status)).toEqual([404, 404, 200]);
  });
});

describe('an answer about another run, or with an id or status that cannot be one, is malformed', () => {
  const otherRun = (id: string, status = 'completed') =>
    JSON.stringify({ id, lifecycle: { status }, score: 0.95, error_count: 0, total_document_count: 4, completed_document_count: 4 });

  it('GET …/runs/r1 answering for r2 once: asked again, and r1 is what is gated', async () => {
    sim.fault({ path: `/v1/workflows/experiments/runs/${QUICK_RUN}`, status: 200, body: otherRun('exprun_other') });
    const result = await gate();
    expectReported(result, 'completed', true);
    expect(result.reads.map((read) => read.status)).toEqual([200, 200]);
    expect(retries(result)[0]).toContain('describes run exprun_other, not run exprun_quick');
    expect(result.outputs.score).toBe('0.9');
  });

  it('three such answers in a row: api_error after three reads, long before the timeout', async () => {
    sim.fault({ path: `/v1/workflows/experiments/runs/${QUICK_RUN}`, status: 200, body: otherRun('exprun_other'), times: Infinity });
    const result = await gate({ timeout: '10s' });
    expectReported(result, 'api_error', false);
    expect(result.reads).toHaveLength(3);
    expect(result.elapsedMs).toBeLessThan(3_000);
    expect(result.failed).toContain('could not read run exprun_quick');
    expect(result.failed).toContain('describes run exprun_other, not run exprun_quick');
  });

  it('a status that is not a lifecycle status is malformed too, and never reaches the log', async () => {
    sim.fault({ path: `/v1/workflows/experiments/runs/${QUICK_RUN}`, status: 200, body: otherRun(QUICK_RUN, 'running\n::error::forged'), times: Infinity });
    const result = await gate();
    expectReported(result, 'api_error', false);
    expect(result.reads).toHaveLength(3);
    expect(result.failed).toContain('gives a status that is not a lifecycle status');
    expect(result.log()).not.toContain('forged');
  });

  it('a cancel answer for another run is asked again, then reported as not cancelled', async () => {
    sim.fault({ path: /\/cancel$/, method: 'POST', status: 200, body: JSON.stringify({ id: 'exprun_other', lifecycle: { status: 'cancelled' } }), times: Infinity });
    const { io, recording } = recordingIO(simulatorInputs(sim, { experiment_id: 'exp_forever', timeout: '3s' }));
    await run({ io, env: {}, random: RANDOM, backoff: BACKOFF, requestTimeoutMs: 2_000 });
    expect(recording.outputs.status).toBe('timed_out');
    expect(sim.cancelRequests()).toHaveLength(3);
    expect(recording.summary).toContain('Could not cancel run exprun\\_started\\_1');
    expect(recording.warnings.join('\n')).toContain('describes run exprun_other, not run exprun_started_1');
  });
});


describe('the regression gate compares like with like, and fails on request when it cannot compare', () => {
  /** A metrics summary whose own score (over the documents with a result) is not the run's score. */
  const summary = (score: number, prior: number) =>
    JSON.stringify({
      kind: 'summary', run_id: QUICK_RUN, score, prior_score: prior, prior_run_id: 'exprun_1', scored_document_count: 2, total_document_count: 4,
      documents: [{ id: 'd1', score, prior_score: prior }, { id: 'd2', score, prior_score: prior }, { id: 'd3', score: null, prior_score: null }],
    });
  const metricsAnswer = (body: string) => sim.fault({ path: '/v1/workflows/experiments/metrics', status: 200, headers: { 'content-type': 'application/json' }, body });

  it("never subtracts the summary's prior score from the run's own score", async () => {
    // The run's 0.9 against the prior 0.86 would pass; the same measure fell 0.06 (0.8 against 0.86).
    metricsAnswer(summary(0.8, 0.86));
    const fell = await gate({ max_score_drop: '0.02' });
    expectReported(fell, 'completed', false);
    expect(fell.outputs).toMatchObject({ score: '0.9', prior_score: '0.86', score_delta: '-0.06' });
    // And the other way: the run's 0.9 against the prior 0.95 would fail; the same measure held (0.94 against 0.95).
    metricsAnswer(summary(0.94, 0.95));
    const held = await gate({ max_score_drop: '0.02' });
    expectReported(held, 'completed', true);
    expect(held.outputs.score_delta).toBe('-0.01');
  });

  it.each([
    ['stale metrics', { status: 409, body: JSON.stringify({ kind: 'stale_metrics', error: 'stale_metrics', stale_reasons: ['documents_changed'], message: 'stale' }) }],
    ['no prior run', { status: 200, body: JSON.stringify({ kind: 'summary', score: 0.9, prior_score: null, documents: [] }) }],
    ['a failed read', { status: 401, body: JSON.stringify({ detail: 'Invalid API key' }) }],
  ])('%s: a warning by default, a failure with on_missing_comparison: fail', async (_name, answer) => {
    const fault = { path: '/v1/workflows/experiments/metrics', headers: { 'content-type': 'application/json' }, ...answer };
    sim.fault(fault);
    expectReported(await gate({ max_score_drop: '0.02' }), 'completed', true);
    sim.fault(fault);
    const strict = await gate({ max_score_drop: '0.02', on_missing_comparison: 'fail' });
    expectReported(strict, 'completed', false);
    expect(strict.failed).toMatch(/the regression gate \(`max_score_drop`\) was not applied: .*\(`on_missing_comparison: fail`\)/);
  });
});

describe('a password in a proxy variable is a secret too', () => {
  it('is masked, and taken out of a message that names the proxy', async () => {
    const proxy = 'http://ci:Pr0xy%40Secret@proxy.internal:3128';
    /** A dispatcher that fails the way a proxy refusing the tunnel could be reported, naming the proxy in full. */
    class NamingProxy extends Agent {
      override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        const error = Object.assign(new Error(`proxy ${proxy} (user ci, password Pr0xy@Secret) refused CONNECT`), { code: undefined });
        queueMicrotask(() => handler.onError?.(error));
        return true;
      }
    }
    const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: QUICK_RUN, timeout: '1s' }));
    await run({ io, env: { HTTPS_PROXY: proxy }, transport: undiciTransport(new NamingProxy()), random: RANDOM, backoff: BACKOFF, requestTimeoutMs: 2_000 });
    expect(recording.outputs.status).toBe('timed_out');
    expect(recording.secrets).toEqual(expect.arrayContaining(['Pr0xy%40Secret', 'Pr0xy@Secret']));
    const everything = [recording.log(), recording.summary ?? '', JSON.stringify(recording.outputs)].join('\n');
    expect(everything).toContain('refused CONNECT');
    expect(everything).not.toContain('Pr0xy');
  });
});
