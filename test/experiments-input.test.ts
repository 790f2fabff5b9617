/**
 * The `experiments` input: every line checked before any request, a bad one named by its line, the
 * step's inputs as defaults, and exactly one of `run_id`, `experiment_id` and `experiments`.
 */
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../src/inputs/settings.js';
import { parseExperimentLines } from '../src/inputs/experiment-lines.js';
import { parseManySettings } from '../src/inputs/experiments.js';
import { rawInputs } from './support/raw-inputs.js';

const KEY = 'rt_test_key';
const parse = (experiments: string, overrides: Parameters<typeof rawInputs>[0] = {}) => parseManySettings(rawInputs({ api_key: KEY, experiments, ...overrides }), KEY, {});
const messages = (result: ReturnType<typeof parse>) => (result.ok ? [] : result.errors.map((error) => error.message));

describe('the line format', () => {
  it('reads ids, run: lines, key=value settings, quoted names, blank lines and comments', () => {
    const result = parseExperimentLines(['# the blocks of the invoice workflow', '', 'exp_extract threshold=0.9 name="Extract invoices"  # the main one', '  exp_classify max_errors=2 workflow_id=wf_x', 'run:exprun_abc max_score_drop=2%'].join('\n'));
    expect(result).toEqual({
      errors: [],
      lines: [
        { line: 3, target: { kind: 'experiment', experimentId: 'exp_extract' }, settings: { threshold: '0.9' }, name: 'Extract invoices' },
        { line: 4, target: { kind: 'experiment', experimentId: 'exp_classify' }, settings: { max_errors: '2', workflow_id: 'wf_x' }, name: 'exp_classify' },
        { line: 5, target: { kind: 'run', runId: 'exprun_abc' }, settings: { max_score_drop: '2%' }, name: 'run:exprun_abc' },
      ],
    });
  });

  it.each([
    ['exp_a thresold=0.9', 'line 1: got "thresold=0.9"; expected `key=value` with a key among threshold, max_errors'],
    ['exp_a threshold', 'line 1: got "threshold"; expected `key=value`'],
    ['threshold=0.9', 'line 1: got "threshold=0.9"; a line starts with an experiment id'],
    ['exp_a threshold=0.9 threshold=0.8', 'line 1 (`threshold`): got "threshold=0.8"; each setting at most once'],
    ['run:exprun_a workflow_id=wf_1', 'line 1 (`workflow_id`): got "wf_1"; `workflow_id` is only used to start a run'],
    ['run:', 'line 1: got "run:"; expected a run id after `run:`'],
    ['exp_a name="unterminated', 'line 1: got "exp_a name=\\"unterminated"; a value with spaces goes in double quotes'],
    ['exp_a name=', 'line 1 (`name`): got ""; expected a name of 1 to 100 printable characters'],
  ])('refuses %j, naming the line', (text, expected) => {
    const result = parseExperimentLines(text);
    expect(result.errors.map((error) => error.message).join('\n')).toContain(`Input \`experiments\`, ${expected}`);
  });

  it.each([
    ['exp_a name=Extract invoices threshold=0.9', 'line 1 (`name`): got "name=Extract invoices"; a value with spaces goes in double quotes right after `=`: name="Extract invoices"'],
    ["exp_a name='Extract invoices'", 'line 1 (`name`): got "name=\'Extract invoices\'"; a value with spaces goes in double quotes right after `=`: name="Extract invoices"'],
    ['exp_a threshold = 0.9', 'line 1 (`threshold`): got "threshold = 0.9"; write `threshold=0.9`, without spaces around `=`'],
    ['exp_a threshold =0.9', 'line 1 (`threshold`): got "threshold =0.9"; write `threshold=0.9`, without spaces around `=`'],
    ['exp_a max_errors= 2', 'line 1 (`max_errors`): got "max_errors= 2"; write `max_errors=2`, without spaces around `=`'],
    ['exp_a exp_b', 'line 1: got "exp_b"; one experiment per line, without commas: write `experiments: |`'],
    ['exp_a, run:exprun_b', 'line 1: got "run:exprun_b"; one experiment per line'],
  ])('refuses %j with a hint on how to write spaces', (text, expected) => {
    const result = parseExperimentLines(text);
    expect(result.errors.map((error) => error.message)).toEqual([expect.stringContaining(`Input \`experiments\`, ${expected}`)]);
  });

  it('gives the plain message when no spaces hint fits', () => {
    expect(parseExperimentLines('exp_a name=Invoices colour=red').errors.map((error) => error.message)).toEqual(['Input `experiments`, line 1: got "colour=red"; expected `key=value` with a key among threshold, max_errors, max_score_drop, baseline_run_id, workflow_id, name']);
  });

  it('reports several bad lines in line order, whatever was wrong with each', () => {
    const text = ['exp_a threshold=85', 'exp_b thresold=0.9', 'exp_c', 'exp_d max_errors=-1', 'exp_a', 'exp_e name=Two words'].join('\n');
    expect(messages(parse(text)).map((message) => /line (\d+)/.exec(message)?.[1])).toEqual(['1', '2', '4', '5', '6']);
  });

  it('refuses the same experiment, run or name twice, and an input with no experiment', () => {
    expect(messages(parse('exp_a\nexp_b\nexp_a'))).toEqual(['Input `experiments`, line 3: got "exp_a"; line 1 already names it; give each experiment or run once']);
    expect(messages(parse('run:exprun_1\nrun:exprun_1'))[0]).toContain('line 2: got "run:exprun_1"; line 1 already names it');
    expect(messages(parse('exp_a name=x\nexp_b name=x'))[0]).toContain('line 2 (`name`): got "x"; line 1 has the same name');
    expect(messages(parse('# nothing here\n\n'))[0]).toContain('expected at least one experiment');
  });

  it('refuses more than 50 lines', () => {
    const lines = Array.from({ length: 51 }, (_, i) => `exp_${i}`).join('\n');
    expect(messages(parse(lines))[0]).toContain('at most 50 experiments per step');
    expect(parse(lines.split('\n').slice(0, 50).join('\n')).ok).toBe(true);
  });
});

