import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubSimulator } from './simulator/github-simulator.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { pullRequestEnv as pullRequestEnvIn } from './support/pull-request-env.js';
import { ROOT, runAction } from './support/run-action.js';

const TOKEN = 'ghs_simulator_token';
let retab: Awaited<ReturnType<typeof startSimulator>>;
let github: Awaited<ReturnType<typeof startGithubSimulator>>;
let dir: string;

beforeAll(async () => {
  retab = await startSimulator();
  github = await startGithubSimulator({ tokens: [TOKEN], readOnlyTokens: ['ghs_fork_read_only'] });
  dir = await mkdtemp(join(tmpdir(), 'retab-report-e2e-'));
});
afterAll(async () => {
  await retab.close();
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

const pullRequestEnv = (number: number, apiPath = '') => pullRequestEnvIn(dir, number, { api: `${github.url}${apiPath}` });

const gateInputs = (runId: string, extra: Record<string, string> = {}) => ({
  run_id: runId,
  threshold: '0.7',
  max_errors: '5',
  api_key: retab.apiKey,
  base_url: retab.url,
  poll_interval: '100ms',
  ...extra,
});

describe('the report, end to end on the built action', () => {
  it('fails on a regression past max_score_drop, with outputs, summary and the JSON report', async () => {
    const result = await runAction({ inputs: gateInputs('exprun_regressed', { max_score_drop: '0.02' }) });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', score: '0.8', prior_score: '0.86', score_delta: '-0.06' });
    expect(result.summary).toContain("| Change against the baseline | **▼ −0.0600 ± 0.0075** (95 % CI −0.0675 to −0.0525, 30 paired documents) against run exprun\\_pass, Retab's previous completed run, 0.8 against 0.86 | ≥ −0.02 ❌ |");
    expect(result.stdout).toContain('::error::score 0.8 fell 0.06 below the prior score 0.86 (run exprun_pass); at most 0.02 allowed (`max_score_drop`; scores of the documents that produced a result)');
    // One field table (score, baseline, change), folded.
    expect(result.summary).toContain('<details><summary>Fields: the 10 lowest-scoring of 10</summary>\n\n| Field | Score | Baseline | Change |');
    expect(result.summary).toContain('| invoice\\_date | 0.7738 | 0.876 | ▼ −0.1022 |');
    // runAction removes its RUNNER_TEMP afterwards; the path it gave must have been under it.
    expect(result.outputs.report_path).toMatch(/retab-gate-[^/]+\/retab-gate-[^/]+\/retab-gate-report\.json$/);
  });

  it('writes the report file with the comparison and the bounded lists', async () => {
    const runnerTemp = join(dir, 'runner-temp');
    await import('node:fs/promises').then((fs) => fs.mkdir(runnerTemp, { recursive: true }));
    const result = await runAction({ inputs: gateInputs('exprun_improved'), env: { RUNNER_TEMP: runnerTemp } });
    expect(result.exitCode).toBe(0);
    const reportPath = result.outputs.report_path ?? '';
    expect(reportPath.startsWith(runnerTemp)).toBe(true);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report).toMatchObject({ version: 1, passed: true, comparison: { score: 0.9073, prior_score: 0.8662, prior_run_id: 'exprun_pass' }, results: { document_count: 30, errored_document_count: 2 } });
    expect(report.metrics.worst_documents).toHaveLength(28);
    expect(result.summary).toContain('<details><summary>Errored documents (2 of 30)</summary>');
  });

  it('says so and passes on the run alone when metrics are unavailable', async () => {
    const result = await runAction({ inputs: gateInputs('exprun_stale', { max_score_drop: '0.02' }) });
    expect(result.exitCode).toBe(0);
    expect(result.summary).toContain('Per\\-document scores and the prior run are not shown, and the figures are point estimates without error bars: run exprun\\_stale has stale metrics');
    expect(result.summary).toContain('the regression gate \\(\\`max\\_score\\_drop\\`\\) was not applied');
    expect(result.stdout).toContain('::warning::run exprun_stale has stale metrics');
  });

  it('with confidence, passes a drop that may be noise and still fails a clear one, with the intervals as outputs', async () => {
    const pointOnly = await runAction({ inputs: gateInputs('exprun_noisy', { max_score_drop: '0.02' }) });
    expect(pointOnly.exitCode).toBe(1);
    const noisy = await runAction({ inputs: gateInputs('exprun_noisy', { max_score_drop: '0.02', confidence: '95%' }) });
    expect(noisy.exitCode).toBe(0);
    expect(noisy.outputs).toMatchObject({ passed: 'true', score_delta: '-0.03' });
    expect(Number(noisy.outputs.score_delta_ci_low)).toBeLessThan(-0.02);
    expect(Number(noisy.outputs.score_delta_ci_high)).toBeGreaterThan(-0.02);
    expect(noisy.summary).toContain('the drop may be noise, so the regression gate passes');
    expect(noisy.stdout).toContain('::warning::This experiment has too few documents for `max_score_drop` 0.02');

    const clear = await runAction({ inputs: gateInputs('exprun_regressed', { max_score_drop: '0.02', confidence: '0.95' }) });
    expect(clear.exitCode).toBe(1);
    expect(Number(clear.outputs.score_delta_ci_high)).toBeLessThan(-0.02);
    expect(Number(clear.outputs.score_ci_low)).toBeLessThan(0.8);
    expect(Number(clear.outputs.score_ci_high)).toBeGreaterThan(0.8);
    expect(clear.stdout).toMatch(/::error::the score fell: the mean change over the 30 documents scored in both runs is −0\.0600 \(95 %25 CI −0\.0675 to −0\.0525\)/); // the runner decodes %25 back to %; the change and its interval with the same decimals
  });

  it("draws the experiment's recent completed runs as a trend, this run last", async () => {
    const result = await runAction({ inputs: gateInputs('exprun_trend') });
    expect(result.exitCode).toBe(0);
    // exp_trend: 0.91, 0.9, 0.91, 0.89, 0.88, (an errored run), 0.87, then this run, 0.84.
    expect(result.summary).toContain('| Trend | 0.91 █▇█▆▅▄▁ 0.84 (7 completed runs, oldest first; lowest 0.84, highest 0.91) |  |');
  });

  it('says how many documents were paired when the prior run scored other documents', async () => {
    const runnerTemp = join(dir, 'runner-temp-paired');
    await import('node:fs/promises').then((fs) => fs.mkdir(runnerTemp, { recursive: true }));
    const result = await runAction({ inputs: gateInputs('exprun_half_paired', { max_score_drop: '0.02', confidence: '95%' }), env: { RUNNER_TEMP: runnerTemp } });
    const report = JSON.parse(await readFile(result.outputs.report_path ?? '', 'utf8'));
    const paired = report.comparison?.statistics?.paired_document_count;
    expect(paired).toBeGreaterThan(5);
    expect(paired).toBeLessThan(35);
    expect(result.summary).toContain(`${paired} documents in both runs; ${40 - paired} scored in this run only`);
  });

  it('fails the max_score_drop rule when metrics are unavailable and on_missing_comparison is fail', async () => {
    const result = await runAction({ inputs: gateInputs('exprun_stale', { max_score_drop: '0.02', on_missing_comparison: 'fail' }) });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'completed', prior_score: '', score_delta: '' });
    expect(result.summary.split('\n')[0]).toBe('### ❌ Retab experiment gate: failed (no comparison with the prior run)');
    expect(result.stdout).toContain('::error::the regression gate (`max_score_drop`) was not applied: run exprun_stale has stale metrics');
  });

  it('creates one pull request comment, then updates it on the next run, never duplicating it', async () => {
    github.addComment('octo/repo#7', 'an unrelated comment');
    const env = await pullRequestEnv(7);
    const first = await runAction({ inputs: gateInputs('exprun_improved', { comment: 'true', github_token: TOKEN }), env });
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/Pull request comment created as github-actions\[bot\]: https:\/\/github\.example\/octo\/repo\/pull\/7#issuecomment-\d+/);
    const ours = () => github.comments.filter((c) => c.issue === 'octo/repo#7' && c.body.startsWith('<!-- retab-experiment-gate'));
    expect(ours()).toHaveLength(1);
    expect(ours()[0]?.body.split('\n')[0]).toBe('<!-- retab-experiment-gate workflow=CI job=gate matrix= step=gate name= -->');
    expect(ours()[0]?.body).toContain('[Workflow run 456](https://github.example/octo/repo/actions/runs/456)');

    const second = await runAction({ inputs: gateInputs('exprun_regressed', { comment: 'true', github_token: TOKEN, max_score_drop: '0.02' }), env });
    expect(second.exitCode).toBe(1);
    expect(second.stdout).toContain('Pull request comment updated');
    expect(ours()).toHaveLength(1);
    expect(ours()[0]?.body).toContain('failed (score regressed)');
    expect(github.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/comments'))).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    // The token went only to the GitHub API, and never into the log.
    expect(github.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    expect(first.stdout + second.stdout).not.toContain(`token ${TOKEN}`);
    expect(first.stdout).toContain(`::add-mask::${TOKEN}`);
  });

  it('turns a fork pull request 403 into a warning, never a failed step', async () => {
    const result = await runAction({ inputs: gateInputs('exprun_pass', { comment: 'true', github_token: 'ghs_fork_read_only' }), env: await pullRequestEnv(8) });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.passed).toBe('true');
    expect(result.stdout).toMatch(/::warning::Could not comment on pull request #8 of octo\/repo \(HTTP 403\): the token cannot write comments\. A pull request from a fork/);
  });

  it('honours GITHUB_API_URL (GitHub Enterprise under /api/v3) and on-failure mode', async () => {
    const env = await pullRequestEnv(9, '/api/v3');
    const pass = await runAction({ inputs: gateInputs('exprun_pass', { comment: 'on-failure', github_token: TOKEN }), env });
    expect(pass.stdout).toContain('No pull request comment: the gate passed and there is no earlier comment to update');
    const fail = await runAction({ inputs: gateInputs('exprun_low', { comment: 'on-failure', github_token: TOKEN }), env });
    expect(fail.exitCode).toBe(1);
    expect(fail.stdout).toContain('Pull request comment created');
    expect(github.requests.filter((r) => r.path.startsWith('/api/v3/repos/octo/repo/issues/9/comments')).length).toBeGreaterThan(0);
    const push = await runAction({ inputs: gateInputs('exprun_low', { comment: 'true', github_token: TOKEN }), env: { ...env, GITHUB_EVENT_NAME: 'push' } });
    expect(push.stdout).toContain('No pull request comment: the event is "push", not a pull request.');
  });

  it('keeps a 50,000-document run bounded: summary under 1 MiB, comment under 65,536 characters', async () => {
    const probe = join(dir, 'maxrss');
    const result = await runAction({
      inputs: gateInputs('exprun_large', { max_errors: '10000', comment: 'true', github_token: TOKEN }),
      env: { ...(await pullRequestEnv(10)), MEMORY_PROBE_FILE: probe },
      nodeArgs: ['--import', pathToFileURL(join(ROOT, 'test', 'support', 'memory-probe.js')).href],
    });
    expect(result.exitCode).toBe(0);
    expect(Buffer.byteLength(result.summary)).toBeLessThan(1024 * 1024);
    expect(result.summary).toContain('<details><summary>Errored documents (1234 of 50000)</summary>');
    expect(result.summary).toContain('…and 48746 more scored documents.');
    const comment = github.comments.find((c) => c.issue === 'octo/repo#10');
    expect(comment?.body.length).toBeLessThan(65_536);
    // Pages of 100, the most Retab's CLI accepts (a server may refuse more).
    const pages = retab.requests.filter((r) => r.path.startsWith('/v1/workflows/experiments/results?run_id=exprun_large'));
    expect(pages).toHaveLength(500);
    expect(pages.every((r) => r.path.includes('limit=100'))).toBe(true);
    const peak = Number(await readFile(probe, 'utf8'));
    console.log(`50,000 documents: summary ${Buffer.byteLength(result.summary)} bytes, comment ${comment?.body.length} chars, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
    // A generous bound: a regression that held every result would need far more.
    expect(peak).toBeLessThan(400 * 2 ** 20);
  }, 60_000);
});
