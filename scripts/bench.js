// @ts-check
/**
 * `npm run bench`: how fast and how frugal the wait is, and how fast the action starts.
 *
 * 1. A deterministic simulation: corpora of runs (one per seed), each with a queue wait, a
 *    per-document timeline and an end (completed, error, cancelled), waited for by the real
 *    `waitForRun` (compiled from src/) with a virtual clock and a fake `fetchRun` that answers from
 *    the timeline. Compares poll schedules: requests, and detection latency (the run ending → the
 *    wait noticing), per kind of run, overall and per run.
 * 2. In real time: the built action waiting for a 40 s run (2 s in the queue, steady progress) on
 *    the Retab simulator: its requests and how late it noticed the end.
 * 3. The start: the built dist/index.js reading an already-finished run from the simulator (in its
 *    own process), with its compile cache warm and cold, next to the floor of its stack
 *    (scripts/bench-floor.js, bundled and launched the same way), and next to that floor making the
 *    action's other requests too, alternating; CPU time, medians.
 *
 * 4. Several experiments in one step (see bench-experiments.js).
 *
 * Options: --seeds=1,2,3 (corpus seeds), --runs=N (runs per seed), --starts=N (timed starts of each),
 * --node=PATH (the node binary for part 3; also BENCH_NODE; by default this one), --no-simulation,
 * --no-realtime, --no-start, --no-experiments.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ACTION_ENTRY, ROOT, runAction } from '../test/support/run-action.js';
import { startSimulator } from '../test/simulator/retab-simulator.js';
import { generateCorpus, KINDS, RUN_KINDS, statusAt } from './bench-corpus.js';
import { benchExperiments } from './bench-experiments.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key ?? '', value ?? 'true'];
  }),
);
const SEEDS = String(args.seeds ?? '1,2,3').split(',').map(Number);
const RUNS = Number(args.runs ?? 20 * RUN_KINDS.length);
const STARTS = Number(args.starts ?? 9);
const NODE = String(args.node ?? process.env.BENCH_NODE ?? process.execPath);
/** Virtual round trip of one request: the state is read halfway through. */
const RTT_MS = 100;

// Node 20 cannot import .ts: compile src/ to build/ and import the modules that ship.
const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) throw new Error('tsc failed');
/** @type {typeof import('../src/wait/wait.js')} */
const { waitForRun } = await import(pathToFileURL(join(ROOT, 'build', 'wait', 'wait.js')).href);
/** @type {typeof import('../src/wait/poll-schedule.js')} */
const { defaultSchedule, fixedSchedule } = await import(pathToFileURL(join(ROOT, 'build', 'wait', 'poll-schedule.js')).href);

