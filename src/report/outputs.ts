/** The step's outputs, as strings, from the gate result. Empty when a figure is unknown. */
import { boundedJson, cutText } from '../common/api-text.js';
import { errorsOf, type GateResult } from '../gate/result.js';

/**
 * The most one output may hold. GitHub allows about 1 MB of outputs per job, shared by every step;
 * the `run` JSON is far below this by construction (the client cuts every API string), and the
 * others are figures, ids and statuses held to strict patterns.
 */
export const MAX_OUTPUT_BYTES = 64 * 1024;
const MAX_SHORT_OUTPUT = 1024;

export const OUTPUT_NAMES = [
  'passed',
  'status',
  'score',
  'threshold',
  'error_count',
  'duration_ms',
  'run_id',
  'total_document_count',
  'completed_document_count',
  'run',
  'prior_score',
  'baseline_run_id',
  'baseline_source',
  'score_delta',
  'score_ci_low',
  'score_ci_high',
  'score_delta_ci_low',
  'score_delta_ci_high',
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export function buildOutputs(result: GateResult): Record<OutputName, string> {
  const outputs = uncutOutputs(result);
  for (const name of OUTPUT_NAMES) if (name !== 'run') outputs[name] = cutText(outputs[name], MAX_SHORT_OUTPUT);
  return outputs;
}

function uncutOutputs(result: GateResult): Record<OutputName, string> {
  const run = result.run;
  const statistics = result.comparison?.statistics;
  const errors = errorsOf(result);
  return {
    passed: String(result.passed),
    status: result.status,
    score: figure(run?.score),
    threshold: figure(result.threshold),
    // Empty when unknown, like every other figure; counted from the per-document results when the run gave none.
    error_count: figure(errors?.known ? errors.count : null),
    duration_ms: figure(run?.duration_ms),
    run_id: run?.id ?? result.runId ?? '',
    total_document_count: figure(run?.total_document_count),
    completed_document_count: figure(run?.completed_document_count),
    // Valid JSON whatever its size: its strings are cut, never the JSON text.
    run: run ? (boundedJson(run, MAX_OUTPUT_BYTES) ?? '') : '',
    prior_score: figure(result.comparison?.prior_score),
    ...baselineOutputs(result),
    // Rounded so that 0.83 − 0.79 reads 0.04, not 0.039999999999999925.
    score_delta: figure(roundedDelta(result.comparison?.delta ?? null)),
    // The intervals at `confidence` (95 % when it is empty), from the per-document scores.
    score_ci_low: figure(roundedDelta(statistics?.score_interval?.low ?? null)),
    score_ci_high: figure(roundedDelta(statistics?.score_interval?.high ?? null)),
    score_delta_ci_low: figure(roundedDelta(statistics?.change_interval?.low ?? null)),
    score_delta_ci_high: figure(roundedDelta(statistics?.change_interval?.high ?? null)),
  };
}

/** The run compared with, and where it came from (`base`, `previous`, `input`); both empty when there was none. */
export function baselineOutputs(result: Pick<GateResult, 'comparison'>): { baseline_run_id: string; baseline_source: string } {
  const baseline = result.comparison?.baseline;
  const runId = baseline?.run_id ?? '';
  return { baseline_run_id: runId, baseline_source: runId ? (baseline?.source ?? '') : '' };
}

function figure(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

function roundedDelta(delta: number | null): number | null {
  return delta === null ? null : Number(delta.toFixed(4));
}
