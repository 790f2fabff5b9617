/**
 * An input another input makes unused is not checked: `github_token` without a comment,
 * `cancel_on_abort` with `run_id`. Whatever is used is still checked.
 */
import { describe, expect, it } from 'vitest';
import { parseSettings, resolveApiKey, type RawInputs } from '../src/inputs/settings.js';
import { rawInputs } from './support/raw-inputs.js';

/** action.yml's default for `github_token`, as local-action (or a bare `node` run) passes it: not evaluated. */
const UNEVALUATED_TOKEN = '${{ github.token }}';

function parse(overrides: Partial<RawInputs> = {}) {
  const raw = rawInputs({ run_id: 'exprun_2', api_key: 'rt_test_abc123', ...overrides });
  return parseSettings(raw, resolveApiKey(raw.api_key, {}), {});
}

function errorsOf(result: ReturnType<typeof parse>) {
  if (result.ok) throw new Error('expected input errors');
  return result.errors;
}

describe('github_token', () => {
  it.each([UNEVALUATED_TOKEN, 'a token with spaces', 'line\nbreak'])('is not checked when no comment is asked for: %j', (github_token) => {
    expect(parse({ comment: 'false', github_token })).toMatchObject({ ok: true });
    expect(parse({ comment: '', github_token })).toMatchObject({ ok: true });
  });

  it.each(['true', 'on-failure'])('is checked with comment %j: the unevaluated default says what happened and what to do', (comment) => {
    const [error] = errorsOf(parse({ comment, github_token: UNEVALUATED_TOKEN }));
    expect(error?.input).toBe('github_token');
    expect(error?.message).toBe(
      'Input `github_token`: got "${{ github.token }}"; expected a token, not the text of an expression: the action ran outside a workflow (e.g. with local-action), where nothing evaluates it; give `github_token` a token, or set `comment` to "false"',
    );
  });

  it('is checked with a comment, and a bad token is never shown', () => {
    const [error] = errorsOf(parse({ comment: 'true', github_token: 'ghs_secret with space' }));
    expect(error?.input).toBe('github_token');
    expect(error?.message).toContain('printable ASCII');
    expect(error?.message).not.toContain('ghs_secret');
  });

  it('is checked when the comment mode itself is bad: nothing says it is unused', () => {
    const errors = errorsOf(parse({ comment: 'yes', github_token: UNEVALUATED_TOKEN }));
    expect(errors.map((error) => error.input).sort()).toEqual(['comment', 'github_token']);
  });

  it('is kept with a comment', () => {
    const result = parse({ comment: 'on-failure', github_token: ' ghs_abc ' });
    expect(result.ok && result.settings.githubToken).toBe('ghs_abc');
  });
});

describe('cancel_on_abort', () => {
  it('is not checked with run_id: a run given by id is never cancelled', () => {
    expect(parse({ run_id: 'exprun_2', cancel_on_abort: 'maybe' })).toMatchObject({ ok: true });
  });

  it('is checked with experiment_id, where it is used', () => {
    const [error] = errorsOf(parse({ run_id: '', experiment_id: 'exp_1', cancel_on_abort: 'maybe' }));
    expect(error?.input).toBe('cancel_on_abort');
  });
});

describe('inputs that are used stay checked', () => {
  it('workflow_id with run_id is still an error: nobody gives it by default', () => {
    const [error] = errorsOf(parse({ run_id: 'exprun_2', workflow_id: 'wf_1' }));
    expect(error?.input).toBe('workflow_id');
  });

  it.each([
    ['threshold', 'high'],
    ['max_errors', '-1'],
    ['timeout', 'forever'],
    ['poll_interval', '1ms'],
    ['max_score_drop', '2'],
    ['baseline_run_id', 'not an id'],
    ['comment', 'yes'],
    ['base_url', 'http://api.retab.com'],
  ] as const)('%s is checked with comment false and run_id', (input, value) => {
    const [error] = errorsOf(parse({ comment: 'false', [input]: value }));
    expect(error?.input).toBe(input);
  });
});
