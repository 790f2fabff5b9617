/**
 * The verdict recorded as a check run on the commit (one per experiment with `experiments`): its
 * name carries the gate's label, its `external_id` the gated run, which is how a later pull request
 * finds the base branch's run (see baseline-search.ts). Best-effort, after the verdict: a refusal
 * (a fork's read-only token, no `checks: write`) is one warning, never a failed step.
 */
import type { GateResult } from '../gate/result.js';
import { RUN_ID_PATTERN } from '../retab/run.js';
import { checkRunName } from '../verdict/baseline.js';
import { formatScore } from '../common/format.js';
import { messageOf } from '../common/errors.js';
import type { ChecksApi, ChecksApiFactory, NewCheckRun } from './checks-api.js';
import type { GateEvent } from './event.js';
import { commentTimeLimit } from './time-limit.js';

/** GitHub's limit on a check run's `output.summary`. */
export const SUMMARY_LIMIT = 65_535;
const TITLE_LIMIT = 250;

export interface CheckRunItem {
  label: string;
  result: GateResult;
  /** The compact report: the job summary's Markdown for this gate. */
  summary: string;
}

/** The check run for one gate's result. Pure. */
export function planCheckRun(item: CheckRunItem, headSha: string): NewCheckRun {
  const { result } = item;
  const inconclusive = result.passed && result.comparison?.inconclusive ? result.comparison.inconclusive : null;
  const conclusion = !result.passed ? 'failure' : inconclusive ? 'neutral' : 'success';
  return {
    name: checkRunName(item.label),
    head_sha: headSha,
    ...(result.runId && RUN_ID_PATTERN.test(result.runId) ? { external_id: result.runId } : {}),
    conclusion,
    title: clip(checkTitle(result), TITLE_LIMIT),
    summary: clip(item.summary, SUMMARY_LIMIT),
  };
}

/** The one-line verdict. */
export function checkTitle(result: GateResult): string {
  const score = result.run?.score ?? null;
  const scored = score === null ? '' : `score ${formatScore(score)}`;
  const comparison = result.comparison;
  const delta = comparison?.applied && comparison.delta !== null ? `${comparison.delta < 0 ? '−' : '+'}${formatScore(Math.abs(comparison.delta))} against ${comparison.baseline?.run_id ?? comparison.prior_run_id ?? 'the prior run'}` : '';
  const figures = [scored, delta].filter(Boolean).join(', ');
  if (!result.passed) return `Failed (${result.failures.map((failure) => failure.rule).join(', ')})${figures ? `: ${figures}` : ''}`;
  const inconclusive = comparison?.inconclusive;
  if (inconclusive) {
    const settle = inconclusive.documents_needed === null ? 'more documents would be needed to settle it' : `about ${inconclusive.documents_needed} documents scored in both runs would settle it`;
    return `Inconclusive: the score fell more than max_score_drop, but the drop may be noise; ${settle}${figures ? ` (${figures})` : ''}`;
  }
  return `Passed${figures ? `: ${figures}` : ''}`;
}

function clip(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const tail = '\n\n… (cut to fit GitHub\'s limit; the job summary has it all)';
  return text.slice(0, limit - tail.length) + tail;
}

export interface CheckRunLog {
  info(message: string): void;
  warning(message: string): void;
}

export interface PublishCheckRunsOptions {
  items: CheckRunItem[];
  event: GateEvent | null;
  token: string;
  baseUrl: string;
  checksApi: ChecksApiFactory;
  log: CheckRunLog;
  redact: (text: string) => string;
  /** The job's cancellation, as it reaches the publishing. */
  signal: AbortSignal;
  timeLimitMs?: number;
}

export async function publishCheckRuns(options: PublishCheckRunsOptions): Promise<void> {
  const { items, event, token, log } = options;
  if (items.length === 0) return;
  if (!event?.headSha) {
    log.info('No check run: the gate ran outside a GitHub workflow (no repository or commit to record it on).');
    return;
  }
  if (!token) {
    log.info('No check run: `github_token` is empty. Leave it at its default (`${{ github.token }}`) with `permissions: checks: write`, or set `check: false`.');
    return;
  }
  const limit = commentTimeLimit(options.signal, options.timeLimitMs);
  let api: ChecksApi;
  try {
    api = await options.checksApi(token, options.baseUrl, limit.signal);
  } catch (error) {
    log.warning(`Could not record the check run: ${messageOf(error)}. The verdict and the outputs are not affected.`);
    return;
  }
  for (const item of items) {
    const check = planCheckRun({ ...item, label: options.redact(item.label), summary: options.redact(item.summary) }, event.headSha);
    try {
      const written = await api.createCheckRun(event.owner, event.repo, { ...check, title: options.redact(check.title) });
      log.info(`Check run "${check.name}" recorded on ${event.headSha.slice(0, 7)} (${check.conclusion})${written.html_url ? `: ${written.html_url}` : ''}`);
    } catch (error) {
      const status = (error as { status?: unknown } | null)?.status;
      const stopped = limit.stoppedBecause();
      if (status === 403 || status === 404) {
        log.warning(
          `Could not record the check run on ${event.headSha.slice(0, 7)} (HTTP ${status}): the token cannot write check runs. Give the job \`permissions: checks: write\` (a pull request from a fork gets a read-only token), or set \`check: false\`. The verdict is not affected.`,
        );
      } else {
        log.warning(`Could not record the check run "${check.name}": ${stopped ?? messageOf(error)}. The verdict is not affected.`);
      }
      // One warning: the others would be refused alike.
      return;
    }
  }
}
