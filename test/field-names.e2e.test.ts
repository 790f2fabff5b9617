/**
 * A field is called whatever Retab calls it: `__proto__`, `constructor` and `toString` are field
 * (and label) names like any other. On the built action against the simulator, whose metrics name
 * such fields: each shows in the fields table and in the report with its own figure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldScores, startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'vendor.name'];
const SCORE = 0.87;
const PRIOR = 0.89;

let sim: Awaited<ReturnType<typeof startSimulator>>;
beforeAll(async () => {
  sim = await startSimulator({
    runs: [
      { id: 'exprun_names', runningMs: 0, total: 12, fields: NAMES, final: { status: 'completed', score: SCORE, error_count: 0 } },
      { id: 'exprun_labels', runningMs: 0, total: 12, blockType: 'classifier', fields: ['__proto__', 'constructor', 'toString', 'invoice'], final: { status: 'completed', score: SCORE, error_count: 0 } },
    ],
  });
});
afterAll(async () => {
  await sim.close();
});

const gate = (runId: string) => runAction({ inputs: { run_id: runId, threshold: '0.5', base_url: sim.url, api_key: sim.apiKey, poll_interval: '100ms' } });
/** A name as the summary's Markdown escapes it. */
const shown = (name: string) => name.replace(/[_.]/g, (char) => (char === '_' ? '\\_' : char));

describe('fields named like Object.prototype', () => {
  it('each field shows in the fields table and the report, with its own score and prior', async () => {
    const result = await gate('exprun_names');
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.report ?? '{}') as { fields: { count: number; weakest: Array<{ path: string; score: number }>; changes: Array<{ path: string; score: number; prior_score: number }> } };
    expect(report.fields.count).toBe(NAMES.length);
    const expected = NAMES.map((path, i) => ({ path, ...fieldScores(SCORE, PRIOR, i) }));
    expect(report.fields.weakest.map((field) => [field.path, field.score]).sort()).toEqual(expected.map((field) => [field.path, field.score]).sort());
    expect(report.fields.changes.map((field) => [field.path, field.score, field.prior_score]).sort()).toEqual(expected.map((field) => [field.path, field.score, field.prior]).sort());
    // The by_target reads asked for `__proto__` by its name.
    expect(sim.requests.some((request) => request.path.includes('view=by_target') && request.path.includes('target_path=__proto__'))).toBe(true);
    for (const { path, score } of expected) expect(result.summary, path).toContain(`| ${shown(path)} | ${score} |`);
  });

  it('a classifier label named `__proto__` shows with its agreement', async () => {
    const result = await gate('exprun_labels');
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.report ?? '{}') as { fields: { kind: string; count: number; weakest: Array<{ path: string }> } };
    expect(report.fields).toMatchObject({ kind: 'labels', count: 4 });
    expect(report.fields.weakest.map((label) => label.path).sort()).toEqual(['__proto__', 'constructor', 'invoice', 'toString']);
    expect(result.summary).toMatch(/\| \\_\\_proto\\_\\_ \| 0\.\d+ \|/);
  });
});
