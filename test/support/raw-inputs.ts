import type { RawInputs } from '../../src/inputs/settings.js';

/**
 * Every input as `parseSettings` reads it: action.yml's defaults, with threshold 0.8 (it has none)
 * and no run, key or GitHub token; `overrides` replaces any of them.
 */
export function rawInputs(overrides: Partial<RawInputs> = {}): RawInputs {
  return {
    run_id: '',
    experiment_id: '',
    workflow_id: '',
    cancel_on_abort: 'true',
    threshold: '0.8',
    max_errors: '0',
    api_key: '',
    base_url: '',
    timeout: '30m',
    poll_interval: '',
    max_score_drop: '',
    baseline_run_id: '',
    on_missing_comparison: 'warn',
    confidence: '',
    comment: 'false',
    github_token: '',
    experiments: '',
    fail_fast: 'false',
    name: '',
    matrix: 'null',
    check: 'true',
    baseline: 'base',
    ...overrides,
  };
}
