/**
 * The baseline comes from the base branch: run() (with the real `@actions/github` client) against
 * the GitHub simulator's commit history and check runs, and the Retab simulator's runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/main.js';
import { startGithubSimulator } from './simulator/github-simulator.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { recordingIO } from './support/recording-io.js';
import { simulatorInputs } from './support/simulator-inputs.js';

const TOKEN = 'ghs_baseline_token';
const READ_ONLY = 'ghs_baseline_read_only';
const sha = (n: number) => n.toString(16).padStart(40, 'a');
/** main's history, newest first: sha(0) is the pull request's base. */
const HISTORY = Array.from({ length: 30 }, (_, i) => sha(i));
const HEAD = 'f'.repeat(40);
const NAME = 'Retab gate: exp_abc';

let retab: Awaited<ReturnType<typeof startSimulator>>;
let github: Awaited<ReturnType<typeof startGithubSimulator>>;
let dir: string;
let events = 0;

beforeAll(async () => {
  retab = await startSimulator({
    runs: [
      // Another block than the gated runs' (the simulator's default fingerprint).
      { id: 'exprun_base', runningMs: 0, total: 12, blockFingerprint: '1aa04eeb8dfdc153', final: { status: 'completed', score: 0.9, error_count: 0 } },
      { id: 'exprun_other_exp', runningMs: 0, total: 12, experimentId: 'exp_other', final: { status: 'completed', score: 0.95, error_count: 0 } },
      { id: 'exprun_other_docs', runningMs: 0, total: 12, documentsFingerprint: 'feedfacefeedface', final: { status: 'completed', score: 0.9, error_count: 0 } },
      { id: 'exprun_same_block', runningMs: 0, total: 12, final: { status: 'completed', score: 0.86, error_count: 0 } },
    ],
  });
  github = await startGithubSimulator({ tokens: [TOKEN], readOnlyTokens: [READ_ONLY], history: HISTORY });
  dir = await mkdtemp(join(tmpdir(), 'retab-baseline-'));
});
afterAll(async () => {
  await retab.close();
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

/** A pull request of `octo/repo` onto main at `base`. */
async function pullRequest(base: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const path = join(dir, `event-${++events}.json`);
  await writeFile(path, JSON.stringify({ pull_request: { number: 7, head: { sha: HEAD }, base: { sha: base, ref: 'main' } } }));
  return { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path, GITHUB_REPOSITORY: 'octo/repo', GITHUB_SHA: 'e'.repeat(40), GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.example', ...extra };
}

const gateOn = async (runId: string, env: Record<string, string>, extra: Record<string, string> = {}) => {
  const { io, recording } = recordingIO(simulatorInputs(retab, { run_id: runId, threshold: '0.7', github_token: TOKEN, max_score_drop: '0.05', ...extra }));
  await run({ io, env });
  return recording;
};
const checkRunsOn = (commit: string) => github.checkRuns.filter((c) => c.head_sha === commit);
const cleanChecks = () => github.checkRuns.splice(0, github.checkRuns.length);

describe('a pull request compares with the run recorded on its base branch', () => {
  it('finds the base commit\'s run and asks the metrics with prior_run_id set to it', async () => {
    cleanChecks();
    github.addCheckRun(sha(0), NAME, 'exprun_base');
    const before = retab.requests.length;
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)));
    const metrics = retab.requests.slice(before).filter((r) => r.path.includes('/metrics') && r.path.includes('view=summary'));
    expect(metrics.map((r) => r.path).join('\n')).toContain('prior_run_id=exprun_base');
    expect(recording.outputs).toMatchObject({ baseline_run_id: 'exprun_base', baseline_source: 'base', prior_score: expect.any(String) });
    expect(recording.summary).toContain('exprun\\_base, gated on main at [aaaaaaa](https://github.example/octo/repo/commit/');
    expect(recording.summary).toContain('the base commit itself');
    expect(recording.summary).not.toContain('noise by construction');
    // Recorded on the pull request's head, not on the merge commit (GITHUB_SHA).
    const written = checkRunsOn(HEAD);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ name: NAME, external_id: 'exprun_pass', conclusion: 'success' });
    expect(checkRunsOn('e'.repeat(40))).toHaveLength(0);
  });

  it('finds a base several commits back, and says how far', async () => {
    cleanChecks();
    github.addCheckRun(sha(3), NAME, 'exprun_base');
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)));
    expect(recording.outputs).toMatchObject({ baseline_run_id: 'exprun_base', baseline_source: 'base' });
    expect(recording.summary).toContain('3 commits behind');
  });

  it('looks no further than 20 commits, in a few requests', async () => {
    cleanChecks();
    github.addCheckRun(sha(20), NAME, 'exprun_base');
    const before = github.requests.length;
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)));
    const reads = github.requests.slice(before).filter((r) => r.method === 'GET');
    expect(reads.length).toBeLessThanOrEqual(21);
    expect(reads.some((r) => r.path.includes(sha(20)))).toBe(false);
    expect(recording.outputs.baseline_source).toBe('previous');
  });

  it('with nothing recorded, falls back to the previous run and says how to record one', async () => {
    cleanChecks();
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)));
    expect(recording.outputs).toMatchObject({ baseline_source: 'previous', baseline_run_id: 'exprun_prior' });
    expect(recording.summary).toContain('no run of \\`main\\` was found: none of the last 20 commits');
    expect(recording.summary).toContain('gate the experiment on pushes to the base branch');
    expect(recording.failed).toBeNull();
  });

  it.each([
    ['a run of another experiment', 'exprun_other_exp'],
    ['a malformed id', 'exprun_x/../../v1/keys?'],
    ['the gated run itself', 'exprun_pass'],
  ])('passes over a record naming %s, and takes the next one', async (_what, externalId) => {
    cleanChecks();
    github.addCheckRun(sha(2), NAME, 'exprun_base');
    github.addCheckRun(sha(1), NAME, externalId);
    const before = retab.requests.length;
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)));
    expect(recording.outputs).toMatchObject({ baseline_run_id: 'exprun_base', baseline_source: 'base' });
    // Never put into a URL when it is not a run id.
    expect(retab.requests.slice(before).some((r) => r.path.includes('keys') || r.path.includes('..'))).toBe(false);
  });

  it('a baseline over other documents is not comparable: a warning and a note, or a failure with on_missing_comparison: fail', async () => {
    cleanChecks();
    github.addCheckRun(sha(0), NAME, 'exprun_other_docs');
    const warned = await gateOn('exprun_low', await pullRequest(sha(0)), { threshold: '0.5' });
    expect(warned.failed).toBeNull();
    expect(warned.outputs).toMatchObject({ baseline_run_id: 'exprun_other_docs', baseline_source: 'base', score_delta: '' });
    expect(warned.warnings.join('\n')).toContain('was over other documents');
    expect(warned.summary).toContain('not comparable');
    const failed = await gateOn('exprun_low', await pullRequest(sha(0)), { threshold: '0.5', on_missing_comparison: 'fail' });
    expect(failed.failed).toContain('was over other documents');
    expect(failed.outputs.passed).toBe('false');
  });

  it('a baseline_run_id of another experiment is not comparable either', async () => {
    cleanChecks();
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)), { baseline_run_id: 'exprun_other_exp', on_missing_comparison: 'fail' });
    expect(recording.outputs).toMatchObject({ baseline_run_id: 'exprun_other_exp', baseline_source: 'input', passed: 'false' });
    expect(recording.failed).toContain('is of experiment exp_other, not exp_abc');
  });

  it('the same block on both sides: the summary says the change is noise by construction', async () => {
    cleanChecks();
    github.addCheckRun(sha(0), NAME, 'exprun_same_block');
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)));
    expect(recording.summary).toContain('noise by construction');
  });

  it('an inconclusive drop passes, and its check run is neutral and says how many documents would settle it', async () => {
    cleanChecks();
    const recording = await gateOn('exprun_noisy', await pullRequest(sha(0)), { max_score_drop: '0.02', confidence: '95%', baseline: 'previous' });
    expect(recording.failed).toBeNull();
    const [check] = checkRunsOn(HEAD);
    expect(check).toMatchObject({ conclusion: 'neutral', external_id: 'exprun_noisy' });
    expect(check?.output?.title).toMatch(/^Inconclusive: .*about \d+ documents scored in both runs would settle it/);
  });

  it('a failing gate records a failure', async () => {
    cleanChecks();
    await gateOn('exprun_low', await pullRequest(sha(0)));
    expect(checkRunsOn(HEAD)[0]).toMatchObject({ conclusion: 'failure', external_id: 'exprun_low' });
  });

  it('a read-only token: the base is still found, one warning names the permission, the verdict is unchanged', async () => {
    cleanChecks();
    github.addCheckRun(sha(0), NAME, 'exprun_base');
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)), { github_token: READ_ONLY });
    expect(recording.outputs).toMatchObject({ baseline_run_id: 'exprun_base', baseline_source: 'base', passed: 'true' });
    expect(recording.failed).toBeNull();
    expect(recording.warnings).toHaveLength(1);
    expect(recording.warnings[0]).toContain('checks: write');
    expect(recording.warnings[0]).toContain('check: false');
    expect(recording.log()).not.toContain(READ_ONLY);
  });

  it('check: false writes no check run, and still compares with the base', async () => {
    cleanChecks();
    github.addCheckRun(sha(0), NAME, 'exprun_base');
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)), { check: 'false' });
    expect(recording.outputs.baseline_source).toBe('base');
    expect(checkRunsOn(HEAD)).toHaveLength(0);
  });

  it('baseline: previous compares with Retab\'s previous run on purpose', async () => {
    cleanChecks();
    github.addCheckRun(sha(0), NAME, 'exprun_base');
    const recording = await gateOn('exprun_pass', await pullRequest(sha(0)), { baseline: 'previous' });
    expect(recording.outputs).toMatchObject({ baseline_source: 'previous', baseline_run_id: 'exprun_prior' });
  });
});

