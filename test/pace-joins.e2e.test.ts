/**
 * Where the shared pace of several experiments meets the rest, on the built action against the
 * simulator: the cancels on abort behind Retab's rate limiter, a long `Retry-After` on a report
 * read beside polls that must still notice their runs finish, and fifty experiments on one job
 * signal without Node's listener warning.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type ExperimentSpec } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type ResultJson = { name: string; run_id: string | null; passed: boolean; status: string; failed_rules: string[] };

const FOREVER = 24 * 3_600_000;
const forever = (id: string): ExperimentSpec => ({ id, run: { queuedMs: 100, runningMs: FOREVER, total: 20, final: { status: 'completed', score: 0.9 } } });
const completed = (id: string, runningMs: number): ExperimentSpec => ({ id, run: { queuedMs: 100, runningMs, total: 20, final: { status: 'completed', score: 0.9, error_count: 0 } } });

let sim: Simulator;
afterEach(async () => {
  await sim.close();
});

const base = (extra: Record<string, string>) => ({ threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, ...extra });
const results = (outputs: Record<string, string>) => JSON.parse(outputs.results ?? '[]') as ResultJson[];
const LISTENER_WARNING = 'MaxListenersExceededWarning';

/** Sends `signal` once every run started for `ids` (one each) has been read at least once. */
function signalOnceAllRead(ids: string[], signal: NodeJS.Signals) {
  const sent = { at: 0 };
  const onStart = (child: ChildProcess) => {
    const timer = setInterval(() => {
      const started = ids.flatMap((id) => sim.startedRuns(id));
      if (started.length < ids.length || !started.every((run) => sim.runReads(run.id).some((read) => read.status === 200))) return;
      clearInterval(timer);
      sent.at = Date.now();
      child.kill(signal);
    }, 20);
    child.on('close', () => clearInterval(timer));
  };
  return { sent, onStart };
}

describe('cancels on abort', () => {
  const ids = Array.from({ length: 12 }, (_, i) => `exp_cancel_${i + 1}`);
  beforeEach(async () => {
    sim = await startSimulator({ experiments: ids.map(forever) });
  });

  it('twelve started runs behind a rate limiter of 4 a second: SIGTERM ends all twelve cancelled', async () => {
    sim.rateLimit({ perSecond: 4 });
    // Each cancel that gets through takes a moment: cancels sent all at once would show here.
    sim.fault({ method: 'POST', path: /\/cancel$/, delayMs: 150, times: Infinity });
    const { sent, onStart } = signalOnceAllRead(ids, 'SIGTERM');
    let closedAt = 0;
    const result = await runAction({
      inputs: base({ experiments: ids.join('\n'), timeout: '10m', poll_interval: '1m' }),
      onStart: (child) => (onStart(child), child.on('close', () => (closedAt = Date.now()))),
      killAfterMs: 90_000,
    });
    expect(sent.at).toBeGreaterThan(0);
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'interrupted' });
    const started = ids.flatMap((id) => sim.startedRuns(id));
    expect(started).toHaveLength(12);
    expect(started.filter((run) => !run.cancelled)).toEqual([]);
    // The limiter did turn cancels away: they were paced and sent again, not lucky.
    const cancels = sim.cancelRequests();
    expect(cancels.filter((request) => request.status === 429).length).toBeGreaterThan(0);
    // Through the step's limit on requests in flight: never more than 4 cancels within 100 ms.
    const busiest = Math.max(...cancels.map((cancel) => cancels.filter((other) => other.at >= cancel.at && other.at < cancel.at + 100).length));
    expect(busiest).toBeLessThanOrEqual(4);
    expect(cancels.filter((request) => request.status === 200)).toHaveLength(12);
    expect(result.stdout.match(/Cancelled run exprun_started_\d+, which this action started, because the job was cancelled/g)).toHaveLength(12);
    expect(result.stdout).not.toContain('Could not cancel run');
    // Within the cancel's own time limit, well before the runner's kill.
    expect(closedAt - sent.at).toBeLessThan(7_500);
    expect(result.stderr).not.toContain(LISTENER_WARNING);
  }, 60_000);

  it('a poll\'s 429 with Retry-After: 60 just before SIGINT holds the cancels 2 s at most: each is still sent, and all end cancelled', async () => {
    const four = ids.slice(0, 4);
    let signalledAt = 0;
    const onStart = (child: ChildProcess) => {
      const timer = setInterval(() => {
        const started = four.flatMap((id) => sim.startedRuns(id));
        if (started.length < four.length || !started.every((run) => sim.runReads(run.id).some((read) => read.status === 200))) return;
        clearInterval(timer);
        // From now on Retab refuses every poll for a minute; the job is cancelled once one is refused.
        sim.fault({ method: 'GET', path: /^\/v1\/workflows\/experiments\/runs\/[^/?]+$/, status: 429, headers: { 'retry-after': '60' }, body: '{"detail":"Rate limit exceeded. Please try again later."}', times: Infinity });
        const refused = setInterval(() => {
          if (!sim.requests.some((request) => request.status === 429)) return;
          clearInterval(refused);
          signalledAt = Date.now();
          child.kill('SIGINT');
        }, 10);
      }, 20);
      child.on('close', () => clearInterval(timer));
    };
    let closedAt = 0;
    const result = await runAction({
      inputs: base({ experiments: four.join('\n'), timeout: '10m', poll_interval: '2s' }),
      onStart: (child) => (onStart(child), child.on('close', () => (closedAt = Date.now()))),
      killAfterMs: 60_000,
    });
    expect(signalledAt).toBeGreaterThan(0);
    expect(result.outputs).toMatchObject({ status: 'interrupted' });
    expect(four.flatMap((id) => sim.startedRuns(id)).filter((run) => !run.cancelled)).toEqual([]);
    const cancels = sim.cancelRequests();
    expect(cancels).toHaveLength(4);
    // Held by the pause, but not for its minute: sent 2 s after the signal, and nothing sooner.
    for (const cancel of cancels) expect(cancel.at).toBeGreaterThanOrEqual((sim.requests.find((request) => request.status === 429)?.at ?? 0) + 1_500);
    expect(closedAt - signalledAt).toBeLessThan(6_000);
  }, 60_000);
});

