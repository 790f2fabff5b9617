/**
 * Writes the pull request comment: learns which account the token writes as, finds that account's
 * earlier comment carrying this gate's marker and updates it, or creates one. Best-effort: any
 * failure is a warning, never a failed step (a fork's pull request gets a read-only token, and
 * GitHub answers 403). `@actions/github` is loaded only here, only when a comment is to be written.
 */
import type { CommentPlan } from './comment-plan.js';
import { isGateComment, readIdentity, type IssueComment, type TokenIdentity } from './comment-ownership.js';
import { messageOf } from '../common/errors.js';
import { withRequestLimit } from './time-limit.js';

export type { IssueComment, TokenIdentity } from './comment-ownership.js';

/** The few GitHub calls the comment needs. */
export interface CommentsApi {
  /** GraphQL `viewer { login databaseId }`: the account of any kind of token, the job's own included. */
  viewer(): Promise<TokenIdentity>;
  /** REST `GET /user`: the account of a personal token; GitHub refuses it (403) for an installation token. */
  authenticatedUser(): Promise<TokenIdentity>;
  /** The comments of the pull request, page by page. */
  listComments(owner: string, repo: string, issueNumber: number): AsyncIterable<IssueComment[]>;
  createComment(owner: string, repo: string, issueNumber: number, body: string): Promise<IssueComment>;
  updateComment(owner: string, repo: string, commentId: number, body: string): Promise<IssueComment>;
}

export type CommentOutcome =
  | { kind: 'created' | 'updated'; id: number; url: string | null; author: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; message: string };

type WritePlan = Extract<CommentPlan, { write: true }>;

export async function publishComment(api: CommentsApi, plan: WritePlan, body: string): Promise<CommentOutcome> {
  const { owner, repo, issueNumber } = plan;
  let identity: TokenIdentity;
  try {
    identity = await tokenIdentity(api);
  } catch (error) {
    return {
      kind: 'failed',
      message: `${describeGithubError(error, plan)}. The gate only ever updates a comment its own token wrote, and could not tell which account that is, so it wrote none.`,
    };
  }
  try {
    const existing = await findComment(api, plan, identity);
    if (existing) {
      const updated = await api.updateComment(owner, repo, existing.id, body);
      return { kind: 'updated', id: updated.id, url: updated.html_url ?? null, author: identity.login };
    }
    if (!plan.create) return { kind: 'skipped', reason: 'the gate passed and there is no earlier comment to update (`comment: on-failure`)' };
    const created = await api.createComment(owner, repo, issueNumber, body);
    return { kind: 'created', id: created.id, url: created.html_url ?? null, author: identity.login };
  } catch (error) {
    return { kind: 'failed', message: describeGithubError(error, plan) };
  }
}

/**
 * The account the token writes as. GraphQL `viewer` first: it answers for every kind of token, the
 * job's `GITHUB_TOKEN` (an installation token of the github-actions app, seen as
 * `github-actions[bot]`) included, in one request; marocchino/sticky-pull-request-comment finds its
 * comment the same way (src/comment.ts, `viewer { login }`), and GitHub App tokens, refused by
 * `GET /user` ("Resource not accessible by integration"), get their `<app-slug>[bot]` account and its
 * `databaseId` from it. (peter-evans/find-comment instead leaves the author to the user, as its
 * `comment-author` input.) `GET /user` (which works with classic and fine-grained personal tokens)
 * is the fallback when GraphQL does not answer. A refused token (401) is not asked twice.
 */
export async function tokenIdentity(api: CommentsApi): Promise<TokenIdentity> {
  try {
    return await api.viewer();
  } catch (error) {
    if (statusOf(error) === 401) throw error;
    try {
      return await api.authenticatedUser();
    } catch (fallback) {
      throw new IdentityError(`GraphQL \`viewer\`: ${briefly(error)}; \`GET /user\`: ${briefly(fallback)}`, statusOf(fallback));
    }
  }
}

