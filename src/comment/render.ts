/**
 * The pull request comment: the hidden marker, the summary (with shorter lists) and a link to the
 * workflow run. Always under GitHub's 65,536-character limit for a comment body.
 */
import type { GateResult } from '../gate-result.js';
import { workflowRunUrl } from '../github-context.js';
import type { Env } from '../inputs.js';
import { cutToFit } from '../report/markdown.js';
import { renderSummary } from '../report/summary.js';

export const MAX_COMMENT_CHARS = 65_536;
/** Rows per list, tried in turn until the comment fits. */
const ROW_STEPS = [10, 5, 0];

export function renderComment(result: GateResult, marker: string, env: Env, maxChars = MAX_COMMENT_CHARS): string {
  const footer = runLink(env);
  let body = '';
  for (const rows of ROW_STEPS) {
    body = [marker, renderSummary(result, { rows }).trimEnd(), footer].filter(Boolean).join('\n\n');
    if (body.length <= maxChars) return body;
  }
  // The summary is bounded well below this; the cut only guards against a future change.
  return cutToFit(body, maxChars, '\n\n…(cut to fit a comment; see the job summary)');
}

export function runLink(env: Env): string {
  const url = workflowRunUrl(env);
  return url ? `<sub>[Workflow run ${env.GITHUB_RUN_ID?.trim()}](${url})</sub>` : '';
}
