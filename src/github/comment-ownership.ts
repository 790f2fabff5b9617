/**
 * Whose comment is it? Pure: a comment is this gate's only when the token's own account wrote it
 * AND it starts with the gate's marker. The marker alone proves nothing: anyone who can comment on
 * the pull request can copy it, and a token that may write comments may also edit other people's.
 */

/** The account a token writes as: a user for a personal token, the app's bot for an installation token. */
export interface TokenIdentity {
  login: string;
  /** GitHub's numeric account id: fixed for the account's life, unlike a login, which can be renamed and reused. */
  id: number;
}

export interface IssueComment {
  id: number;
  body?: string | null;
  html_url?: string;
  /** The author; null for a deleted account. */
  user?: { login?: string; id?: number; type?: string } | null;
}

// A user's login (with `_shortcode` for a managed user), or an app's bot account (`<app-slug>[bot]`).
// Only ever logged: ownership is decided by the id.
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}(?:\[bot\])?$/;

/**
 * The identity from GitHub's answer (GraphQL `viewer { login databaseId }` or REST `GET /user`'s
 * `login` and `id`), or null when the answer does not name an account plainly.
 */
export function readIdentity(login: unknown, id: unknown): TokenIdentity | null {
  if (typeof login !== 'string' || !LOGIN.test(login)) return null;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return null;
  return { login, id };
}

/** Whether `comment` is this gate's own: written by `identity` (by account id) and carrying `marker` first. */
export function isGateComment(comment: IssueComment, marker: string, identity: TokenIdentity): boolean {
  return comment.user?.id === identity.id && typeof comment.body === 'string' && comment.body.startsWith(marker);
}
