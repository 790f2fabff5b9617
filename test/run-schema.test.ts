import { describe, expect, it } from 'vitest';
import { describeIssues, isTerminal, normalizeRun, rawRunSchema } from '../src/retab/run.js';

// The reference page's example, verbatim from the API notes.
const referenceShape = {
  id: 'exprun_2',
  workflow: { workflow_id: 'wf_abc123', version_id: 'draft_2026_05_18', name_at_run_time: 'Invoice workflow', requested_version: 'draft' },
  trigger: { type: 'api' },
  lifecycle: { status: 'completed' },
  timing: { created_at: '2026-05-02T11:00:00Z', started_at: '2026-05-02T11:00:01Z', completed_at: '2026-05-02T11:04:18Z', duration_ms: 258221 },
  experiment_id: 'exp_abc',
  block_id: 'extract-invoice',
  block_kind: 'extract',
  n_consensus: 5,
  total_document_count: 12,
  completed_document_count: 12,
  error_count: 0,
  score: 0.87,
  definition_fingerprint: '0ff93ddc7cefcb42',
  documents_fingerprint: 'ddd95baadce6045f',
};

// The OpenAPI schema's field names for the same run.
const openApiShape = {
  id: 'exprun_2',
  workflow_id: 'wf_abc123',
  workflow_version_id: 'draft_2026_05_18',
  trigger: { type: 'manual_run' },
  lifecycle: { status: 'completed' },
  timing: { created_at: '2026-05-02T11:00:00Z', started_at: '2026-05-02T11:00:01Z', completed_at: '2026-05-02T11:04:18Z', duration_ms: null },
  experiment_id: 'exp_abc',
  block_id: 'extract-invoice',
  block_type: 'extract',
  block_version_id: null,
  block_execution_fingerprint: '0ff93ddc7cefcb42',
  metrics_validity_fingerprint: null,
  metrics_validity_fingerprint_version: null,
  n_consensus: 5,
  document_count: 12,
  total_document_count: 12,
  completed_document_count: 12,
  error_count: 0,
  score: 0.87,
  parent_run_id: null,
};

const parse = (body: unknown) => normalizeRun(rawRunSchema.parse(body));

describe('the run schema', () => {
  it('reads the reference-page shape', () => {
    expect(parse(referenceShape)).toMatchObject({
      id: 'exprun_2',
      status: 'completed',
      workflow_id: 'wf_abc123',
      workflow_version_id: 'draft_2026_05_18',
      workflow_name: 'Invoice workflow',
      block_kind: 'extract',
      n_consensus: 5,
      score: 0.87,
      error_count: 0,
      total_document_count: 12,
      completed_document_count: 12,
      duration_ms: 258221,
      trigger: 'api',
    });
  });

  it('reads the OpenAPI shape to the same figures, deriving the duration from the timestamps', () => {
    const run = parse(openApiShape);
    expect(run).toMatchObject({ workflow_id: 'wf_abc123', workflow_version_id: 'draft_2026_05_18', workflow_name: null, block_kind: 'extract', score: 0.87, trigger: 'manual_run' });
    expect(run.duration_ms).toBe(257_000);
  });

  it.each([1e308, -5, 400 * 24 * 3_600_000])('drops a duration that cannot be one (%d ms), taking it from the timestamps instead', (duration) => {
    expect(parse({ ...referenceShape, timing: { ...referenceShape.timing, duration_ms: duration } }).duration_ms).toBe(257_000);
    expect(parse({ ...referenceShape, timing: { duration_ms: duration } }).duration_ms).toBeNull();
    // Timestamps a century apart are no better.
    expect(parse({ ...referenceShape, timing: { started_at: '1926-01-01T00:00:00Z', completed_at: '2026-01-01T00:00:00Z', duration_ms: duration } }).duration_ms).toBeNull();
  });

  it('ignores unknown fields and tolerates missing non-essential ones', () => {
    const run = parse({ id: 'exprun_9', lifecycle: { status: 'running', progress: 0.5 }, brand_new: [1, 2] });
    // A missing error_count is unknown, not zero (see errorCountOf).
    expect(run).toMatchObject({ id: 'exprun_9', status: 'running', score: null, error_count: null, total_document_count: null, duration_ms: null });
    expect(run).not.toHaveProperty('brand_new');
  });

  it('keeps the message of an error and the reason of a cancellation', () => {
    expect(parse({ id: 'r', lifecycle: { status: 'error', message: 'boom', details: null } }).message).toBe('boom');
    expect(parse({ id: 'r', lifecycle: { status: 'error', details: { message: 'from details' } } }).message).toBe('from details');
    expect(parse({ id: 'r', lifecycle: { status: 'cancelled', reason: 'by user' } }).reason).toBe('by user');
  });

  it.each([
    [{ lifecycle: { status: 'completed' } }, 'id'],
    [{ id: 'r' }, 'lifecycle'],
    [{ id: 'r', lifecycle: {} }, 'lifecycle.status'],
    [{ id: 'r', lifecycle: { status: 'completed' }, score: 1.7 }, 'score'],
    [{ id: 'r', lifecycle: { status: 'completed' }, score: '0.8' }, 'score'],
    [{ id: 'r', lifecycle: { status: 'completed' }, error_count: -1 }, 'error_count'],
  ])('says which field is wrong in %j', (body, field) => {
    const result = rawRunSchema.safeParse(body);
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
  });

  it.each([
    [{ id: 'r', lifecycle: {} }, 'lifecycle.status: Invalid input: expected string, received undefined'],
    [{ id: 'r', lifecycle: { status: 'completed' }, score: '0.8' }, 'score: Invalid input: expected number, received string'],
    [{ id: 'r', lifecycle: { status: 'completed' }, error_count: -1 }, 'error_count: Too small: expected number to be >=0'],
    [{ id: 'r', lifecycle: { status: 'completed' }, n_consensus: 1.5 }, 'n_consensus: Invalid input: expected int, received number'],
    [{ id: '', lifecycle: { status: 'completed' } }, 'id: Too small: expected string to have >=1 characters'],
    [[], '(body): Invalid input: expected object, received array'],
  ])('says in words what is wrong with %j', (body, described) => {
    const result = rawRunSchema.safeParse(body);
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toBe(described);
  });
});

describe('isTerminal', () => {
  it.each([
    ['completed', true],
    ['error', true],
    ['cancelled', true],
    ['pending', false],
    ['queued', false],
    ['running', false],
    ['paused', false],
    ['', false],
  ])('%j is terminal: %s', (status, terminal) => {
    expect(isTerminal(status)).toBe(terminal);
  });
});
