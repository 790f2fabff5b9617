/**
 * `experiments` → one `Settings` per line. Each line is parsed by the single-experiment
 * `parseSettings`, with the step's inputs as defaults and the line's own settings on top, so every
 * value is checked by the same rules as `run_id` / `experiment_id`. A bad value is named by its
 * line when the line gave it, by the step's input when it came from there (then once).
 */
import { InputError } from '../common/errors.js';
import { parseSettings, SelfBaselineError, type Env, type InputName, type RawInputs, type Settings } from './settings.js';
import { ExperimentLineError, parseExperimentLines, type ExperimentLine } from './experiment-lines.js';

export interface PlannedExperiment {
  line: number;
  name: string;
  settings: Settings;
}

export interface ManySettings {
  experiments: PlannedExperiment[];
  /** The step's own settings, shared by every line: timeout, key, base URL, comment, fail_fast. */
  step: Pick<Settings, 'apiKey' | 'baseUrl' | 'timeoutMs' | 'comment' | 'githubToken' | 'failFast' | 'cancelOnAbort' | 'gateName' | 'matrix' | 'check'>;
}

export type ManySettingsResult = { ok: true; many: ManySettings } | { ok: false; errors: InputError[] };

export function parseManySettings(raw: RawInputs, apiKey: string, env: Env): ManySettingsResult {
  const errors: InputError[] = [];
  for (const input of ['run_id', 'experiment_id'] as const) {
    const value = raw[input].trim();
    if (value) {
      errors.push(new InputError(input, value, '`experiments` is also given; give exactly one of `run_id`, `experiment_id` and `experiments` (add this one as a line of `experiments`)'));
    }
  }
  const lines = parseExperimentLines(raw.experiments);
  const lineErrors = lines.errors.filter((error) => error instanceof ExperimentLineError);
  const wholeInputErrors = lines.errors.filter((error) => !(error instanceof ExperimentLineError));

  const experiments: PlannedExperiment[] = [];
  const stepErrors = new Map<string, InputError>();
  for (const line of lines.lines) {
    const parsed = parseSettings(lineInputs(raw, line), apiKey, env);
    if (parsed.ok) {
      experiments.push({ line: line.line, name: line.name, settings: parsed.settings });
      continue;
    }
    for (const error of parsed.errors) {
      const fromLine = lineError(line, error);
      if (fromLine) lineErrors.push(fromLine);
      else stepErrors.set(error.message, error);
    }
  }
  errors.push(...inLineOrder(lineErrors), ...wholeInputErrors, ...stepErrors.values());
  const first = experiments[0];
  if (errors.length > 0 || !first) return { ok: false, errors };
  const { apiKey: key, baseUrl, timeoutMs, comment, githubToken, failFast, cancelOnAbort, gateName, matrix, check } = first.settings;
  return { ok: true, many: { experiments, step: { apiKey: key, baseUrl, timeoutMs, comment, githubToken, failFast, cancelOnAbort, gateName, matrix, check } } };
}

/** The bad lines as a user reads the input, top to bottom: a line's syntax and its values are checked apart. */
function inLineOrder(errors: ExperimentLineError[]): ExperimentLineError[] {
  return errors.toSorted((a, b) => a.line - b.line);
}

/** The inputs as this line sees them: the step's, with the line's target and settings on top. */
function lineInputs(raw: RawInputs, line: ExperimentLine): RawInputs {
  const { target } = line;
  const run = target.kind === 'run';
  return {
    ...raw,
    ...line.settings,
    experiments: '',
    run_id: target.kind === 'run' ? target.runId : '',
    experiment_id: target.kind === 'experiment' ? target.experimentId : '',
    // The step's `workflow_id` is a default for the lines that start a run, not for `run:` lines.
    workflow_id: run ? '' : (line.settings.workflow_id ?? raw.workflow_id),
  };
}

/** The line's own error, when the bad value came from the line (its target or one of its settings). */
function lineError(line: ExperimentLine, error: InputError): ExperimentLineError | null {
  // The run is the line's, whichever gave the baseline: the line is named either way.
  if (error instanceof SelfBaselineError) {
    const own = 'baseline_run_id' in line.settings;
    const same = `this line's own run (\`run:${error.value}\`), and a run compared with itself never shows a change`;
    const accepted = own
      ? `it is ${same}; give the id of another run, or remove it (the previous completed run)`
      : `the step's \`baseline_run_id\` is ${same}; give this line a \`baseline_run_id\` of another run, or change the step's`;
    return new ExperimentLineError(line.line, own ? 'baseline_run_id' : null, error.value, accepted);
  }
  const input = error.input as InputName;
  const fromTarget = input === 'run_id' || input === 'experiment_id';
  if (!fromTarget && !(input in line.settings)) return null;
  const key = fromTarget ? null : input;
  const what = fromTarget ? (line.target.kind === 'run' ? 'the run id after `run:`' : 'the experiment id') : null;
  return new ExperimentLineError(line.line, key, error.value, what ? `${what}: ${error.accepted}` : error.accepted);
}