describe('the settings of each line', () => {
  it('takes the step inputs as defaults and the line settings on top', () => {
    const result = parse('exp_a\nexp_b threshold=85% max_errors=3 baseline_run_id=exprun_base\nrun:exprun_c', { threshold: '0.7', workflow_id: 'wf_main', max_score_drop: '0.05', timeout: '10m', fail_fast: 'true' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [a, b, c] = result.many.experiments.map((experiment) => experiment.settings);
    expect(a).toMatchObject({ target: { kind: 'experiment', experimentId: 'exp_a', workflowId: 'wf_main' }, threshold: 0.7, maxErrors: 0, maxScoreDrop: 0.05, baselineRunId: null });
    expect(b).toMatchObject({ target: { kind: 'experiment', experimentId: 'exp_b', workflowId: 'wf_main' }, threshold: 0.85, maxErrors: 3, baselineRunId: 'exprun_base' });
    // The step's workflow_id is for the lines that start a run: a run: line does not take it.
    expect(c).toMatchObject({ target: { kind: 'run', runId: 'exprun_c' }, threshold: 0.7 });
    expect(result.many.step).toMatchObject({ timeoutMs: 600_000, failFast: true });
  });

  it('checks every line with the single-experiment rules and names the bad one by its line', () => {
    const errors = messages(parse('exp_a threshold=0.9\nexp_b threshold=85\nexp/c\nrun:exprun_d max_errors=-1\nexp_e max_score_drop=2'));
    expect(errors).toEqual([
      expect.stringContaining('Input `experiments`, line 2 (`threshold`): got "85"; expected a minimum score from 0 to 1'),
      expect.stringContaining('Input `experiments`, line 3: got "exp/c"; the experiment id: expected an id made of letters'),
      expect.stringContaining('Input `experiments`, line 4 (`max_errors`): got "-1"; expected a whole number'),
      expect.stringContaining('Input `experiments`, line 5 (`max_score_drop`): got "2"; expected empty (no regression gate)'),
    ]);
  });

  it("refuses a line whose baseline is its own run, from the line or from the step's input, naming the line", () => {
    expect(messages(parse('run:exprun_a baseline_run_id=exprun_a\nrun:exprun_b baseline_run_id=exprun_a'))).toEqual([
      'Input `experiments`, line 1 (`baseline_run_id`): got "exprun_a"; it is this line\'s own run (`run:exprun_a`), and a run compared with itself never shows a change; give the id of another run, or remove it (the previous completed run)',
    ]);
    expect(messages(parse('run:exprun_a\nrun:exprun_b\nexp_c', { baseline_run_id: 'exprun_b' }))).toEqual([
      "Input `experiments`, line 2: got \"exprun_b\"; the step's `baseline_run_id` is this line's own run (`run:exprun_b`), and a run compared with itself never shows a change; give this line a `baseline_run_id` of another run, or change the step's",
    ]);
    // The line's own baseline takes the step's place.
    expect(parse('run:exprun_b baseline_run_id=exprun_a', { baseline_run_id: 'exprun_b' }).ok).toBe(true);
  });

  it('reports a bad step input once, by its own name, not once per line', () => {
    const errors = messages(parse('exp_a\nexp_b\nexp_c', { timeout: 'forever', threshold: '2' }));
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(expect.arrayContaining([expect.stringContaining('Input `timeout`: got "forever"'), expect.stringContaining('Input `threshold`: got "2"')]));
  });

  it('lets a line give the threshold the step does not', () => {
    expect(parse('exp_a threshold=0.9', { threshold: '' }).ok).toBe(true);
    expect(messages(parse('exp_a threshold=0.9\nexp_b', { threshold: '' }))).toEqual([expect.stringContaining('Input `threshold`: got ""; it is required')]);
  });

  it('wants exactly one of run_id, experiment_id and experiments', () => {
    expect(messages(parse('exp_a', { run_id: 'exprun_x' }))).toEqual([expect.stringContaining('Input `run_id`: got "exprun_x"; `experiments` is also given')]);
    expect(messages(parse('exp_a', { experiment_id: 'exp_x' }))).toEqual([expect.stringContaining('Input `experiment_id`: got "exp_x"; `experiments` is also given')]);
    const none = parseSettings(rawInputs({ api_key: KEY }), KEY, {});
    expect(none.ok ? [] : none.errors.map((error) => error.message)).toEqual([expect.stringContaining('`experiments` (several, one per line) and `experiment_id`')]);
  });

  it('checks fail_fast', () => {
    expect(messages(parse('exp_a', { fail_fast: 'yes' }))).toEqual([expect.stringContaining('Input `fail_fast`: got "yes"; expected "false"')]);
  });
});

it("the README's three-block example is a valid `experiments` input", async () => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const block = /^ {10}experiments: \|\n((?: {12}.*\n)+)/m.exec(readme)?.[1];
  expect(block).toBeDefined();
  const text = (block ?? '').replace(/^ {12}/gm, '');
  const result = parse(text, { threshold: '0.85', workflow_id: 'wf_invoices' });
  expect(result.ok ? result.many.experiments.map((experiment) => [experiment.name, experiment.settings.threshold]) : result.errors.map((error) => error.message)).toEqual([
    ['Extract invoice', 0.9],
    ['Classifier', 0.85],
    ['Split', 0.85],
  ]);
});