class IdentityError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(`could not tell which account the \`github_token\` writes as (${message})`);
  }
}

function briefly(error: unknown): string {
  const status = statusOf(error);
  return `${typeof status === 'number' ? `HTTP ${status} ` : ''}${messageOf(error)}`.trim();
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

async function findComment(api: CommentsApi, plan: WritePlan, identity: TokenIdentity): Promise<IssueComment | null> {
  for await (const page of api.listComments(plan.owner, plan.repo, plan.issueNumber)) {
    const found = page.find((comment) => isGateComment(comment, plan.marker, identity));
    if (found) return found;
  }
  return null;
}

function describeGithubError(error: unknown, plan: WritePlan): string {
  const where = `pull request #${plan.issueNumber} of ${plan.owner}/${plan.repo}`;
  if (error instanceof IdentityError) return `Could not comment on ${where}: ${error.message}`;
  const status = statusOf(error);
  const message = messageOf(error);
  if (status === 403) {
    return `Could not comment on ${where} (HTTP 403): the token cannot write comments. A pull request from a fork gets a read-only token; otherwise give the job \`permissions: pull-requests: write\`. ${message}`;
  }
  if (status === 401) return `Could not comment on ${where} (HTTP 401): the \`github_token\` was refused. ${message}`;
  return `Could not comment on ${where}${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${message}`;
}

/**
 * The GitHub API through `@actions/github`, imported now and not before. `baseUrl` is GITHUB_API_URL
 * (GHES). Every request carries `signal` (the comment's time limit and the job's cancellation) and
 * a time limit of its own (see time-limit.ts).
 */
export async function githubCommentsApi(token: string, baseUrl: string, signal: AbortSignal): Promise<CommentsApi> {
  const { getOctokit } = await import('@actions/github');
  // Octokit sends the token in the Authorization header only, and redacts it in the errors it throws.
  const octokit = getOctokit(token, { baseUrl });
  const bounded = <T>(call: (request: { signal: AbortSignal }) => Promise<T>) => withRequestLimit(signal, (each) => call({ signal: each }));
  const identity = (login: unknown, id: unknown, call: string) => {
    const found = readIdentity(login, id);
    if (!found) throw new Error(`${call} did not name an account (a login and a numeric id)`);
    return found;
  };
  return {
    async viewer() {
      // On GHES, Octokit turns the `/api/v3` base into `/api/graphql`.
      const data = await bounded((request) => octokit.graphql<{ viewer?: { login?: unknown; databaseId?: unknown } }>('query { viewer { login databaseId } }', { request }));
      return identity(data.viewer?.login, data.viewer?.databaseId, 'GraphQL `viewer`');
    },
    async authenticatedUser() {
      const { data } = await bounded((request) => octokit.rest.users.getAuthenticated({ request }));
      return identity(data.login, data.id, '`GET /user`');
    },
    async *listComments(owner, repo, issueNumber) {
      // Page by page by the `Link` header, as Octokit's paginate does; but its iterator drops the
      // per-request options, and with them the signal.
      let page = await bounded((request) => octokit.rest.issues.listComments({ owner, repo, issue_number: issueNumber, per_page: 100, request }));
      for (;;) {
        yield page.data;
        const next = nextPage(page.headers.link, baseUrl);
        if (!next) return;
        page = await bounded(async (request) => (await octokit.request({ method: 'GET', url: next, request })) as typeof page);
      }
    },
    async createComment(owner, repo, issueNumber, body) {
      return (await bounded((request) => octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body, request }))).data;
    },
    async updateComment(owner, repo, commentId, body) {
      return (await bounded((request) => octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body, request }))).data;
    },
  };
}

/** The `rel="next"` page of a `Link` header, when it is on the API's own origin (the token goes with it). */
export function nextPage(link: string | undefined, baseUrl: string): string | null {
  const next = /<([^<>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];
  if (!next) return null;
  try {
    return new URL(next).origin === new URL(baseUrl).origin ? next : null;
  } catch {
    return null;
  }
}
