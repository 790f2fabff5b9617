/**
 * The real API's shapes, as Retab's SDK reads them, and the rules that hang on them: a score with
 * floating-point noise, the error lifecycle's details, stale metrics with their last run, an
 * unknown error count, a base URL with a version segment, a proxy that refuses the tunnel.
 */
import { describe, expect, it } from 'vitest';
import { errorsOf, resultFromWait } from '../src/gate/result.js';
import { parseSettings, resolveApiKey, withoutVersionSegment } from '../src/inputs/settings.js';
import { buildJsonReport } from '../src/report/json-report.js';
import { buildOutputs } from '../src/report/outputs.js';
import { renderSummary } from '../src/report/summary.js';
import { RetabConnectionError, RetabProxyError } from '../src/retab/errors.js';
import { normalizeMetrics, rawMetricsSchema } from '../src/retab/metrics.js';
import { describeProxy, proxyFor, refusedTunnelStatus } from '../src/retab/proxy.js';
import { describeIssues, normalizeRun, rawRunSchema } from '../src/retab/run.js';
import { classifyStartFailure } from '../src/start/start-run.js';
import { decideVerdict, errorCountOf } from '../src/verdict/rules.js';
import type { WaitOutcome } from '../src/wait/wait.js';
import { rawInputs } from './support/raw-inputs.js';
import { makeRun } from './support/runs.js';

const parseRun = (body: unknown) => normalizeRun(rawRunSchema.parse(body));
const criteria = { runId: 'exprun_2', threshold: 0.8, maxErrors: 0, timeoutMs: 60_000 };
const finished = (overrides: Parameters<typeof makeRun>[0] = {}): WaitOutcome => ({ kind: 'finished', run: makeRun(overrides), polls: 3, elapsedMs: 1_000 });

describe('scores: floating-point noise is clamped, anything else that is not a score is refused', () => {
  it.each([
    [1.0000000000000002, 1],
    [1 + 1e-12, 1],
    [-1e-16, 0],
    [-0, 0],
    [0.87, 0.87],
  ])('run score %d reads as %d', (score, expected) => {
    expect(parseRun({ id: 'r', lifecycle: { status: 'completed' }, score }).score).toBe(expected);
  });

  it.each([1.5, -0.2, 1.000001, -0.0001, 2])('run score %d is refused, naming the field', (score) => {
    const result = rawRunSchema.safeParse({ id: 'r', lifecycle: { status: 'completed' }, score });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toMatch(/^score: expected a score from 0 to 1/);
  });

  it('metrics: the summary, its prior and each document score are clamped the same way', () => {
    const metrics = normalizeMetrics(
      rawMetricsSchema.parse({
        kind: 'summary',
        score: 1.0000000000000002,
        prior_score: -1e-16,
        documents: [{ id: 'd1', filename: 'a.pdf', score: 1.0000000000000002, prior_score: 0.5 }],
      }),
    );
    expect(metrics).toMatchObject({ kind: 'summary', score: 1, prior_score: 0, documents: [{ id: 'd1', score: 1 }] });
  });

  it.each([
    [{ kind: 'summary', score: 1.5 }],
    [{ kind: 'summary', score: 0.8, prior_score: -0.2 }],
    [{ kind: 'summary', score: 0.8, documents: [{ id: 'd1', score: 1.5 }] }],
  ])('metrics with a clearly invalid score are refused: %j', (body) => {
    expect(rawMetricsSchema.safeParse(body).success).toBe(false);
  });
});

