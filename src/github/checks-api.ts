/**
 * The few REST calls of the checks API the gate makes: a branch's history, the check runs of one
 * name on a commit, and writing one. Through `@actions/github`, imported only when used;
 * `baseUrl` is GITHUB_API_URL (GHES). Every request carries `signal` and a time limit of its own.
 */
import { withRequestLimit } from './time-limit.js';

export interface CommitRef {
  sha: string;
}

export interface RecordedCheckRun {
  external_id: string | null;
}

export interface NewCheckRun {
  name: string;
  head_sha: string;
  external_id?: string;
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
}

export interface ChecksApi {
  /** `GET /repos/{owner}/{repo}/commits?sha=&per_page=`: from `sha` back, newest first. */
  listCommits(owner: string, repo: string, sha: string, perPage: number): Promise<CommitRef[]>;
  /** `GET /repos/{owner}/{repo}/commits/{sha}/check-runs?check_name=`: newest first. */
  listCheckRuns(owner: string, repo: string, sha: string, checkName: string): Promise<RecordedCheckRun[]>;
  /** `POST /repos/{owner}/{repo}/check-runs`, completed. */
  createCheckRun(owner: string, repo: string, check: NewCheckRun): Promise<{ id: number; html_url: string | null }>;
}

export type ChecksApiFactory = (token: string, baseUrl: string, signal: AbortSignal) => Promise<ChecksApi>;

/** How many check runs of one name are read per commit: a re-run records another. */
const CHECK_RUNS_PER_COMMIT = 10;

export const githubChecksApi: ChecksApiFactory = async (token, baseUrl, signal) => {
  const { getOctokit } = await import('@actions/github');
  // Octokit sends the token in the Authorization header only, and redacts it in the errors it throws.
  const octokit = getOctokit(token, { baseUrl });
  const bounded = <T>(call: (request: { signal: AbortSignal }) => Promise<T>) => withRequestLimit(signal, (each) => call({ signal: each }));
  return {
    async listCommits(owner, repo, sha, perPage) {
      const { data } = await bounded((request) => octokit.rest.repos.listCommits({ owner, repo, sha, per_page: perPage, request }));
      return data.map((commit) => ({ sha: commit.sha }));
    },
    async listCheckRuns(owner, repo, sha, checkName) {
      const { data } = await bounded((request) => octokit.rest.checks.listForRef({ owner, repo, ref: sha, check_name: checkName, per_page: CHECK_RUNS_PER_COMMIT, request }));
      return data.check_runs.map((check) => ({ external_id: check.external_id ?? null }));
    },
    async createCheckRun(owner, repo, check) {
      const { data } = await bounded((request) =>
        octokit.rest.checks.create({
          owner,
          repo,
          name: check.name,
          head_sha: check.head_sha,
          ...(check.external_id ? { external_id: check.external_id } : {}),
          status: 'completed',
          conclusion: check.conclusion,
          output: { title: check.title, summary: check.summary },
          request,
        }),
      );
      return { id: data.id, html_url: data.html_url ?? null };
    },
  };
};

export function githubApiUrl(env: Record<string, string | undefined>): string {
  return (env.GITHUB_API_URL?.trim() || 'https://api.github.com').replace(/\/+$/, '');
}
