/**
 * `startRun`'s options for the integration tests: a real client against the simulator, real time,
 * short look and backoff timings so the suite stays quick.
 */
import type { RetabClient } from '../../src/retab/client.js';
import type { StartRunOptions } from '../../src/start/start-run.js';
import type { startSimulator } from '../simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** The path of `POST /v1/workflows/experiments/runs`. */
export const START_PATH = /^\/v1\/workflows\/experiments\/runs$/;

export function startOptions(client: RetabClient, experimentId: string, overrides: Partial<StartRunOptions> = {}): StartRunOptions {
  return {
    experimentId,
    workflowId: null,
    createRun: (signal) => client.startRun(experimentId, null, signal),
    listRuns: (signal) => client.listRecentRuns(experimentId, 100, signal),
    deadline: Date.now() + 15_000,
    signal: new AbortController().signal,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: () => 0.5,
    settleMs: 50,
    lookEveryMs: 150,
    lookWindowMs: 800,
    backoff: { baseMs: 50, capMs: 200 },
    ...overrides,
  };
}

/** The start POSTs the simulator received. */
export const startPosts = (sim: Simulator) => sim.requests.filter((request) => request.method === 'POST' && START_PATH.test(request.path));