describe('a best-effort read and the gates', () => {
  beforeEach(async () => {
    sim = await startSimulator();
  });

  it('a 429 with a long Retry-After on one run’s metrics summary does not hold the other experiments’ polls', async () => {
    // exprun_pass ends first; exprun_later a few seconds after, while the summary's refusal would still hold.
    sim.addRun({ id: 'exprun_later', runningMs: 4_000, total: 12, final: { status: 'completed', score: 0.9, error_count: 0 } });
    sim.fault({ method: 'GET', path: /^\/v1\/workflows\/experiments\/metrics\?(.*&)?run_id=exprun_pass(&|$)/, status: 429, headers: { 'retry-after': '600' }, body: '{"detail":"Rate limit exceeded. Please try again later."}' });
    const result = await runAction({ inputs: base({ experiments: 'run:exprun_pass\nrun:exprun_later', timeout: '12s', poll_interval: '1s' }), killAfterMs: 90_000 });
    expect(sim.requests.filter((request) => request.status === 429)).toHaveLength(1);
    const rows = results(result.outputs);
    expect(rows.map((row) => [row.name, row.status, row.passed])).toEqual([
      ['run:exprun_pass', 'completed', true],
      ['run:exprun_later', 'completed', true],
    ]);
    expect(result.exitCode).toBe(0);
    // exprun_later was read on its schedule through the refusal: its end was noticed within a poll or two.
    const refusedAt = sim.requests.find((request) => request.status === 429)?.at ?? 0;
    const laterReads = sim.runReads('exprun_later').filter((read) => read.at > refusedAt);
    expect(laterReads.length).toBeGreaterThan(0);
    expect((laterReads[0]?.at ?? Infinity) - refusedAt).toBeLessThan(2_500);
    // The refused read itself waited as a report read does (10 s at most), then got its summary.
    const summaries = sim.requests.filter((request) => request.path.startsWith('/v1/workflows/experiments/metrics?') && request.path.includes('run_id=exprun_pass') && request.path.includes('view=summary'));
    expect(summaries.map((request) => request.status)).toEqual([429, 200]);
  }, 60_000);
});

describe('many experiments on one job signal', () => {
  const ids = Array.from({ length: 50 }, (_, i) => `exp_many_${i + 1}`);
  beforeEach(async () => {
    sim = await startSimulator({ experiments: ids.map((id, i) => completed(id, 1_500 + i * 40)) });
  });

  it('fifty experiments, rate-limited, to the end: no MaxListenersExceededWarning', async () => {
    sim.rateLimit({ perSecond: 60 });
    const result = await runAction({ inputs: base({ experiments: ids.join('\n'), timeout: '60s', poll_interval: '1s' }), nodeArgs: ['--trace-warnings'], killAfterMs: 90_000 });
    expect(result.stderr).not.toContain(LISTENER_WARNING);
    expect(results(result.outputs).filter((row) => !row.passed)).toEqual([]);
    expect(result.exitCode).toBe(0);
  }, 60_000);

  it('fifty experiments cancelled mid-wait (SIGINT): no MaxListenersExceededWarning', async () => {
    for (const id of ids) sim.addExperiment(forever(id));
    const { sent, onStart } = signalOnceAllRead(ids, 'SIGINT');
    const result = await runAction({ inputs: base({ experiments: ids.join('\n'), timeout: '10m', poll_interval: '1m' }), nodeArgs: ['--trace-warnings'], onStart, killAfterMs: 90_000 });
    expect(sent.at).toBeGreaterThan(0);
    expect(result.stderr).not.toContain(LISTENER_WARNING);
    expect(result.outputs).toMatchObject({ status: 'interrupted' });
    expect(ids.flatMap((id) => sim.startedRuns(id)).filter((run) => !run.cancelled)).toEqual([]);
  }, 60_000);
});
