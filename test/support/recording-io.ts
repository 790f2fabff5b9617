/**
 * An `ActionIO` that records what the action does instead of talking to a runner: inputs come from
 * a plain object (action.yml's defaults are the caller's business), outputs, the summary, every
 * log line and the order of the calls are kept for the test to read.
 */
import type { ActionIO } from '../../src/runner/io.js';

/** An `ActionIO` method that does something; reading an input is not recorded. */
export type ActionCall = Exclude<keyof ActionIO, 'getInput'>;

export interface Recording {
  outputs: Record<string, string>;
  summary: string | null;
  secrets: string[];
  info: string[];
  debug: string[];
  warnings: string[];
  failed: string | null;
  /** Every method called, in order, so a test can check what came first and how often. */
  calls: ActionCall[];
  /** Every line the action printed, in order, as one text: what a log would show. */
  log(): string;
}

/**
 * Inputs are returned as given, not trimmed as the runner's `getInput` would: the action must not
 * rely on that.
 */
export function recordingIO(inputs: Record<string, string>): { io: ActionIO; recording: Recording } {
  const lines: string[] = [];
  const recording: Recording = {
    outputs: {},
    summary: null,
    secrets: [],
    info: [],
    debug: [],
    warnings: [],
    failed: null,
    calls: [],
    log: () => lines.join('\n'),
  };
  const call = (name: ActionCall) => void recording.calls.push(name);
  const io: ActionIO = {
    getInput: (name) => inputs[name] ?? '',
    setSecret: (secret) => void (call('setSecret'), recording.secrets.push(secret)),
    setOutput: (name, value) => void (call('setOutput'), (recording.outputs[name] = value)),
    info: (message) => void (call('info'), recording.info.push(message), lines.push(message)),
    debug: (message) => void (call('debug'), recording.debug.push(message), lines.push(`::debug::${message}`)),
    warning: (message) => void (call('warning'), recording.warnings.push(message), lines.push(`::warning::${message}`)),
    setFailed: (message) => void (call('setFailed'), (recording.failed = message), lines.push(`::error::${message}`)),
    async writeSummary(markdown) {
      call('writeSummary');
      recording.summary = markdown;
    },
  };
  return { io, recording };
}