/** @typedef {import('../src/wait/poll-schedule.js').PollSchedule} PollSchedule */
const OURS = 'adaptive (ours)';
const FIXED_2S = 'fixed 2 s (Retab CLI)';
/** @type {Array<{ name: string, schedule: PollSchedule }>} */
const STRATEGIES = [
  { name: FIXED_2S, schedule: fixedSchedule(2_000) },
  { name: 'fixed 5 s', schedule: fixedSchedule(5_000) },
  { name: 'fixed 10 s', schedule: fixedSchedule(10_000) },
  { name: 'backoff x1.5 to 60 s', schedule: ({ history }) => Math.round(Math.min(60_000, 1_000 * 1.5 ** Math.max(0, history.length - 1))) },
  { name: OURS, schedule: defaultSchedule },
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
    timeoutMs: 6 * 3_600_000,
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

/** @typedef {{ seed: number, kind: string, foreseeable: boolean, requests: number, fixedRequests: number, latencyMs: number }} Row */

/** Nearest-rank percentile of sorted numbers. */
const percentile = (/** @type {number[]} */ sorted, /** @type {number} */ p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const sorted = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b);
const median = (/** @type {number[]} */ xs) => percentile(sorted(xs), 50);
const seconds = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;
const percent = (/** @type {number} */ x) => `${(100 * x).toFixed(1)} %`;

/** @param {string[]} header @param {string[][]} rows */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The figures the targets are about, for a set of rows. */
function figures(/** @type {Row[]} */ rows) {
  const latencies = (/** @type {Row[]} */ rs) => sorted(rs.map((r) => r.latencyMs));
  const foreseen = latencies(rows.filter((r) => r.foreseeable));
  const unforeseen = latencies(rows.filter((r) => !r.foreseeable));
  const all = latencies(rows);
  return {
    runs: rows.length,
    requests: sum(rows.map((r) => r.requests)),
    share: sum(rows.map((r) => r.requests)) / sum(rows.map((r) => r.fixedRequests)),
    medianRatio: median(rows.map((r) => r.requests / r.fixedRequests)),
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    max: all.at(-1) ?? NaN,
    foreseenP50: percentile(foreseen, 50),
    foreseenP95: percentile(foreseen, 95),
    unforeseenP95: percentile(unforeseen, 95),
  };
}

/** @param {ReturnType<typeof figures>} f @param {Row[]} rows */
function targetsMet(f, rows) {
  const kindsAbove = RUN_KINDS.filter((kind) => {
    const of = rows.filter((r) => r.kind === kind);
    return of.length > 0 && sum(of.map((r) => r.requests)) > sum(of.map((r) => r.fixedRequests));
  });
  const checks = [
    [`requests ≤ 20 % of fixed 2 s (${percent(f.share)})`, f.share <= 0.2],
    [`no kind above fixed 2 s (${kindsAbove.length === 0 ? 'none' : kindsAbove.join(', ')})`, kindsAbove.length === 0],
    [`median per-run ratio ≤ 40 % (${percent(f.medianRatio)})`, f.medianRatio <= 0.4],
    [`foreseeable ends p50 ≤ 1.5 s (${seconds(f.foreseenP50)})`, f.foreseenP50 <= 1_500],
    [`foreseeable ends p95 ≤ 5 s (${seconds(f.foreseenP95)})`, f.foreseenP95 <= 5_000],
    [`unforeseeable ends p95 ≤ 15 s (${seconds(f.unforeseenP95)})`, f.unforeseenP95 <= 15_000],
  ];
  return { met: checks.every(([, ok]) => ok), text: checks.map(([what, ok]) => `${ok ? 'met' : 'NOT met'}: ${what}`).join('; ') };
}

async function simulation() {
  /** @type {Map<string, Row[]>} */
  const results = new Map(STRATEGIES.map(({ name }) => [name, []]));
  for (const seed of SEEDS) {
    const corpus = generateCorpus(seed, RUNS);
    for (const run of corpus) {
      const fixed = await simulate(run, fixedSchedule(2_000));
      for (const { name, schedule } of STRATEGIES) {
        const { requests, latencyMs } = name === FIXED_2S ? fixed : await simulate(run, schedule);
        results.get(name)?.push({ seed, kind: run.kind, foreseeable: run.foreseeable, requests, fixedRequests: fixed.requests, latencyMs });
      }
    }
  }
  console.log(`Corpus: ${SEEDS.length} seeds (${SEEDS.join(', ')}) of ${RUNS} runs, ${RUN_KINDS.length} kinds in equal shares.`);
  console.log('Foreseeable ends: runs that complete having reported their progress; unforeseeable: error, cancelled, no counts, counts only at the end.');
  console.log('');
  console.log('All seeds together:');
  console.log(
    table(
      ['schedule', 'requests/run', 'vs fixed 2 s', 'median per-run ratio', 'foreseeable p50', 'foreseeable p95', 'unforeseeable p95', 'max'],
      [...results].map(([name, rows]) => {
        const f = figures(rows);
        return [name, (f.requests / f.runs).toFixed(1), percent(f.share), percent(f.medianRatio), seconds(f.foreseenP50), seconds(f.foreseenP95), seconds(f.unforeseenP95), seconds(f.max)];
      }),
    ),
  );
  const ours = results.get(OURS) ?? [];
  console.log('');
  console.log('Adaptive (ours) by kind of run, all seeds together:');
  console.log(
    table(
      ['kind', 'runs', 'requests/run', 'fixed 2 s requests/run', 'vs fixed 2 s', 'median per-run ratio', 'latency p50', 'latency p95', 'latency max'],
      RUN_KINDS.map((kind) => {
        const rows = ours.filter((r) => r.kind === kind);
        const f = figures(rows);
        return [kind, String(f.runs), (f.requests / f.runs).toFixed(1), (sum(rows.map((r) => r.fixedRequests)) / f.runs).toFixed(1), percent(f.share), percent(f.medianRatio), seconds(f.p50), seconds(f.p95), seconds(f.max)];
      }),
    ),
  );
  console.log('');
  console.log('Adaptive (ours) seed by seed:');
  console.log(
    table(
      ['seed', 'vs fixed 2 s', 'median per-run ratio', 'foreseeable p50', 'foreseeable p95', 'unforeseeable p95', 'max', 'targets'],
      SEEDS.map((seed) => {
        const rows = ours.filter((r) => r.seed === seed);
        const f = figures(rows);
        return [String(seed), percent(f.share), percent(f.medianRatio), seconds(f.foreseenP50), seconds(f.foreseenP95), seconds(f.unforeseenP95), seconds(f.max), targetsMet(f, rows).met ? 'met' : 'NOT met'];
      }),
    ),
  );
  const verdict = targetsMet(figures(ours), ours);
  const everySeed = SEEDS.every((seed) => {
    const rows = ours.filter((r) => r.seed === seed);
    return targetsMet(figures(rows), rows).met;
  });
  console.log('');
  console.log(`Targets, all seeds together: ${verdict.text}.`);
  if (args.kinds === 'true') for (const [kind, what] of Object.entries(KINDS)) console.log(`- ${kind}: ${what}`);
  return verdict.met && everySeed;
}

/** In real time: the built action waiting for a 40 s run with steady progress after 2 s in the queue. */
async function realTime() {
  const total = 20;
  const sim = await startSimulator({ runs: [{ id: 'exprun_realtime', queuedMs: 2_000, runningMs: 40_000, total, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
  try {
    const result = await runAction({ inputs: { run_id: 'exprun_realtime', threshold: '0.5', api_key: sim.apiKey, base_url: sim.url }, killAfterMs: 120_000 });
    if (result.exitCode !== 0) throw new Error(`the action failed: ${result.stdout}${result.stderr}`);
    const reads = sim.runReads('exprun_realtime');
    const first = reads[0]?.at ?? NaN;
    const last = reads.at(-1)?.at ?? NaN;
    const latencyMs = last - first - 42_000;
    const met = reads.length <= 10 && latencyMs <= 3_000;
    console.log('');
    console.log(
      `In real time, a 40 s run of ${total} documents with steady progress after 2 s in the queue: ${reads.length} requests for the run, ` +
        `the end noticed ${seconds(latencyMs)} after it (fixed 2 s: about ${Math.ceil(42_000 / 2_050) + 1}; target ≤ 10 requests, within 3 s: ${met ? 'met' : 'NOT met'}).`,
    );
    return met;
  } finally {
    await sim.close();
  }
}

/**
 * The paths the action requests for the run the start is timed on, in order (the first is the
 * run's read, which the floor makes too): from one start against a simulator in this process.
 */
async function actionReads() {
  const sim = await startSimulator({ runs: [{ id: 'exprun_finished', final: { status: 'completed', score: 0.9, error_count: 0 } }] });
  try {
    const result = await runAction({ node: NODE, inputs: { run_id: 'exprun_finished', threshold: '0.5', api_key: sim.apiKey, base_url: sim.url } });
    if (result.exitCode !== 0) throw new Error(`the action failed: ${result.stdout}${result.stderr}`);
    return sim.requests.map((request) => request.path);
  } finally {
    await sim.close();
  }
}

/** The Retab simulator in a process of its own, with one run that is already completed at its first read. */
async function simulatorProcess() {
  const module = pathToFileURL(join(ROOT, 'test', 'simulator', 'retab-simulator.js')).href;
  const code = `const { startSimulator } = await import(${JSON.stringify(module)});
const sim = await startSimulator({ runs: [{ id: 'exprun_finished', final: { status: 'completed', score: 0.9, error_count: 0 } }] });
console.log(JSON.stringify({ url: sim.url, apiKey: sim.apiKey }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('\n')) resolve(output.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`the simulator exited ${code}`)));
  });
  const { url, apiKey } = JSON.parse(String(line));
  return { url: String(url), apiKey: String(apiKey), close: () => child.kill() };
}

/**
 * The floor of the stack (scripts/bench-floor.js) built the way the action is: the ncc options of
 * `npm run build`, and the action's own launcher (dist/index.js) in front, which turns on the
 * compile cache and then loads `./action/index.js`.
 */
async function buildFloor(/** @type {string} */ dir) {
  const build = String(JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).scripts.build);
  const nccOptions = (/ncc build \S+ -o \S+((?: --?[a-z0-9-]+)*)/.exec(build)?.[1] ?? '').trim().split(/\s+/).filter((option) => option !== '' && option !== '--stats-out');
  const ncc = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'), 'build', join(ROOT, 'scripts', 'bench-floor.js'), '-o', join(dir, 'action'), ...nccOptions], { stdio: 'inherit' });
  if (ncc.status !== 0) throw new Error('ncc failed on the floor');
  await copyFile(ACTION_ENTRY, join(dir, 'index.js'));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
  return { entry: join(dir, 'index.js'), nccOptions };
}

/**
 * Whether dist/'s bundle is the one the source gives: bundled again (from the build/ compiled above)
 * with the build's options, and compared byte for byte. File times say nothing here: a fresh clone
 * writes src/ and dist/ in whatever order git checks them out.
 * @param {string} dir @param {string[]} nccOptions
 */
async function distMatchesSource(dir, nccOptions) {
  const ncc = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'), 'build', join(ROOT, 'build', 'action.js'), '-o', dir, ...nccOptions], { stdio: 'ignore' });
  if (ncc.status !== 0) return false;
  const [built, shipped] = await Promise.all([listFiles(dir), listFiles(join(ROOT, 'dist', 'action'))]);
  // The bundle's own files (the launcher writes the rest of dist/ from scripts of its own).
  const names = (/** @type {string[]} */ files, /** @type {string} */ root) => files.filter((file) => file.endsWith('.js')).map((file) => file.slice(root.length)).sort();
  const ours = names(built, dir);
  if (JSON.stringify(ours) !== JSON.stringify(names(shipped, join(ROOT, 'dist', 'action')))) return false;
  for (const name of ours) {
    const [a, b] = await Promise.all([readFile(join(dir, name)), readFile(join(ROOT, 'dist', 'action', name))]);
    if (!a.equals(b)) return false;
  }
  return true;
}

async function startTime() {
  const version = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const scratch = await mkdtemp(join(tmpdir(), 'bench-start-'));
  const floor = await buildFloor(join(scratch, 'floor'));
  if (!(await distMatchesSource(join(scratch, 'bundle'), floor.nccOptions))) console.log('Note: dist/ does not match src/; run `npm run build` first to time this tree.');
  const sim = await simulatorProcess();
  try {
    const probe = join(ROOT, 'scripts', 'cpu-probe.js');
    /** One start of `entry`: its CPU time (user + system, from the process's own count at exit) and its wall time. */
    const reads = await actionReads();
    const start = async (/** @type {What} */ what, /** @type {string} */ cacheDir) => {
      const cpuFile = join(scratch, 'cpu');
      const result = await runAction({
        node: NODE,
        entry: what === 'action' ? ACTION_ENTRY : floor.entry,
        nodeArgs: ['--import', pathToFileURL(probe).href],
        env: { TMPDIR: cacheDir, CPU_PROBE_FILE: cpuFile, RETAB_API_KEY: sim.apiKey },
        inputs: { run_id: 'exprun_finished', threshold: '0.5', api_key: sim.apiKey, base_url: sim.url, ...(what === 'reads' ? { reads: reads.slice(1).join('\n') } : {}) },
      });
      const ok = what === 'action' ? result.outputs.passed === 'true' : result.outputs.status === 'completed';
      if (result.exitCode !== 0 || !ok) throw new Error(`the ${what} failed: ${result.stdout}${result.stderr}`);
      return { cpu: Number(await readFile(cpuFile, 'utf8')), wall: result.durationMs };
    };
    // The compile cache lives in the temporary directory: one kept across runs (warm: a second run
    // on the same machine), or a new one for each run (cold: a fresh runner, the cache written, not read).
    const warmDir = (/** @type {string} */ what) => join(scratch, `warm-${what}`);
    const coldDir = () => mkdtemp(join(scratch, 'cold-'));
    /** @type {Record<string, Array<{ cpu: number, wall: number }>>} */
    const times = { 'floor warm': [], 'reads warm': [], 'action warm': [], 'floor cold': [], 'reads cold': [], 'action cold': [] };
    /** @typedef {'floor' | 'reads' | 'action'} What */
    const order = /** @type {What[]} */ (['floor', 'reads', 'action']);
    for (const what of order) {
      await mkdir(warmDir(what));
      await start(what, warmDir(what)); // warms the file cache, and fills the warm compile cache
    }
    for (let i = 0; i < STARTS; i++) {
      for (const what of order) {
        times[`${what} warm`]?.push(await start(what, warmDir(what)));
        times[`${what} cold`]?.push(await start(what, await coldDir()));
      }
    }
    const cpu = (/** @type {string} */ key) => median((times[key] ?? []).map((t) => t.cpu));
    const wall = (/** @type {string} */ key) => median((times[key] ?? []).map((t) => t.wall));
    const warmRatio = cpu('action warm') / cpu('floor warm');
    const coldRatio = cpu('action cold') / cpu('floor cold');
    const ratio = (/** @type {string} */ key, /** @type {string} */ cache) => `${(cpu(`${key} ${cache}`) / cpu(`floor ${cache}`)).toFixed(2)}x`;
    const files = await listFiles(join(ROOT, 'dist'));
    const sizes = await Promise.all(files.map(async (file) => ({ file: file.slice(join(ROOT, 'dist').length + 1), size: (await stat(file)).size })));
    const floorSize = sum(await Promise.all((await listFiles(join(scratch, 'floor', 'action'))).map(async (file) => (await stat(file)).size)));
    const runner = Number(version.replace(/^v/, '').split('.')[0]) >= 24 ? 'the runner’s Node' : 'not Node 24, the runner’s: pass --node=PATH to a Node 24 binary';
    const met = warmRatio <= 1.3 && coldRatio <= 1.3;
    console.log('');
    console.log(`Start against the floor of the stack (scripts/bench-floor.js: core reads an input, one undici GET, zod parses it, core sets an output; ncc ${floor.nccOptions.join(' ')}, the same launcher), CPU time (user + system), medians of ${STARTS}, alternating, the simulator in its own process (node ${version}, ${runner}):`);
    console.log(
      table(
        ['compile cache', 'floor CPU', 'action CPU', 'ratio', `floor + ${reads.length - 1} reads CPU`, 'its ratio', 'floor wall', 'action wall'],
        [
          ['warm (a later run on the machine)', `${cpu('floor warm').toFixed(0)} ms`, `${cpu('action warm').toFixed(0)} ms`, `${warmRatio.toFixed(2)}x`, `${cpu('reads warm').toFixed(0)} ms`, ratio('reads', 'warm'), `${wall('floor warm').toFixed(0)} ms`, `${wall('action warm').toFixed(0)} ms`],
          ['cold (a fresh runner)', `${cpu('floor cold').toFixed(0)} ms`, `${cpu('action cold').toFixed(0)} ms`, `${coldRatio.toFixed(2)}x`, `${cpu('reads cold').toFixed(0)} ms`, ratio('reads', 'cold'), `${wall('floor cold').toFixed(0)} ms`, `${wall('action cold').toFixed(0)} ms`],
        ],
      ),
    );
    console.log(`"floor + ${reads.length - 1} reads": the floor making the action's other requests too, one after another, each parsed by zod: what those requests cost through the stack, apart from what the action does with them.`);
    console.log(`Target: the action's CPU at most 1.3x the floor's, warm and cold: ${met ? 'met' : 'NOT met'}.`);
    console.log(`dist/: ${(sum(sizes.map((s) => s.size)) / 1024).toFixed(0)} KiB in all (${sizes.map((s) => `${s.file} ${(s.size / 1024).toFixed(0)} KiB`).join(', ')}); the floor's bundle: ${(floorSize / 1024).toFixed(0)} KiB`);
    return met;
  } finally {
    sim.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function listFiles(/** @type {string} */ dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}
function sum(/** @type {number[]} */ xs) {
  return xs.reduce((a, b) => a + b, 0);
}

const simulated = args['no-simulation'] === 'true' ? true : await simulation();
const realTimed = args['no-realtime'] === 'true' ? true : await realTime();
const started = args['no-start'] === 'true' ? true : await startTime();
const several = args['no-experiments'] === 'true' ? true : await benchExperiments({ table });
process.exitCode = simulated && realTimed && started && several ? 0 : 1;
