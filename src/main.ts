/**
 * The action's wiring: inputs → Retab client → gate (start, wait, details, verdict; see gate.ts;
 * with `experiments`, every line through it at once, see multi/) → outputs, summary, report,
 * comment → fail, once. Side effects come in through `Dependencies` so
 * the whole flow can be driven without the runner, a network or real time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { BackoffOptions } from './backoff.js';
import { gate } from './gate.js';
import { resultFromInputErrors, resultFromUnexpectedError, type GateResult } from './gate-result.js';
import { INPUT_NAMES, parseSettings, partialCriteria, resolveApiKey, type Env, type RawInputs, type Settings } from './inputs.js';
import { listenForJobCancellation } from './job-cancellation.js';
import { RetabClient } from './retab/client.js';
import { manyArtifacts, stepResult } from './multi/artifacts.js';
import { gateMany } from './multi/gate-many.js';
import { buildManyOutputs } from './multi/outputs.js';
import { parseManySettings } from './multi/settings.js';
import { renderManySummary } from './multi/summary.js';
import { publishArtifacts, type ArtifactContent, type ArtifactOptions } from './report/artifacts.js';
import { buildOutputs } from './report/outputs.js';
import { renderSummary } from './report/summary.js';
import type { Timing } from './timing.js';
import { messageOf } from './errors.js';
import * as core from './workflow-commands.js';

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

export interface Dependencies extends Timing {
  io: ActionIO;
  env: Env;
  /** HTTP dispatcher; by default one that honours the proxy variables. */
  dispatcher?: Dispatcher;
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
    if (!(await core.appendSummary(markdown))) core.info(`Job summary (GITHUB_STEP_SUMMARY is not set):\n${markdown}`);
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

  // The key and the token are masked before anything else can print them.
  const apiKey = resolveApiKey(io.getInput('api_key'), deps.env);
  if (apiKey) io.setSecret(apiKey);
  const githubToken = io.getInput('github_token').trim();
  if (githubToken) io.setSecret(githubToken);

  // Listening until the very end: a SIGTERM that follows SIGINT while the outputs and the summary
  // are being written must not kill the process half-way through them.
  const jobCancellation = deps.signal ? { signal: deps.signal, dispose: () => {} } : listenForJobCancellation(io);
  try {
    const raw = Object.fromEntries(INPUT_NAMES.map((name) => [name, io.getInput(name)])) as RawInputs;
    const step = raw.experiments.trim() !== '' ? await gateSeveral(raw, apiKey, deps, jobCancellation.signal) : await gateOne(raw, apiKey, deps, jobCancellation.signal);

    const problems = [...step.problems];
    try {
      await publish(step, io);
      await publishArtifacts(step.result, { io, env: deps.env, comment: step.comment, commentsApi: deps.commentsApi }, step.content);
    } catch (error) {
      // The runner's output file could not be written: a later step would read nothing, so fail.
      problems.push(`could not write the step's outputs: ${messageOf(error)}`);
    }
    if (problems.length > 0) io.setFailed(problems.join('\n'));
  } finally {
    jobCancellation.dispose();
  }
}

/** What the step leaves behind, however it went: outputs, the summary, the report and comment, and why it fails. */
interface StepReport {
  /** The verdict and the figures the report and the comment start from. */
  result: GateResult;
  outputs: Record<string, string>;
  summary: string;
  /** The last log line: the verdict in words. */
  verdictLine: string;
  /** What `setFailed` says; empty when the step passes. */
  problems: string[];
  comment: ArtifactOptions['comment'];
  /** Set with several experiments: their report and comment (see multi/artifacts.ts). */
  content?: ArtifactContent;
}

/** `run_id` or `experiment_id`: one run through the gate. */
async function gateOne(raw: RawInputs, apiKey: string, deps: Dependencies, signal: AbortSignal): Promise<StepReport> {
  const parsed = parseSettings(raw, apiKey, deps.env);
  if (parsed.ok) for (const warning of parsed.settings.warnings ?? []) deps.io.warning(warning);
  const result = parsed.ok ? await gateWithClient(parsed.settings, deps, signal) : resultFromInputErrors(parsed.errors, partialCriteria(raw));
  return {
    result,
    outputs: buildOutputs(result),
    summary: renderSummary(result),
    verdictLine: result.passed ? 'The run passed the gate.' : `The run did not pass the gate (status ${result.status}; failed: ${result.failures.map((failure) => failure.rule).join(', ')}).`,
    problems: result.failures.map((failure) => failure.message),
    comment: parsed.ok ? { mode: parsed.settings.comment, token: parsed.settings.githubToken } : null,
  };
}

