/**
 * The action's wiring: inputs → Retab client → gate (start, wait, details, verdict; see gate/gate.ts;
 * with `experiments`, every line through it at once, see many/) → outputs, summary, report,
 * comment → fail, once. Side effects come in through `Dependencies` so
 * the whole flow can be driven without the runner, a network or real time.
 */
import type { BackoffOptions } from './common/backoff.js';
import { gate } from './gate/gate.js';
import { resultFromInputErrors, resultFromUnexpectedError, type GateResult } from './gate/result.js';
import { INPUT_NAMES, parseSettings, partialCriteria, resolveApiKey, type Env, type RawInputs, type Settings } from './inputs/settings.js';
import { listenForJobCancellation, type JobCancellation } from './runner/job-cancellation.js';
import { RetabClient } from './retab/client.js';
import { manyArtifacts, stepResult } from './many/artifacts.js';
import { gateMany, type ManyResult } from './many/gate-many.js';
import { buildManyOutputs } from './many/outputs.js';
import { parseManySettings } from './inputs/experiments.js';
import { renderManySummary } from './many/summary.js';
import { proxySettings } from './retab/proxy.js';
import { transportFor, type Transport } from './retab/transport.js';
import { publishArtifacts, type ArtifactContent, type ArtifactOptions } from './github/artifacts.js';
import { githubApiUrl, githubChecksApi, type ChecksApiFactory } from './github/checks-api.js';
import { gateEvent, type GateEvent } from './github/event.js';
import { readEventPayload } from './inputs/github-context.js';
import { baselineFinder } from './github/baseline-search.js';
import { publishCheckRuns, type CheckRunItem } from './github/check-run.js';
import type { BaselineFinder } from './verdict/baseline.js';
import { buildOutputs } from './report/outputs.js';
import { renderSummary } from './report/summary.js';
import type { Timing } from './common/timing.js';
import { messageOf } from './common/errors.js';
import { cleanDecoded, Redactor } from './common/api-text.js';
import { guardedIO, runnerIO, sleepUnlessAborted, type ActionIO } from './runner/io.js';


export interface Dependencies extends Timing {
  io: ActionIO;
  env: Env;
  /** What carries the requests; by default direct, or through the proxy the variables name (see retab/transport.ts). */
  transport?: Transport;
  /** Aborted when the job is cancelled; by default on SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Each request's own time limit; 30 s by default. */
  requestTimeoutMs?: number;
  /** How long to keep trying a Retab that has never answered during the step; 60 s by default (see retab/no-answer.ts). */
  noAnswerLimitMs?: number;
  /** Retry timings for transient failures; 1 s base, 30 s cap by default. */
  backoff?: BackoffOptions;
  /** The GitHub API for the pull request comment; by default `@actions/github`, loaded on first use. */
  commentsApi?: ArtifactOptions['commentsApi'];
  /** The comment's own time limit; 15 s by default (see github/time-limit.ts). */
  commentTimeLimitMs?: number;
  /** The checks API for the check run and the base search; by default `@actions/github`, loaded on first use. */
  checksApi?: ChecksApiFactory;
}

/** A cancellation given by the caller: the comment stops on it unless it had already aborted. */
function givenCancellation(signal: AbortSignal): JobCancellation {
  return { signal, nextSignal: () => (signal.aborted ? new AbortController().signal : signal), dispose: () => {} };
}




