// @ts-check
/**
 * `npm run bench`: how fast and how frugal the wait is.
 *
 * 1. A deterministic simulation: a corpus of runs (seeded), each with a queue wait and a per-document
 *    completion timeline, waited for by the real `waitForRun` (compiled from src/) with a virtual clock
 *    and a fake `fetchRun` that answers from the timeline. Compares poll schedules side by side:
 *    requests per run and detection latency (the run finishing → the wait noticing).
 * 2. The action's start: the built dist/index.js against the Retab simulator for an already-finished
 *    run, next to a bare `node` script doing one fetch of the same URL (median of several runs).
 *
 * 3. Several experiments in one step (see bench-experiments.js).
 *
 * Options: --seed=N (corpus seed), --runs=N (corpus size), --starts=N (timed starts of each),
 * --no-start (skip part 2), --no-experiments (skip part 3).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ACTION_ENTRY, ROOT, runAction } from '../test/support/run-action.js';
import { startSimulator } from '../test/simulator/retab-simulator.js';
import { generateCorpus, statusAt } from './bench-corpus.js';
import { benchExperiments } from './bench-experiments.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key ?? '', value ?? 'true'];
  }),
);
const SEED = Number(args.seed ?? 20260802);
const RUNS = Number(args.runs ?? 300);
const STARTS = Number(args.starts ?? 7);
/** Virtual round trip of one request: the state is read halfway through. */
const RTT_MS = 100;

// Node 20 cannot import .ts: compile src/ to build/ and import the modules that ship.
const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) throw new Error('tsc failed');
/** @type {typeof import('../src/wait.js')} */
const { waitForRun } = await import(pathToFileURL(join(ROOT, 'build', 'wait.js')).href);
/** @type {typeof import('../src/poll-schedule.js')} */
const { defaultSchedule, fixedSchedule } = await import(pathToFileURL(join(ROOT, 'build', 'poll-schedule.js')).href);

/** @typedef {import('../src/poll-schedule.js').PollSchedule} PollSchedule */
/** @type {Array<{ name: string, schedule: PollSchedule }>} */
const STRATEGIES = [
  { name: 'fixed 2 s (Retab CLI)', schedule: fixedSchedule(2_000) },
  { name: 'fixed 5 s', schedule: fixedSchedule(5_000) },
  { name: 'fixed 10 s', schedule: fixedSchedule(10_000) },
  { name: 'backoff x1.5 to 60 s', schedule: ({ history }) => Math.round(Math.min(60_000, 1_000 * 1.5 ** Math.max(0, history.length - 1))) },
  { name: 'adaptive (ours)', schedule: defaultSchedule },
];

/**
 * Wait for one simulated run with the real wait loop.
 * @param {import('./bench-corpus.js').SimRun} run @param {PollSchedule} schedule
 */
async function simulate(run, schedule) {
  let clock = 0;
  let requests = 0;
  const outcome = await waitForRun({
    async fetchRun() {
      requests += 1;
      clock += RTT_MS / 2;
      const state = statusAt(run, clock);
      clock += RTT_MS / 2;
      return state;
    },
    timeoutMs: 3 * 3_600_000,
    schedule,
    signal: new AbortController().signal,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    random: () => 0.5,
  });
  if (outcome.kind !== 'finished') throw new Error(`${run.id}: the wait ended ${outcome.kind}`, { cause: outcome });
  return { requests, latencyMs: clock - run.finishedAtMs };
}

