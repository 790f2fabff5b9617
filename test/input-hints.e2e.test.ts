/**
 * The hints for the common slips, on the built action the way the runner runs it: each names the
 * input, the value and what is accepted, and the step fails before any request reaches Retab. A
 * bare `timeout` under a minute is a warning, and the run is still gated.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator();
  dir = await mkdtemp(join(tmpdir(), 'retab-hints-'));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the action and checks that it sent Retab nothing and failed on its inputs. */
async function refused(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const before = sim.requests.length;
  const result = await runAction({ inputs: { threshold: '0.8', base_url: sim.url, api_key: sim.apiKey, ...inputs }, env });
  expect(sim.requests.length, 'requests sent to Retab').toBe(before);
  expect(result.exitCode).toBe(1);
  expect(result.outputs).toMatchObject({ passed: 'false', status: 'input_error' });
  return { ...result, problems: problems(result.stdout) };
}

/** The lines of the step's one `::error::` annotation. */
function problems(stdout: string): string[] {
  const annotations = stdout.split('\n').filter((line) => line.startsWith('::error::'));
  expect(annotations).toHaveLength(1);
  return (annotations[0] ?? '').slice('::error::'.length).split('%0A').map((line) => line.replace(/%25/g, '%'));
}

describe('hints for the common slips, before any request', () => {
  it('a decimal comma in every number input: did you mean the point?', async () => {
    const { problems } = await refused({ run_id: 'exprun_pass', threshold: '0,85', max_errors: '0,5', max_score_drop: '0,02', confidence: '0,95', timeout: '1,5h', poll_interval: '0,5s' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'Input `threshold`: got "0,85"; expected a minimum score from 0 to 1 (e.g. "0.85") or a percentage (e.g. "85%"); did you mean "0.85"? (a decimal point, not a comma)',
        'Input `max_errors`: got "0,5"; expected a whole number of errors that still passes, 0 or more (e.g. "0" or "3"); a count is a whole number, without a comma',
        expect.stringMatching(/^Input `max_score_drop`: got "0,02"; expected empty \(no regression gate\) or .*; did you mean "0\.02"\? \(a decimal point, not a comma\)$/),
        expect.stringMatching(/^Input `confidence`: got "0,95"; expected empty .* from 0\.5 to 0\.999.*; did you mean "0\.95"\? \(a decimal point, not a comma\)$/),
        expect.stringMatching(/^Input `timeout`: got "1,5h"; expected how long to wait in all, from 1s to 24h.*; did you mean "1\.5h"\? \(a decimal point, not a comma\)$/),
        expect.stringMatching(/^Input `poll_interval`: got "0,5s"; expected empty \(the action chooses\) or .*; did you mean "0\.5s"\? \(a decimal point, not a comma\)$/),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it('max_score_drop 2 and confidence 95: did you mean 2% and 95%?', async () => {
    const { problems } = await refused({ run_id: 'exprun_pass', max_score_drop: '2', confidence: '95' });
    expect(problems).toEqual([
      expect.stringMatching(/^Input `max_score_drop`: got "2"; expected .*from 0 to 1 \(e\.g\. "0\.02"\) or a percentage \(e\.g\. "2%"\); did you mean "2%"\?$/),
      expect.stringMatching(/^Input `confidence`: got "95"; expected .*from 0\.5 to 0\.999, e\.g\. "0\.95" or "95%"; did you mean "95%"\?$/),
    ]);
  });

  it.each(['null', 'undefined'])('run_id %j: an earlier step produced no id, and no URL is asked for', async (runId) => {
    const { problems } = await refused({ run_id: runId });
    expect(problems).toEqual([`Input \`run_id\`: got "${runId}"; that is no id: an earlier step produced none (a missing value written out as text); check the step that gives it; expected a run id made of letters, digits, "_" and "-" (at most 128), e.g. "exprun_abc123"`]);
  });

  it('experiments with spaces: how to quote a name, and no spaces around `=`', async () => {
    const { problems } = await refused({ experiments: 'exp_pass name=Extract invoices\nrun:exprun_low threshold = 0.6' });
    expect(problems).toEqual([
      'Input `experiments`, line 1 (`name`): got "name=Extract invoices"; a value with spaces goes in double quotes right after `=`: name="Extract invoices"',
      'Input `experiments`, line 2 (`threshold`): got "threshold = 0.6"; write `threshold=0.6`, without spaces around `=`',
    ]);
  });

  it('several bad lines of experiments, in line order', async () => {
    const lines = ['exp_pass threshold=0,9', 'exp_other thresold=0.9', 'run:null', 'run:exprun_low max_score_drop=2', 'exp_pass'];
    const { problems } = await refused({ experiments: lines.join('\n') });
    expect(problems).toEqual([
      expect.stringMatching(/^Input `experiments`, line 1 \(`threshold`\): got "0,9"; .*did you mean "0\.9"\?/),
      expect.stringMatching(/^Input `experiments`, line 2: got "thresold=0\.9"; expected `key=value`/),
      expect.stringMatching(/^Input `experiments`, line 3: got "null"; the run id after `run:`: that is no id: an earlier step produced none/),
      expect.stringMatching(/^Input `experiments`, line 4 \(`max_score_drop`\): got "2"; .*did you mean "2%"\?$/),
      'Input `experiments`, line 5: got "exp_pass"; line 1 already names it; give each experiment or run once',
    ]);
  });

  it('every boolean input read alike: the same message shape naming the default', async () => {
    const { problems } = await refused({ experiment_id: 'exp_pass', cancel_on_abort: 'yes', comment: 'yes' });
    expect(problems).toEqual([
      'Input `cancel_on_abort`: got "yes"; expected "true" (cancel a run the action started when the wait gives up) or "false"',
      'Input `comment`: got "yes"; expected "false" (no comment), "true" (comment on every pull request run) or "on-failure" (only when the gate fails)',
    ]);
    const several = await refused({ experiments: 'exp_pass', fail_fast: 'YES' });
    expect(several.problems).toEqual(['Input `fail_fast`: got "YES"; expected "false" (every experiment is waited for) or "true"']);
  });
});

describe('a bare timeout under a minute', () => {
  it('is ten seconds, with a warning saying to write 10m for minutes, and the run is still gated', async () => {
    const result = await runAction({ inputs: { run_id: 'exprun_pass', threshold: '0.8', base_url: sim.url, api_key: sim.apiKey, poll_interval: '100ms', timeout: '10' } });
    expect(result.stdout).toContain('::warning::`timeout` "10" is a bare number, so 10 seconds; write "10m" for 10 minutes, or "10s" to say seconds');
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: 'true', status: 'completed' });
  });

  it('is not warned about with a unit', async () => {
    const result = await runAction({ inputs: { run_id: 'exprun_pass', threshold: '0.8', base_url: sim.url, api_key: sim.apiKey, poll_interval: '100ms', timeout: '10s' } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain('::warning::`timeout`');
  });
});

describe('no key on a pull request from a fork', () => {
  async function pullRequestFrom(head: { full_name: string; fork: boolean }, name: string): Promise<Record<string, string>> {
    const path = join(dir, `${name}.json`);
    await writeFile(path, JSON.stringify({ pull_request: { number: 12, head: { repo: head }, base: { repo: { full_name: 'octo/repo', fork: false } } } }));
    return { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path, GITHUB_SERVER_URL: 'https://github.com', GITHUB_ACTION_REPOSITORY: 'octo/retab-experiment-gate', GITHUB_ACTION_REF: 'v1' };
  }

  it('says GitHub gives no secrets to forks and points to the safe recipes', async () => {
    const { problems } = await refused({ run_id: 'exprun_pass', api_key: '' }, await pullRequestFrom({ full_name: 'someone/repo', fork: true }, 'fork'));
    expect(problems).toEqual([
      "Input `api_key`: got \"\"; a Retab API key is required: set the `api_key` input (e.g. `${{ secrets.RETAB_API_KEY }}`) or the RETAB_API_KEY environment variable. This run is for a pull request from a fork, and GitHub gives no secrets to workflows run for a fork's pull request, so the key is empty. See https://github.com/octo/retab-experiment-gate/blob/v1/docs/forks.md for the safe ways to gate such pull requests (a `workflow_run` workflow, `pull_request_target` with care, or skipping the gate on forks)",
    ]);
  });

  it('with several experiments too, said once', async () => {
    const { problems } = await refused({ experiments: 'exp_pass\nexp_other', api_key: '' }, await pullRequestFrom({ full_name: 'someone/repo', fork: true }, 'fork-many'));
    expect(problems).toEqual([expect.stringContaining("GitHub gives no secrets to workflows run for a fork's pull request")]);
  });

  it('says nothing of forks on a pull request from a branch of the repository', async () => {
    const { problems } = await refused({ run_id: 'exprun_pass', api_key: '' }, await pullRequestFrom({ full_name: 'octo/repo', fork: false }, 'own'));
    expect(problems).toEqual(['Input `api_key`: got ""; a Retab API key is required: set the `api_key` input (e.g. `${{ secrets.RETAB_API_KEY }}`) or the RETAB_API_KEY environment variable']);
  });
});
