/**
 * The two-workflow recipe end to end: the built action on a push records its run as a check run;
 * on a pull request it finds that run on the base branch and compares with it. Against the GitHub
 * simulator (history, check runs, read-only tokens) and the Retab simulator.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubSimulator } from './simulator/github-simulator.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

const TOKEN = 'ghs_baseline_e2e_token';
const READ_ONLY = 'ghs_baseline_e2e_read_only';
const sha = (n: number) => n.toString(16).padStart(40, 'c');
const HISTORY = Array.from({ length: 10 }, (_, i) => sha(i));
const HEAD = 'd'.repeat(40);

let retab: Awaited<ReturnType<typeof startSimulator>>;
let github: Awaited<ReturnType<typeof startGithubSimulator>>;
let dir: string;

beforeAll(async () => {
  retab = await startSimulator();
  github = await startGithubSimulator({ tokens: [TOKEN], readOnlyTokens: [READ_ONLY], history: HISTORY });
  dir = await mkdtemp(join(tmpdir(), 'retab-baseline-e2e-'));
});
afterAll(async () => {
  await retab.close();
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

const inputs = (runId: string, extra: Record<string, string> = {}) => ({ run_id: runId, threshold: '0.7', api_key: retab.apiKey, base_url: retab.url, poll_interval: '100ms', github_token: TOKEN, max_score_drop: '0.05', ...extra });
const common = () => ({ GITHUB_REPOSITORY: 'octo/repo', GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.example' });
/** A push of `commit` to main. */
const pushEnv = async (commit: string) => {
  const path = join(dir, `push-${commit.slice(0, 8)}.json`);
  await writeFile(path, JSON.stringify({ after: commit, ref: 'refs/heads/main' }));
  return { ...common(), GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: path, GITHUB_SHA: commit, GITHUB_REF_NAME: 'main' };
};
/** A pull request onto main at `base`. */
const pullRequestEnv = async (base: string, number = 5) => {
  const path = join(dir, `pr-${number}.json`);
  await writeFile(path, JSON.stringify({ pull_request: { number, head: { sha: HEAD }, base: { sha: base, ref: 'main' } } }));
  return { ...common(), GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path, GITHUB_SHA: 'e'.repeat(40) };
};
const log = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`.replace(/^::add-mask::.*$/gm, '');

describe('the two-workflow recipe', () => {
  it('a push records its run; a pull request two commits later compares with it', async () => {
    github.checkRuns.splice(0);
    // The push of sha(2) to main gates exprun_pass, and records it.
    const push = await runAction({ inputs: inputs('exprun_pass'), env: await pushEnv(sha(2)) });
    expect(push.exitCode).toBe(0);
    expect(github.checkRuns).toEqual([expect.objectContaining({ head_sha: sha(2), name: 'Retab gate: exp_abc', external_id: 'exprun_pass', conclusion: 'success', status: 'completed' })]);
    expect(github.checkRuns[0]?.output?.title).toMatch(/^Passed: score 0\.87/);
    expect(github.checkRuns[0]?.output?.summary).toContain('Retab experiment gate');

    // A pull request onto sha(0), two commits later, gates exprun_improved against it.
    const before = retab.requests.length;
    const pr = await runAction({ inputs: inputs('exprun_improved', { max_errors: '5' }), env: await pullRequestEnv(sha(0)) });
    expect(pr.exitCode).toBe(0);
    expect(pr.outputs).toMatchObject({ baseline_run_id: 'exprun_pass', baseline_source: 'base' });
    const metrics = retab.requests.slice(before).filter((r) => r.path.includes('/metrics') && r.path.includes('view=summary'));
    expect(metrics.length).toBeGreaterThan(0);
    for (const request of metrics) expect(request.path).toContain('prior_run_id=exprun_pass');
    expect(pr.summary).toContain('2 commits behind');
    expect(github.checkRuns.filter((c) => c.head_sha === HEAD)).toEqual([expect.objectContaining({ external_id: 'exprun_improved', conclusion: 'success' })]);
    expect(log(pr)).not.toContain(TOKEN);
  });

  it('a read-only token (a fork): one warning naming checks: write and check: false, the base still found, the verdict unchanged', async () => {
    github.checkRuns.splice(0);
    github.addCheckRun(sha(1), 'Retab gate: exp_abc', 'exprun_pass');
    const result = await runAction({ inputs: inputs('exprun_improved', { max_errors: '5', github_token: READ_ONLY }), env: await pullRequestEnv(sha(0), 6) });
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: 'true', baseline_run_id: 'exprun_pass', baseline_source: 'base' });
    const warnings = result.stdout.split('\n').filter((line) => line.startsWith('::warning::'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('checks: write');
    expect(warnings[0]).toContain('check: false');
    expect(github.checkRuns).toHaveLength(1);
    expect(log(result)).not.toContain(READ_ONLY);
  });

  it('nothing recorded: falls back to the previous run and says so', async () => {
    github.checkRuns.splice(0);
    const result = await runAction({ inputs: inputs('exprun_pass'), env: await pullRequestEnv(sha(0), 7) });
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ baseline_source: 'previous', baseline_run_id: 'exprun_prior' });
    expect(result.summary).toContain('was found: none of the last');
  });

  it('several experiments: one check run each, under its own label', async () => {
    github.checkRuns.splice(0);
    const result = await runAction({
      inputs: { threshold: '0.7', max_errors: '5', api_key: retab.apiKey, base_url: retab.url, poll_interval: '100ms', github_token: TOKEN, experiments: 'run:exprun_pass name=invoices\nrun:exprun_low name=receipts threshold=0.5' },
      env: await pullRequestEnv(sha(0), 8),
    });
    expect(result.exitCode).toBe(0);
    expect(github.checkRuns.map((c) => [c.head_sha, c.name, c.external_id, c.conclusion]).sort()).toEqual([
      [HEAD, 'Retab gate: invoices', 'exprun_pass', 'success'],
      [HEAD, 'Retab gate: receipts', 'exprun_low', 'success'],
    ]);
  });
});
