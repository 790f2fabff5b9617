/**
 * The common slips get a hint, not only what is accepted: a decimal comma, a percentage written
 * as a bare number, a timeout in bare seconds meant as minutes, an id an earlier step did not
 * produce, and a missing key on a fork's pull request. Every boolean input is read alike.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { forksDocsLink, isForkPullRequest, parseSettings, type RawInputs } from '../src/inputs/settings.js';
import { rawInputs } from './support/raw-inputs.js';

const KEY = 'rt_test_abc123';

function parse(overrides: Partial<RawInputs> = {}, env: Record<string, string> = {}, apiKey = KEY) {
  return parseSettings(rawInputs({ run_id: 'exprun_2', ...overrides }), apiKey, env);
}

function messages(result: ReturnType<typeof parse>): string[] {
  return result.ok ? [] : result.errors.map((error) => error.message);
}

describe('a decimal comma', () => {
  it.each([
    ['threshold', '0,85', '0.85'],
    ['threshold', '85,5%', '85.5%'],
    ['max_score_drop', '0,02', '0.02'],
    ['confidence', '0,95', '0.95'],
    ['timeout', '1,5h', '1.5h'],
    ['poll_interval', '0,5s', '0.5s'],
  ] as const)('in %s %j: did you mean %j?', (input, value, meant) => {
    const [message] = messages(parse({ [input]: value }));
    expect(message).toMatch(new RegExp(`^Input \`${input}\`: got "${value}"; expected .*; did you mean "${meant.replace('.', '\\.')}"\\? \\(a decimal point, not a comma\\)$`));
  });

  it('in a count says a count has no comma', () => {
    expect(messages(parse({ max_errors: '0,5' }))).toEqual(['Input `max_errors`: got "0,5"; expected a whole number of errors that still passes, 0 or more (e.g. "0" or "3"); a count is a whole number, without a comma']);
  });

  it('that would still be wrong with a point says to write a point', () => {
    expect(messages(parse({ confidence: '0,3' }))[0]).toMatch(/got "0,3"; expected .*; write a decimal point, not a comma$/);
  });
});

describe('a percentage written as a bare number', () => {
  it.each([
    ['max_score_drop', '2', '2%'],
    ['max_score_drop', '2.5', '2.5%'],
    ['confidence', '95', '95%'],
    ['confidence', '99.5', '99.5%'],
  ] as const)('%s %j: did you mean %j?', (input, value, meant) => {
    const [message] = messages(parse({ [input]: value }));
    expect(message).toContain(`Input \`${input}\`: got "${value}"; expected`);
    expect(message).toMatch(new RegExp(`; did you mean "${meant.replace('.', '\\.')}"\\?$`));
  });

  it.each([
    ['max_score_drop', '150'],
    ['confidence', '1'],
    ['confidence', '30'],
  ] as const)('%s %j, wrong as a percentage too, gets no such hint', (input, value) => {
    expect(messages(parse({ [input]: value }))[0]).not.toContain('did you mean');
  });
});

describe('a timeout in bare seconds', () => {
  it.each(['10', '59', '1.5'])('under a minute (%j) is kept, with a warning saying to write minutes', (timeout) => {
    const result = parse({ timeout });
    expect(result.ok && result.settings.timeoutMs).toBe(Number(timeout) * 1000);
    expect(result.ok && result.settings.warnings).toEqual([`\`timeout\` "${timeout}" is a bare number, so ${timeout} seconds; write "${timeout}m" for ${timeout} minutes, or "${timeout}s" to say seconds`]);
  });

  it.each(['60', '600', '10s', '10m', '30m'])('of a minute or more, or with a unit (%j), is not warned about', (timeout) => {
    const result = parse({ timeout });
    expect(result.ok && result.settings.warnings).toEqual([]);
  });
});

describe('an id an earlier step did not produce', () => {
  it.each([
    ['run_id', 'null', {}],
    ['run_id', 'undefined', {}],
    ['run_id', 'None', {}],
    ['experiment_id', 'null', { run_id: '' }],
    ['workflow_id', 'undefined', { run_id: '', experiment_id: 'exp_1' }],
    ['baseline_run_id', 'null', {}],
  ] as const)('%s %j is an input error saying so', (input, value, others) => {
    const errors = messages(parse({ ...others, [input]: value }));
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^Input \`${input}\`: got "${value}"; that is no id: an earlier step produced none .*; expected .*id`))]);
  });
});

describe('the boolean inputs', () => {
  it('are every input whose default is "true" or "false", all read alike and refused in one shape', async () => {
    const action = parseYaml(await readFile(new URL('../action.yml', import.meta.url), 'utf8')) as { inputs: Record<string, { default?: string }> };
    const booleans = Object.entries(action.inputs).filter(([, spec]) => spec.default === 'true' || spec.default === 'false');
    expect(booleans.map(([name]) => name).sort()).toEqual(['cancel_on_abort', 'check', 'comment', 'fail_fast']);
    // cancel_on_abort is only read when the action starts the run.
    const context = { run_id: '', experiment_id: 'exp_1' };
    for (const [name, spec] of booleans) {
      for (const value of ['true', 'TRUE', 'True', 'false', 'False', ' false ', '']) expect(parse({ ...context, [name]: value }).ok, `${name}: ${value}`).toBe(true);
      for (const value of ['yes', '1', 'off', 'truee']) {
        // The default first, with what it does; `comment` has a third value, given the same way.
        const other = spec.default === 'true' ? 'false' : 'true';
        const shape = `^Input \`${name}\`: got "${value}"; expected "${spec.default}" \\([^)]+\\)(?: or "${other}"|, "true" \\([^)]+\\) or "on-failure" \\([^)]+\\))$`;
        expect(messages(parse({ ...context, [name]: value })), `${name}: ${value}`).toEqual([expect.stringMatching(new RegExp(shape))]);
      }
    }
  });

  it('give the default when empty and read true and false in any case', () => {
    const read = (overrides: Partial<RawInputs>) => {
      const result = parse({ run_id: '', experiment_id: 'exp_1', ...overrides });
      return result.ok ? [result.settings.cancelOnAbort, result.settings.failFast, result.settings.comment] : null;
    };
    expect(read({ cancel_on_abort: '', fail_fast: '', comment: '' })).toEqual([true, false, 'false']);
    expect(read({ cancel_on_abort: 'FALSE', fail_fast: 'True', comment: 'TRUE' })).toEqual([false, true, 'true']);
  });
});

describe('a missing key on a pull request from a fork', () => {
  const base = { repo: { full_name: 'octo/repo', fork: false } };
  const fork = { pull_request: { number: 7, head: { repo: { full_name: 'someone/repo', fork: true } }, base } };

  it.each([
    ['pull_request', fork, true],
    ['pull_request_review', fork, true],
    ['pull_request', { pull_request: { head: { repo: { full_name: 'someone/repo' } }, base } }, true],
    ['pull_request', { pull_request: { head: { repo: { fork: true } }, base } }, true],
    // Within a fork, between two of its branches: the run is the fork's own, with its secrets.
    ['pull_request', { pull_request: { head: { repo: { full_name: 'someone/repo', fork: true } }, base: { repo: { full_name: 'someone/repo', fork: true } } } }, false],
    ['pull_request', { pull_request: { head: { repo: { full_name: 'octo/repo', fork: false } }, base } }, false],
    ['pull_request_target', fork, false],
    ['push', fork, false],
    ['pull_request', null, false],
    ['pull_request', { pull_request: { head: { repo: null }, base } }, false],
  ])('%s with %j is from a fork: %s', (eventName, payload, expected) => {
    expect(isForkPullRequest(eventName, payload)).toBe(expected);
  });

  async function eventEnv(payload: unknown, eventName = 'pull_request'): Promise<Record<string, string>> {
    const dir = await mkdtemp(join(tmpdir(), 'retab-fork-'));
    const path = join(dir, 'event.json');
    await writeFile(path, JSON.stringify(payload));
    return { GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: path, GITHUB_SERVER_URL: 'https://github.com', GITHUB_ACTION_REPOSITORY: 'octo/gate', GITHUB_ACTION_REF: 'v1' };
  }

  it('says GitHub gives no secrets to a fork and links the safe recipes', async () => {
    const [message] = messages(parse({}, await eventEnv(fork), ''));
    expect(message).toContain('Input `api_key`: got ""; a Retab API key is required');
    expect(message).toContain("GitHub gives no secrets to workflows run for a fork's pull request");
    expect(message).toContain('See https://github.com/octo/gate/blob/v1/docs/forks.md for the safe ways');
  });

  it('says nothing of forks for a pull request from the repository itself, or with no event file', async () => {
    const own = { pull_request: { head: { repo: { full_name: 'octo/repo', fork: false } }, base } };
    expect(messages(parse({}, await eventEnv(own), ''))[0]).not.toContain('fork');
    expect(messages(parse({}, { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: '/nonexistent/event.json' }, ''))[0]).not.toContain('fork');
  });

  it('names the docs in words when the runner does not say where the action comes from (a local action)', () => {
    expect(forksDocsLink({})).toBe("docs/forks.md in this action's repository");
    expect(forksDocsLink({ GITHUB_ACTION_REPOSITORY: 'octo/gate', GITHUB_ACTION_REF: '../x' })).toBe("docs/forks.md in this action's repository");
    expect(forksDocsLink({ GITHUB_ACTION_REPOSITORY: 'octo/gate', GITHUB_ACTION_REF: 'main', GITHUB_SERVER_URL: 'https://ghe.example/' })).toBe('https://ghe.example/octo/gate/blob/main/docs/forks.md');
  });
});
