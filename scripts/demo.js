// @ts-check
/**
 * `npm run demo [-- <run id> [threshold]]`: the built action (dist/index.js) against the Retab
 * simulator that ships with the tests, run the way a GitHub runner runs it. Prints the log, the
 * outputs and the job summary. The default run passes; try `exprun_low`, `exprun_regressed`, `exprun_errors`,
 * `exprun_failed`, `exprun_cancelled` or `exprun_markup`.
 */
import { BUILT_IN_RUNS, startSimulator } from '../test/simulator/retab-simulator.js';
import { runAction } from '../test/support/run-action.js';

const [runId = 'exprun_pass', threshold = '0.8'] = process.argv.slice(2);
if (!BUILT_IN_RUNS.some((run) => run.id === runId)) {
  console.error(`Unknown demo run ${JSON.stringify(runId)}. Known: ${BUILT_IN_RUNS.map((run) => run.id).join(', ')}`);
  process.exit(2);
}

const simulator = await startSimulator();
const inputs = { run_id: runId, threshold, max_score_drop: '0.02', base_url: simulator.url, api_key: simulator.apiKey, timeout: '2m' };
const rule = (/** @type {string} */ title) => console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 60 - title.length))}`);

console.log(`Retab simulator on ${simulator.url}; running dist/index.js with:`);
for (const [name, value] of Object.entries(inputs)) console.log(`  ${name}: ${value}`);
try {
  const result = await runAction({ inputs });
  rule('action log (debug lines hidden, as on a runner without debug logging)');
  process.stdout.write(result.stdout.split('\n').filter((line) => !line.startsWith('::debug::')).join('\n'));
  if (result.stderr) process.stdout.write(result.stderr);
  rule('outputs');
  for (const [name, value] of Object.entries(result.outputs)) console.log(`${name} = ${value}`);
  rule('job summary (Markdown)');
  console.log(result.summary);
  rule(`exit code ${result.exitCode}: the step ${result.exitCode === 0 ? 'passes' : 'fails'}`);
  process.exitCode = result.exitCode ?? 1;
} finally {
  await simulator.close();
}
