/**
 * Input parsing against hostile values: a table of values that must be refused (or read exactly
 * so), and seeded random strings checking the properties that keep requests on their path.
 */
import { describe, expect, it } from 'vitest';
import { parseBaseUrl, parseMaxErrors, parsePollInterval, parseRunId, parseSettings, parseThreshold, parseTimeout, withoutCredentials } from '../src/inputs/settings.js';
import { mulberry32 } from './support/prng.js';
import { rawInputs } from './support/raw-inputs.js';

/** The action trims every input before parsing it, as the runner's own getInput does. */
const trimmed = <T>(parse: (raw: string) => T) => (raw: string) => parse(raw.trim());
const value = <T>(result: { ok: true; value: T } | { ok: false; accepted: string }) => (result.ok ? result.value : 'refused');

describe('durations (timeout)', () => {
  it.each([
    ['1e9', 'refused'],
    ['-5s', 'refused'],
    ['NaN', 'refused'],
    ['Infinity', 'refused'],
    ['１０s', 'refused'], // full-width digits
    ['٣s', 'refused'], // Arabic-Indic digit
    ['10 s', 'refused'],
    ['0x10', 'refused'],
    ['1_000', 'refused'],
    ['1h-5m', 'refused'],
    ['1h1h', 'refused'],
    ['1d', 'refused'],
    ['0.5ms', 'refused'],
    ['0', 'refused'],
    ['0.0001s', 'refused'],
    ['25h', 'refused'],
    ['9'.repeat(400), 'refused'],
    [`${'9'.repeat(400)}s`, 'refused'],
    ['', 'refused'],
    ['1.5s', 1_500],
    ['90', 90_000],
    ['  15m ', 900_000],
    ['1h30m', 5_400_000],
    ['24h', 86_400_000],
  ] as const)('%j -> %s', (raw, expected) => {
    expect(value(trimmed(parseTimeout)(raw))).toBe(expected);
  });

  it.each([
    ['99ms', 'refused'],
    ['11m', 'refused'],
    ['-1s', 'refused'],
    ['NaN', 'refused'],
    ['100ms', 100],
    ['', null],
  ] as const)('poll_interval %j -> %s', (raw, expected) => {
    expect(value(trimmed(parsePollInterval)(raw))).toBe(expected);
  });
});

describe('thresholds', () => {
  it.each([
    ['nan', 'refused'],
    ['NaN', 'refused'],
    ['Infinity', 'refused'],
    ['1.0000001', 'refused'],
    ['-0', 'refused'],
    ['-0.5', 'refused'],
    ['0x1', 'refused'],
    ['1e-1', 'refused'],
    ['101%', 'refused'],
    ['100.0001%', 'refused'],
    ['-5%', 'refused'],
    ['0.8%%', 'refused'],
    ['％80', 'refused'],
    ['٠.٥', 'refused'],
    ['0,8', 'refused'],
    [`1${'0'.repeat(400)}%`, 'refused'],
    ['', 'refused'],
    ['87.5%', 0.875],
    // Read as the decimal it names, not divided in binary floating point (0.8140000000000001).
    ['81.4%', 0.814],
    ['28.6%', 0.286],
    ['0.7 %', 0.007],
    ['033.3%', 0.333],
    ['100%', 1],
    ['0%', 0],
    ['80 %', 0.8],
    [' 0.8 ', 0.8],
    ['.5', 0.5],
    ['0', 0],
    ['1', 1],
  ] as const)('%j -> %s', (raw, expected) => {
    expect(value(trimmed(parseThreshold)(raw))).toBe(expected);
  });

  it('a plain number above 1 suggests the percentage that was probably meant', () => {
    const result = parseThreshold('85');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.accepted).toContain('did you mean "85%"?');
  });
});

describe('max_errors', () => {
  it.each([
    ['1e9', 'refused'],
    ['-1', 'refused'],
    ['1.5', 'refused'],
    ['０', 'refused'],
    ['0x3', 'refused'],
    ['9999999999', 'refused'],
    [' 3 ', 3],
    ['0', 0],
  ] as const)('%j -> %s', (raw, expected) => {
    expect(value(trimmed(parseMaxErrors)(raw))).toBe(expected);
  });
});

describe('run ids', () => {
  it.each([
    '../exprun_1',
    '..',
    '%2e%2e',
    'exprun%2F..',
    'a/b',
    'a\\b',
    '?x',
    'exprun_1?x=1',
    '#',
    'exprun_1#frag',
    'exprun_é',
    'ＡＢＣ',
    'exprun\u200b1', // zero-width space
    'a'.repeat(129),
    'exprun\nx',
    'exprun\r\nx-injected: 1',
    'exprun 1',
    'exprun.1',
    '-exprun',
    '_exprun',
    '',
  ])('%j is refused', (raw) => {
    expect(trimmed(parseRunId)(raw).ok).toBe(false);
  });

  it.each([
    ['exprun_abc123', 'exprun_abc123'],
    ['a'.repeat(128), 'a'.repeat(128)],
    ['exprun_1\n', 'exprun_1'], // a trailing newline, as read from a file, is trimmed
    ['  exprun-2  ', 'exprun-2'],
  ])('%j is read as %j', (raw, expected) => {
    expect(value(trimmed(parseRunId)(raw))).toBe(expected);
  });

  it('property: any accepted id stays one path segment, unchanged by URL encoding', () => {
    const random = mulberry32(42);
    const alphabet = 'aZ09_-./\\%?#&=:@ \t\n\r\u0000é\u200b～';
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(random() * 12);
      const raw = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const result = parseRunId(raw);
      if (!result.ok) continue;
      accepted += 1;
      expect(encodeURIComponent(result.value)).toBe(result.value);
      const url = new URL(`https://api.retab.com/v1/workflows/experiments/runs/${encodeURIComponent(result.value)}`);
      expect(url.pathname).toBe(`/v1/workflows/experiments/runs/${result.value}`);
      expect(url.search + url.hash).toBe('');
    }
    expect(accepted).toBeGreaterThan(100);
  });
});

