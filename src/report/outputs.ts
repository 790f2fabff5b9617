/** The step's outputs, as strings, from the gate result. Empty when a figure is unknown. */
import { errorsOf, type GateResult } from '../gate-result.js';

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
  'score_delta',
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export function buildOutputs(result: GateResult): Record<OutputName, string> {
  const run = result.run;
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
    run: run ? JSON.stringify(run) : '',
    prior_score: figure(result.comparison?.prior_score),
    // Rounded so that 0.83 − 0.79 reads 0.04, not 0.039999999999999925.
    score_delta: figure(roundedDelta(result.comparison?.delta ?? null)),
  };
}

function figure(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

function roundedDelta(delta: number | null): number | null {
  return delta === null ? null : Number(delta.toFixed(4));
}
