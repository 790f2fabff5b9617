/**
 * Several experiments in one step: every experiment goes through the single gate (gate.ts) at
 * once, on one client that keeps a few requests in flight and one pace (pace.ts), within one
 * `timeout`. One failure does not stop the others, unless `fail_fast`: then the rest are stopped,
 * and the runs they started cancelled. A run named by a `run:` line is never cancelled (gate.ts).
 */
import type { BackoffOptions } from '../common/backoff.js';
import { StopRequest } from '../start/cancel-run.js';
import { gate, type GateClient, type GateLog, type GateOptions } from '../gate/gate.js';
import { resultFromUnexpectedError, type GateResult } from '../gate/result.js';
import type { Env } from '../inputs/settings.js';
import { messageOf } from '../common/errors.js';
import type { Timing } from '../common/timing.js';
import { Limiter, MAX_IN_FLIGHT, SharedPace, sharedClient } from './pace.js';
import type { ManySettings, PlannedExperiment } from '../inputs/experiments.js';

export interface ExperimentOutcome {
  line: number;
  name: string;
  /** The experiment the line names, or null for a `run:` line (then see `result.run`). */
  experimentId: string | null;
  result: GateResult;
  /** 0 for the first experiment to end, 1 for the next, … */
  endedRank: number;
  /** `fail_fast` stopped it after another experiment failed. */
  stopped: boolean;
}

export interface ManyResult {
  passed: boolean;
  /** In the order of the lines. */
  experiments: ExperimentOutcome[];
  /** The experiment whose figures fill the single-run outputs: the first to fail, else the first line. */
  headline: ExperimentOutcome;
  /** Set when `fail_fast` stopped the others: the experiment that failed first. */
  stoppedBy: string | null;
}

export interface ManyGateOptions extends Timing {
  client: GateClient;
  log: GateLog;
  env: Env;
  /** Aborted when the job is cancelled. */
  signal: AbortSignal;
  backoff?: BackoffOptions;
  maxInFlight?: number;
  /** The base branch's recorded run, looked up per line under the line's own label (see gate/gate.ts). */
  findBaseline?: GateOptions['findBaseline'];
}

export async function gateMany(many: ManySettings, options: ManyGateOptions): Promise<ManyResult> {
  const failFast = new AbortController();
  const client = sharedClient(options.client, new SharedPace(options, options.backoff), new Limiter(options.maxInFlight ?? MAX_IN_FLIGHT));
  // One budget for the step: every experiment's gate counts down to the same moment.
  const deadline = options.now() + many.step.timeoutMs;
  let ended = 0;
  let stoppedBy: string | null = null;

  const one = async (experiment: PlannedExperiment): Promise<ExperimentOutcome> => {
    const log = prefixed(options.log, experiment.name);
    const settings = { ...experiment.settings, timeoutMs: Math.max(0, deadline - options.now()) };
    // A signal per experiment: its waits listen to it, not to the job's (fifty experiments would
    // put fifty listeners on one signal, past Node's warning at ten). `any` adds no listener itself.
    const signal = AbortSignal.any([options.signal, failFast.signal]);
    let result: GateResult;
    try {
      result = await gate(settings, { client, reportClient: client.report, log, env: options.env, signal, now: options.now, sleep: options.sleep, random: options.random, backoff: options.backoff, findBaseline: options.findBaseline, label: experiment.name });
    } catch (error) {
      if (error instanceof Error && error.stack) log.debug(error.stack);
      const criteria = { runId: settings.target.kind === 'run' ? settings.target.runId : null, threshold: settings.threshold, maxErrors: settings.maxErrors };
      result = resultFromUnexpectedError('internal_error', `the gate stopped on an unexpected error: ${messageOf(error)}. Please report it with the debug log`, criteria);
    }
    // Interrupted, but not by the job: `fail_fast` stopped it after another experiment's failure.
    const stoppedAfter = result.status === 'interrupted' && !options.signal.aborted ? stoppedBy : null;
    if (stoppedAfter !== null) result = stoppedByFailFast(result, stoppedAfter);
    const outcome: ExperimentOutcome = {
      line: experiment.line,
      name: experiment.name,
      experimentId: settings.target.kind === 'experiment' ? settings.target.experimentId : null,
      result,
      endedRank: ended++,
      stopped: stoppedAfter !== null,
    };
    if (!result.passed && many.step.failFast && stoppedBy === null && !signal.aborted) {
      stoppedBy = experiment.name;
      options.log.info(`${experiment.name} failed: stopping the other experiments (\`fail_fast\`).`);
      failFast.abort(new StopRequest('fail_fast', `${experiment.name} failed (fail_fast)`));
    }
    return outcome;
  };

  const experiments = await Promise.all(many.experiments.map(one));
  const failed = experiments.filter((outcome) => !outcome.result.passed).sort((a, b) => a.endedRank - b.endedRank);
  const headline = failed[0] ?? experiments[0];
  if (!headline) throw new Error('gateMany needs at least one experiment');
  return { passed: failed.length === 0, experiments, headline, stoppedBy };
}

/** An experiment that `fail_fast` stopped: said so, rather than "the job was cancelled". */
function stoppedByFailFast(result: GateResult, by: string): GateResult {
  const failures = result.failures.map((failure) =>
    failure.rule === 'interrupted' ? { ...failure, message: `stopped because ${by} failed first (\`fail_fast\`)${result.runId ? `; run ${result.runId} was not waited for` : ''}` } : failure,
  );
  return { ...result, failures };
}

/** Ten experiments log at once: each line says which one it is about. */
function prefixed(log: GateLog, name: string): GateLog {
  const tag = `[${name}] `;
  return {
    info: (message) => log.info(tag + message),
    debug: (message) => log.debug(tag + message),
    warning: (message) => log.warning(tag + message),
  };
}
