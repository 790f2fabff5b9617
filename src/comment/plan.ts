/**
 * Whether to write the pull request comment, and where. Pure: a function of the `comment` mode, the
 * verdict and the workflow's environment and event payload.
 */
import type { GateResult } from '../gate-result.js';
import type { CommentMode, Env } from '../inputs.js';

export type CommentPlan =
  | {
      write: true;
      owner: string;
      repo: string;
      issueNumber: number;
      marker: string;
      /** False with `on-failure` on a pass: an earlier failure's comment is updated, none is created. */
      create: boolean;
    }
  | { write: false; reason: string };

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

/** `markerKey`: what tells this gate's comment apart, when not the result's experiment (several experiments in one step). */
export function planComment(mode: CommentMode, result: GateResult, env: Env, payload: unknown, markerKey?: string): CommentPlan {
  if (mode === 'false') return { write: false, reason: '`comment` is false' };
  const event = env.GITHUB_EVENT_NAME ?? '';
  if (!PULL_REQUEST_EVENTS.has(event)) return { write: false, reason: `the event is ${event ? `"${event}"` : 'unknown'}, not a pull request` };
  const issueNumber = pullRequestNumber(payload);
  if (issueNumber === null) return { write: false, reason: 'the event payload has no pull request number' };
  const [owner, repo, ...rest] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo || rest.length > 0) return { write: false, reason: 'GITHUB_REPOSITORY is not set to owner/repo' };
  const marker = markerKey === undefined ? commentMarker(result, env) : markerFor(markerKey, env);
  return { write: true, owner, repo, issueNumber, marker, create: mode === 'true' || !result.passed };
}

function pullRequestNumber(payload: unknown): number | null {
  const pr = (payload as { pull_request?: { number?: unknown } } | null)?.pull_request;
  const number = pr?.number;
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : null;
}

/**
 * The hidden marker that finds this gate's comment again: one per workflow, job and experiment
 * (the run id when the experiment is unknown), so every later run updates the same comment.
 */
export function commentMarker(result: GateResult, env: Env): string {
  const key = result.run?.experiment_id ? `experiment:${result.run.experiment_id}` : `run:${result.run?.id ?? result.runId ?? ''}`;
  return markerFor(key, env);
}

function markerFor(key: string, env: Env): string {
  // Percent-encoding keeps `-->` (and anything else) from ending the HTML comment early.
  const part = (value: string | undefined) => encodeURIComponent(value ?? '');
  return `<!-- retab-experiment-gate workflow=${part(env.GITHUB_WORKFLOW)} job=${part(env.GITHUB_JOB)} ${part(key)} -->`;
}
