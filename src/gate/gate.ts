/**
 * The gating flow, once the inputs are good: start a run (`experiment_id`) or take the one given
 * (`run_id`) → wait for it → read its details → the verdict, as one `GateResult`. A run this action
 * started is cancelled when the wait gives up on it; a run given by `run_id` never is.
 *
 * Every HTTP call goes through `client`; logging, the clock, sleeping and randomness come in as
 * collaborators. Expected failures (a refused start, a timeout, an API error) end up in the result.
 */
import type { BackoffOptions } from '../common/backoff.js';
import { cancelReasonAfter, cancelStartedRun, describeCancellation, type CancelReason, type Cancellation } from '../start/cancel-run.js';
import { formatDuration } from '../common/duration.js';
import { resultFromStartFailure, resultFromWait, withRunDetails, type GateResult } from './result.js';
import { startedByFromEnv } from '../inputs/github-context.js';
import type { Env, RunTarget, Settings } from '../inputs/settings.js';
import { defaultSchedule, fixedSchedule } from '../wait/poll-schedule.js';
import { progressLine, shouldLogProgress, type LoggedProgress } from '../wait/progress.js';
import type { RetabClient } from '../retab/client.js';
import { powerWarning, summaryContradiction } from '../verdict/comparison-statistics.js';
import type { ExperimentRun } from '../retab/run.js';
import { readRunDetails, type MetricsDetails, type RunDetails } from '../details/run-details.js';
import { readTrend } from '../details/trend.js';
import { startRun, type AttemptCalls, type RequestTurn } from '../start/start-run.js';
import type { ResultsCount } from '../verdict/rules.js';
import { waitForRun, type WaitOutcome } from '../wait/wait.js';
import type { Timing } from '../common/timing.js';
import { judgeBaseline, previousRunBaseline, unusableBaseline, type BaselineFinder } from '../verdict/baseline.js';
import type { BaselineJudgement } from '../verdict/regression.js';
import { messageOf } from '../common/errors.js';

/** The calls a start makes. */
export type StartClient = Pick<RetabClient, 'startRun' | 'listRecentRuns'>;

/** The Retab calls the flow makes. */
export type GateClient = Pick<RetabClient, 'getRun' | 'startRun' | 'listRecentRuns' | 'cancelRun' | 'getMetricsSummary' | 'getResultsPage' | 'getTargetMetrics'> & {
  /**
   * Set when requests wait for their turn (several experiments, see many/pace.ts): runs `task`
   * in one turn, where `direct` sends without waiting again (see `RequestTurn`).
   */
  startTurn?: <T>(signal: AbortSignal, task: (direct: StartClient) => Promise<T>) => Promise<T>;
  /** While Retab has never answered, when the client stops trying it (see retab/no-answer.ts); the retries wait no longer. */
  noAnswerDeadline?: () => number | null;
};

/** The calls of the report's best-effort reads: the metrics summary, the results, the per-field reads and the trend's runs list. */
export type ReportClient = Pick<RetabClient, 'getMetricsSummary' | 'getResultsPage' | 'getTargetMetrics' | 'listRecentRuns'>;

export interface GateLog {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
}

export interface GateOptions extends Timing {
  client: GateClient;
  /** For the report's reads, when they are paced apart from the gating requests (several experiments); `client` when absent. */
  reportClient?: ReportClient;
  log: GateLog;
  /** The runner's GITHUB_* variables: which workflow run started the run. */
  env: Env;
  /** Aborted when the job is cancelled. */
  signal: AbortSignal;
  /** Retry timings for the start and the wait; 1 s base, 30 s cap by default. */
  backoff?: BackoffOptions;
  /**
   * Finds the run recorded on the base branch (see github/baseline-search.ts); absent (outside a
   * workflow, in tests), the comparison is with Retab's previous completed run.
   */
  findBaseline?: BaselineFinder;
  /** The gate's label, for its check run: `name`, else the experiment id (with `experiments`, the line's name). */
  label?: string;
}

