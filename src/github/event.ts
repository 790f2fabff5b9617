/**
 * The facts of the event the job runs for, from GITHUB_EVENT_PATH and the GITHUB_* variables: the
 * repository, the commit the check run goes on, and where the search for the base's run starts.
 * Every sha and name is checked against the shape GitHub gives it before it goes into a URL.
 */
import type { Env } from '../inputs/settings.js';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/i;
const REPOSITORY = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;
const BRANCH = /^[A-Za-z0-9_./-]{1,200}$/;

export interface GateEvent {
  owner: string;
  repo: string;
  /** The commit the check run goes on: the pull request's head (not the merge commit), else GITHUB_SHA. */
  headSha: string | null;
  /** Where the base's run is looked for: from `sha` back, the first `skip` commits left out (a push: its own commit). */
  search: { sha: string; skip: number; branch: string | null } | null;
  /** The web page of a commit, for the summary's link. */
  commitUrl(sha: string): string | null;
}

/** The event's facts, or null outside a workflow (no repository). */
export function gateEvent(env: Env, payload: unknown): GateEvent | null {
  const repository = REPOSITORY.exec(env.GITHUB_REPOSITORY?.trim() ?? '');
  if (!repository) return null;
  const [, owner = '', repo = ''] = repository;
  const name = env.GITHUB_EVENT_NAME?.trim() ?? '';
  const event = (payload ?? {}) as Record<string, unknown>;
  const sha = (value: unknown) => (typeof value === 'string' && SHA.test(value) ? value.toLowerCase() : null);
  const branch = (value: unknown) => {
    const text = typeof value === 'string' ? value.replace(/^refs\/heads\//, '') : '';
    return BRANCH.test(text) && !text.includes('..') ? text : null;
  };
  const commitUrl = (commit: string) => {
    try {
      const server = new URL(env.GITHUB_SERVER_URL?.trim() || 'https://github.com');
      if (server.protocol !== 'https:' && server.protocol !== 'http:') return null;
      return SHA.test(commit) ? `${server.origin}/${owner}/${repo}/commit/${commit}` : null;
    } catch {
      return null;
    }
  };
  const own = sha(env.GITHUB_SHA?.trim());
  if (name === 'pull_request' || name === 'pull_request_target') {
    const pull = (event.pull_request ?? {}) as { head?: { sha?: unknown }; base?: { sha?: unknown; ref?: unknown } };
    const base = sha(pull.base?.sha);
    return { owner, repo, headSha: sha(pull.head?.sha) ?? own, search: base ? { sha: base, skip: 0, branch: branch(pull.base?.ref) } : null, commitUrl };
  }
  if (name === 'merge_group') {
    const group = (event.merge_group ?? {}) as { head_sha?: unknown; base_sha?: unknown; base_ref?: unknown };
    const base = sha(group.base_sha);
    return { owner, repo, headSha: sha(group.head_sha) ?? own, search: base ? { sha: base, skip: 0, branch: branch(group.base_ref) } : null, commitUrl };
  }
  // A push (or any other event): did this commit regress its branch? From its parent back.
  return { owner, repo, headSha: own, search: own ? { sha: own, skip: 1, branch: branch(env.GITHUB_REF_NAME?.trim()) } : null, commitUrl };
}
