// @ts-check
/**
 * The benchmark's corpus: simulated experiment runs, generated from a seed (the same seed gives the
 * same runs), and what Retab would answer about one of them at a given moment.
 *
 * A run waits in the queue (pending, then queued), runs while its documents complete, and ends: most
 * turn `completed` a moment after their last document (scoring), some turn `error` or `cancelled`
 * at a moment nothing announces. Unless a kind says otherwise: a queue wait of 0 (one run in six) or
 * up to 2 s pending and 2 s to 2 min queued (log-uniform), a running time of 30 s to 60 min and 5 to
 * 500 documents (log-uniform, independently), 0.2 to 3 s of scoring. The kinds, in equal shares, are
 * listed in KINDS below with what each is.
 */

import { mulberry32 } from '../test/support/prng.js';

/**
 * @typedef {'steady' | 'consensus' | 'stalls' | 'slow tail' | 'ramp' | 'fast' | 'long queue' | 'no counts'
 *   | 'counts at end' | 'tiny' | 'very long' | 'speed-up' | 'long tail' | 'consensus batches' | 'error queued'
 *   | 'error early' | 'error midway' | 'counts back'} RunKind
 */

/** Each kind and what it is, for the benchmark's report. */
export const KINDS = /** @type {Record<RunKind, string>} */ ({
  steady: 'documents complete at independent, uniformly random moments',
  consensus: 'batches of 2 to 50 documents (n-way consensus), each batch taking 0.5x to 2x the mean, its documents within 5 % of its end',
  stalls: 'steady, with one to three pauses taking 20 to 50 % of the running time',
  'slow tail': '85 to 97 % of the documents done by 40 to 80 % of the time, the rest straggling',
  ramp: 'the pace changes over the run: progress = t^p, p from 0.4 to 2.5',
  fast: '30 to 90 s, 5 to 40 documents, steady or all at the end',
  'long queue': 'steady, after 1 to 20 min in the queue',
  'no counts': 'reports no document counts at all',
  'counts at end': 'reports 0 documents done until it completes',
  tiny: '1 to 3 documents, 5 to 40 s of running',
  'very long': '1 to 3 h, 200 to 5000 documents, steady or ramp',
  'speed-up': 'the last 20 to 60 % of the documents in the last 2 to 10 % of the time',
  'long tail': '90 to 99 % of the documents done by 20 to 50 % of the time, the rest over the remainder',
  'consensus batches': '3 to 15 batches of 5 to 50 documents, one every 2 to 6 min (each 0.5x to 2x that)',
  'error queued': 'error or cancelled while queued (1 to 10 min in the queue)',
  'error early': 'error or cancelled in the first 10 % of its running time',
  'error midway': 'error or cancelled between 10 and 90 % of its running time',
  'counts back': 'steady, but once or twice the count falls by 10 to 60 % and climbs back over 2 to 20 % of the time',
});
export const RUN_KINDS = /** @type {RunKind[]} */ (Object.keys(KINDS));

/**
 * @typedef {object} SimRun
 * @property {string} id
 * @property {RunKind} kind
 * @property {number} pendingMs
 * @property {number} queuedMs
 * @property {number} total documents
 * @property {number[]} doneAtMs when each document completes, from the start of running, ascending
 * @property {'completed' | 'error' | 'cancelled'} final
 * @property {'reported' | 'none' | 'at end'} counts what the run says about its documents while it runs
 * @property {Array<{ fromMs: number, toMs: number, depth: number }>} dips from the start of running: the count shown falls
 *   by `depth` documents at `fromMs` and climbs back linearly by `toMs`
 * @property {number} finishedAtMs when the run turns terminal, from its creation (the wait starts then)
 * @property {boolean} foreseeable whether the end can be foreseen: it completes, having reported its progress
 */

