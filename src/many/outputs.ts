/**
 * The outputs of a step with several experiments: `passed` for the whole step, `results` with one
 * object per experiment (for `fromJSON` in later steps), and the single-run outputs filled with
 * the figures of the headline experiment (the first to fail, else the first line).
 */
import { cutToFit } from '../report/markdown.js';
import { boundedJson } from '../common/api-text.js';
import { errorsOf, readsCut } from '../gate/result.js';
import { baselineOutputs, buildOutputs, MAX_OUTPUT_BYTES, type OutputName } from '../report/outputs.js';
import type { ExperimentOutcome, ManyResult } from './gate-many.js';

/** A failure's message in `results`: long enough to read, bounded for 50 experiments. */
const MAX_MESSAGE_CHARS = 500;

export interface ExperimentResultJson {
  name: string;
  line: number;
  experiment_id: string | null;
  run_id: string | null;
  passed: boolean;
  status: string;
  score: number | null;
  threshold: number | null;
  max_errors: number | null;
  error_count: number | null;
  duration_ms: number | null;
  prior_score: number | null;
  /** The run compared with and where it came from (see the `baseline_run_id` and `baseline_source` outputs); null when none. */
  baseline_run_id: string | null;
  baseline_source: string | null;
  score_delta: number | null;
  /** Reads of the report were cut because another experiment failed first (`fail_fast`): what they would have checked was not. */
  reads_cut: boolean;
  /** The rules that failed, e.g. `["score_below_threshold"]`; empty on a pass. */
  failed_rules: string[];
  failures: Array<{ rule: string; message: string }>;
}

export function buildManyOutputs(many: ManyResult): Record<OutputName | 'results', string> {
  return {
    ...buildOutputs(many.headline.result),
    passed: String(many.passed),
    results: resultsJson(many),
  };
}

/** Valid JSON whatever its size, within the outputs' cap: its strings are cut, then the messages left out. */
function resultsJson(many: ManyResult): string {
  const rows = many.experiments.map(experimentJson);
  return boundedJson(rows, MAX_OUTPUT_BYTES) ?? boundedJson(rows.map((row) => ({ ...row, failures: [] })), MAX_OUTPUT_BYTES) ?? '[]';
}

export function experimentJson(outcome: ExperimentOutcome): ExperimentResultJson {
  const { result } = outcome;
  const run = result.run;
  const delta = result.comparison?.delta ?? null;
  // The count the verdict used, as the `error_count` output and the summary give it: counted in the results when the run gave none.
  const errors = errorsOf(result);
  return {
    name: outcome.name,
    line: outcome.line,
    experiment_id: outcome.experimentId ?? run?.experiment_id ?? null,
    run_id: run?.id ?? result.runId,
    passed: result.passed,
    status: result.status,
    score: run?.score ?? null,
    threshold: result.threshold,
    max_errors: result.maxErrors,
    error_count: errors?.known ? errors.count : null,
    duration_ms: run?.duration_ms ?? null,
    prior_score: result.comparison?.prior_score ?? null,
    baseline_run_id: baselineOutputs(result).baseline_run_id || null,
    baseline_source: baselineOutputs(result).baseline_source || null,
    // Rounded so that 0.83 − 0.79 reads 0.04, like the `score_delta` output.
    score_delta: delta === null ? null : Number(delta.toFixed(4)),
    reads_cut: readsCut(result),
    failed_rules: [...new Set(result.failures.map((failure) => failure.rule))],
    failures: result.failures.map((failure) => ({ rule: failure.rule, message: cutToFit(failure.message, MAX_MESSAGE_CHARS, '…') })),
  };
}
