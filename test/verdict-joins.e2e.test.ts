/**
 * Where the verdict, the report and several experiments meet, end to end on the built action:
 * one error count everywhere, a metrics summary that contradicts its own documents, `fail_fast`
 * and an experiment that had already passed, the trend's order, and the power warning's limits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunSpec } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type ResultJson = { name: string; passed: boolean; status: string; error_count: number | null; reads_cut: boolean; failed_rules: string[] };

const RUNS: RunSpec[] = [
  // The run says 2 errors; its per-document results list 5.
  { id: 'exprun_undercount', runningMs: 200, total: 40, errorCountField: 2, final: { status: 'completed', score: 0.9, error_count: 5 } },
  { id: 'exprun_contradicts', runningMs: 200, total: 30, final: { status: 'completed', score: 0.83, error_count: 0 } },
  // For fail_fast: two runs that finish at once (one without an error count), one that scores low, and one that errors later.
  { id: 'exprun_soon', runningMs: 100, total: 12, final: { status: 'completed', score: 0.9, error_count: 0 } },
  { id: 'exprun_soon_uncounted', runningMs: 100, total: 12, errorCountField: 'missing', final: { status: 'completed', score: 0.9, error_count: 0 } },
  { id: 'exprun_soon_low', runningMs: 100, total: 12, final: { status: 'completed', score: 0.5, error_count: 0 } },
  { id: 'exprun_late_error', runningMs: 2_000, total: 12, final: { status: 'error', message: 'Block failed' } },
];

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ runs: RUNS });
});
afterEach(async () => {
  await sim.close();
});

const base = (extra: Record<string, string>) => ({ threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, poll_interval: '100ms', timeout: '30s', ...extra });
const results = (outputs: Record<string, string>) => JSON.parse(outputs.results ?? '[]') as ResultJson[];

describe('one error count everywhere', () => {
  it('results[].error_count, the Errors cell, the error_count output and the verdict agree, also when the count came from the results pages', async () => {
    const lines = ['run:exprun_noerrorcount max_errors=10', 'run:exprun_undercount max_errors=3'];
    const result = await runAction({ inputs: base({ experiments: lines.join('\n') }) });
    expect(result.exitCode).toBe(1);
    // The run gave no error_count: 7 errored documents in its results. The other says 2, its results list 5.
    expect(results(result.outputs).map((row) => [row.name, row.passed, row.error_count, row.failed_rules])).toEqual([
      ['run:exprun_noerrorcount', true, 7, []],
      ['run:exprun_undercount', false, 5, ['too_many_errors']],
    ]);
    expect(result.stdout).toContain('run:exprun_undercount: 5 errors occurred (counted in the per-document results: the run says 2); at most 3 allowed');
    expect(result.summary).toContain('| **run:exprun\\_noerrorcount** | ✅ passed | 0.9 (≥ 0.8) | ▼ −0.02 | 7 (counted in the per-document results) (≤ 10) |');
    expect(result.summary).toContain('| **run:exprun\\_undercount** | ❌ failed | 0.9 (≥ 0.8) | ▼ −0.02 | 5 (counted in the per-document results) (≤ 3) |');
    // The single-run outputs hold the headline, the experiment that failed.
    expect(result.outputs).toMatchObject({ run_id: 'exprun_undercount', error_count: '5' });
    const report = JSON.parse(result.report ?? '{}');
    expect(report.experiments.map((experiment: { errors: unknown }) => experiment.errors)).toEqual([
      { count: 7, source: 'results' },
      { count: 5, source: 'results' },
    ]);
  });
});

describe('no warning that says nothing', () => {
  it('max_score_drop: 0 gives no "too few documents" warning, in the log or the summary', async () => {
    // A rise: the regression gate passes; 30 documents whose changes spread, so the power figure is finite.
    const result = await runAction({ inputs: base({ run_id: 'exprun_improved', max_errors: '5', max_score_drop: '0', confidence: '95%' }) });
    expect(result.exitCode).toBe(0);
    expect(result.summary).toMatch(/\| Smallest drop caught 4 times in 5 \| 0\.\d+ \(28 paired documents, 95 % interval rule\) \| {2}\|/);
    expect(result.stdout).not.toContain('too few documents');
    expect(result.summary).not.toContain('too few documents');
    expect(result.summary).not.toContain('[!WARNING]');
  });
});

describe('the trend in time order', () => {
  it('oldest first by creation time whatever order the list comes in, without the runs created after the gated run', async () => {
    // Two runs of exp_trend created after the gated one (e.g. other pull requests), and a list in no order.
    sim.addRun({ id: 'exprun_trend_later', experimentId: 'exp_trend', createdAt: '2026-04-25T09:00:00Z', total: 30, final: { status: 'completed', score: 0.99, error_count: 0 } });
    sim.addRun({ id: 'exprun_trend_latest', experimentId: 'exp_trend', createdAt: '2026-04-26T09:00:00Z', total: 30, final: { status: 'completed', score: 0.5, error_count: 0 } });
    sim.transformList((data) => [...data.filter((_, i) => i % 2 === 1), ...data.filter((_, i) => i % 2 === 0).reverse()]);
    const result = await runAction({ inputs: base({ run_id: 'exprun_trend', max_errors: '5' }) });
    expect(result.exitCode).toBe(0);
    // exp_trend: 0.91, 0.9, 0.91, 0.89, 0.88, (an errored run), 0.87, then this run, 0.84 (as test/report.e2e.test.ts).
    expect(result.summary).toContain('| Trend | 0.91 █▇█▆▅▄▁ 0.84 (7 completed runs, oldest first; lowest 0.84, highest 0.91) |  |');
    const trend = JSON.parse(result.report ?? '{}').trend;
    expect(trend.points.map((point: { id: string }) => point.id)).toEqual(['exprun_trend_1', 'exprun_trend_2', 'exprun_trend_3', 'exprun_trend_4', 'exprun_trend_5', 'exprun_trend_7', 'exprun_trend']);
  });
});

describe('a summary that contradicts itself is not noise', () => {
  /** The metrics summary of exprun_contradicts: its own score change, and 30 documents whose changes say otherwise. */
  const serveSummary = (score: number, prior: number, change: (i: number) => number) => {
    const documents = Array.from({ length: 30 }, (_, i) => ({ id: `expdoc_${i}`, filename: `d${i}.pdf`, score: 0.8, prior_score: Number((0.8 - change(i)).toFixed(4)) }));
    const body = { kind: 'summary', run_id: 'exprun_contradicts', score, prior_score: prior, prior_run_id: 'exprun_pass', documents, scored_document_count: 30, total_document_count: 30, aggregate: { likelihoods: { 'vendor.name': 0.8 } } };
    sim.fault({ path: /\/metrics\?run_id=exprun_contradicts&view=summary/, status: 200, times: Infinity, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  };
  const gateIt = (onMissing: string) => runAction({ inputs: base({ run_id: 'exprun_contradicts', max_score_drop: '0.02', confidence: '95%', on_missing_comparison: onMissing }) });

  it('a zero-width interval against a summary that says −0.05: malformed, never "may be noise"; on_missing_comparison decides', async () => {
    // Every document unchanged (0 ± 0), the summary's own change −0.05.
    serveSummary(0.83, 0.88, () => 0);
    const warn = await gateIt('warn');
    expect(warn.exitCode).toBe(0);
    expect(warn.summary).not.toContain('noise');
    expect(warn.stdout).toContain('::warning::could not use the metrics of run exprun_contradicts: the summary contradicts its own documents: its score change, 0.83 against 0.88 (−0.05), lies 0.05 from the mean change of its 30 documents scored in both runs (0 ± 0 at 95 %25)');
    expect(warn.summary).toContain('the regression gate \\(\\`max\\_score\\_drop\\`\\) was not applied: could not use the metrics of run exprun\\_contradicts');
    // Nothing from the answer is published, as for a summary that lists a document twice.
    expect(warn.outputs).toMatchObject({ prior_score: '', score_delta: '', score_delta_ci_low: '', score_delta_ci_high: '' });
    expect(sim.requests.filter((request) => request.path.includes('view=by_target'))).toHaveLength(0);

    const fail = await gateIt('fail');
    expect(fail.exitCode).toBe(1);
    expect(JSON.parse(fail.report ?? '{}').failures.map((failure: { rule: string }) => failure.rule)).toEqual(['comparison_unavailable']);
    expect(fail.summary).not.toContain('noise');
  });

  it('a spread interval far from the summary\'s change: malformed too', async () => {
    // Changes of +0.02 ± 0.01 (an interval of about ±0.004), the summary's own −0.1.
    serveSummary(0.78, 0.88, (i) => (i % 2 === 0 ? 0.01 : 0.03));
    const far = await gateIt('fail');
    expect(far.exitCode).toBe(1);
    expect(far.stdout).toContain('could not use the metrics of run exprun_contradicts: the summary contradicts its own documents');
    expect(far.summary).not.toContain('noise');
  });

  it('the same documents under a summary whose change agrees with them: used, as before', async () => {
    serveSummary(0.82, 0.8, (i) => (i % 2 === 0 ? 0.01 : 0.03));
    const agrees = await gateIt('fail');
    expect(agrees.exitCode).toBe(0);
    expect(agrees.outputs).toMatchObject({ prior_score: '0.8', score_delta: '0.02' });
    expect(Number(agrees.outputs.score_delta_ci_low)).toBeGreaterThan(0);
    expect(agrees.stdout.split('\n').filter((line) => line.includes('the summary contradicts'))).toEqual([]);
  });
});

