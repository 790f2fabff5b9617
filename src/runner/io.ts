/**
 * The runner's side of the action: `@actions/core` (or what stands in for it, such as
 * local-action's) for every exchange with the runner, reached only through `guardedIO`, and the
 * real clock's sleep.
 */
import { setTimeout as delay } from 'node:timers/promises';
import * as core from '@actions/core';
import { inertLog, type Redactor } from '../common/api-text.js';

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

/**
 * The runner, through `@actions/core` (or what stands in for it, such as local-action's): core
 * writes the workflow commands and the runner's files. It is reached only through `guardedIO`,
 * which makes the log text inert, redacted and bounded first.
 */
export const runnerIO: ActionIO = {
  getInput: (name) => core.getInput(name),
  setSecret: (secret) => core.setSecret(secret),
  setOutput: (name, value) => core.setOutput(name, value),
  info: (message) => core.info(message),
  debug: (message) => core.debug(message),
  warning: (message) => core.warning(message),
  setFailed: (message) => core.setFailed(message),
  async writeSummary(markdown) {
    // Outside a runner (a local run) there is no summary file: the summary is not lost, it goes to the log.
    if (!process.env.GITHUB_STEP_SUMMARY) {
      core.info(inertLog(`Job summary (GITHUB_STEP_SUMMARY is not set):\n${markdown}`, Infinity));
      return;
    }
    // Emptied first: a write that failed keeps core's buffer, which must not come back in a later one.
    await core.summary.emptyBuffer().addRaw(markdown, true).write();
  },
};

/**
 * The runner as the rest of the action sees it: every message written to the log is inert (it
 * cannot be read as a workflow command, and is cut to a bound), and the secrets are taken out of
 * every message, output and the summary. The client already cleans the API's text; this is the
 * last line, for whatever a future change forgets.
 */
export function guardedIO(io: ActionIO, redactor: Redactor): ActionIO {
  const log = (message: string) => inertLog(redactor.redact(message));
  return {
    getInput: (name) => io.getInput(name),
    setSecret: (secret) => io.setSecret(secret),
    setOutput: (name, value) => io.setOutput(name, redactor.redact(value)),
    info: (message) => io.info(log(message)),
    debug: (message) => io.debug(log(message)),
    warning: (message) => io.warning(log(message)),
    setFailed: (message) => io.setFailed(log(message)),
    writeSummary: (markdown) => io.writeSummary(redactor.redact(markdown)),
  };
}

/** Sleeps `ms`, or less when `signal` aborts. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Aborted: the caller sees `signal.aborted` and stops.
  }
}
