// @ts-check
/**
 * `npm run bench`, part 3: several experiments in one step. The built dist/index.js against the
 * Retab simulator, for 1, 5 and 20 experiments of different lengths: the wall time of one step with
 * `experiments` (it should track the longest run, not the sum) and its requests, next to the same
 * experiments gated one step after another (one `experiment_id` each).
 */
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../test/simulator/retab-simulator.js';
import { runAction } from '../test/support/run-action.js';

const QUEUED_MS = 200;
const SHORTEST_MS = 1_000;
const LONGEST_MS = 4_000;

/** `n` experiments, running from SHORTEST_MS to LONGEST_MS, evenly spread; a single one is the longest. */
function experimentsOf(/** @type {number} */ n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `exp_bench_${n}_${i}`,
    run: {
      queuedMs: QUEUED_MS,
      runningMs: n === 1 ? LONGEST_MS : Math.round(SHORTEST_MS + ((LONGEST_MS - SHORTEST_MS) * i) / (n - 1)),
      total: 50 + 10 * i,
      final: { status: /** @type {const} */ ('completed'), score: 0.9, error_count: 0 },
    },
  }));
}

/** Runs the action once with `inputs` against a fresh simulator holding `experiments`; wall time and requests. */
async function measure(/** @type {ReturnType<typeof experimentsOf>} */ experiments, /** @type {(sim: { url: string, apiKey: string }) => Array<Record<string, string>>} */ steps) {
  const sim = await startSimulator({ experiments });
  try {
    const started = performance.now();
    for (const inputs of steps(sim)) {
      const result = await runAction({ inputs: { threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, timeout: '5m', ...inputs }, killAfterMs: 600_000 });
      if (result.exitCode !== 0) throw new Error(`the action failed: ${result.stdout}${result.stderr}`);
    }
    return { wallMs: performance.now() - started, requests: sim.requests.length };
  } finally {
    await sim.close();
  }
}

const seconds = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;

/** @param {{ table: (header: string[], rows: string[][]) => string }} format @returns {Promise<boolean>} whether the target was met */
export async function benchExperiments({ table }) {
  console.log('');
  console.log(`Several experiments in one step (built action, simulator; each run queued ${seconds(QUEUED_MS)}, then running ${seconds(SHORTEST_MS)} to ${seconds(LONGEST_MS)}):`);
  const rows = [];
  let met = true;
  for (const n of [1, 5, 20]) {
    const experiments = experimentsOf(n);
    const longest = Math.max(...experiments.map((e) => QUEUED_MS + e.run.runningMs));
    const total = experiments.reduce((sum, e) => sum + QUEUED_MS + e.run.runningMs, 0);
    const together = await measure(experiments, () => [{ experiments: experiments.map((e) => e.id).join('\n') }]);
    const apart = await measure(experiments, () => experiments.map((e) => ({ experiment_id: e.id })));
    // Tracks the longest run: within the longest plus a few polls and the start, however many experiments.
    if (together.wallMs > longest + 4_000) met = false;
    rows.push([String(n), seconds(longest), seconds(total), seconds(together.wallMs), String(together.requests), seconds(apart.wallMs), String(apart.requests), `${(apart.wallMs / together.wallMs).toFixed(1)}x`]);
  }
  console.log(table(['experiments', 'longest run', 'sum of runs', 'one step: wall', 'requests', 'one step each: wall', 'requests', 'faster'], rows));
  console.log(`Target (one step's wall time within the longest run + 4 s): ${met ? 'met' : 'NOT met'}`);
  return met;
}
