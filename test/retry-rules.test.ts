/** The pure retry rules: Retry-After reading, full-jitter backoff, which errors are worth another try. */
import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffFloor } from '../src/common/backoff.js';
import { fixedSchedule } from '../src/wait/poll-schedule.js';
import { readRunDetails } from '../src/details/run-details.js';
import { waitForRun } from '../src/wait/wait.js';
import { makeRun } from './support/runs.js';
import { virtualClock } from './support/virtual-clock.js';
import { RetabApiError, RetabConnectionError, RetabResponseError, RetabTimeoutError } from '../src/retab/errors.js';
import { parseRetryAfter } from '../src/retab/retry-after.js';

const NOW = Date.parse('2026-05-02T11:00:00Z');
const request = { method: 'GET', path: '/v1/workflows/experiments/runs/exprun_1' };

describe('Retry-After', () => {
  it.each([
    ['1', 1_000],
    ['2.5', 2_500],
    [' 30 ', 30_000],
    ['600', 600_000],
    ['Sat, 02 May 2026 11:00:05 GMT', 5_000],
    ['0', null], // an immediate-retry loop helps nobody: the backoff applies
    ['-1', null],
    ['601', null], // absurdly long: ignored, the backoff applies
    ['Sat, 02 May 2026 10:59:00 GMT', null], // in the past
    ['soon', null],
    ['1e3', null],
    ['NaN', null],
    ['Infinity', null],
    ['', null],
    [null, null],
  ])('%j -> %s ms', (header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });
});

describe('full-jitter backoff', () => {
  const options = { baseMs: 1_000, capMs: 30_000 };
  it('spreads each delay over [floor, min(cap, base * 2^(attempt-1)))', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, 0.999_999, null, options))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(backoffDelay(3, 0.5, null, options)).toBe(2_000);
  });
  it('Retry-After wins over the backoff', () => {
    expect(backoffDelay(1, 0.5, 7_000, options)).toBe(7_000);
  });
});

describe('the backoff floor: no retry is immediate', () => {
  const options = { baseMs: 1_000, capMs: 30_000 };
  it('is half the base unless set', () => {
    expect(backoffFloor(options)).toBe(500);
    expect(backoffFloor({ ...options, floorMs: 200 })).toBe(200);
  });
  it('a jitter that rolls zero still waits the floor', () => {
    expect(backoffDelay(1, 0, null, options)).toBe(500);
    expect(backoffDelay(3, 0, null, options)).toBe(500);
  });
  it.each([1, 0, 499])('a Retry-After of %i ms waits the floor instead', (retryAfterMs) => {
    expect(backoffDelay(1, 0.9, retryAfterMs, options)).toBe(500);
  });

  it('the wait: a server answering 429 "Retry-After: 0.001" forever is read at most once per floor', async () => {
    const clock = virtualClock();
    const retryAfterMs = parseRetryAfter('0.001', NOW);
    let calls = 0;
    const outcome = await waitForRun({
      fetchRun: async () => {
        calls += 1;
        throw new RetabApiError(429, 'req_1', 'Rate limit exceeded', request, retryAfterMs, '');
      },
      timeoutMs: 10_000,
      schedule: fixedSchedule(1_000),
      signal: new AbortController().signal,
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0,
      backoff: options,
    });
    expect(outcome.kind).toBe('timed_out');
    expect(Math.min(...clock.sleeps)).toBeGreaterThanOrEqual(500);
    expect(calls).toBeLessThanOrEqual(21);
  });

  it('the details reads: each retry waits at least the floor too', async () => {
    const clock = virtualClock();
    const rateLimited = () => new RetabApiError(429, 'req_1', 'Rate limit exceeded', request, 1, '');
    const client = {
      getMetricsSummary: async () => {
        throw rateLimited();
      },
      getResultsPage: async () => {
        throw rateLimited();
      },
      getTargetMetrics: async () => {
        throw rateLimited();
      },
    };
    await readRunDetails(client, { runId: makeRun().id, baselineRunId: null, signal: new AbortController().signal, sleep: clock.sleep, random: () => 0, retries: 3 });
    expect(clock.sleeps).toHaveLength(6);
    expect(Math.min(...clock.sleeps)).toBeGreaterThanOrEqual(250);
  });
});

describe('what is retried', () => {
  it.each([408, 429, 500, 502, 503, 504])('HTTP %i is retried', (status) => {
    expect(new RetabApiError(status, 'req_1', 'x', request, null, '').retryable).toBe(true);
  });
  it.each([400, 401, 403, 404, 409, 422, 301, 302, 501])('HTTP %i is not retried by the error itself', (status) => {
    expect(new RetabApiError(status, 'req_1', 'x', request, null, '').retryable).toBe(false);
  });
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'EPIPE'])('connection error %s is retried', (code) => {
    expect(new RetabConnectionError(code, request, 'https://api.retab.com', null).retryable).toBe(true);
  });
  it.each(['CERT_HAS_EXPIRED', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID'])('certificate error %s is not, and says what to do', (code) => {
    const error = new RetabConnectionError(code, request, 'https://api.retab.com', null);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS');
  });
  it('timeouts, cut-off and non-JSON bodies are retried; too large or wrong shape are not', () => {
    expect(new RetabTimeoutError(30_000, request).retryable).toBe(true);
    expect(new RetabResponseError('truncated', 200, 'req_1', request, 'was cut off').retryable).toBe(true);
    expect(new RetabResponseError('not_json', 200, 'req_1', request, 'is not JSON').retryable).toBe(true);
    expect(new RetabResponseError('too_large', 200, 'req_1', request, 'is too large').retryable).toBe(false);
    expect(new RetabResponseError('unexpected_shape', 200, 'req_1', request, 'has the wrong shape').retryable).toBe(false);
  });
  it('an API error names the status and the request id', () => {
    expect(new RetabApiError(503, 'req_abc', 'Service Unavailable', request, null, '').message).toBe(
      'Retab answered HTTP 503 to GET /v1/workflows/experiments/runs/exprun_1 (request id req_abc): Service Unavailable',
    );
  });
});
