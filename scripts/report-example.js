// @ts-check
/**
 * Prints the job summary the built action writes for a simulated run, as Markdown, and (with
 * `--memory`) the action's peak RSS: `node scripts/report-example.js [run_id] [--memory] [--confidence=95%]`.
 * docs/report.md holds its output for `exprun_improved` and `exprun_regressed`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSimulator } from '../test/simulator/retab-simulator.js';
import { ROOT, runAction } from '../test/support/run-action.js';

const args = process.argv.slice(2);
const runId = args.find((arg) => !arg.startsWith('--')) ?? 'exprun_improved';
const measure = args.includes('--memory');
const confidence = args.find((arg) => arg.startsWith('--confidence='))?.slice('--confidence='.length) ?? '';
const simulator = await startSimulator();
const dir = await mkdtemp(join(tmpdir(), 'retab-report-example-'));
const probe = join(dir, 'maxrss');
try {
  const result = await runAction({
    inputs: { run_id: runId, threshold: '0.8', max_errors: '2', max_score_drop: '0.02', confidence, api_key: simulator.apiKey, base_url: simulator.url, poll_interval: '100ms' },
    env: measure ? { MEMORY_PROBE_FILE: probe } : {},
    nodeArgs: measure ? ['--import', pathToFileURL(join(ROOT, 'test', 'support', 'memory-probe.js')).href] : [],
  });
  process.stdout.write(result.summary);
  if (measure) {
    const peak = Number(await readFile(probe, 'utf8'));
    console.error(`${runId}: summary ${Buffer.byteLength(result.summary)} bytes, peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB, ${result.durationMs} ms`);
  }
} finally {
  await simulator.close();
  await rm(dir, { recursive: true, force: true });
}