export async function run(overrides: Partial<Dependencies> = {}): Promise<void> {
  const given: Dependencies = {
    io: runnerIO,
    env: process.env,
    now: Date.now,
    sleep: sleepUnlessAborted,
    random: Math.random,
    ...overrides,
  };

  // The key and the token are masked before anything else can print them.
  const apiKey = resolveApiKey(given.io.getInput('api_key'), given.env);
  if (apiKey) given.io.setSecret(apiKey);
  const githubToken = given.io.getInput('github_token').trim();
  if (githubToken) given.io.setSecret(githubToken);
  const proxySecrets = proxyPasswords(given.env);
  for (const secret of proxySecrets) given.io.setSecret(secret);
  const secrets = [apiKey, githubToken, ...proxySecrets];
  const redactor = new Redactor(secrets);
  const deps: Dependencies = { ...given, io: guardedIO(given.io, redactor) };
  const { io } = deps;

  // Listening until the very end: a SIGTERM that follows SIGINT while the outputs and the summary
  // are being written must not kill the process half-way through them.
  const jobCancellation: JobCancellation = deps.signal ? givenCancellation(deps.signal) : listenForJobCancellation(io);
  try {
    const raw = Object.fromEntries(INPUT_NAMES.map((name) => [name, io.getInput(name)])) as RawInputs;
    const guard: SecretGuard = { secrets, redact: (text) => redactor.redact(text) };
    const eventPayload = readEventPayload(deps.env, (message) => io.debug(message));
    const event = gateEvent(deps.env, eventPayload);
    const github: GithubSide = { event, checksApi: deps.checksApi ?? githubChecksApi, baseUrl: githubApiUrl(deps.env) };
    const step = raw.experiments.trim() !== '' ? await gateSeveral(raw, apiKey, deps, jobCancellation.signal, guard, github) : await gateOne(raw, apiKey, deps, jobCancellation.signal, guard, github);

    const problems = [...step.problems];
    // The gate's name and matrix values go into the comment's marker and footer: without the
    // secrets, before the marker is made, so that the marker stays the same from run to run.
    const comment = step.comment && { ...step.comment, name: step.comment.name === null ? null : guard.redact(step.comment.name), matrix: guard.redact(step.comment.matrix) };
    // The runner's output file could not be written: a later step would read nothing, so fail; but
    // the report and the comment are still written, each on its own.
    let outputError: unknown = null;
    try {
      await publish(step, io);
    } catch (error) {
      outputError = error;
    }
    try {
      const signal = jobCancellation.nextSignal();
      await publishArtifacts(step.result, { io, env: deps.env, eventPayload, comment, commentsApi: deps.commentsApi, redact: guard.redact, signal, commentTimeLimitMs: deps.commentTimeLimitMs }, step.content);
    } catch (error) {
      outputError ??= error;
    }
    // After the verdict, best-effort: it never fails the step.
    if (step.check) {
      try {
        await publishCheckRuns({ ...step.check, event, baseUrl: github.baseUrl, checksApi: github.checksApi, log: io, redact: guard.redact, signal: jobCancellation.nextSignal(), timeLimitMs: deps.commentTimeLimitMs });
      } catch (error) {
        io.warning(`Could not record the check run: ${messageOf(error)}`);
      }
    }
    if (outputError !== null) problems.push(`could not write the step's outputs: ${messageOf(outputError)}`);
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
  /** Set with several experiments: their report and comment (see many/artifacts.ts). */
  content?: ArtifactContent;
  /** The check runs to record (one per experiment), and the token; absent with `check: false` or bad inputs. */
  check?: { items: CheckRunItem[]; token: string };
}

/** What the GitHub side needs: the event's facts, the checks API and where it is (GITHUB_API_URL, for GHES). */
interface GithubSide {
  event: GateEvent | null;
  checksApi: ChecksApiFactory;
  baseUrl: string;
}

function findBaselineWith(github: GithubSide, token: string): BaselineFinder {
  return baselineFinder({ token, baseUrl: github.baseUrl, event: github.event, checksApi: github.checksApi });
}

/** The gate's label: `name`, else the experiment id (a `run_id` gate: the run's experiment). */
function labelOf(result: GateResult, settings: Settings): string {
  return settings.gateName ?? (settings.target.kind === 'experiment' ? settings.target.experimentId : (result.run?.experiment_id ?? settings.target.runId));
}

/** The secrets to keep out of every answer, and how: what the client and the results are cleaned with. */
interface SecretGuard {
  secrets: string[];
  redact: (text: string) => string;
}

/** `run_id` or `experiment_id`: one run through the gate. */
async function gateOne(raw: RawInputs, apiKey: string, deps: Dependencies, signal: AbortSignal, guard: SecretGuard, github: GithubSide): Promise<StepReport> {
  const parsed = parseSettings(raw, apiKey, deps.env);
  if (parsed.ok) for (const warning of parsed.settings.warnings ?? []) deps.io.warning(warning);
  const findBaseline = parsed.ok ? findBaselineWith(github, parsed.settings.githubToken) : undefined;
  const gated = parsed.ok ? await gateWithClient(parsed.settings, deps, signal, guard.secrets, findBaseline) : resultFromInputErrors(parsed.errors, partialCriteria(raw));
  // Before anything is escaped for Markdown, where a secret would no longer be recognisable.
  const result = cleanDecoded(gated, guard.redact) as GateResult;
  const summary = renderSummary(result);
  return {
    result,
    outputs: buildOutputs(result),
    summary,
    ...(parsed.ok && parsed.settings.check ? { check: { items: [{ label: labelOf(result, parsed.settings), result, summary }], token: parsed.settings.githubToken } } : {}),
    verdictLine: result.passed ? 'The run passed the gate.' : `The run did not pass the gate (status ${result.status}; failed: ${result.failures.map((failure) => failure.rule).join(', ')}).`,
    problems: result.failures.map((failure) => failure.message),
    comment: parsed.ok ? { mode: parsed.settings.comment, token: parsed.settings.githubToken, name: parsed.settings.gateName, matrix: parsed.settings.matrix } : null,
  };
}

/** `experiments`: every line through the gate at once (see many/gate-many.ts), one verdict. */
async function gateSeveral(raw: RawInputs, apiKey: string, deps: Dependencies, signal: AbortSignal, guard: SecretGuard, github: GithubSide): Promise<StepReport> {
  const parsed = parseManySettings(raw, apiKey, deps.env);
  if (!parsed.ok) {
    const result = resultFromInputErrors(parsed.errors, { ...partialCriteria(raw), runId: '' });
    return { ...notRunReport(result), outputs: { ...buildOutputs(result), results: '[]' } };
  }
  // Every line reads the same step inputs: a correction to one of them is said once.
  for (const warning of new Set(parsed.many.experiments.flatMap((experiment) => experiment.settings.warnings ?? []))) deps.io.warning(warning);
  const { step } = parsed.many;
  const client = await makeClient(step, deps, guard.secrets);
  if ('error' in client) {
    const first = parsed.many.experiments[0]?.settings;
    const result = resultFromUnexpectedError('api_error', client.error, { runId: null, threshold: first?.threshold ?? 0, maxErrors: first?.maxErrors ?? 0 });
    return { ...notRunReport(result), outputs: { ...buildOutputs(result), results: '[]' } };
  }
  try {
    const findBaseline = findBaselineWith(github, step.githubToken);
    const gated = await gateMany(parsed.many, { client: client.client, log: deps.io, env: deps.env, signal, now: deps.now, sleep: deps.sleep, random: deps.random, backoff: deps.backoff, findBaseline });
    const many = redactedMany(gated, guard.redact);
    const failed = many.experiments.filter((outcome) => !outcome.result.passed);
    return {
      result: stepResult(many),
      outputs: buildManyOutputs(many),
      summary: renderManySummary(many),
      verdictLine: many.passed
        ? `All ${many.experiments.length} experiments passed the gate.`
        : `${failed.length} of ${many.experiments.length} experiments did not pass the gate: ${failed.map((outcome) => `${outcome.name} (${outcome.result.failures.map((failure) => failure.rule).join(', ')})`).join('; ')}.`,
      problems: failed.flatMap((outcome) => outcome.result.failures.map((failure) => `${outcome.name}: ${failure.message}`)),
      comment: { mode: step.comment, token: step.githubToken, name: step.gateName, matrix: step.matrix },
      content: manyArtifacts(many),
      ...(step.check ? { check: { items: many.experiments.map((outcome) => ({ label: outcome.name, result: outcome.result, summary: renderSummary(outcome.result) })), token: step.githubToken } } : {}),
    };
  } finally {
    await client.client.close();
  }
}

/**
 * Every experiment's result cleaned of the secrets, like the single result (see `gateOne`), and its
 * name: a line's `name=` is the user's text, but it goes into the report file, which no runner masks.
 */
function redactedMany(many: ManyResult, redact: (text: string) => string): ManyResult {
  const experiments = many.experiments.map((outcome) => ({ ...outcome, name: redact(outcome.name), result: cleanDecoded(outcome.result, redact) as GateResult }));
  const headline = experiments[many.experiments.indexOf(many.headline)] ?? many.headline;
  return { ...many, experiments, headline, stoppedBy: many.stoppedBy === null ? null : redact(many.stoppedBy) };
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

/** The Retab client, or why it could not be made: the default transport is chosen from the proxy variables, and a malformed one throws. */
async function makeClient(settings: Pick<Settings, 'baseUrl' | 'apiKey'>, deps: Dependencies, secrets: string[]): Promise<{ client: RetabClient } | { error: string }> {
  try {
    const transport = deps.transport ?? transportFor(settings.baseUrl, deps.env);
    return {
      client: new RetabClient({
        baseUrl: settings.baseUrl,
        apiKey: settings.apiKey,
        secrets,
        transport,
        env: deps.env,
        requestTimeoutMs: deps.requestTimeoutMs,
        noAnswerLimitMs: deps.noAnswerLimitMs,
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
async function gateWithClient(settings: Settings, deps: Dependencies, signal: AbortSignal, secrets: string[], findBaseline?: BaselineFinder): Promise<GateResult> {
  const { io } = deps;
  const criteria = { runId: settings.target.kind === 'run' ? settings.target.runId : null, threshold: settings.threshold, maxErrors: settings.maxErrors };
  const made = await makeClient(settings, deps, secrets);
  if ('error' in made) return resultFromUnexpectedError('api_error', made.error, criteria);
  const { client } = made;
  try {
    return await gate(settings, { client, log: io, env: deps.env, signal, now: deps.now, sleep: deps.sleep, random: deps.random, backoff: deps.backoff, findBaseline });
  } catch (error) {
    if (error instanceof Error && error.stack) io.debug(error.stack);
    return resultFromUnexpectedError('internal_error', `the gate stopped on an unexpected error: ${messageOf(error)}. Please report it with the debug log`, criteria);
  } finally {
    await client.close();
  }
}


/**
 * Passwords written into the proxy variables (`http://user:pw@proxy:3128`), as given and decoded:
 * secrets like the key, should an error ever name the proxy. Shorter than 4 characters, a password
 * would redact half the log, and protects nothing anyway.
 */
export function proxyPasswords(env: Env): string[] {
  const { httpProxy, httpsProxy } = proxySettings(env);
  return [httpProxy, httpsProxy].flatMap((url) => {
    const userinfo = /^(?:[a-z][a-z0-9+.-]*:)?[/\\]*([^]*)@/i.exec(url ?? '')?.[1] ?? '';
    const password = userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : '';
    let decoded = password;
    try {
      decoded = decodeURIComponent(password);
    } catch {
      // Not percent-encoded after all.
    }
    return [password, decoded].filter((secret) => secret.length >= 4);
  });
}

/**
 * Outputs and the summary, written on every outcome before the step fails. An output that cannot
 * be written is thrown, but only after the summary is: a reader still learns why the step failed.
 */
async function publish(step: StepReport, io: ActionIO): Promise<void> {
  let outputError: unknown = null;
  try {
    for (const [name, value] of Object.entries(step.outputs)) io.setOutput(name, value);
  } catch (error) {
    outputError = error;
  }
  try {
    await io.writeSummary(step.summary);
  } catch (error) {
    io.warning(`Could not write the job summary: ${messageOf(error)}`);
  }
  io.info(step.verdictLine);
  if (outputError !== null) throw outputError;
}