describe('fail_fast blames only who failed', () => {
  it('experiments whose runs had passed, their report reads cut by another failure, are reported as passed with the reads marked cut', async () => {
    // One report read of each early run hangs until fail_fast cuts it (one each: the step keeps 4
    // requests in flight, and exprun_late_error must still be polled); it fails at about 2 s.
    for (const [id, read] of [['exprun_soon', 'metrics'], ['exprun_soon_uncounted', 'results'], ['exprun_soon_low', 'metrics']]) {
      sim.fault({ path: new RegExp(`/${read}\\?run_id=${id}&`), delayMs: 60_000, times: Infinity });
    }
    const lines = ['run:exprun_soon', 'run:exprun_soon_uncounted', 'run:exprun_soon_low', 'run:exprun_late_error'];
    const result = await runAction({ inputs: base({ experiments: lines.join('\n'), fail_fast: 'true', max_score_drop: '0.02', on_missing_comparison: 'fail' }) });
    expect(result.exitCode).toBe(1);
    expect(result.durationMs).toBeLessThan(20_000);
    expect(results(result.outputs).map((row) => [row.name, row.passed, row.reads_cut, row.failed_rules])).toEqual([
      // Neither the comparison (on_missing_comparison: fail) nor an error count the run did not give was read: unchecked, not failed.
      ['run:exprun_soon', true, true, []],
      ['run:exprun_soon_uncounted', true, true, []],
      // A failure of its own is still one.
      ['run:exprun_soon_low', false, true, ['score_below_threshold']],
      ['run:exprun_late_error', false, false, ['run_error']],
    ]);
    expect(result.summary).toContain('run:exprun\\_late\\_error failed first, so the others were stopped (`fail_fast`)');
    expect(result.summary).toMatch(/\| \*\*run:exprun\\_soon\*\* \| ✅ passed \(reads cut\) \| 0\.9 \(≥ 0\.8\) \| — \| 0 \(≤ 0\) \|/);
    expect(result.summary).toContain('| **run:exprun\\_soon\\_uncounted** | ✅ passed (reads cut) | 0.9 (≥ 0.8) | ▼ −0.02 | not counted (reads cut by `fail_fast`) (≤ 0) |');
    expect(result.summary).toContain('| **run:exprun\\_soon\\_low** | ❌ failed |');
    expect(result.summary).toContain('<details><summary>✅ run:exprun\\_soon\\_uncounted (line 2): passed, its report cut short by `fail_fast`</summary>');
    expect(result.summary).toContain('the metrics of run exprun\\_soon were not read: run:exprun\\_late\\_error failed \\(fail\\_fast\\)');
    // Only the experiments that failed are named as failing.
    expect(result.stdout).toContain('2 of 4 experiments did not pass the gate: run:exprun_soon_low (score_below_threshold); run:exprun_late_error (run_error).');
    expect(result.stdout).not.toMatch(/::(error|warning)::run:exprun_soon(_uncounted)?:/);
    expect(result.stdout).not.toMatch(/::warning::\[run:exprun_soon(_uncounted)?\]/);
    const report = JSON.parse(result.report ?? '{}');
    expect(report.experiments[1]).toMatchObject({ passed: true, results: { state: 'cut' }, errors: { count: null, cut: true } });
    expect(report.experiments[0]).toMatchObject({ passed: true, metrics: { state: 'cut' }, errors: { count: 0, source: 'run' } });
  }, 40_000);
});