describe('base_url', () => {
  it.each([
    ['http://example.com', 'refused'],
    ['http://api.retab.com', 'refused'],
    ['https://user:pw@host.example', 'refused'],
    ['javascript:alert(1)', 'refused'],
    ['file:///etc/passwd', 'refused'],
    ['data:text/plain,hi', 'refused'],
    ['ftp://127.0.0.1', 'refused'],
    ['http://localhost.evil.com', 'refused'],
    ['http://127.0.0.1.nip.io', 'refused'],
    ['http://127.0.0.1@evil.com', 'refused'],
    ['http://evil.com#@127.0.0.1', 'refused'],
    ['http://evil.com?@127.0.0.1', 'refused'],
    ['http://127.0.0.2', 'refused'], // loopback, but not one of the three documented addresses
    ['http://[::ffff:127.0.0.1]', 'refused'],
    ['https://', 'refused'],
    ['//evil.com', 'refused'],
    ['api.retab.com', 'refused'],
    ['https://api.retab.com?x=1', 'refused'],
    ['http://127.0.0.1:1', 'http://127.0.0.1:1/'],
    ['http://localhost:8787', 'http://localhost:8787/'],
    ['http://[::1]:8080', 'http://[::1]:8080/'],
    ['http://127.1', 'http://127.0.0.1/'], // the URL standard spells it 127.0.0.1
    ['HTTPS://API.RETAB.COM/', 'https://api.retab.com/'],
    ['https://gateway.example/retab/', 'https://gateway.example/retab'],
    // The URL standard reads "\" as "/" here: the request stays on localhost.
    ['http://localhost:80\\@evil.com', 'http://localhost/@evil.com'],
  ] as const)('%j -> %s', (raw, expected) => {
    const result = parseBaseUrl(raw, {});
    expect(result.ok ? result.value.href : 'refused').toBe(expected);
  });

  it('RETAB_API_BASE_URL is held to the same rules', () => {
    expect(parseBaseUrl('', { RETAB_API_BASE_URL: 'http://example.com' }).ok).toBe(false);
    expect(value(parseBaseUrl('', { RETAB_API_BASE_URL: 'http://127.0.0.1:9' }))).toEqual(new URL('http://127.0.0.1:9'));
  });

  it('a password written into base_url is not echoed by the error', () => {
    const result = parseSettings(rawInputs({ run_id: 'exprun_1', base_url: 'https://admin:hunter2@retab.example' }), 'rt_test_x', {});
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.errors.map((error) => error.message).join('\n');
    expect(message).toContain('Input `base_url`: got "https://***@retab.example"');
    expect(message).not.toContain('hunter2');
    // Everything up to the last `@` is hidden: a password may hold `/` or `@` when the URL is malformed.
    expect(withoutCredentials('https://a:b@c@host/x@y')).toBe('https://***@y');
  });

  it.each([
    ['one slash', 'https:/admin:hunter2@retab.example'],
    ['backslashes', 'https:\\\\admin:hunter2@retab.example'],
    ['a backslash and a slash', 'https:\\/admin:hunter2@retab.example'],
    ['no scheme', 'admin:hunter2@retab.example'],
    ['no scheme, leading slashes', '//admin:hunter2@retab.example'],
    ['a password holding a slash', 'https://admin:hun/ter2@retab.example'],
    ['a password holding a question mark', 'https://admin:hun?ter2@retab.example'],
    ['another scheme', 'ftp://admin:hunter2@retab.example'],
  ])('a password in a malformed base_url is not echoed either: %s', (_name, baseUrl) => {
    const result = parseSettings(rawInputs({ run_id: 'exprun_1', base_url: baseUrl }), 'rt_test_x', {});
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.errors.map((error) => error.message).join('\n');
    expect(message).toContain('Input `base_url`');
    expect(message).toContain('***@retab.example');
    expect(message).not.toMatch(/hunter2|hun\/ter2|ter2/);
  });
});

describe('every bad input is reported together, each naming input, value and what is accepted', () => {
  it('control characters in a value cannot start a new log line', () => {
    const result = parseSettings(rawInputs({ run_id: 'exprun\n::error::forged', threshold: 'NaN', timeout: '-5s' }), 'rt_test_x', {});
    expect(result.ok).toBe(false);
    const messages = result.ok ? [] : result.errors.map((error) => error.message);
    expect(messages).toHaveLength(3);
    for (const message of messages) expect(message).not.toContain('\n');
    expect(messages.join('\n')).toContain('Input `run_id`: got "exprun ::error::forged"');
    expect(messages.join('\n')).toContain('Input `threshold`: got "NaN"');
    expect(messages.join('\n')).toContain('Input `timeout`: got "-5s"');
  });
});