/** How many of the experiment's newest runs are listed before the POST and when looking for the run it started: the API's maximum. */
const RECENT_RUNS = 100;

type ExperimentTarget = Extract<RunTarget, { kind: 'experiment' }>;

export async function gate(settings: Settings, options: GateOptions): Promise<GateResult> {
  const { target } = settings;
  // One budget, `timeout`, for starting the run and waiting for it.
  const deadline = options.now() + settings.timeoutMs;
  let runId: string;
  if (target.kind === 'experiment') {
    const started = await startExperimentRun(target, settings, deadline, options);
    if ('result' in started) return started.result;
    runId = started.runId;
  } else {
    runId = target.runId;
  }

  const outcome = await waitFor(runId, settings, deadline, options);
  // The metrics and per-document results, once the run has finished (best-effort), read before
  // the verdict: a run without `error_count` is judged on the errored documents they count.
  const baseline = outcome.kind === 'finished' && outcome.run.status === 'completed' ? await chooseBaseline(outcome.run, settings, options) : null;
  const details = outcome.kind === 'finished' ? await readDetails(outcome.run, { ...settings, baselineRunId: baseline?.info.run_id ?? settings.baselineRunId }, deadline, options) : null;
  const result = resultFromWait(outcome, { runId, threshold: settings.threshold, maxErrors: settings.maxErrors, timeoutMs: settings.timeoutMs }, resultsCount(details));
  const reported = withRunDetails(result, details, { maxScoreDrop: settings.maxScoreDrop, onMissingComparison: settings.onMissingComparison, confidence: settings.confidence }, baseline);
  if (baseline?.notComparable) options.log.warning(`Not compared: ${baseline.notComparable}.`);
  const warning = powerWarning(reported.comparison?.statistics, settings.maxScoreDrop);
  if (warning) options.log.warning(warning);
  if (target.kind === 'run') return reported;

  // Only a run this action started is ever cancelled.
  const reason = cancelReasonAfter(outcome.kind, options.signal);
  const cancellation = reason ? await cancelRun(runId, reason, settings.cancelOnAbort, options) : undefined;
  return { ...reported, startedBy: startedByFromEnv(options.env), ...(cancellation ? { cancellation } : {}) };
}

/** How long the baseline's own read from Retab may take, for `baseline_run_id` (the search has its own limit). */
const BASELINE_READ_MS = 10_000;

/**
 * The run to compare with: `baseline_run_id`, else the run recorded on the base branch, else
 * Retab's previous completed run; read from Retab to tell whether the two can be compared.
 * Best-effort: a failed read or search falls back, and says so.
 */
async function chooseBaseline(run: ExperimentRun, settings: Settings, options: GateOptions): Promise<BaselineJudgement> {
  const { client, log } = options;
  const read = async (id: string, signal: AbortSignal): Promise<ExperimentRun | null> => {
    try {
      return await client.getRun(id, AbortSignal.any([signal, AbortSignal.timeout(BASELINE_READ_MS)]));
    } catch (error) {
      log.debug(`Could not read the baseline run ${id}: ${messageOf(error)}`);
      return null;
    }
  };
  if (settings.baselineRunId !== null) {
    const info = { run_id: settings.baselineRunId, source: 'input' as const, commit: null, note: null };
    return judgeBaseline(info, run, await read(settings.baselineRunId, options.signal));
  }
  if (settings.baseline === 'previous') return judgeBaseline(previousRunBaseline(null), run, null);
  if (!options.findBaseline) return judgeBaseline(previousRunBaseline('the gate ran outside a GitHub workflow, where no run of the base branch can be looked up'), run, null);
  const label = options.label ?? settings.gateName ?? run.experiment_id ?? run.id;
  const candidates = new Map<string, ExperimentRun>();
  const search = await options.findBaseline({
    label,
    signal: options.signal,
    async usable(id, signal) {
      const candidate = await read(id, signal);
      if (!candidate) return `run ${id} could not be read from Retab`;
      candidates.set(id, candidate);
      return unusableBaseline(candidate, run);
    },
  });
  if (!search.found) {
    log.info(`No run of the base branch to compare with (${search.note ?? 'none recorded'}): comparing with Retab's previous completed run.`);
    return judgeBaseline(previousRunBaseline(search.note ?? 'no run of the base branch was found'), run, null);
  }
  const { runId, commit } = search.found;
  log.info(`Comparing with run ${runId}, recorded on ${commit.branch ?? 'the base branch'} at ${commit.sha.slice(0, 7)}${commit.behind > 0 ? ` (${commit.behind} commit${commit.behind === 1 ? '' : 's'} behind)` : ''}.`);
  return judgeBaseline({ run_id: runId, source: 'base', commit, note: search.note }, run, candidates.get(runId) ?? null);
}