/** @param {number} seed @param {number} count @returns {SimRun[]} */
export function generateCorpus(seed, count) {
  const random = mulberry32(seed);
  const uniform = (/** @type {number} */ low, /** @type {number} */ high) => low + (high - low) * random();
  const logUniform = (/** @type {number} */ low, /** @type {number} */ high) => Math.exp(uniform(Math.log(low), Math.log(high)));
  const integer = (/** @type {number} */ low, /** @type {number} */ high) => Math.floor(uniform(low, high + 1));
  const MIN = 60_000;

  /** Moments in [0, 1], ascending, the last exactly 1 (the last document ends the work). */
  const normalise = (/** @type {number[]} */ xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const last = sorted.at(-1) || 1;
    return sorted.map((x) => x / last);
  };
  const steady = (/** @type {number} */ n) => normalise(Array.from({ length: n }, () => random()));
  const ramp = (/** @type {number} */ n) => {
    const power = uniform(0.4, 2.5);
    return steady(n).map((x) => x ** power);
  };
  /** Batches of `size`, each taking `mean` times 0.5x to 2x, its documents within 5 % of its end. */
  const batches = (/** @type {number} */ n, /** @type {number} */ size, /** @type {number} */ mean) => {
    const moments = [];
    let at = 0;
    for (let done = 0; done < n; done += size) {
      const length = mean * logUniform(0.5, 2);
      at += length;
      for (let i = done; i < Math.min(n, done + size); i++) moments.push(at - random() * 0.05 * length);
    }
    return moments.sort((a, b) => a - b);
  };

  /** A default queue: none for one run in six, else up to 2 s pending and 2 s to 2 min queued. */
  const queue = () => {
    const pendingMs = random() < 1 / 6 ? 0 : Math.round(uniform(0, 2_000));
    return { pendingMs, queuedMs: pendingMs === 0 ? 0 : Math.round(logUniform(2_000, 2 * MIN)) };
  };

  /**
   * @typedef {object} Shape
   * @property {number} total
   * @property {number} runningMs from leaving the queue to the end
   * @property {number[]} [moments] when each document completes, in [0, 1] of the work (scaled to the running time)
   * @property {number[]} [doneAtMs] or in ms from the start of running (the running time is then their last plus scoring)
   * @property {{ pendingMs: number, queuedMs: number }} [queue]
   * @property {SimRun['final']} [final]
   * @property {number} [endsAtMs] an error or cancellation this long after the start of running (may be negative: queued)
   * @property {SimRun['counts']} [counts]
   * @property {boolean} [dips]
   */
  const ordinary = () => ({ total: Math.round(logUniform(5, 500)), runningMs: Math.round(logUniform(30_000, 60 * MIN)) });
  const errorOrCancel = () => /** @type {SimRun['final']} */ (random() < 0.5 ? 'error' : 'cancelled');

  /** @type {Record<RunKind, () => Shape>} */
  const kinds = {
    steady: () => ({ ...ordinary(), moments: [] }),
    consensus() {
      const base = ordinary();
      const size = integer(2, Math.min(50, base.total));
      return { ...base, moments: normalise(batches(base.total, size, 1)) };
    },
    stalls() {
      const base = ordinary();
      const pauses = Array.from({ length: integer(1, 3) }, () => ({ at: uniform(0.05, 0.95), length: 0 }));
      const share = uniform(0.2, 0.5);
      for (const pause of pauses) pause.length = share / (1 - share) / pauses.length;
      return { ...base, moments: normalise(steady(base.total).map((x) => x + pauses.filter((p) => p.at < x).reduce((s, p) => s + p.length, 0))) };
    },
    'slow tail'() {
      const base = ordinary();
      const n = base.total;
      const bulk = Math.min(n - 1, Math.round(n * uniform(0.85, 0.97)));
      const by = uniform(0.4, 0.8);
      return { ...base, moments: normalise([...Array.from({ length: bulk }, () => random() * by), ...Array.from({ length: n - bulk }, () => uniform(by, 1))]) };
    },
    ramp() {
      const base = ordinary();
      return { ...base, moments: ramp(base.total) };
    },
    fast() {
      const total = integer(5, 40);
      return { total, runningMs: Math.round(uniform(30_000, 90_000)), moments: random() < 0.5 ? steady(total) : normalise(Array.from({ length: total }, () => 1 - random() * 0.03)) };
    },
    'long queue': () => ({ ...ordinary(), queue: { pendingMs: Math.round(uniform(0, 2_000)), queuedMs: Math.round(logUniform(MIN, 20 * MIN)) } }),
    'no counts': () => ({ ...ordinary(), counts: 'none' }),
    'counts at end': () => ({ ...ordinary(), counts: 'at end' }),
    tiny: () => ({ total: integer(1, 3), runningMs: Math.round(uniform(5_000, 40_000)) }),
    'very long'() {
      const total = Math.round(logUniform(200, 5_000));
      return { total, runningMs: Math.round(uniform(60 * MIN, 180 * MIN)), moments: random() < 0.5 ? steady(total) : ramp(total) };
    },
    'speed-up'() {
      const base = ordinary();
      const n = base.total;
      const fast = Math.max(1, Math.round(n * uniform(0.2, 0.6)));
      const from = 1 - uniform(0.02, 0.1);
      return { ...base, moments: normalise([...Array.from({ length: n - fast }, () => random() * from), ...Array.from({ length: fast }, () => uniform(from, 1))]) };
    },
    'long tail'() {
      const base = ordinary();
      const n = Math.max(10, base.total);
      const bulk = Math.min(n - 1, Math.round(n * uniform(0.9, 0.99)));
      const by = uniform(0.2, 0.5);
      return { ...base, total: n, moments: normalise([...Array.from({ length: bulk }, () => random() * by), ...Array.from({ length: n - bulk }, () => uniform(by, 1))]) };
    },
    'consensus batches'() {
      const count = integer(3, 15);
      const size = integer(5, 50);
      const doneAtMs = batches(count * size, size, uniform(2 * MIN, 6 * MIN)).map(Math.round);
      return { total: count * size, runningMs: 0, doneAtMs };
    },
    'error queued'() {
      const queuedMs = Math.round(uniform(MIN, 10 * MIN));
      return { ...ordinary(), queue: { pendingMs: Math.round(uniform(0, 2_000)), queuedMs }, final: errorOrCancel(), endsAtMs: -Math.round(uniform(0, queuedMs)) };
    },
    'error early'() {
      const base = ordinary();
      return { ...base, final: errorOrCancel(), endsAtMs: Math.round(uniform(0, 0.1) * base.runningMs) };
    },
    'error midway'() {
      const base = ordinary();
      return { ...base, final: errorOrCancel(), endsAtMs: Math.round(uniform(0.1, 0.9) * base.runningMs) };
    },
    'counts back': () => ({ ...ordinary(), dips: true }),
  };

  /** @type {SimRun[]} */
  const corpus = [];
  for (let i = 0; i < count; i++) {
    const kind = RUN_KINDS[i % RUN_KINDS.length] ?? 'steady';
    const shape = kinds[kind]();
    const { pendingMs, queuedMs } = shape.queue ?? queue();
    const scoringMs = uniform(200, 3_000);
    let doneAtMs;
    let runningMs = shape.runningMs;
    if (shape.doneAtMs) {
      doneAtMs = shape.doneAtMs;
      runningMs = (doneAtMs.at(-1) ?? 0) + scoringMs;
    } else {
      const moments = shape.moments && shape.moments.length > 0 ? shape.moments : steady(shape.total);
      doneAtMs = moments.map((x) => Math.round(x * (runningMs - scoringMs)));
    }
    const dips = [];
    if (shape.dips) {
      for (let d = integer(1, 2); d > 0; d--) {
        const from = uniform(0.1, 0.7);
        const fromMs = Math.round(from * runningMs);
        const done = countAtMost(doneAtMs, fromMs);
        dips.push({ fromMs, toMs: Math.round((from + uniform(0.02, 0.2)) * runningMs), depth: Math.round(done * uniform(0.1, 0.6)) });
      }
    }
    const final = shape.final ?? 'completed';
    const finishedAtMs = pendingMs + queuedMs + (shape.endsAtMs ?? runningMs);
    const counts = shape.counts ?? 'reported';
    corpus.push({ id: `exprun_sim_${i}`, kind, pendingMs, queuedMs, total: shape.total, doneAtMs, final, counts, dips, finishedAtMs, foreseeable: final === 'completed' && counts === 'reported' });
  }
  return corpus;
}

