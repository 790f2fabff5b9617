import { describe, expect, it } from 'vitest';
import { parseSettings, type RawInputs } from '../src/inputs/settings.js';
import { rawInputs } from './support/raw-inputs.js';

const KEY = 'rt_test_abc123';
const parse = (overrides: Partial<RawInputs>) => parseSettings(rawInputs({ api_key: KEY, ...overrides }), KEY, {});

describe('run_id or experiment_id', () => {
  it('reads run_id as a run to wait for', () => {
    const result = parse({ run_id: ' exprun_2 ' });
    expect(result.ok && result.settings.target).toEqual({ kind: 'run', runId: 'exprun_2' });
  });

  it('reads experiment_id (and workflow_id) as a run to start', () => {
    expect(parse({ experiment_id: 'exp_1' })).toMatchObject({ ok: true, settings: { target: { kind: 'experiment', experimentId: 'exp_1', workflowId: null } } });
    expect(parse({ experiment_id: 'exp_1', workflow_id: 'wf_1' })).toMatchObject({ ok: true, settings: { target: { kind: 'experiment', experimentId: 'exp_1', workflowId: 'wf_1' } } });
  });

  it.each([
    ['both', { run_id: 'exprun_2', experiment_id: 'exp_1' }, 'experiment_id', /`run_id` is also given \("exprun_2"\); give exactly one/],
    ['neither', {}, 'run_id', /one of `run_id` .* and `experiment_id` .* is required/],
    ['workflow_id with run_id', { run_id: 'exprun_2', workflow_id: 'wf_1' }, 'workflow_id', /only used with `experiment_id`/],
    ['a malformed experiment_id', { experiment_id: 'exp/../x' }, 'experiment_id', /letters, digits, "_" and "-".*"exp_abc123"/],
    ['a malformed workflow_id', { experiment_id: 'exp_1', workflow_id: 'wf 1' }, 'workflow_id', /"wf_abc123"/],
  ])('%s is an input error naming the input', (_name, overrides, input, message) => {
    const result = parse(overrides);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => error.input)).toContain(input);
    expect(result.errors.find((error) => error.input === input)?.message).toMatch(message);
  });

  it('reports the choice together with the other bad inputs', () => {
    const result = parse({ threshold: 'high' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((error) => error.input)).toEqual(['run_id', 'threshold']);
  });
});

describe('cancel_on_abort', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['false', false],
    ['False', false],
    [' false ', false],
    ['', true],
  ])('reads %j as %s', (value, expected) => {
    const result = parse({ experiment_id: 'exp_1', cancel_on_abort: value });
    expect(result.ok && result.settings.cancelOnAbort).toBe(expected);
  });

  it.each(['yes', '1', 'no', 'off', 'truee'])('rejects %j', (value) => {
    const result = parse({ experiment_id: 'exp_1', cancel_on_abort: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toBe(`Input \`cancel_on_abort\`: got "${value}"; expected "true" (cancel a run the action started when the wait gives up) or "false"`);
  });
});