describe('a push records, and compares with its parent', () => {
  it('records the run on the pushed commit, and compares with the run recorded on its parent', async () => {
    cleanChecks();
    github.addCheckRun(sha(1), NAME, 'exprun_base');
    const env = { GITHUB_EVENT_NAME: 'push', GITHUB_REPOSITORY: 'octo/repo', GITHUB_SHA: sha(0), GITHUB_REF_NAME: 'main', GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.example' };
    const recording = await gateOn('exprun_pass', env);
    expect(recording.outputs).toMatchObject({ baseline_run_id: 'exprun_base', baseline_source: 'base' });
    expect(checkRunsOn(sha(0))).toEqual([expect.objectContaining({ name: NAME, external_id: 'exprun_pass', conclusion: 'success' })]);
  });
});

describe('several experiments', () => {
  it('one check run per line, each under its own label, each finding its own base', async () => {
    cleanChecks();
    github.addCheckRun(sha(0), 'Retab gate: first', 'exprun_base');
    const { io, recording } = recordingIO(simulatorInputs(retab, { threshold: '0.7', github_token: TOKEN, max_errors: '5', experiments: 'run:exprun_pass name=first\nrun:exprun_improved name=second' }));
    await run({ io, env: await pullRequest(sha(0)) });
    expect(recording.failed).toBeNull();
    const written = checkRunsOn(HEAD);
    expect(written.map((c) => [c.name, c.external_id]).sort()).toEqual([
      ['Retab gate: first', 'exprun_pass'],
      ['Retab gate: second', 'exprun_improved'],
    ]);
    const rows = JSON.parse(recording.outputs.results ?? '[]') as Array<{ name: string; baseline_source: string | null; baseline_run_id: string | null }>;
    expect(rows.find((row) => row.name === 'first')).toMatchObject({ baseline_source: 'base', baseline_run_id: 'exprun_base' });
    expect(rows.find((row) => row.name === 'second')).toMatchObject({ baseline_source: 'previous' });
  });
});

describe('the search is bounded', () => {
  it('a GitHub API that never answers costs seconds, never the verdict', async () => {
    const hung = await startGithubSimulator({ tokens: [TOKEN], hang: true });
    try {
      const { io, recording } = recordingIO(simulatorInputs(retab, { run_id: 'exprun_pass', threshold: '0.7', github_token: TOKEN }));
      const started = Date.now();
      await run({ io, env: await pullRequest(sha(0), { GITHUB_API_URL: hung.url }), commentTimeLimitMs: 500 });
      expect(Date.now() - started).toBeLessThan(9_000);
      expect(recording.failed).toBeNull();
      expect(recording.outputs).toMatchObject({ passed: 'true', baseline_source: 'previous' });
      expect(recording.summary).toContain('the search for one stopped');
      // One request for the history, then nothing more to wait on; and one for the check run.
      expect(hung.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    } finally {
      await hung.close();
    }
  }, 15_000);
});
