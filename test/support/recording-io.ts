/**
 * An `ActionIO` that records what the action does instead of talking to a runner: inputs come from
 * a plain object (action.yml's defaults are the caller's business), outputs, the summary and every
 * log line are kept for the test to read.
 */
import type { ActionIO } from '../../src/main.js';

export interface Recording {
  outputs: Record<string, string>;
  summary: string | null;
  secrets: string[];
  info: string[];
  debug: string[];
  warnings: string[];
  failed: string | null;
  /** Every line the action printed, in order, as one text: what a log would show. */
  log(): string;
}

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
    log: () => lines.join('\n'),
  };
  const io: ActionIO = {
    getInput: (name) => (inputs[name] ?? '').trim(),
    setSecret: (secret) => void recording.secrets.push(secret),
    setOutput: (name, value) => void (recording.outputs[name] = value),
    info: (message) => void (recording.info.push(message), lines.push(message)),
    debug: (message) => void (recording.debug.push(message), lines.push(`::debug::${message}`)),
    warning: (message) => void (recording.warnings.push(message), lines.push(`::warning::${message}`)),
    setFailed: (message) => void ((recording.failed = message), lines.push(`::error::${message}`)),
    async writeSummary(markdown) {
      recording.summary = markdown;
    },
  };
  return { io, recording };
}
