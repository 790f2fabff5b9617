/**
 * Cancellation on the built action: the runner sends SIGINT (then SIGTERM) when the job is cancelled
 * or hits `timeout-minutes`. The action must stop waiting at once, write its outputs and summary,
 * and exit non-zero. The poll interval and the per-request timeout are far longer than the bounds
 * asserted here, so an action that merely waited would fail these tests.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator();
});
afterEach(async () => {
  await sim.close();
});

/** Sends `signals` once the action has read the run at least once; returns when the first was sent. */
function signalAfterFirstRead(signals: NodeJS.Signals[], gapMs = 0) {
  const sent = { at: 0 };
  const onStart = (child: ChildProcess, output: { stdout: string }) => {
    const timer = setInterval(() => {
      if (sim.runReads('exprun_forever').length === 0 && !output.stdout.includes('Attempt 1 failed')) return;
      clearInterval(timer);
      sent.at = Date.now();
      signals.forEach((name, i) => setTimeout(() => child.kill(name), i * gapMs));
    }, 20);
    child.on('close', () => clearInterval(timer));
  };
  return { sent, onStart };
}

const inputs = (extra: Record<string, string> = {}) => ({
  run_id: 'exprun_forever',
  threshold: '0.8',
  api_key: sim.apiKey,
  base_url: sim.url,
  timeout: '10m',
  poll_interval: '1m',
  ...extra,
});

it('SIGINT while sleeping between polls: exits non-zero at once with status=interrupted and a summary', async () => {
  const { sent, onStart } = signalAfterFirstRead(['SIGINT']);
  let closedAt = 0;
  const result = await runAction({ inputs: inputs(), onStart: (child, output) => (onStart(child, output), child.on('close', () => (closedAt = Date.now()))), killAfterMs: 30_000 });
  expect(result.signal).toBeNull();
  expect(result.exitCode).toBe(1);
  expect(result.outputs.status).toBe('interrupted');
  expect(result.outputs.passed).toBe('false');
  expect(result.outputs.run_id).toBe('exprun_forever');
  expect(result.outputs.total_document_count).toBe('500');
  expect(result.summary).toContain('interrupted');
  expect(result.stdout).toContain('Received SIGINT: stopping the wait.');
  expect(result.stdout).toContain('::error::the wait for run exprun_forever was interrupted');
  // Far below the 1-minute poll interval; the figure itself is measured outside the tests.
  expect(closedAt - sent.at).toBeLessThan(10_000);
});

it('SIGINT while a request hangs: the request is abandoned, not waited out', async () => {
  sim.fault({ path: '/v1/', action: 'hang', times: Infinity });
  const result = await runAction({
    inputs: inputs(),
    onStart(child) {
      // No read ever completes here: signal once the hung request has reached the simulator.
      const timer = setInterval(() => {
        if (sim.requests.length === 0) return;
        clearInterval(timer);
        child.kill('SIGINT');
      }, 20);
      child.on('close', () => clearInterval(timer));
    },
    killAfterMs: 60_000,
  });
  expect(result.exitCode).toBe(1);
  expect(result.outputs.status).toBe('interrupted');
  expect(result.summary).toContain('interrupted');
  // The per-request timeout is 30 s: well above this bound.
  expect(result.durationMs).toBeLessThan(20_000);
});

it('SIGTERMs after SIGINT, until the process ends, do not cut the outputs or the summary short', async () => {
  const { onStart: signalFirst } = signalAfterFirstRead(['SIGINT']);
  const result = await runAction({
    inputs: inputs(),
    onStart(child, output) {
      signalFirst(child, output);
      // The runner follows SIGINT with SIGTERM; here, one every few milliseconds until the end.
      const timer = setInterval(() => {
        if (output.stdout.includes('Received SIGINT')) child.kill('SIGTERM');
      }, 2);
      child.on('close', () => clearInterval(timer));
    },
    killAfterMs: 30_000,
  });
  // A SIGTERM that lands while Node itself tears the process down can still end it by signal;
  // what matters is that everything was written before.
  expect(result.exitCode === 1 || result.signal === 'SIGTERM').toBe(true);
  expect(result.outputs.status).toBe('interrupted');
  expect(result.outputs.run).toContain('"id":"exprun_forever"');
  expect(result.stdout).toContain('::error::the wait for run exprun_forever was interrupted');
  expect(result.summary).toContain('interrupted');
});