/**
 * What Retab answers about `run` at `atMs` after its creation, already normalised.
 * @param {SimRun} run @param {number} atMs @returns {import('../src/retab/run.js').ExperimentRun}
 */
export function statusAt(run, atMs) {
  const runningFrom = run.pendingMs + run.queuedMs;
  const terminal = atMs >= run.finishedAtMs;
  const status = terminal ? run.final : atMs < run.pendingMs ? 'pending' : atMs < runningFrom ? 'queued' : 'running';
  const sinceStart = atMs - runningFrom;
  let completed = status === 'completed' ? run.total : sinceStart > 0 ? countAtMost(run.doneAtMs, sinceStart) : 0;
  if (status === 'running') {
    for (const dip of run.dips) {
      if (sinceStart >= dip.fromMs && sinceStart < dip.toMs) completed = Math.max(0, completed - Math.round(dip.depth * (1 - (sinceStart - dip.fromMs) / (dip.toMs - dip.fromMs))));
    }
    if (run.counts === 'at end') completed = 0;
  }
  const counted = run.counts !== 'none';
  return {
    id: run.id,
    status,
    message: status === 'error' ? 'simulated error' : null,
    error_code: null,
    block_name: null,
    reason: status === 'cancelled' ? 'simulated cancellation' : null,
    experiment_id: 'exp_bench',
    workflow_id: 'wf_bench',
    workflow_version_id: null,
    workflow_name: null,
    block_id: 'extract',
    block_kind: 'extract',
    n_consensus: 5,
    score: status === 'completed' ? 0.9 : null,
    error_count: 0,
    total_document_count: counted ? run.total : null,
    completed_document_count: counted ? completed : null,
    created_at: null,
    started_at: null,
    completed_at: null,
    duration_ms: terminal ? atMs - runningFrom : null,
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
