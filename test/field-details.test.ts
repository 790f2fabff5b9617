import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFieldDetails, type ReadFieldsOptions } from '../src/details/field-details.js';
import { RetabClient } from '../src/retab/client.js';
import { rawTargetSchema, readAggregate } from '../src/retab/targets.js';
import { renderSummary } from '../src/report/summary.js';
import { readRunDetails } from '../src/details/run-details.js';
import { makeRun } from './support/runs.js';
import { FIELDS, fieldScores, startSimulator } from './simulator/retab-simulator.js';

/** 20 fields scored 0.50, 0.52, …; the prior is 0.1 higher for field 3, equal otherwise. */
const likelihoods = Array.from({ length: 20 }, (_, i): [string, number] => [`field_${i}`, 0.5 + i * 0.02]);

function options(extra: Partial<ReadFieldsOptions> = {}): ReadFieldsOptions & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    runId: 'exprun_2',
    baselineRunId: null,
    signal: new AbortController().signal,
    async getTarget(_runId, path) {
      asked.push(path);
      const score = likelihoods.find(([p]) => p === path)?.[1] ?? null;
      return { score, prior_score: score === null ? null : path === 'field_3' ? score + 0.1 : score };
    },
    ...extra,
  };
}

describe('readFieldDetails', () => {
  it('reads the weakest fields against the prior run, within the request bound, the largest move first', async () => {
    const opts = options();
    const details = await readFieldDetails({ likelihoods, diag: [], flows: [] }, { ...opts, limits: { reads: 5, rows: 3 } });
    expect(opts.asked).toEqual(['field_0', 'field_1', 'field_2', 'field_3', 'field_4']);
    if (details.state !== 'ok') throw new Error('expected field details');
    expect(details).toMatchObject({ kind: 'fields', count: 20, reads: { asked: 5, answered: 5, failed: 0, skipped: 0 } });
    expect(details.changes[0]).toMatchObject({ path: 'field_3' });
    expect(details.changes[0]?.change).toBeCloseTo(-0.1, 12);
    expect(details.weakest.map((f) => f.path)).toEqual(['field_0', 'field_1', 'field_2']);
  });

  it('reads a few fields at a time, never more than four in flight, with the same result in the same order', async () => {
    let inFlight = 0;
    let most = 0;
    const base = options();
    const opts = options({
      async getTarget(runId, path, more) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        // Later fields answer first: the order of the answers must not change the report.
        await new Promise((resolve) => setTimeout(resolve, 40 - 4 * Number(path.slice(6))));
        inFlight -= 1;
        return base.getTarget(runId, path, more);
      },
    });
    const details = await readFieldDetails({ likelihoods, diag: [], flows: [] }, opts);
    expect(most).toBe(4);
    const sequential = await readFieldDetails({ likelihoods, diag: [], flows: [] }, options());
    expect(details).toEqual(sequential);
  });

  it('counts and says what it could not read, and reads nothing once the time budget is spent', async () => {
    const failing = await readFieldDetails({ likelihoods, diag: [], flows: [] }, options({ getTarget: async () => Promise.reject(new Error('HTTP 500')) }));
    expect(failing).toMatchObject({ state: 'ok', changes: [], reads: { asked: 8, answered: 0, failed: 8 }, problem: 'could not read field "field_0" of run exprun_2: HTTP 500' });
    const spent = AbortSignal.abort();
    const opts = options({ signal: spent });
    const skipped = await readFieldDetails({ likelihoods, diag: [], flows: [] }, opts);
    expect(opts.asked).toEqual([]);
    expect(skipped).toMatchObject({ state: 'ok', reads: { asked: 0, skipped: 8 } });
  });

  it('says why reads were not sent: the time budget, or the job cancelled', async () => {
    const cancelled = await readFieldDetails({ likelihoods, diag: [], flows: [] }, options({ signal: AbortSignal.abort(new Error('received SIGTERM')) }));
    expect(cancelled).toMatchObject({ reads: { skipped: 8 }, skip_reason: 'received SIGTERM' });
    const budget = await readFieldDetails({ likelihoods, diag: [], flows: [] }, options({ signal: AbortSignal.abort(new Error('reading the report took longer than 2 min')) }));
    expect(budget).toMatchObject({ skip_reason: 'reading the report took longer than 2 min' });
  });

  it('for classifier and split blocks, gives the weakest labels and the largest confusions, without a request', async () => {
    const opts = options();
    const flows = [
      { source: 'a', target: 'a', score: 0.9 },
      { source: 'a', target: 'b', score: 0.02 },
      { source: 'b', target: 'a', score: 0.15 },
    ];
    const details = await readFieldDetails({ likelihoods: [], diag: [['a', 0.9], ['b', 0.7]], flows }, opts);
    expect(opts.asked).toEqual([]);
    expect(details).toMatchObject({ kind: 'labels', weakest: [{ path: 'b', score: 0.7 }, { path: 'a', score: 0.9 }], flows: [flows[2], flows[1]] });
  });

  it('quotes a field path from the API in the problem, so a line break in it cannot start a workflow command', async () => {
    const hostile: Array<[string, number]> = [['x\n::error::forged', 0.1]];
    const details = await readFieldDetails({ likelihoods: hostile, diag: [], flows: [] }, options({ getTarget: async () => Promise.reject(new Error('HTTP 500')) }));
    expect(details.state === 'ok' && details.problem).toBe('could not read field "x\\n::error::forged" of run exprun_2: HTTP 500');
  });

  it('escapes field paths and labels in the summary: no HTML, link or table cell from the API', async () => {
    const hostile = '<img src=x onerror=alert(1)> [click](https://evil.example) | **b**';
    const fields = await readFieldDetails({ likelihoods: [[hostile, 0.2]], diag: [], flows: [] }, options({ getTarget: async () => ({ score: 0.2, prior_score: 0.3 }) }));
    const labels = await readFieldDetails({ likelihoods: [], diag: [[hostile, 0.5]], flows: [{ source: hostile, target: 'b', score: 0.3 }] }, options());
    for (const details of [fields, labels]) {
      const text = renderSummary({
        status: 'completed', passed: true, failures: [], runId: 'exprun_2', threshold: 0.5, maxErrors: 0, run: makeRun(), waitedMs: 1,
        details: { requested_prior_run_id: null, metrics: { state: 'no_metrics', message: 'none' }, results: { state: 'failed', message: 'x' }, fields: details },
      });
      expect(text).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
      expect(text).not.toMatch(/<img|\]\(https|\| \*\*b\*\*/);
    }
  });

  it('says the data is missing rather than guessing', async () => {
    expect(await readFieldDetails(null, options())).toEqual({ state: 'missing', message: 'the metrics summary has no per-field figures (`aggregate`)' });
    expect(readAggregate({ likelihoods: { a: 'high' } })).toBeNull();
    expect(readAggregate({ likelihoods: { a: 0.5, b: null } })).toEqual({ likelihoods: [['a', 0.5]], diag: [], flows: [] });
  });

  it('reads a field or label named `__proto__`, `constructor` or `toString` like any other, as JSON.parse gives it', () => {
    const names = JSON.parse('{"__proto__":0.41,"constructor":0.42,"toString":0.43,"hasOwnProperty":null,"a":0.9}') as unknown;
    expect(readAggregate({ likelihoods: names })).toEqual({ likelihoods: [['__proto__', 0.41], ['constructor', 0.42], ['toString', 0.43], ['a', 0.9]], diag: [], flows: [] });
    expect(readAggregate({ diag: names })?.diag).toEqual([['__proto__', 0.41], ['constructor', 0.42], ['toString', 0.43], ['a', 0.9]]);
    // A figure that is not one is refused under that name too.
    expect(readAggregate({ likelihoods: JSON.parse('{"__proto__":{"a":1}}') })).toBeNull();
    expect(readAggregate({ likelihoods: JSON.parse('{"__proto__":1e308}') })).toBeNull();
  });

  it('takes field scores, agreements, shares and by_target figures only as scores: noise clamped, 1e308 refused', () => {
    expect(readAggregate({ likelihoods: { a: 1.0000000000000002 } })).toEqual({ likelihoods: [['a', 1]], diag: [], flows: [] });
    expect(readAggregate({ likelihoods: { a: 1e308 } })).toBeNull();
    expect(readAggregate({ diag: { a: -1e308 } })).toBeNull();
    expect(readAggregate({ flows: [{ source: 'a', target: 'b', score: 1e308 }] })).toBeNull();
    expect(rawTargetSchema.safeParse({ score: 1e308, prior_score: 0.5 }).success).toBe(false);
    expect(rawTargetSchema.safeParse({ score: 0.5, prior_score: -1e308 }).success).toBe(false);
    expect(rawTargetSchema.parse({ score: -1e-17, prior_score: null })).toMatchObject({ score: 0, prior_score: null });
  });
});