describe('the error lifecycle: error_code and block_name reach the failure message', () => {
  const errored = {
    id: 'exprun_2',
    lifecycle: {
      status: 'error',
      message: 'Block failed',
      details: { message: 'Block failed', stack_trace: 'Traceback …\n  File "x.py"', block_id: 'extract-invoice', block_name: 'Extract invoice', error_code: 'BLOCK_FAILED', context: null },
    },
  };

  it('keeps the code and the block, and never the stack trace', () => {
    const run = parseRun(errored);
    expect(run).toMatchObject({ status: 'error', message: 'Block failed', error_code: 'BLOCK_FAILED', block_name: 'Extract invoice' });
    expect(JSON.stringify(run)).not.toContain('Traceback');
  });

  it('names them in the failure and in the summary', () => {
    const run = parseRun(errored);
    const result = resultFromWait({ kind: 'finished', run, polls: 1, elapsedMs: 10 }, criteria);
    expect(result.failures).toEqual([{ rule: 'run_error', message: 'run exprun_2 ended with status error: Block failed (error code BLOCK_FAILED, in block Extract invoice)' }]);
    const summary = renderSummary(result);
    expect(summary).toContain('BLOCK\\_FAILED');
    expect(summary).toContain('in block Extract invoice');
    expect(summary).not.toContain('Traceback');
  });

  it('an error code that is not a short token is dropped; a block name is one bounded line', () => {
    const run = parseRun({ id: 'r', lifecycle: { status: 'error', message: 'x', details: { error_code: 'X\n::error::owned', block_name: `Extract\n::warning::x ${'y'.repeat(500)}` } } });
    expect(run.error_code).toBeNull();
    expect(run.block_name).not.toContain('\n');
    expect(run.block_name?.length).toBeLessThanOrEqual(200);
  });

  it('details that are null, or odd, are no reason to refuse the run', () => {
    expect(parseRun({ id: 'r', lifecycle: { status: 'error', message: 'x', details: null } })).toMatchObject({ error_code: null, block_name: null });
    expect(parseRun({ id: 'r', lifecycle: { status: 'error', message: 'x', details: { error_code: 42, block_name: ['a'] } } })).toMatchObject({ error_code: null, block_name: null });
  });
});

describe('stale and missing metrics, as the SDK reads them', () => {
  it('stale_metrics keeps its last run: id, score and when', () => {
    const metrics = normalizeMetrics(
      rawMetricsSchema.parse({
        kind: 'stale_metrics',
        error: 'stale_metrics',
        experiment_id: 'exp_abc',
        stale_reasons: ['documents_changed'],
        last_run: { run_id: 'exprun_1', block_execution_fingerprint: 'f', score: 0.83, created_at: '2026-05-01T09:30:00Z' },
        current_block_execution_fingerprint: 'g',
        message: 'stale',
      }),
    );
    expect(metrics).toEqual({ kind: 'stale_metrics', message: 'stale', stale_reasons: ['documents_changed'], last_run: { run_id: 'exprun_1', score: 0.83, created_at: '2026-05-01T09:30:00Z' } });
  });

  it.each([{ score: 'high' }, { run_id: 'exprun_1\n::error::x' }, { run_id: 'a'.repeat(200) }, 'yesterday'])('a last run that cannot be read (%j) is dropped, not the whole answer', (lastRun) => {
    const metrics = normalizeMetrics(rawMetricsSchema.parse({ kind: 'stale_metrics', message: 'stale', last_run: lastRun }));
    expect(metrics).toMatchObject({ kind: 'stale_metrics', last_run: null });
  });

  // `Date.parse` takes text in parentheses, or a lone number and a word, for a date.
  it.each(['click https://evil.example', 'Jan 1 2026 (\n::error::PWNED)', '2026 (https://evil.example)', '1 @octocat'])('a last run whose time is not a time (%j) keeps its id and score', (createdAt) => {
    const metrics = normalizeMetrics(rawMetricsSchema.parse({ kind: 'stale_metrics', message: 'stale', last_run: { run_id: 'exprun_1', score: 0.5, created_at: createdAt } }));
    expect(metrics).toMatchObject({ last_run: { run_id: 'exprun_1', score: 0.5, created_at: null } });
  });

  it.each(['2026-05-01T09:30:00Z', '2026-05-01T09:30:00.123456+00:00', '2026-05-01 09:30:00', '2026-05-01'])('a last run time in ISO 8601 (%j) is kept', (createdAt) => {
    const metrics = normalizeMetrics(rawMetricsSchema.parse({ kind: 'stale_metrics', message: 'stale', last_run: { run_id: 'exprun_1', score: 0.5, created_at: createdAt } }));
    expect(metrics).toMatchObject({ last_run: { created_at: createdAt } });
  });

  it('no_metrics told only by `error`, as an ordinary body', () => {
    expect(normalizeMetrics(rawMetricsSchema.parse({ error: 'no_metrics', experiment_id: 'exp_abc', message: 'no runs' }))).toMatchObject({ kind: 'no_metrics', message: 'no runs' });
  });
});

