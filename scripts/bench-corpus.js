// @ts-check
/**
 * The benchmark's corpus: simulated experiment runs, generated from a seed (the same seed gives the
 * same runs), and what Retab would answer about one of them at a given moment.
 *
 * Every run waits in the queue (pending, then queued), runs for a while during which its documents
 * complete one by one or in bursts, and turns `completed` a moment after its last document (scoring).
 * Kinds of runs, in equal shares:
 * - steady: documents complete at independent uniformly random moments (irregular, no trend);
 * - consensus: documents go in batches of 2 to 50 (n-way consensus in parallel), each batch taking
 *   a random time, its documents completing close together at its end: progress in jumps;
 * - stalls: steady, with one to three pauses taking 20 to 50 % of the running time in all;
 * - slow tail: 85 to 97 % of the documents are done by 40 to 80 % of the time, the rest straggle;
 * - ramp: the rate changes over the run (speeding up or slowing down, progress = t^p, p in 0.4–2.5);
 * - fast: 30 to 90 s, 5 to 40 documents, steady or in one single batch at the end.
 * Running times are log-uniform from 30 s to 60 min (fast runs aside), document counts log-uniform
 * from 5 to 500, queue waits 0 (one in six) or log-uniform from 2 s to 2 min.
 */

import { mulberry32 } from '../test/support/prng.js';

/** @typedef {'steady' | 'consensus' | 'stalls' | 'slow tail' | 'ramp' | 'fast'} RunKind */
export const RUN_KINDS = /** @type {RunKind[]} */ (['steady', 'consensus', 'stalls', 'slow tail', 'ramp', 'fast']);

/**
 * @typedef {object} SimRun
 * @property {string} id
 * @property {RunKind} kind
 * @property {number} pendingMs
 * @property {number} queuedMs
 * @property {number} runningMs from leaving the queue to `completed`
 * @property {number} total
 * @property {number[]} doneAtMs when each document completes, from the start of running, ascending
 * @property {number} finishedAtMs when the run turns `completed`, from its creation (the wait starts then)
 */

/** @param {number} seed @param {number} count @returns {SimRun[]} */
export function generateCorpus(seed, count) {
  const random = mulberry32(seed);
  const uniform = (/** @type {number} */ low, /** @type {number} */ high) => low + (high - low) * random();
  const logUniform = (/** @type {number} */ low, /** @type {number} */ high) => Math.exp(uniform(Math.log(low), Math.log(high)));
  const integer = (/** @type {number} */ low, /** @type {number} */ high) => Math.floor(uniform(low, high + 1));

  /** Moments in [0, 1], ascending, the last exactly 1 (the last document ends the work). */
  const normalise = (/** @type {number[]} */ xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const last = sorted.at(-1) || 1;
    return sorted.map((x) => x / last);
  };
  const steady = (/** @type {number} */ n) => normalise(Array.from({ length: n }, () => random()));

  /** @type {Record<RunKind, (n: number) => number[]>} */
  const shapes = {
    steady,
    consensus(n) {
      const batch = integer(2, Math.min(50, n));
      const moments = [];
      let at = 0;
      for (let done = 0; done < n; done += batch) {
        const length = logUniform(0.5, 2);
        at += length;
        for (let i = done; i < Math.min(n, done + batch); i++) moments.push(at - random() * 0.05 * length);
      }
      return normalise(moments);
    },
    stalls(n) {
      // Warp steady moments: each pause shifts everything after its start.
      const pauses = Array.from({ length: integer(1, 3) }, () => ({ at: uniform(0.05, 0.95), length: 0 }));
      const share = uniform(0.2, 0.5);
      for (const pause of pauses) pause.length = (share / (1 - share)) / pauses.length;
      return normalise(steady(n).map((x) => x + pauses.filter((p) => p.at < x).reduce((s, p) => s + p.length, 0)));
    },
    'slow tail'(n) {
      const bulk = Math.min(n - 1, Math.round(n * uniform(0.85, 0.97)));
      const by = uniform(0.4, 0.8);
      const tail = Array.from({ length: n - bulk }, () => uniform(by, 1));
      return normalise([...Array.from({ length: bulk }, () => random() * by), ...tail]);
    },
    ramp(n) {
      const power = uniform(0.4, 2.5);
      return steady(n).map((x) => x ** power);
    },
    fast(n) {
      return random() < 0.5 ? steady(n) : normalise(Array.from({ length: n }, () => 1 - random() * 0.03));
    },
  };

  /** @type {SimRun[]} */
  const corpus = [];
  for (let i = 0; i < count; i++) {
    const kind = RUN_KINDS[i % RUN_KINDS.length] ?? 'steady';
    const fast = kind === 'fast';
    const total = fast ? integer(5, 40) : Math.round(logUniform(5, 500));
    const pendingMs = random() < 1 / 6 ? 0 : Math.round(uniform(0, 2_000));
    const queuedMs = pendingMs === 0 ? 0 : Math.round(logUniform(2_000, 120_000));
    const runningMs = Math.round(fast ? uniform(30_000, 90_000) : logUniform(30_000, 60 * 60_000));
    const scoringMs = uniform(200, 3_000);
    const workMs = runningMs - scoringMs;
    const doneAtMs = shapes[kind](total).map((x) => Math.round(x * workMs));
    corpus.push({ id: `exprun_sim_${i}`, kind, pendingMs, queuedMs, runningMs, total, doneAtMs, finishedAtMs: pendingMs + queuedMs + runningMs });
  }
  return corpus;
}

/**
 * What Retab answers about `run` at `atMs` after its creation, already normalised.
 * @param {SimRun} run @param {number} atMs @returns {import('../src/retab/run.js').ExperimentRun}
 */
export function statusAt(run, atMs) {
  const runningFrom = run.pendingMs + run.queuedMs;
  const status = atMs < run.pendingMs ? 'pending' : atMs < runningFrom ? 'queued' : atMs < run.finishedAtMs ? 'running' : 'completed';
  const completed = status === 'completed' ? run.total : status === 'running' ? countAtMost(run.doneAtMs, atMs - runningFrom) : 0;
  return {
    id: run.id,
    status,
    message: null,
    error_code: null,
    block_name: null,
    reason: null,
    experiment_id: 'exp_bench',
    workflow_id: 'wf_bench',
    workflow_version_id: null,
    workflow_name: null,
    block_id: 'extract',
    block_kind: 'extract',
    n_consensus: 5,
    score: status === 'completed' ? 0.9 : null,
    error_count: 0,
    total_document_count: run.total,
    completed_document_count: completed,
    created_at: null,
    started_at: null,
    completed_at: null,
    duration_ms: status === 'completed' ? run.runningMs : null,
    trigger: 'api',
    parent_run_id: null,
  };
}

/** How many of the ascending `xs` are ≤ `x` (binary search). */
function countAtMost(/** @type {number[]} */ xs, /** @type {number} */ x) {
  let low = 0;
  let high = xs.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((xs[mid] ?? Infinity) <= x) low = mid + 1;
    else high = mid;
  }
  return low;
}
