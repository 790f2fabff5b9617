// @ts-check
/**
 * The job summary the built action writes for a simulated run, as Markdown.
 *
 *   node scripts/report-example.js [run_id] [--memory] [--confidence=95%]   one summary, printed
 *   node scripts/report-example.js --docs                                   docs/report.md's examples, written
 *   node scripts/report-example.js --check                                  fails when docs/report.md's examples are not what the action writes
 *
 * (after `npm run build`). `--memory` also prints the action's peak RSS. The examples are everything
 * in docs/report.md after the EXAMPLES marker; how long the action waited (`waited 362ms`) differs
 * from one run to the next, so `--check` compares without those figures.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSimulator } from '../test/simulator/retab-simulator.js';
import { ROOT, runAction } from '../test/support/run-action.js';

export const EXAMPLES_MARKER = '<!-- examples: written by `npm run build && node scripts/report-example.js --docs`; do not edit by hand -->';
const DOC = join(ROOT, 'docs', 'report.md');
const GATE = { threshold: '0.8', max_errors: '2', max_score_drop: '0.02', poll_interval: '100ms' };

/** The examples: what each shows, and the inputs beside the gate's. */
/** @type {Array<{ title: string, inputs: Record<string, string> }>} */
const EXAMPLES = [
  { title: 'A pass', inputs: { run_id: 'exprun_improved', confidence: '95%' } },
  { title: 'A score below the threshold', inputs: { run_id: 'exprun_low' } },
  { title: 'A regression against the baseline', inputs: { run_id: 'exprun_regressed', confidence: '95%' } },
  { title: 'Too many errors', inputs: { run_id: 'exprun_errors', confidence: '95%' } },
  { title: 'A run that ended in error', inputs: { run_id: 'exprun_failed' } },
  { title: 'Several experiments', inputs: { experiments: 'run:exprun_improved\nrun:exprun_regressed\nrun:exprun_errors\nrun:exprun_failed', confidence: '95%' } },
];

/** The summary the built action writes for `inputs`, against the simulator. */
async function summaryOf(/** @type {Record<string, string>} */ inputs, /** @type {{ url: string, apiKey: string }} */ simulator, measure = '') {
  const result = await runAction({
    inputs: { ...GATE, api_key: simulator.apiKey, base_url: simulator.url, ...inputs },
    env: measure ? { MEMORY_PROBE_FILE: measure } : {},
    nodeArgs: measure ? ['--import', pathToFileURL(join(ROOT, 'test', 'support', 'memory-probe.js')).href] : [],
  });
  return result;
}

function describeInputs(/** @type {Record<string, string>} */ inputs) {
  return Object.entries({ ...inputs, ...GATE })
    .filter(([name]) => name !== 'poll_interval')
    .map(([name, value]) => `\`${name}: ${value.replaceAll('\n', '\\n')}\``)
    .join(', ');
}

/** docs/report.md's examples section, as the built action writes it now. */
export async function renderExamples() {
  const parts = [EXAMPLES_MARKER, ''];
  for (const example of EXAMPLES) {
    // A simulator of its own for each, so no example sees what another did.
    const simulator = await startSimulator();
    try {
      const { summary } = await summaryOf(example.inputs, simulator);
      parts.push(`### Example: ${example.title.toLowerCase()}`, '', `Inputs ${describeInputs(example.inputs)}:`, '', '---', '', summary.trim(), '', '---', '');
    } finally {
      await simulator.close();
    }
  }
  return parts.join('\n');
}

/** The text with how long the action waited left out: the only figure that changes from run to run. */
export function withoutWaits(/** @type {string} */ text) {
  return text.replace(/waited \d+(\.\d+)?m?s/g, 'waited …');
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--docs') || args.includes('--check')) {
    const doc = await readFile(DOC, 'utf8');
    const at = doc.indexOf(EXAMPLES_MARKER);
    if (at === -1) throw new Error(`docs/report.md has no examples marker (${EXAMPLES_MARKER})`);
    const examples = await renderExamples();
    if (args.includes('--docs')) {
      await writeFile(DOC, doc.slice(0, at) + examples);
      return;
    }
    if (withoutWaits(doc.slice(at)) !== withoutWaits(examples)) {
      console.error('docs/report.md: its examples are not what the built action writes. Run `npm run build && node scripts/report-example.js --docs`.');
      process.exit(1);
    }
    console.log("docs/report.md: the examples are what the built action writes.");
    return;
  }
  const runId = args.find((arg) => !arg.startsWith('--')) ?? 'exprun_improved';
  const confidence = args.find((arg) => arg.startsWith('--confidence='))?.slice('--confidence='.length) ?? '';
  const simulator = await startSimulator();
  const dir = await mkdtemp(join(tmpdir(), 'retab-report-example-'));
  const probe = args.includes('--memory') ? join(dir, 'maxrss') : '';
  try {
    const result = await summaryOf({ run_id: runId, confidence }, simulator, probe);
    process.stdout.write(result.summary);
    if (probe) {
      const peak = Number(await readFile(probe, 'utf8'));
      console.error(`${runId}: summary ${Buffer.byteLength(result.summary)} bytes, peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB, ${result.durationMs} ms`);
    }
  } finally {
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
