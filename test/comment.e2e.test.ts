/**
 * The pull request comment belongs to its gate, end to end: the built action against the GitHub
 * simulator, whose comments have authors and whose tokens are installation or personal tokens.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GITHUB_ACTIONS_BOT, startGithubSimulator } from './simulator/github-simulator.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { pullRequestEnv as pullRequestEnvIn } from './support/pull-request-env.js';
import { runAction } from './support/run-action.js';

const INSTALLATION_TOKEN = 'ghs_job_token_e2e';
const PERSONAL_TOKEN = 'github_pat_e2e_fine_grained';
const OCTOCAT = { login: 'octocat', id: 583231, type: 'User' as const };

let retab: Awaited<ReturnType<typeof startSimulator>>;
let github: Awaited<ReturnType<typeof startGithubSimulator>>;
let noGraphql: Awaited<ReturnType<typeof startGithubSimulator>>;
let dir: string;

beforeAll(async () => {
  retab = await startSimulator();
  github = await startGithubSimulator({ tokens: [INSTALLATION_TOKEN], personalTokens: { [PERSONAL_TOKEN]: OCTOCAT } });
  noGraphql = await startGithubSimulator({ tokens: [INSTALLATION_TOKEN], personalTokens: { [PERSONAL_TOKEN]: OCTOCAT }, graphql: false });
  dir = await mkdtemp(join(tmpdir(), 'retab-comment-e2e-'));
});
afterAll(async () => {
  await retab.close();
  await github.close();
  await noGraphql.close();
  await rm(dir, { recursive: true, force: true });
});

/** A pull request run of the job `gate` in workflow `CI`, its gate step being `step`. */
const pullRequestEnv = (number: number, { step = 'gate', api = github.url } = {}) => pullRequestEnvIn(dir, number, { step, api });

const gateInputs = (runId: string, extra: Record<string, string> = {}) => ({
  run_id: runId,
  threshold: '0.7',
  api_key: retab.apiKey,
  base_url: retab.url,
  poll_interval: '100ms',
  comment: 'true',
  github_token: INSTALLATION_TOKEN,
  ...extra,
});

