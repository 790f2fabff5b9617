/**
 * Writes the pull request comment: finds this gate's earlier comment by its marker and updates it,
 * or creates one. Best-effort: any failure is a warning, never a failed step (a fork's pull request
 * gets a read-only token, and GitHub answers 403). `@actions/github` is loaded only here, only
 * when a comment is to be written.
 */
import type { CommentPlan } from './plan.js';
import { messageOf } from '../errors.js';

export interface IssueComment {
  id: number;
  body?: string | null;
  html_url?: string;
}

/** The few GitHub REST calls the comment needs. */
export interface CommentsApi {
  /** The comments of the pull request, page by page. */
  listComments(owner: string, repo: string, issueNumber: number): AsyncIterable<IssueComment[]>;
  createComment(owner: string, repo: string, issueNumber: number, body: string): Promise<IssueComment>;
  updateComment(owner: string, repo: string, commentId: number, body: string): Promise<IssueComment>;
}

export type CommentOutcome =
  | { kind: 'created' | 'updated'; id: number; url: string | null }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; message: string };

export async function publishComment(api: CommentsApi, plan: Extract<CommentPlan, { write: true }>, body: string): Promise<CommentOutcome> {
  const { owner, repo, issueNumber } = plan;
  try {
    const existing = await findComment(api, plan);
    if (existing) {
      const updated = await api.updateComment(owner, repo, existing.id, body);
      return { kind: 'updated', id: updated.id, url: updated.html_url ?? null };
    }
    if (!plan.create) return { kind: 'skipped', reason: 'the gate passed and there is no earlier comment to update (`comment: on-failure`)' };
    const created = await api.createComment(owner, repo, issueNumber, body);
    return { kind: 'created', id: created.id, url: created.html_url ?? null };
  } catch (error) {
    return { kind: 'failed', message: describeGithubError(error, plan) };
  }
}

async function findComment(api: CommentsApi, plan: Extract<CommentPlan, { write: true }>): Promise<IssueComment | null> {
  for await (const page of api.listComments(plan.owner, plan.repo, plan.issueNumber)) {
    const found = page.find((comment) => comment.body?.startsWith(plan.marker));
    if (found) return found;
  }
  return null;
}

function describeGithubError(error: unknown, plan: Extract<CommentPlan, { write: true }>): string {
  const status = (error as { status?: unknown }).status;
  const message = messageOf(error);
  const where = `pull request #${plan.issueNumber} of ${plan.owner}/${plan.repo}`;
  if (status === 403) {
    return `Could not comment on ${where} (HTTP 403): the token cannot write comments. A pull request from a fork gets a read-only token; otherwise give the job \`permissions: pull-requests: write\`. ${message}`;
  }
  if (status === 401) return `Could not comment on ${where} (HTTP 401): the \`github_token\` was refused. ${message}`;
  return `Could not comment on ${where}${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${message}`;
}

/** The GitHub REST API through `@actions/github`, imported now and not before. `baseUrl` is GITHUB_API_URL (GHES). */
export async function githubCommentsApi(token: string, baseUrl: string): Promise<CommentsApi> {
  const { getOctokit } = await import('@actions/github');
  const octokit = getOctokit(token, { baseUrl });
  return {
    async *listComments(owner, repo, issueNumber) {
      const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 });
      for await (const page of pages) yield page.data;
    },
    async createComment(owner, repo, issueNumber, body) {
      return (await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body })).data;
    },
    async updateComment(owner, repo, commentId, body) {
      return (await octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body })).data;
    },
  };
}