/** What the per-document results say about errors, for the verdict. */
function resultsCount(details: RunDetails | null): ResultsCount {
  if (!details) return null;
  const { results } = details;
  return results.state === 'ok' ? { errored: results.errored_document_count } : results.state === 'cut' ? { cut: results.message } : { unreadable: results.message };
}

/** `experiment_id`: start the run (see start/start-run.ts), or the result when none could be started. */
async function startExperimentRun(target: ExperimentTarget, settings: Settings, deadline: number, options: GateOptions): Promise<{ runId: string } | { result: GateResult }> {
  const { client, log } = options;
  log.info(`Starting a run of Retab experiment ${target.experimentId}${target.workflowId ? ` (workflow ${target.workflowId})` : ''} at ${settings.baseUrl.origin}`);
  const calls = (through: StartClient): AttemptCalls => ({
    createRun: (signal) => through.startRun(target.experimentId, target.workflowId, signal),
    listRuns: (signal) => through.listRecentRuns(target.experimentId, RECENT_RUNS, signal),
  });
  const { startTurn } = client;
  const turn: RequestTurn | undefined = startTurn && ((signal, task) => startTurn(signal, (direct) => task(calls(direct))));
  const start = await startRun({
    experimentId: target.experimentId,
    workflowId: target.workflowId,
    ...calls(client),
    turn,
    deadline,
    ...retrying(options),
    onRetry: (message) => log.info(message),
    onWarning: (message) => log.warning(message),
  });
  if (start.kind === 'started') {
    log.info(`Started run ${start.run.id}${start.adopted ? ' (the one new run among the experiment runs after an uncertain answer)' : ''}.`);
    return { runId: start.run.id };
  }

  const result = resultFromStartFailure(start, { ...target, threshold: settings.threshold, maxErrors: settings.maxErrors, timeoutMs: settings.timeoutMs });
  const reason = cancelReasonAfter(start.kind, options.signal);
  // Only the one new run seen after an uncertain answer is known to be ours (see start/run-adoption.ts); never another.
  if (start.kind === 'failed' || !start.orphan || !reason) return { result };
  // An attempt that got no answer started a run after all: nobody will read it, so cancel it too.
  log.info(`Found run ${start.orphan.id}, which an unanswered attempt started.`);
  return { result: { ...result, cancellation: await cancelRun(start.orphan.id, reason, settings.cancelOnAbort, options) } };
}

/** What the start and the wait retry with: the job's signal, the clock, the backoff, and when to give up on a Retab that never answered. */
function retrying(options: GateOptions) {
  const { signal, now, sleep, random, backoff, client } = options;
  return { signal, now, sleep, random, backoff, noAnswerDeadline: () => client.noAnswerDeadline?.() ?? null };
}

