import { describe, expect, it } from 'vitest';
import { parseSettings, resolveApiKey, type RawInputs } from '../src/inputs/settings.js';
import { keyEnvironment } from '../src/retab/keys.js';
import { rawInputs } from './support/raw-inputs.js';

const KEY = 'rt_test_abc123';

function parse(overrides: Partial<RawInputs> = {}, env: Record<string, string> = {}) {
  const raw = rawInputs({ run_id: 'exprun_2', api_key: KEY, ...overrides });
  return parseSettings(raw, resolveApiKey(raw.api_key, env), env);
}

function errorsOf(result: ReturnType<typeof parse>) {
  if (result.ok) throw new Error('expected input errors');
  return result.errors;
}

describe('parseSettings', () => {
  it('turns valid inputs into settings with the defaults', () => {
    const result = parse();
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.settings).toMatchObject({ target: { kind: 'run', runId: 'exprun_2' }, threshold: 0.8, maxErrors: 0, apiKey: KEY, timeoutMs: 1_800_000, pollIntervalMs: null });
    expect(result.settings.baseUrl.href).toBe('https://api.retab.com/');
  });

  it.each([
    ['0.87', 0.87],
    ['87%', 0.87],
    ['87.5%', 0.875],
    ['0', 0],
    ['1', 1],
    ['100%', 1],
    ['.9', 0.9],
  ])('reads threshold %j as %d', (threshold, expected) => {
    const result = parse({ threshold });
    expect(result.ok && result.settings.threshold).toBe(expected);
  });

  // Every one of these is off by one ulp when divided by 100 in binary floating point.
  it.each([
    ['81.4%', 0.814],
    ['28.6%', 0.286],
    ['14.3%', 0.143],
    ['9.95%', 0.0995],
    ['0.7%', 0.007],
    ['0081.4%', 0.814],
  ])('reads the percentage %j as exactly %d, the decimal it names', (threshold, expected) => {
    const result = parse({ threshold });
    expect(result.ok && result.settings.threshold).toBe(expected);
  });

  it.each([
    ['81.4%', 0.814],
    ['28.6%', 0.286],
    ['0.7%', 0.007],
  ])('reads max_score_drop %j as exactly %d', (max_score_drop, expected) => {
    const result = parse({ max_score_drop });
    expect(result.ok && result.settings.maxScoreDrop).toBe(expected);
  });

  it.each([
    ['', 'required'],
    ['87', 'did you mean "87%"'],
    ['1.5', 'did you mean "1.5%"'],
    ['150%', 'cannot exceed 100%'],
    ['-0.1', 'from 0 to 1'],
    ['abc', 'from 0 to 1'],
    ['NaN', 'from 0 to 1'],
    ['0x1', 'from 0 to 1'],
    ['1e-1', 'from 0 to 1'],
    ['101', 'from 0 to 1'],
  ])('rejects threshold %j, naming the input, the value and what is accepted', (threshold, hint) => {
    const [error] = errorsOf(parse({ threshold }));
    expect(error?.input).toBe('threshold');
    expect(error?.message).toContain('`threshold`');
    expect(error?.message).toContain(JSON.stringify(threshold));
    expect(error?.message).toContain(hint);
  });

  it.each(['-1', '1.5', 'two', ''])('rejects max_errors %j', (max_errors) => {
    const [error] = errorsOf(parse({ max_errors }));
    expect(error?.input).toBe('max_errors');
    expect(error?.message).toContain('whole number');
  });

  it.each(['', '../admin', 'a/b', 'run?x=1', 'run#x', 'exprun 2', '%2e%2e', 'x'.repeat(129), 'run\n2'])('rejects run_id %j', (run_id) => {
    const [error] = errorsOf(parse({ run_id }));
    expect(error?.input).toBe('run_id');
  });

  it.each([
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['600', 600_000],
  ])('reads timeout %j', (timeout, ms) => {
    const result = parse({ timeout });
    expect(result.ok && result.settings.timeoutMs).toBe(ms);
  });

  it.each(['0', '500ms', '25h', 'soon', '-1m'])('rejects timeout %j', (timeout) => {
    const [error] = errorsOf(parse({ timeout }));
    expect(error?.input).toBe('timeout');
    expect(error?.message).toContain('"90s"');
  });

  it.each([
    ['2s', 2_000],
    ['500ms', 500],
    ['', null],
  ])('reads poll_interval %j', (poll_interval, ms) => {
    const result = parse({ poll_interval });
    expect(result.ok && result.settings.pollIntervalMs).toBe(ms);
  });

  it.each([
    ['', 'warn'],
    ['warn', 'warn'],
    ['FAIL', 'fail'],
  ])('reads on_missing_comparison %j', (on_missing_comparison, mode) => {
    const result = parse({ on_missing_comparison });
    expect(result.ok && result.settings.onMissingComparison).toBe(mode);
  });

  it.each([
    ['', null],
    ['0.95', 0.95],
    ['95%', 0.95],
    ['99.5%', 0.995],
    ['0.5', 0.5],
  ])('reads confidence %j', (confidence, level) => {
    const result = parse({ confidence });
    expect(result.ok && result.settings.confidence).toBe(level);
  });

  it.each(['1', '100%', '0.4', '95', 'high', '0.9999'])('rejects confidence %j, saying what is accepted', (confidence) => {
    const [error] = errorsOf(parse({ confidence }));
    expect(error?.input).toBe('confidence');
    expect(error?.message).toContain('"95%"');
  });

  it('rejects a baseline_run_id that is the gated run itself, naming the input, the value and what is accepted', () => {
    const errors = errorsOf(parse({ run_id: 'exprun_2', baseline_run_id: ' exprun_2 ', max_score_drop: '0.02' }));
    expect(errors.map((error) => error.message)).toEqual([
      'Input `baseline_run_id`: got "exprun_2"; it is the gated run itself (`run_id`), and a run compared with itself never shows a change; give the id of another run to compare with, or leave it empty (the previous completed run)',
    ]);
    // Another run, or a new run of an experiment (whose id nobody knows yet), is a baseline.
    expect(parse({ run_id: 'exprun_2', baseline_run_id: 'exprun_1' }).ok).toBe(true);
    expect(parse({ run_id: '', experiment_id: 'exp_1', baseline_run_id: 'exprun_2' }).ok).toBe(true);
  });

  it('rejects on_missing_comparison "strict", saying what is accepted', () => {
    const [error] = errorsOf(parse({ on_missing_comparison: 'strict' }));
    expect(error?.input).toBe('on_missing_comparison');
    expect(error?.message).toMatch(/"strict".*"warn".*"fail"/);
  });

  it.each(['10ms', '11m', 'often'])('rejects poll_interval %j', (poll_interval) => {
    const [error] = errorsOf(parse({ poll_interval }));
    expect(error?.input).toBe('poll_interval');
  });

  it('takes the base URL from the input, else RETAB_API_BASE_URL, else the default', () => {
    const fromInput = parse({ base_url: 'https://eu.retab.example/' }, { RETAB_API_BASE_URL: 'https://env.example' });
    expect(fromInput.ok && fromInput.settings.baseUrl.origin).toBe('https://eu.retab.example');
    const fromEnv = parse({}, { RETAB_API_BASE_URL: 'https://env.example' });
    expect(fromEnv.ok && fromEnv.settings.baseUrl.origin).toBe('https://env.example');
  });

  it.each(['http://127.0.0.1:8787', 'http://localhost:1', 'http://[::1]:9'])('allows plain http on loopback: %s', (base_url) => {
    expect(parse({ base_url }).ok).toBe(true);
  });

  it.each(['http://api.retab.com', 'ftp://x', 'not a url', 'https://user:pw@api.retab.com', 'https://api.retab.com/?x=1', 'http://localhost.evil.example', 'javascript:alert(1)', 'file:///etc/passwd'])(
    'rejects base_url %j',
    (base_url) => {
      const [error] = errorsOf(parse({ base_url }));
      expect(error?.input).toBe('base_url');
      expect(error?.message).toContain('https://');
    },
  );

  it('asks for api_key or RETAB_API_KEY when there is no key', () => {
    const [error] = errorsOf(parse({ api_key: '' }));
    expect(error?.input).toBe('api_key');
    expect(error?.message).toContain('`api_key`');
    expect(error?.message).toContain('RETAB_API_KEY');
  });

  it('takes the key from RETAB_API_KEY when the input is empty', () => {
    const result = parse({ api_key: '' }, { RETAB_API_KEY: ' rt_live_fromenv ' });
    expect(result.ok && result.settings.apiKey).toBe('rt_live_fromenv');
  });

  it('never shows a bad key in its error', () => {
    const bad = 'rt_test_secret\nInjected: header';
    const [error] = errorsOf(parse({ api_key: bad }));
    expect(error?.input).toBe('api_key');
    expect(error?.message).not.toContain('rt_test_secret');
  });

  it('reads the gate `name` (trimmed, empty for none) and passes the `matrix` values on as the runner wrote them', () => {
    const named = parse({ name: ' invoices ', matrix: '{\n  "os": "ubuntu-latest"\n}' });
    expect(named.ok && [named.settings.gateName, named.settings.matrix]).toEqual(['invoices', '{\n  "os": "ubuntu-latest"\n}']);
    const unnamed = parse({ name: '' });
    expect(unnamed.ok && unnamed.settings.gateName).toBeNull();
  });

  it.each(['x'.repeat(101), 'two\nlines', 'invoices\u202e', 'zero\u200bwidth'])('rejects the gate name %j, naming the input', (name) => {
    const [error] = errorsOf(parse({ name }));
    expect(error?.input).toBe('name');
    expect(error?.message).toContain('at most 100 characters');
  });

  it('reports every bad input at once', () => {
    const errors = errorsOf(parse({ run_id: '', threshold: '2', timeout: 'x' }));
    expect(errors.map((error) => error.input).sort()).toEqual(['run_id', 'threshold', 'timeout']);
  });
});

describe('keyEnvironment', () => {
  it.each([
    ['rt_test_x', 'test'],
    ['rt_live_x', 'live'],
    ['sk_retab_x', 'legacy'],
    ['abc', 'unknown'],
  ])('%s is a %s key', (key, kind) => {
    expect(keyEnvironment(key)).toBe(kind);
  });
});
