/**
 * The action: inputs → Retab client → wait → verdict → report. Side effects come in through
 * `Dependencies` so the whole flow can be driven without the runner, a network or real time.
 */
import * as core from '@actions/core';
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { BackoffOptions } from './backoff.js';
import { cancelReasonFor, cancelStartedRun, describeCancellation, type CancelReason, type Cancellation } from './cancel-run.js';
import { formatDuration } from './duration.js';
import { resultFromInputErrors, resultFromStartFailure, resultFromWait, type GateResult } from './gate-result.js';
import { startedByFromEnv } from './github-context.js';
import { INPUT_NAMES, parseSettings, parseThreshold, parseMaxErrors, resolveApiKey, type Env, type RawInputs, type RunTarget, type Settings } from './inputs.js';
import { defaultSchedule, fixedSchedule } from './poll-schedule.js';
import { progressLine, shouldLogProgress, type LoggedProgress } from './progress.js';
import { RetabClient } from './retab/client.js';
import { withRunDetails } from './regression.js';
import { publishArtifacts, type ArtifactOptions } from './report/artifacts.js';
import { readRunDetails, type RunDetails } from './run-details.js';
import { buildOutputs } from './report/outputs.js';
import { renderSummary } from './report/summary.js';
import { startRun } from './start-run.js';
import { waitForRun } from './wait.js';

/** What the action needs from the runner. */
export interface ActionIO {
  getInput(name: string): string;
  setSecret(secret: string): void;
  setOutput(name: string, value: string): void;
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  setFailed(message: string): void;
  writeSummary(markdown: string): Promise<void>;
}

export interface Dependencies {
  io: ActionIO;
  env: Env;
  /** HTTP dispatcher; by default one that honours the proxy variables. */
  dispatcher?: Dispatcher;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Aborted when the job is cancelled; by default on SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Each request's own time limit; 30 s by default. */
  requestTimeoutMs?: number;
  /** Retry timings for transient failures; 1 s base, 30 s cap by default. */
  backoff?: BackoffOptions;
  /** The GitHub API for the pull request comment; by default `@actions/github`, loaded on first use. */
  commentsApi?: ArtifactOptions['commentsApi'];
}

export const runnerIO: ActionIO = {
  getInput: (name) => core.getInput(name),
  setSecret: (secret) => core.setSecret(secret),
  setOutput: (name, value) => core.setOutput(name, value),
  info: (message) => core.info(message),
  debug: (message) => core.debug(message),
  warning: (message) => core.warning(message),
  setFailed: (message) => core.setFailed(message),
  async writeSummary(markdown) {
    if (!process.env.GITHUB_STEP_SUMMARY) {
      core.info(`Job summary (GITHUB_STEP_SUMMARY is not set):\n${markdown}`);
      return;
    }
    await core.summary.addRaw(markdown, true).write();
  },
};

async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Aborted: the caller sees `signal.aborted` and stops.
  }
}

export async function run(overrides: Partial<Dependencies> = {}): Promise<void> {
  const deps: Dependencies = {
    io: runnerIO,
    env: process.env,
    now: Date.now,
    sleep: sleepUnlessAborted,
    random: Math.random,
    ...overrides,
  };
  const { io } = deps;

  // The key is masked before anything else can print it.
  const apiKey = resolveApiKey(io.getInput('api_key'), deps.env);
  if (apiKey) io.setSecret(apiKey);
  const githubToken = io.getInput('github_token').trim();
  if (githubToken) io.setSecret(githubToken);

  // Listening until the very end: a SIGTERM that follows SIGINT while the outputs and the summary
  // are being written must not kill the process half-way through them.
  const interruption = deps.signal ? { signal: deps.signal, dispose: () => {} } : listenForCancellation(io);
  try {
    const raw = Object.fromEntries(INPUT_NAMES.map((name) => [name, io.getInput(name)])) as RawInputs;
    const parsed = parseSettings(raw, apiKey, deps.env);
    const result = parsed.ok ? await gate(parsed.settings, { ...deps, signal: interruption.signal }) : resultFromInputErrors(parsed.errors, partialCriteria(raw));

    await publish(result, io);
    await publishArtifacts(result, {
      io,
      env: deps.env,
      comment: parsed.ok ? { mode: parsed.settings.comment, token: parsed.settings.githubToken } : null,
      commentsApi: deps.commentsApi,
    });
    if (!result.passed) io.setFailed(result.failures.map((failure) => failure.message).join('\n'));
  } finally {
    interruption.dispose();
  }
}

/** What can still be shown of the criteria when some inputs are bad. */
function partialCriteria(raw: RawInputs): { runId: string; threshold: number | null; maxErrors: number | null } {
  const threshold = parseThreshold(raw.threshold.trim());
  const maxErrors = parseMaxErrors(raw.max_errors.trim());
  return {
    runId: raw.run_id.trim(),
    threshold: threshold.ok ? threshold.value : null,
    maxErrors: maxErrors.ok ? maxErrors.value : null,
  };
}

