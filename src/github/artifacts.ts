/**
 * What the action leaves behind besides outputs and the summary: the JSON report file (output
 * `report_path`) and the pull request comment. Both are best-effort: a failure is a warning and
 * never changes the verdict.
 */
import { readEventPayload } from '../inputs/github-context.js';
import { publishComment, githubCommentsApi, type CommentOutcome, type CommentsApi } from './comment-publish.js';
import { commentTimeLimit } from './time-limit.js';
import { gateLabel, planComment, type GateInputs } from './comment-plan.js';
import { renderComment, type CommentHead } from './comment-render.js';
import type { GateResult } from '../gate/result.js';
import type { CommentMode, Env } from '../inputs/settings.js';
import { writeJsonReport } from '../report/json-report.js';
import { messageOf } from '../common/errors.js';

export interface ArtifactIO {
  setOutput(name: string, value: string): void;
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
}

export interface ArtifactOptions {
  io: ArtifactIO;
  env: Env;
  /** The runner's event payload, as the step read it (read here when not given). */
  eventPayload?: unknown;
  /** Absent when the inputs could not be parsed: then no comment is written. */
  comment: CommentSettings | null;
  /** The GitHub API for the comment, its every request carrying `signal`; by default `@actions/github`, loaded on first use. */
  commentsApi?: (token: string, baseUrl: string, signal: AbortSignal) => Promise<CommentsApi>;
  /** Aborted when the job is cancelled while the comment is written: it then stops at once. */
  signal?: AbortSignal;
  /** The comment's own time limit (see github/time-limit.ts). */
  commentTimeLimitMs?: number;
  /**
   * Takes the secrets out of text. The comment is the one thing written that does not pass the
   * runner's guarded IO, so its body goes through this last (the result in it is already clean;
   * the gate's `name` and `matrix` inputs are not API text and were never cleaned).
   */
  redact?: (text: string) => string;
}

/** The comment's inputs: `comment`, `github_token`, and the gate's `name` and `matrix`. */
export interface CommentSettings extends GateInputs {
  mode: CommentMode;
  token: string;
}

/**
 * What the report and the comment show, when not `result` alone (several experiments in one step):
 * `result` then stands for the step (its verdict), and these give the rest.
 */
export interface ArtifactContent {
  /** The JSON report's text, bounded (see `reportText`). */
  reportText: string;
  renderComment(head: CommentHead, env: Env): string;
}

export async function publishArtifacts(result: GateResult, options: ArtifactOptions, content?: ArtifactContent): Promise<void> {
  await writeReport(result, options, content);
  if (!options.comment) return;
  try {
    await writeComment(result, options.comment, options, content);
  } catch (error) {
    // Best-effort to the end: a bug in planning or rendering the comment is a warning, not a failed step.
    options.io.warning(`Could not write the pull request comment: ${messageOf(error)}`);
  }
}

async function writeReport(result: GateResult, { io, env }: ArtifactOptions, content?: ArtifactContent): Promise<void> {
  try {
    const path = await writeJsonReport(result, env, content?.reportText);
    io.setOutput('report_path', path);
    io.info(`Full report written to ${path}`);
  } catch (error) {
    io.setOutput('report_path', '');
    io.warning(`Could not write the JSON report under RUNNER_TEMP: ${messageOf(error)}`);
  }
}

async function writeComment(result: GateResult, comment: CommentSettings, options: ArtifactOptions, content?: ArtifactContent): Promise<void> {
  const { io, env } = options;
  if (comment.mode === 'false') return;
  const plan = planComment(comment.mode, result, env, options.eventPayload ?? readEventPayload(env, (message) => io.debug(message)), comment);
  if (!plan.write) {
    io.info(`No pull request comment: ${plan.reason}.`);
    return;
  }
  if (!comment.token) {
    io.warning('No pull request comment: `github_token` is empty. Leave it at its default (`${{ github.token }}`) or pass a token that can write pull request comments.');
    return;
  }
  const baseUrl = (env.GITHUB_API_URL?.trim() || 'https://api.github.com').replace(/\/+$/, '');
  const limit = commentTimeLimit(options.signal ?? new AbortController().signal, options.commentTimeLimitMs);
  let outcome: CommentOutcome;
  try {
    const api = await (options.commentsApi ?? githubCommentsApi)(comment.token, baseUrl, limit.signal);
    const head = { marker: plan.marker, label: gateLabel(plan.gate) };
    const body = content ? content.renderComment(head, env) : renderComment(result, head, env);
    outcome = await publishComment(api, plan, options.redact ? options.redact(body) : body);
  } catch (error) {
    outcome = { kind: 'failed' as const, message: `Could not comment on pull request #${plan.issueNumber}: ${messageOf(error)}` };
  }
  // Stopped by the time limit or the job's cancellation: that is the reason, whatever the request said as it was abandoned.
  const stopped = limit.stoppedBecause();
  if (outcome.kind === 'failed' && stopped) {
    outcome = { kind: 'failed', message: `Could not comment on pull request #${plan.issueNumber} of ${plan.owner}/${plan.repo}: ${stopped}. The verdict and the outputs are not affected.` };
  }
  switch (outcome.kind) {
    case 'created':
    case 'updated':
      io.info(`Pull request comment ${outcome.kind} as ${outcome.author}${outcome.url ? `: ${outcome.url}` : ` (id ${outcome.id})`}`);
      return;
    case 'skipped':
      io.info(`No pull request comment: ${outcome.reason}.`);
      return;
    case 'failed':
      io.warning(outcome.message);
  }
}