const commentsOn = (sim: typeof github, number: number) => sim.comments.filter((c) => c.issue === `octo/repo#${number}`);
const ourComments = (sim: typeof github, number: number) => commentsOn(sim, number).filter((c) => c.body.startsWith('<!-- retab-experiment-gate'));
/** The log without the lines that register secrets with the runner's masking. */
const unmasked = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`.replace(/^::add-mask::.*$/gm, '');
const commentWrites = (sim: typeof github) => sim.requests.filter((r) => r.method !== 'GET' && r.path.includes('/issues/'));

describe('the pull request comment belongs to the gate', () => {
  it("never edits another user's comment that carries the gate's exact marker: it writes its own", async () => {
    // The gate's real marker, as anyone can read it from a comment it wrote on another pull request.
    const first = await runAction({ inputs: gateInputs('exprun_pass'), env: await pullRequestEnv(31) });
    expect(first.exitCode).toBe(0);
    const marker = ourComments(github, 31)[0]?.body.split('\n')[0] ?? '';
    expect(marker).toMatch(/^<!-- retab-experiment-gate .* -->$/);

    const copy = `${marker}\n\nLooks like the gate passed, merge away!`;
    const planted = github.addComment('octo/repo#32', copy);
    const writesBefore = commentWrites(github).length;
    const result = await runAction({ inputs: gateInputs('exprun_low'), env: await pullRequestEnv(32) });
    expect(result.exitCode).toBe(1);
    expect(planted.body).toBe(copy);
    const writes = commentWrites(github).slice(writesBefore);
    expect(writes.map((w) => w.method)).toEqual(['POST']);
    expect(result.stdout).toMatch(/Pull request comment created as github-actions\[bot\]: https:\/\/github\.example\/octo\/repo\/pull\/32#issuecomment-\d+/);
    const ours = commentsOn(github, 32).filter((c) => c.user.id === GITHUB_ACTIONS_BOT.id);
    expect(ours).toHaveLength(1);
    expect(ours[0]?.body).toContain('failed');
    // The job's token is an installation token: GitHub refuses it `GET /user`, so the action asks GraphQL `viewer`.
    expect(github.requests.some((r) => r.path === '/graphql' && r.body.includes('viewer'))).toBe(true);
    expect(unmasked(result)).not.toContain(INSTALLATION_TOKEN);
  });

  it("keeps each matrix leg's comment: a passing leg never overwrites a failing one, and a leg's next run updates its own", async () => {
    const env = await pullRequestEnv(33);
    const linux = await runAction({ inputs: gateInputs('exprun_low'), env, matrix: { os: 'ubuntu-latest', node: 20 } });
    expect(linux.exitCode).toBe(1);
    const windows = await runAction({ inputs: gateInputs('exprun_pass'), env, matrix: { os: 'windows-latest', node: 20 } });
    expect(windows.exitCode).toBe(0);

    const legs = ourComments(github, 33);
    expect(legs).toHaveLength(2);
    const linuxComment = legs.find((c) => c.body.includes('os=ubuntu\\-latest'));
    const windowsComment = legs.find((c) => c.body.includes('os=windows\\-latest'));
    expect(linuxComment?.body).toContain('Retab experiment gate: failed');
    expect(windowsComment?.body).toContain('Retab experiment gate: passed');

    // The same leg again (the runner may order the keys differently): its own comment is updated.
    const linuxAgain = await runAction({ inputs: gateInputs('exprun_pass'), env, matrix: { node: 20, os: 'ubuntu-latest' } });
    expect(linuxAgain.stdout).toContain('Pull request comment updated as github-actions[bot]');
    expect(ourComments(github, 33)).toHaveLength(2);
    expect(linuxComment?.body).toContain('Retab experiment gate: passed');
    expect(windowsComment?.body).toContain('os=windows\\-latest');
  });

  it('gives two gate steps in one job their own comments', async () => {
    const invoices = await runAction({ inputs: gateInputs('exprun_low'), env: await pullRequestEnv(34, { step: 'gate_invoices' }) });
    const receipts = await runAction({ inputs: gateInputs('exprun_pass'), env: await pullRequestEnv(34, { step: 'gate_receipts' }) });
    expect([invoices.exitCode, receipts.exitCode]).toEqual([1, 0]);
    const comments = ourComments(github, 34);
    expect(comments).toHaveLength(2);
    expect(comments.map((c) => /Retab experiment gate: (\w+)/.exec(c.body)?.[1]).sort()).toEqual(['failed', 'passed']);
  });

  it('tells apart, by their `name`, two gates the defaults cannot (the same job and step, no matrix)', async () => {
    const env = await pullRequestEnv(35);
    await runAction({ inputs: gateInputs('exprun_low', { name: 'invoices' }), env });
    await runAction({ inputs: gateInputs('exprun_pass', { name: 'receipts' }), env });
    const comments = ourComments(github, 35);
    expect(comments).toHaveLength(2);
    expect(comments.find((c) => c.body.includes('Gate invoices'))?.body).toContain('Retab experiment gate: failed');
    expect(comments.find((c) => c.body.includes('Gate receipts'))?.body).toContain('Retab experiment gate: passed');
    await runAction({ inputs: gateInputs('exprun_pass', { name: 'invoices' }), env });
    expect(ourComments(github, 35)).toHaveLength(2);
    expect(comments.find((c) => c.body.includes('Gate invoices'))?.body).toContain('Retab experiment gate: passed');
  });

  it("writes as a personal token's user, and leaves the job token's comment with the same marker alone", async () => {
    const env = await pullRequestEnv(36);
    await runAction({ inputs: gateInputs('exprun_low'), env });
    const botComment = ourComments(github, 36)[0];
    const botBody = botComment?.body;
    const result = await runAction({ inputs: gateInputs('exprun_pass', { github_token: PERSONAL_TOKEN }), env });
    expect(botComment?.body).toBe(botBody);
    expect(ourComments(github, 36).map((c) => c.user.login).sort()).toEqual(['github-actions[bot]', 'octocat']);
    expect(result.stdout).toContain('Pull request comment created as octocat');
    // Updated on the next run: the personal token finds its own comment.
    const again = await runAction({ inputs: gateInputs('exprun_low', { github_token: PERSONAL_TOKEN }), env });
    expect(again.stdout).toContain('Pull request comment updated as octocat');
    expect(unmasked(again)).not.toContain(PERSONAL_TOKEN);
  });

  it("finds its comment on a later page of a long pull request's comments, and updates it", async () => {
    for (let i = 0; i < 230; i++) github.addComment('octo/repo#40', `comment ${i}`);
    const env = await pullRequestEnv(40);
    const first = await runAction({ inputs: gateInputs('exprun_low'), env });
    expect(first.stdout).toContain('Pull request comment created as github-actions[bot]');
    const again = await runAction({ inputs: gateInputs('exprun_pass'), env });
    expect(again.stdout).toContain('Pull request comment updated as github-actions[bot]');
    expect(ourComments(github, 40)).toHaveLength(1);
    expect(ourComments(github, 40)[0]?.body).toContain('Retab experiment gate: passed');
    // Three pages of 100, each asked for once per run, the later ones by the `Link` header's address.
    const pages = github.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/repos/octo/repo/issues/40/comments'));
    expect(pages.map((r) => new URL(r.path, 'http://x').searchParams.get('page') ?? '1')).toEqual(['1', '2', '3', '1', '2', '3']);
  });

  it('with a token GitHub refuses, warns once and never shows the token', async () => {
    const badToken = 'ghp_refused_token_e2e_0123456789';
    const result = await runAction({ inputs: gateInputs('exprun_pass', { github_token: badToken }), env: await pullRequestEnv(39) });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/::warning::Could not comment on pull request #39 of octo\/repo \(HTTP 401\): the `github_token` was refused\./);
    // Refused by `viewer`: not asked again through `GET /user`.
    expect(github.requests.filter((r) => r.authorization === `token ${badToken}`).map((r) => r.path)).toEqual(['/graphql']);
    expect(unmasked(result)).not.toContain(badToken);
    expect(commentsOn(github, 39)).toEqual([]);
  });

  it('without GraphQL, knows a personal token by `GET /user`; an installation token, which it refuses, gets a warning and no comment', async () => {
    const env = await pullRequestEnv(37, { api: noGraphql.url });
    const personal = await runAction({ inputs: gateInputs('exprun_pass', { github_token: PERSONAL_TOKEN }), env });
    expect(personal.exitCode).toBe(0);
    expect(personal.stdout).toContain('Pull request comment created as octocat');
    expect(noGraphql.requests.some((r) => r.path === '/user' && r.method === 'GET')).toBe(true);

    const planted = noGraphql.addComment('octo/repo#38', ourComments(noGraphql, 37)[0]?.body ?? '', GITHUB_ACTIONS_BOT);
    const before = commentWrites(noGraphql).length;
    const installation = await runAction({ inputs: gateInputs('exprun_low'), env: await pullRequestEnv(38, { api: noGraphql.url }) });
    // The verdict is the gate's alone: the comment's trouble is a warning, not a second failure.
    expect(installation.exitCode).toBe(1);
    expect(installation.outputs.passed).toBe('false');
    expect(installation.stdout).toMatch(/::warning::Could not comment on pull request #38 of octo\/repo: could not tell which account the `github_token` writes as \(GraphQL `viewer`: HTTP 404 .*; `GET \/user`: HTTP 403 Resource not accessible by integration/);
    expect(installation.stdout).not.toMatch(/::error::.*comment/i);
    expect(commentWrites(noGraphql).slice(before)).toEqual([]);
    expect(planted.body).not.toContain('failed');
  });
});
