import type { ExperimentRun } from '../../src/retab/run.js';

/** A normalised run with sensible figures; override what a test is about. */
export function makeRun(overrides: Partial<ExperimentRun> = {}): ExperimentRun {
  return {
    id: 'exprun_2',
    status: 'completed',
    message: null,
    error_code: null,
    block_name: null,
    reason: null,
    experiment_id: 'exp_abc',
    workflow_id: 'wf_abc123',
    workflow_version_id: 'draft_2026_05_18',
    workflow_name: 'Invoice workflow',
    block_id: 'extract-invoice',
    block_kind: 'extract',
    n_consensus: 5,
    score: 0.87,
    error_count: 0,
    total_document_count: 12,
    completed_document_count: 12,
    created_at: '2026-05-02T11:00:00Z',
    started_at: '2026-05-02T11:00:01Z',
    completed_at: '2026-05-02T11:04:18Z',
    duration_ms: 258_221,
    trigger: 'api',
    parent_run_id: null,
    ...overrides,
  };
}