async function gate(settings: Settings, deps: Dependencies): Promise<GateResult> {
  const { io } = deps;
  const signal = deps.signal ?? new AbortController().signal;
  const client = new RetabClient({
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    dispatcher: deps.dispatcher,
    env: deps.env,
    requestTimeoutMs: deps.requestTimeoutMs,
    debug: (line) => io.debug(line),
    now: deps.now,
  });
  const polling = settings.pollIntervalMs === null ? 'adaptive polling' : `polling every ${formatDuration(settings.pollIntervalMs)}`;
  const startedAt = deps.now();
  const { target } = settings;

  let logged: LoggedProgress | null = null;
  try {
    let runId: string;
    if (target.kind === 'experiment') {
      const started = await startExperimentRun(target, settings, startedAt + settings.timeoutMs, client, signal, deps);
      if ('result' in started) return started.result;
      runId = started.runId;
    } else {
      runId = target.runId;
    }
    io.info(`Waiting for Retab experiment run ${runId} at ${settings.baseUrl.origin} (timeout ${formatDuration(settings.timeoutMs)}, ${polling})`);
    const outcome = await waitForRun({
      fetchRun: (signal) => client.getRun(runId, signal),
      timeoutMs: Math.max(0, startedAt + settings.timeoutMs - deps.now()),
      schedule: settings.pollIntervalMs === null ? defaultSchedule : fixedSchedule(settings.pollIntervalMs),
      signal,
      now: deps.now,
      sleep: deps.sleep,
      random: deps.random,
      backoff: deps.backoff,
      onRun(run, elapsedMs) {
        if (!shouldLogProgress(logged, run, elapsedMs)) return;
        io.info(progressLine(run, elapsedMs));
        logged = { status: run.status, completed: run.completed_document_count, atMs: elapsedMs };
      },
      onRetry(error, delayMs, attempt) {
        io.info(`Attempt ${attempt} failed, retrying in ${formatDuration(delayMs)}: ${error.message}`);
      },
    });
    const result = resultFromWait(outcome, {
      runId,
      threshold: settings.threshold,
      maxErrors: settings.maxErrors,
      timeoutMs: settings.timeoutMs,
    });
    // The metrics and per-document results, once the run has finished (best-effort).
    const details = outcome.kind === 'finished' ? await readDetails(runId, settings, client, signal, deps) : null;
    const reported = withRunDetails(result, details, settings.maxScoreDrop);
    if (target.kind === 'run') return reported;
    // Only a run this action started is ever cancelled.
    const reason = cancelReasonFor(outcome.kind);
    const cancellation = reason ? await cancelRun(runId, reason, settings.cancelOnAbort, client, io) : undefined;
    return { ...reported, startedBy: startedByFromEnv(deps.env), ...(cancellation ? { cancellation } : {}) };
  } finally {
    await client.close();
  }
}

async function readDetails(runId: string, settings: Settings, client: RetabClient, signal: AbortSignal, deps: Dependencies): Promise<RunDetails> {
  const details = await readRunDetails(client, {
    runId,
    baselineRunId: settings.baselineRunId,
    signal,
    sleep: deps.sleep,
    random: deps.random,
    debug: (line) => deps.io.debug(line),
  });
  for (const part of [details.metrics, details.results]) if (part.state !== 'ok') deps.io.warning(part.message);
  return details;
}

/** `experiment_id`: start the run (see start-run.ts), or the result when none could be started. */
async function startExperimentRun(
  target: Extract<RunTarget, { kind: 'experiment' }>,
  settings: Settings,
  deadline: number,
  client: RetabClient,
  signal: AbortSignal,
  deps: Dependencies,
): Promise<{ runId: string } | { result: GateResult }> {
  const { io } = deps;
  io.info(`Starting a run of Retab experiment ${target.experimentId}${target.workflowId ? ` (workflow ${target.workflowId})` : ''} at ${settings.baseUrl.origin}`);
  const start = await startRun({
    experimentId: target.experimentId,
    workflowId: target.workflowId,
    createRun: (requestSignal) => client.startRun(target.experimentId, target.workflowId, requestSignal),
    listRecentRuns: (requestSignal) => client.listRecentRuns(target.experimentId, 20, requestSignal),
    deadline,
    signal,
    now: deps.now,
    sleep: deps.sleep,
    random: deps.random,
    onRetry: (message) => io.info(message),
  });
  if (start.kind === 'started') {
    io.info(`Started run ${start.run.id}${start.adopted ? ' (found among the experiment runs after an uncertain answer)' : ''}.`);
    return { runId: start.run.id };
  }
  const result = resultFromStartFailure(start, { ...target, threshold: settings.threshold, maxErrors: settings.maxErrors, timeoutMs: settings.timeoutMs });
  const reason = cancelReasonFor(start.kind);
  if (start.kind === 'failed' || !start.orphan || !reason) return { result };
  io.info(`Found run ${start.orphan.id}, which an unanswered attempt started.`);
  return { result: { ...result, cancellation: await cancelRun(start.orphan.id, reason, settings.cancelOnAbort, client, io) } };
}

async function cancelRun(runId: string, reason: CancelReason, enabled: boolean, client: RetabClient, io: ActionIO): Promise<Cancellation> {
  const cancellation = await cancelStartedRun({ runId, reason, enabled, cancelRun: (id, signal) => client.cancelRun(id, signal) });
  if (cancellation.kind === 'failed') io.warning(describeCancellation(cancellation));
  else io.info(describeCancellation(cancellation));
  return cancellation;
}

/** The runner sends SIGINT, then SIGTERM, when the job is cancelled or runs out of time. */
function listenForCancellation(io: ActionIO): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.info(`Received ${name}: already stopping, finishing the outputs and the summary.`);
      return;
    }
    io.info(`Received ${name}: stopping the wait.`);
    controller.abort(new Error(`received ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      // Once cancelled, stay deaf to further signals: the process is about to exit with its own
      // code, and a late SIGTERM must not turn that into a kill.
      if (controller.signal.aborted) return;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Outputs and the summary, written on every outcome before the step fails. */
async function publish(result: GateResult, io: ActionIO): Promise<void> {
  for (const [name, value] of Object.entries(buildOutputs(result))) io.setOutput(name, value);
  try {
    await io.writeSummary(renderSummary(result));
  } catch (error) {
    io.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
  }
  io.info(result.passed ? 'The run passed the gate.' : `The run did not pass the gate (${result.status}).`);
}
