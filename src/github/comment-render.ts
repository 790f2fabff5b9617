/**
 * The pull request comment: the hidden marker, the summary (with shorter lists) and a footer naming
 * the gate (its `name`, the matrix leg) with a link to the workflow run. Always under GitHub's
 * 65,536-character limit for a comment body.
 */
import type { GateResult } from '../gate/result.js';
import { workflowRunUrl } from '../inputs/github-context.js';
import type { Env } from '../inputs/settings.js';
import { cutToFit, escapeMarkdown } from '../report/markdown.js';
import { renderSummary } from '../report/summary.js';

export const MAX_COMMENT_CHARS = 65_536;
/** Rows per list, tried in turn until the comment fits. */
const ROW_STEPS = [10, 5, 0];

/** The gate's marker, and its label for readers (see `gateLabel`; may be empty). */
export interface CommentHead {
  marker: string;
  label: string;
}

export function renderComment(result: GateResult, head: CommentHead, env: Env, maxChars = MAX_COMMENT_CHARS): string {
  const { marker } = head;
  const footer = footerLine(head.label, env);
  let body = '';
  for (const rows of ROW_STEPS) {
    body = [marker, renderSummary(result, { rows }).trimEnd(), footer].filter(Boolean).join('\n\n');
    if (body.length <= maxChars) return body;
  }
  // The summary is bounded well below this; the cut only guards against a future change.
  return cutToFit(body, maxChars, '\n\n…(cut to fit a comment; see the job summary)');
}

export function footerLine(label: string, env: Env): string {
  const url = workflowRunUrl(env);
  // The label comes from the workflow (the name, matrix values), which a pull request can shape: plain text only.
  const parts = [label ? `Gate ${escapeMarkdown(label, 200)}` : '', url ? `[Workflow run ${env.GITHUB_RUN_ID?.trim()}](${url})` : ''].filter(Boolean);
  return parts.length > 0 ? `<sub>${parts.join(' · ')}</sub>` : '';
}
