/**
 * The summary's shape, end to end on the built action: one screen before the first fold, no mark on
 * a rule that was not checked, the evidence of the failed rule first, the status after a cancel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

let sim: Awaited<ReturnType<typeof startSimulator>>;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

function action(inputs: Record<string, string>) {
  return runAction({ inputs: { threshold: '0.8', max_errors: '2', api_key: sim.apiKey, base_url: sim.url, poll_interval: '100ms', ...inputs } });
}

/** The Markdown before the first `<details>`: what a reader sees without opening anything. */
function visible(summary: string): string[] {
  const at = summary.indexOf('<details>');
  return (at === -1 ? summary : summary.slice(0, at)).trimEnd().split('\n');
}

/** The short table's row for `name`. */
function row(summary: string, name: string): string {
  return summary.split('\n').find((line) => line.startsWith(`| ${name} |`)) ?? '';
}

describe('the summary on one screen', () => {
  it('a run with every section (interval, baseline, moves, fields, errored documents, notes) keeps at most 30 lines before the first fold', async () => {
    // exprun_errors: a failed max_errors with its errored documents, a paired interval, fields, the power, a note.
    for (const runId of ['exprun_errors', 'exprun_regressed', 'exprun_improved', 'exprun_noisy', 'exprun_trend']) {
      const result = await action({ run_id: runId, max_score_drop: '0.02', confidence: '95%' });
      const lines = visible(result.summary);
      expect(lines.length, `${runId}:\n${lines.join('\n')}`).toBeLessThanOrEqual(30);
      // Verdict and reason first, then one short table; what is folded is folded.
      expect(lines[0]).toMatch(/^### (✅|❌) Retab experiment gate: (passed|failed) \(.+\)$/);
      expect(result.summary.match(/^\| \| Value \| Gate \|$/gm)).toHaveLength(1);
      expect(row(result.summary, 'Change against the baseline')).toMatch(/ against run exprun\\_[\w\\]+, Retab's previous completed run/);
      for (const folded of ['Documents: the', 'Fields: the']) expect(result.summary).toContain(`<details><summary>${folded}`);
      expect(result.summary).toMatch(runId === 'exprun_trend' ? /<details><summary>Trend and run facts<\/summary>[^]*\| Trend \| 0\.91 / : /<details><summary>Run facts<\/summary>/);
      // One table per thing: the fields once, no "weakest field" table beside them.
      expect(result.summary).not.toContain('Weakest field');
    }
  });

  it('errored documents come first when max_errors fails', async () => {
    const result = await action({ run_id: 'exprun_errors' });
    expect(result.exitCode).toBe(1);
    const errored = result.summary.indexOf('#### Errored documents (3 of 40)');
    expect(errored).toBeGreaterThan(0);
    expect(errored).toBeLessThan(result.summary.indexOf('#### What moved most'));
    expect(errored).toBeLessThan(result.summary.indexOf('<details>'));
    // And not listed twice.
    expect(result.summary.split('invoice\\-00039.pdf').length - 1).toBe(1);
  });
});

describe('no contradictions', () => {
  it('a run that ended in error shows no ✅ on the score or the errors: they were not checked', async () => {
    const result = await action({ run_id: 'exprun_failed' });
    expect(result.exitCode).toBe(1);
    expect(result.summary).not.toContain('✅');
    expect(row(result.summary, 'Errors')).toBe('| Errors | not checked: the run ended in error | ≤ 2 |');
    expect(row(result.summary, 'Score')).toBe('| Score | not checked: the run ended in error | ≥ 0.8 |');
  });

  it('a timed-out wait shows no ✅, and the status after cancelling is the one the cancel answered', async () => {
    const result = await action({ experiment_id: 'exp_forever', timeout: '2s' });
    expect(result.outputs.status).toBe('timed_out');
    expect(sim.startedRuns('exp_forever')).toEqual([{ id: result.outputs.run_id, cancelled: true }]);
    expect(result.summary).not.toContain('✅');
    expect(row(result.summary, 'Errors')).toMatch(/^\| Errors \| not checked: the run did not finish \(still running\) \| ≤ 2 \|$/);
    expect(row(result.summary, 'Status')).toBe('| Status | cancelled (after cancelling; it was running) |  |');
    expect(result.summary).not.toMatch(/\| Status \| running \|/);
  });

  it('a pass on the interval past the tolerance at the point estimate does not say "no drop"', async () => {
    const result = await action({ run_id: 'exprun_noisy', max_score_drop: '0.02', confidence: '95%' });
    expect(result.exitCode).toBe(0);
    expect(result.summary.split('\n')[0]).toBe('### ✅ Retab experiment gate: passed (score 0.84 ≥ 0.8, 0 errors ≤ 2, a drop of 0.03 that may be noise at 95 %)');
  });

  it('a figure and its interval carry the same decimals', async () => {
    const result = await action({ run_id: 'exprun_regressed', max_score_drop: '0.02', confidence: '95%' });
    expect(row(result.summary, 'Score')).toContain('**0.8000** (mean of 30 documents 0.8000 ± 0.0273, 95 % CI 0.7727–0.8273)');
    expect(row(result.summary, 'Change against the baseline')).toContain('**▼ −0.0600 ± 0.0075** (95 % CI −0.0675 to −0.0525, 30 paired documents)');
  });
});