describe('field details against the simulator', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let client: RetabClient;
  beforeEach(async () => {
    sim = await startSimulator();
    client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey });
  });
  afterEach(async () => {
    await client.close();
    await sim.close();
  });
  const read = (runId: string) => readRunDetails(client, { runId, baselineRunId: null, signal: new AbortController().signal, sleep: async () => {}, random: () => 0 });

  it('reads at most 8 fields by target, with the scores Retab gives', async () => {
    const details = await read('exprun_regressed');
    const targets = sim.requests.filter((r) => r.path.includes('view=by_target'));
    expect(targets).toHaveLength(8);
    if (details.fields?.state !== 'ok') throw new Error('expected field details');
    expect(details.fields.count).toBe(FIELDS.length);
    for (const field of details.fields.changes) {
      const expected = fieldScores(0.8, 0.86, FIELDS.indexOf(field.path));
      expect(field).toMatchObject({ score: expected.score, prior_score: expected.prior });
    }
    const moves = details.fields.changes.map((f) => Math.abs(f.change ?? 0));
    expect(moves).toEqual([...moves].sort((a, b) => b - a));
  });

  it('reads labels and confusions for a classifier, with no extra request', async () => {
    const details = await read('exprun_classifier');
    expect(sim.requests.filter((r) => r.path.includes('view=by_target'))).toHaveLength(0);
    expect(details.fields).toMatchObject({ state: 'ok', kind: 'labels', count: 4 });
    if (details.fields?.state !== 'ok') return;
    expect(details.fields.flows.length).toBeGreaterThan(0);
    expect(details.fields.flows.every((f) => f.source !== f.target)).toBe(true);
  });
});