/** Nearest-rank percentile of sorted numbers. */
const percentile = (/** @type {number[]} */ sorted, /** @type {number} */ p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const seconds = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;

/** @param {string[]} header @param {string[][]} rows */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function simulation() {
  const corpus = generateCorpus(SEED, RUNS);
  const durations = corpus.map((run) => run.runningMs).sort((a, b) => a - b);
  const docs = corpus.map((run) => run.total).sort((a, b) => a - b);
  console.log(`Corpus: ${corpus.length} runs (seed ${SEED}); running ${seconds(durations[0] ?? 0)} to ${seconds(durations.at(-1) ?? 0)} (median ${seconds(percentile(durations, 50))}); ${docs[0]} to ${docs.at(-1)} documents; kinds: ${Object.entries(countBy(corpus.map((run) => run.kind))).map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
  console.log('');

  /** @type {Map<string, Array<{ kind: string, requests: number, latencyMs: number }>>} */
  const results = new Map();
  for (const { name, schedule } of STRATEGIES) {
    const rows = [];
    for (const run of corpus) rows.push({ kind: run.kind, ...(await simulate(run, schedule)) });
    results.set(name, rows);
  }
  const baseline = sum((results.get(STRATEGIES[0]?.name ?? '') ?? []).map((r) => r.requests));
  const summarise = (/** @type {Array<{ requests: number, latencyMs: number }>} */ rows) => {
    const latencies = rows.map((r) => r.latencyMs).sort((a, b) => a - b);
    const total = sum(rows.map((r) => r.requests));
    return { total, mean: total / rows.length, p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1) ?? NaN };
  };
  console.log(
    table(
      ['schedule', 'requests/run', 'requests total', 'vs fixed 2 s', 'latency p50', 'latency p95', 'latency max'],
      [...results].map(([name, rows]) => {
        const s = summarise(rows);
        return [name, s.mean.toFixed(1), String(s.total), `${((100 * s.total) / baseline).toFixed(1)} %`, seconds(s.p50), seconds(s.p95), seconds(s.max)];
      }),
    ),
  );
  console.log('');
  const ours = results.get('adaptive (ours)') ?? [];
  const fixed2 = results.get(STRATEGIES[0]?.name ?? '') ?? [];
  console.log('Adaptive (ours) by kind of run, next to fixed 2 s:');
  console.log(
    table(
      ['kind', 'runs', 'requests/run', 'fixed 2 s requests/run', 'latency p50', 'latency p95', 'latency max'],
      Object.keys(countBy(corpus.map((run) => run.kind))).map((kind) => {
        const s = summarise(ours.filter((r) => r.kind === kind));
        const f = summarise(fixed2.filter((r) => r.kind === kind));
        return [kind, String(ours.filter((r) => r.kind === kind).length), s.mean.toFixed(1), f.mean.toFixed(1), seconds(s.p50), seconds(s.p95), seconds(s.max)];
      }),
    ),
  );
  const s = summarise(ours);
  const met = s.total * 5 <= baseline && s.p50 <= 1_500 && s.p95 <= 5_000;
  console.log('');
  console.log(`Target (≤ 1/5 of fixed 2 s requests, p50 ≤ 1.5 s, p95 ≤ 5 s): ${met ? 'met' : 'NOT met'} (${(baseline / s.total).toFixed(1)}x fewer requests than fixed 2 s, p50 ${seconds(s.p50)}, p95 ${seconds(s.p95)})`);
  return met;
}

/** Milliseconds from spawning `node` with `argv` to its exit. */
async function timeNode(/** @type {string[]} */ argv, /** @type {NodeJS.ProcessEnv} */ env) {
  const started = performance.now();
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`node ${argv.join(' ')} exited ${code}: ${output}`);
  return performance.now() - started;
}

async function startTime() {
  const newestSource = Math.max(...(await Promise.all((await listFiles(join(ROOT, 'src'))).map(async (file) => (await stat(file)).mtimeMs))));
  if ((await stat(ACTION_ENTRY)).mtimeMs < newestSource) console.log('Note: dist/ is older than src/; run `npm run build` first to time this tree.');
  const sim = await startSimulator({ runs: [{ id: 'exprun_finished', final: { status: 'completed', score: 0.9, error_count: 0 } }] });
  try {
    const url = `${sim.url}/v1/workflows/experiments/runs/exprun_finished`;
    const bare = `const r = await fetch(${JSON.stringify(url)}, { headers: { authorization: 'Bearer ' + process.env.KEY, 'api-key': process.env.KEY } }); const body = await r.json(); if (body.lifecycle.status !== 'completed') process.exit(1);`;
    const action = async () => {
      const result = await runAction({ inputs: { run_id: 'exprun_finished', threshold: '0.5', api_key: sim.apiKey, base_url: sim.url } });
      if (result.exitCode !== 0 || result.outputs.passed !== 'true') throw new Error(`the action failed: ${result.stdout}${result.stderr}`);
      return result.durationMs;
    };
    const fetchOnce = () => timeNode(['--input-type=module', '-e', bare], { PATH: process.env.PATH, KEY: sim.apiKey });
    await action();
    await fetchOnce(); // warm the file cache for both
    const actionTimes = [];
    const fetchTimes = [];
    for (let i = 0; i < STARTS; i++) {
      actionTimes.push(await action());
      fetchTimes.push(await fetchOnce());
    }
    const median = (/** @type {number[]} */ xs) => percentile([...xs].sort((a, b) => a - b), 50);
    const ratio = median(actionTimes) / median(fetchTimes);
    const files = await listFiles(join(ROOT, 'dist'));
    const sizes = await Promise.all(files.map(async (file) => ({ file: file.slice(join(ROOT, 'dist').length + 1), size: (await stat(file)).size })));
    console.log('');
    console.log(`Start, median of ${STARTS} (node ${process.version}): the action ${median(actionTimes).toFixed(0)} ms, a bare fetch ${median(fetchTimes).toFixed(0)} ms: ${ratio.toFixed(2)}x (target ≤ 2x: ${ratio <= 2 ? 'met' : 'NOT met'})`);
    console.log(`dist/: ${(sum(sizes.map((s) => s.size)) / 1024).toFixed(0)} KiB in all (${sizes.map((s) => `${s.file} ${(s.size / 1024).toFixed(0)} KiB`).join(', ')})`);
    return ratio <= 2;
  } finally {
    await sim.close();
  }
}

async function listFiles(/** @type {string} */ dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}
function sum(/** @type {number[]} */ xs) {
  return xs.reduce((a, b) => a + b, 0);
}
function countBy(/** @type {string[]} */ xs) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const x of xs) counts[x] = (counts[x] ?? 0) + 1;
  return counts;
}

const simulated = await simulation();
const started = args['no-start'] === 'true' ? true : await startTime();
const several = args['no-experiments'] === 'true' ? true : await benchExperiments({ table });
process.exitCode = simulated && started && several ? 0 : 1;