describe('unknown is not zero: the error count', () => {
  it('a run without error_count, or with null, has an unknown count', () => {
    expect(parseRun({ id: 'r', lifecycle: { status: 'completed' } }).error_count).toBeNull();
    expect(parseRun({ id: 'r', lifecycle: { status: 'completed' }, error_count: null }).error_count).toBeNull();
    expect(parseRun({ id: 'r', lifecycle: { status: 'completed' }, error_count: 0 }).error_count).toBe(0);
  });

  it('takes the errored documents counted in the results when the run gave none', () => {
    expect(errorCountOf(makeRun({ error_count: null }), { errored: 7 })).toEqual({ known: true, count: 7, source: 'results' });
    expect(errorCountOf(makeRun({ error_count: 7 }), { errored: 7 })).toEqual({ known: true, count: 7, source: 'run' });
  });

  it('takes the larger figure when the results list more errored documents than the run admits', () => {
    expect(errorCountOf(makeRun({ error_count: 0 }), { errored: 7 })).toEqual({ known: true, count: 7, source: 'results', runSaid: 0 });
    const result = resultFromWait(finished({ error_count: 0, score: 0.9 }), criteria, { errored: 7 });
    expect(result.failures).toEqual([{ rule: 'too_many_errors', message: '7 errors occurred (counted in the per-document results: the run says 0); at most 0 allowed (`max_errors`)' }]);
    // Fewer listed than the run says (a page not read, a document retried): the run's figure stands.
    expect(errorCountOf(makeRun({ error_count: 3 }), { errored: 1 })).toEqual({ known: true, count: 3, source: 'run' });
  });

  it('fails max_errors with the counted figure, saying where it comes from', () => {
    const result = resultFromWait(finished({ error_count: null, score: 0.9 }), criteria, { errored: 7 });
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      { rule: 'too_many_errors', message: '7 errors occurred (counted in the per-document results: the run gave no `error_count`); at most 0 allowed (`max_errors`)' },
    ]);
    expect(buildOutputs(result).error_count).toBe('7');
    expect(renderSummary(result)).toContain('| Errors | 7 (counted in the per-document results) | ≤ 0 ❌ |');
  });

  it('passes when the results count no errored document', () => {
    const result = resultFromWait(finished({ error_count: null, score: 0.9 }), criteria, { errored: 0 });
    expect(result.passed).toBe(true);
    expect(buildOutputs(result).error_count).toBe('0');
  });

  it.each([
    ['the results could not be read', { unreadable: 'HTTP 401' }, 'its per-document results could not be read (HTTP 401)'],
    ['the results were not read', null, 'its per-document results were not read'],
  ] as const)('when neither is known (%s), max_errors fails saying why, however many errors it allows', (_name, results, why) => {
    const result = resultFromWait(finished({ error_count: null, score: 0.9 }), { ...criteria, maxErrors: 1_000 }, results);
    expect(result.passed).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]?.rule).toBe('errors_unknown');
    expect(result.failures[0]?.message).toContain('the number of errors is unknown');
    expect(result.failures[0]?.message).toContain(why);
    expect(result.failures[0]?.message).toContain('`max_errors`');
    // Never "0 ✅": the summary says unknown, the output is empty, the report says why.
    const summary = renderSummary(result);
    expect(summary).toContain('| Errors | unknown | ≤ 1000 ❌ |');
    expect(summary).toContain('error count unknown');
    expect(buildOutputs(result).error_count).toBe('');
    expect(buildJsonReport(result).errors).toEqual({ count: null, why: expect.stringContaining('gave no `error_count`') });
  });

  it('a result built without the count falls back to the run alone', () => {
    expect(errorsOf({ run: makeRun({ error_count: 3 }) })).toEqual({ known: true, count: 3, source: 'run' });
    expect(errorsOf({ run: null })).toBeNull();
  });

  it('is not asked of a run that ended in error or was cancelled, nor shown as unknown for a run that is still running', () => {
    const verdict = decideVerdict(finished({ status: 'cancelled', error_count: null, reason: 'by jane' }), criteria);
    expect(verdict.failures.map((f) => f.rule)).toEqual(['run_cancelled']);
    const timedOut = resultFromWait({ kind: 'timed_out', run: makeRun({ status: 'running', error_count: null }), polls: 3, elapsedMs: 60_000, lastError: null }, criteria);
    expect(timedOut.failures.map((f) => f.rule)).toEqual(['timed_out']);
    expect(renderSummary(timedOut)).toContain('| Errors | not checked: the run did not finish (still running) | ≤ 0 |');
    expect(buildOutputs(timedOut).error_count).toBe('');
  });
});

