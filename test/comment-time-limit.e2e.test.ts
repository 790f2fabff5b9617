/**
 * The pull request comment has a time limit of its own, on the built action: a GitHub API that
 * accepts connections and never answers costs the step at most that limit after the verdict, with a
 * warning, and the verdict and the outputs stand; the job's cancellation (SIGINT, SIGTERM) during
 * the comment ends it at once, also when the wait was cancelled before it.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubSimulator } from './simulator/github-simulator.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { pullRequestEnv } from './support/pull-request-env.js';
import { runAction } from './support/run-action.js';

const TOKEN = 'ghs_job_token_time_limit';
/** The comment's own time limit (src/github/time-limit.ts), and what the runner and the machine may add. */
const LIMIT_MS = 15_000;
const MARGIN_MS = 4_000;

let retab: Awaited<ReturnType<typeof startSimulator>>;
let hanging: Awaited<ReturnType<typeof startGithubSimulator>>;
let dir: string;
beforeAll(async () => {
  retab = await startSimulator({ runs: [{ id: 'exprun_long', runningMs: 3_600_000, total: 10, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
  hanging = await startGithubSimulator({ tokens: [TOKEN], hang: true });
  dir = await mkdtemp(join(tmpdir(), 'retab-comment-limit-'));
});
afterAll(async () => {
  await retab.close();
  await hanging.close();
  await rm(dir, { recursive: true, force: true });
});

const inputs = (runId: string) => ({ run_id: runId, threshold: '0.7', api_key: retab.apiKey, base_url: retab.url, poll_interval: '100ms', comment: 'true', github_token: TOKEN });

/** When each watched line first shows in the log, in ms since the start; `then` runs at the first request to GitHub. */
function watch(then: (child: ChildProcess) => void = () => {}) {
  const seen: Record<string, number> = {};
  const started = Date.now();
  const before = hanging.requests.length;
  const onStart = (child: ChildProcess, output: { stdout: string }) => {
    const timer = setInterval(() => {
      for (const line of ['The run passed the gate.', 'The run did not pass the gate', 'Could not comment']) if (output.stdout.includes(line)) seen[line] ??= Date.now() - started;
      if (hanging.requests.length > before && seen.github === undefined) {
        seen.github = Date.now() - started;
        then(child);
      }
    }, 20);
    child.on('close', () => clearInterval(timer));
  };
  return { seen, onStart };
}

describe('a GitHub API that accepts and never answers', () => {
  it('costs the step at most the time limit after the verdict, with a warning; the verdict and outputs stand', async () => {
    const { seen, onStart } = watch();
    const result = await runAction({ inputs: inputs('exprun_pass'), env: await pullRequestEnv(dir, 51, { api: hanging.url }), onStart, killAfterMs: 120_000 });
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: 'true', status: 'completed', score: '0.87' });
    const verdictAt = seen['The run passed the gate.'] ?? 0;
    expect(verdictAt).toBeGreaterThan(0);
    expect(result.durationMs - verdictAt).toBeLessThan(LIMIT_MS + MARGIN_MS);
    expect(result.stdout).toMatch(/::warning::Could not comment on pull request #51 of octo\/repo: GitHub did not answer within 15 s, the comment's time limit/);
    expect(result.stdout).not.toMatch(/::error::.*comment/i);
  }, 130_000);

  it('SIGTERM during the comment ends it at once; the verdict stands', async () => {
    let signalledAt = 0;
    const { onStart } = watch((child) => {
      signalledAt = Date.now();
      child.kill('SIGTERM');
    });
    const result = await runAction({ inputs: inputs('exprun_pass'), env: await pullRequestEnv(dir, 52, { api: hanging.url }), onStart, killAfterMs: 60_000 });
    expect(signalledAt).toBeGreaterThan(0);
    expect(Date.now() - signalledAt).toBeLessThan(2_000);
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: 'true', status: 'completed' });
    expect(result.stdout).toMatch(/::warning::Could not comment on pull request #52 of octo\/repo: the job was cancelled \(received SIGTERM\) while the comment was written/);
  }, 70_000);

  it("the runner's SIGINT, then SIGTERM: the wait stops, the comment is tried, and the SIGTERM ends it at once", async () => {
    let sigtermAt = 0;
    const { onStart: watchComment } = watch((child) => {
      sigtermAt = Date.now();
      child.kill('SIGTERM');
    });
    const onStart = (child: ChildProcess, output: { stdout: string }) => {
      watchComment(child, output);
      // SIGINT once the run is being waited for.
      const timer = setInterval(() => {
        if (retab.requests.some((request) => request.path.endsWith('/exprun_long'))) {
          clearInterval(timer);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('close', () => clearInterval(timer));
    };
    const result = await runAction({ inputs: inputs('exprun_long'), env: await pullRequestEnv(dir, 53, { api: hanging.url }), onStart, killAfterMs: 60_000 });
    expect(sigtermAt).toBeGreaterThan(0);
    expect(Date.now() - sigtermAt).toBeLessThan(2_000);
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'interrupted' });
    expect(result.stdout).toMatch(/::warning::Could not comment on pull request #53 of octo\/repo: the job was cancelled \(received SIGTERM\) while the comment was written/);
  }, 70_000);
});