/** `experiments`: every line through the gate at once (see multi/gate-many.ts), one verdict. */
async function gateSeveral(raw: RawInputs, apiKey: string, deps: Dependencies, signal: AbortSignal): Promise<StepReport> {
  const parsed = parseManySettings(raw, apiKey, deps.env);
  if (!parsed.ok) {
    const result = resultFromInputErrors(parsed.errors, { ...partialCriteria(raw), runId: '' });
    return { ...notRunReport(result), outputs: { ...buildOutputs(result), results: '[]' } };
  }
  // Every line reads the same step inputs: a correction to one of them is said once.
  for (const warning of new Set(parsed.many.experiments.flatMap((experiment) => experiment.settings.warnings ?? []))) deps.io.warning(warning);
  const { step } = parsed.many;
  const client = makeClient(step, deps);
  if ('error' in client) {
    const first = parsed.many.experiments[0]?.settings;
    const result = resultFromUnexpectedError('api_error', client.error, { runId: null, threshold: first?.threshold ?? 0, maxErrors: first?.maxErrors ?? 0 });
    return { ...notRunReport(result), outputs: { ...buildOutputs(result), results: '[]' } };
  }
  try {
    const many = await gateMany(parsed.many, { client: client.client, log: deps.io, env: deps.env, signal, now: deps.now, sleep: deps.sleep, random: deps.random, backoff: deps.backoff });
    const failed = many.experiments.filter((outcome) => !outcome.result.passed);
    return {
      result: stepResult(many),
      outputs: buildManyOutputs(many),
      summary: renderManySummary(many),
      verdictLine: many.passed
        ? `All ${many.experiments.length} experiments passed the gate.`
        : `${failed.length} of ${many.experiments.length} experiments did not pass the gate: ${failed.map((outcome) => `${outcome.name} (${outcome.result.failures.map((failure) => failure.rule).join(', ')})`).join('; ')}.`,
      problems: failed.flatMap((outcome) => outcome.result.failures.map((failure) => `${outcome.name}: ${failure.message}`)),
      comment: { mode: step.comment, token: step.githubToken },
      content: manyArtifacts(many),
    };
  } finally {
    await client.client.close();
  }
}

/** Bad inputs, or no HTTP client: nothing was gated. */
function notRunReport(result: GateResult): Omit<StepReport, 'outputs'> {
  return {
    result,
    summary: renderSummary(result),
    verdictLine: `The gate did not run (status ${result.status}).`,
    problems: result.failures.map((failure) => failure.message),
    comment: null,
  };
}

/** The Retab client, or why it could not be made: the default dispatcher is built from the proxy variables, and a malformed one throws. */
function makeClient(settings: Pick<Settings, 'baseUrl' | 'apiKey'>, deps: Dependencies): { client: RetabClient } | { error: string } {
  try {
    return {
      client: new RetabClient({
        baseUrl: settings.baseUrl,
        apiKey: settings.apiKey,
        dispatcher: deps.dispatcher,
        env: deps.env,
        requestTimeoutMs: deps.requestTimeoutMs,
        debug: (line) => deps.io.debug(line),
        now: deps.now,
      }),
    };
  } catch (error) {
    return { error: `could not set up the HTTP client: ${messageOf(error)}. Check the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)` };
  }
}

/**
 * The gate, with a Retab client made for it and closed after. An error the flow does not expect
 * becomes the result too, so the outputs and the summary are written whatever happens.
 */
async function gateWithClient(settings: Settings, deps: Dependencies, signal: AbortSignal): Promise<GateResult> {
  const { io } = deps;
  const criteria = { runId: settings.target.kind === 'run' ? settings.target.runId : null, threshold: settings.threshold, maxErrors: settings.maxErrors };
  const made = makeClient(settings, deps);
  if ('error' in made) return resultFromUnexpectedError('api_error', made.error, criteria);
  const { client } = made;
  try {
    return await gate(settings, { client, log: io, env: deps.env, signal, now: deps.now, sleep: deps.sleep, random: deps.random, backoff: deps.backoff });
  } catch (error) {
    if (error instanceof Error && error.stack) io.debug(error.stack);
    return resultFromUnexpectedError('internal_error', `the gate stopped on an unexpected error: ${messageOf(error)}. Please report it with the debug log`, criteria);
  } finally {
    await client.close();
  }
}


/** Outputs and the summary, written on every outcome before the step fails. */
async function publish(step: StepReport, io: ActionIO): Promise<void> {
  for (const [name, value] of Object.entries(step.outputs)) io.setOutput(name, value);
  try {
    await io.writeSummary(step.summary);
  } catch (error) {
    io.warning(`Could not write the job summary: ${messageOf(error)}`);
  }
  io.info(step.verdictLine);
}