describe('exact thresholds', () => {
  it('a score of 0.814 passes "81.4%", which prints as 0.814', () => {
    const raw = rawInputs({ run_id: 'exprun_2', api_key: 'rt_test_abc', threshold: '81.4%' });
    const parsed = parseSettings(raw, resolveApiKey(raw.api_key, {}), {});
    if (!parsed.ok) throw new Error('expected the inputs to parse');
    const result = resultFromWait(finished({ score: 0.814 }), { ...criteria, threshold: parsed.settings.threshold });
    expect(result.passed).toBe(true);
    expect(buildOutputs(result).threshold).toBe('0.814');
    expect(renderSummary(result)).toContain('≥ 0.814 ✅');
  });
});

describe('base_url with a version segment', () => {
  it.each([
    ['https://api.retab.com/v1', 'https://api.retab.com/'],
    ['https://api.retab.com/v1/', 'https://api.retab.com/'],
    ['https://gateway.example/retab/v2', 'https://gateway.example/retab'],
  ])('%s is trimmed to %s, with a warning naming both', (given, expected) => {
    const raw = rawInputs({ run_id: 'exprun_2', api_key: 'rt_test_abc', base_url: given });
    const parsed = parseSettings(raw, resolveApiKey(raw.api_key, {}), {});
    if (!parsed.ok) throw new Error('expected the inputs to parse');
    expect(parsed.settings.baseUrl.href).toBe(expected);
    expect(parsed.settings.warnings).toHaveLength(1);
    expect(parsed.settings.warnings?.[0]).toContain('`base_url`');
    expect(parsed.settings.warnings?.[0]).toContain('ends with a version segment');
  });

  it.each(['https://api.retab.com', 'https://gateway.example/v1beta', 'https://gateway.example/retab'])('%s is kept as it is, without a warning', (given) => {
    const url = new URL(given);
    expect(withoutVersionSegment(url)).toEqual({ url, warning: null });
  });

  it('RETAB_API_BASE_URL is trimmed the same way', () => {
    const raw = rawInputs({ run_id: 'exprun_2', api_key: 'rt_test_abc', base_url: '' });
    const parsed = parseSettings(raw, resolveApiKey(raw.api_key, {}), { RETAB_API_BASE_URL: 'https://api.retab.com/v1' });
    expect(parsed.ok && parsed.settings.baseUrl.href).toBe('https://api.retab.com/');
    expect(parsed.ok && parsed.settings.warnings?.[0]).toContain('RETAB_API_BASE_URL');
  });
});

describe('a proxy that refuses the tunnel', () => {
  it("reads the status from undici's error, through causes", () => {
    const undiciError = Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' });
    expect(refusedTunnelStatus(undiciError)).toBe(407);
    expect(refusedTunnelStatus(new Error('fetch failed', { cause: undiciError }))).toBe(407);
    expect(refusedTunnelStatus(new Error('socket hang up'))).toBeNull();
  });

  it('names the proxy without the credentials written into its URL', () => {
    expect(describeProxy('http://user:s3cret@proxy.corp:3128')).toBe('http://proxy.corp:3128');
    expect(describeProxy('not a url with s3cret')).toBe('(the configured proxy)');
    expect(proxyFor(new URL('https://api.retab.com'), { HTTPS_PROXY: 'http://a:1', HTTP_PROXY: 'http://b:2' })).toBe('http://a:1');
    expect(proxyFor(new URL('http://127.0.0.1:1'), { HTTPS_PROXY: 'http://a:1', HTTP_PROXY: 'http://b:2' })).toBe('http://b:2');
  });

  it("a proxy's own 5xx (it could not reach Retab) is retried, and a start it stopped may be sent again", () => {
    const error = new RetabProxyError(502, 'http://proxy.corp:3128', { method: 'POST', path: '/v1/workflows/experiments/runs' }, 'https://api.retab.com', null);
    expect(error.retryable).toBe(true);
    expect(classifyStartFailure(error)).toBe('not_sent');
  });

  it('is not retried, and a start refused by it is not sent again', () => {
    const error = new RetabProxyError(403, 'http://proxy.corp:3128', { method: 'POST', path: '/v1/workflows/experiments/runs' }, 'https://api.retab.com', null);
    expect(error.retryable).toBe(false);
    expect(error).not.toBeInstanceOf(RetabConnectionError);
    expect(classifyStartFailure(error)).toBe('rejected');
    expect(error.message).toContain('http://proxy.corp:3128');
    expect(error.message).toContain('HTTP 403');
  });
});