async function waitFor(runId: string, settings: Settings, deadline: number, options: GateOptions): Promise<WaitOutcome> {
  const { client, log } = options;
  const polling = settings.pollIntervalMs === null ? 'adaptive polling' : `polling every ${formatDuration(settings.pollIntervalMs)}`;
  log.info(`Waiting for Retab experiment run ${runId} at ${settings.baseUrl.origin} (timeout ${formatDuration(settings.timeoutMs)}, ${polling})`);
  let logged: LoggedProgress | null = null;
  return waitForRun({
    fetchRun: (signal) => client.getRun(runId, signal),
    timeoutMs: Math.max(0, deadline - options.now()),
    schedule: settings.pollIntervalMs === null ? defaultSchedule : fixedSchedule(settings.pollIntervalMs),
    ...retrying(options),
    onRun(run, elapsedMs) {
      if (!shouldLogProgress(logged, run, elapsedMs)) return;
      log.info(progressLine(run, elapsedMs));
      logged = { status: run.status, completed: run.completed_document_count, atMs: elapsedMs };
    },
    onRetry(error, delayMs, attempt) {
      log.info(`Attempt ${attempt} failed, retrying in ${formatDuration(delayMs)}: ${error.message}`);
    },
  });
}

/**
 * The report's reads get what is left of `timeout`, but at least `MIN_DETAILS_MS` (a run that
 * finished just before the deadline still gets its report) and at most `MAX_DETAILS_MS`.
 */
const MIN_DETAILS_MS = 15_000;
const MAX_DETAILS_MS = 120_000;

export function detailsBudgetMs(remainingMs: number): number {
  return Math.min(MAX_DETAILS_MS, Math.max(MIN_DETAILS_MS, remainingMs));
}

async function readDetails(run: ExperimentRun, settings: Settings, deadline: number, options: GateOptions): Promise<RunDetails> {
  const { log } = options;
  const runId = run.id;
  const budgetMs = detailsBudgetMs(deadline - options.now());
  const budget = new AbortController();
  const timer = setTimeout(() => budget.abort(new Error(`reading the report took longer than ${formatDuration(budgetMs)}`)), budgetMs);
  // Not `options.backoff`: the details keep their own shorter retry timings.
  const signal = AbortSignal.any([options.signal, budget.signal]);
  // The trend does not depend on the run's details: read beside them.
  const reader = options.reportClient ?? options.client;
  const [read, trend] = await Promise.all([
    readRunDetails(reader, {
      runId,
      baselineRunId: settings.baselineRunId,
      // With `confidence` the rule stands on the documents: a summary whose own change they contradict is not used.
      ...(settings.confidence === null ? {} : { checkMetrics: (metrics: MetricsDetails) => summaryContradiction(metrics, settings.confidence as number) }),
      signal,
      sleep: options.sleep,
      random: options.random,
      debug: (line) => log.debug(line),
    }),
    readTrend(async (id, limit, s) => (await reader.listRecentRuns(id, limit, s)).runs, run, signal),
  ]).finally(() => clearTimeout(timer));
  const details: RunDetails = { ...read, trend };
  // A read cut by `fail_fast` is expected once another experiment failed: said, not warned about.
  for (const part of [details.metrics, details.results]) if (part.state === 'cut') log.info(part.message);
  else if (part.state !== 'ok') log.warning(part.message);
  if (details.fields?.state === 'ok' && details.fields.problem) log.warning(details.fields.problem);
  // The trend is a picture, not a figure the verdict needs: why it is missing goes in its summary row.
  if (details.trend?.state === 'failed') log.debug(details.trend.message);
  return details;
}

async function cancelRun(runId: string, reason: CancelReason, enabled: boolean, { client, log, now, sleep, random }: GateOptions): Promise<Cancellation> {
  const cancellation = await cancelStartedRun({ runId, reason, enabled, cancelRun: (id, signal) => client.cancelRun(id, signal), now, sleep, random });
  if (cancellation.kind === 'failed') log.warning(describeCancellation(cancellation));
  else log.info(describeCancellation(cancellation));
  return cancellation;
}
