// @ts-check
/**
 * `npm run local-action`: the README's local run (`npx --yes @github/local-action . src/main.ts .env`
 * with `.env.example`), checked: against the Retab simulator (started here, on a free port), a
 * passing run shows its outputs in local-action's table, and a failing gate ends as local-action
 * expects of a failed action: its error annotation and the outputs, no stack trace. CI's
 * local-action job runs this. local-action (and tsx, which runs the TypeScript source) come from
 * the registry through npx, pinned here, not from the project's dependencies: they are some 350
 * packages that nothing else needs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../test/simulator/retab-simulator.js';
import { ROOT } from '../test/support/run-action.js';

const LOCAL_ACTION = '@github/local-action@7.0.1';

/** local-action on `.env.example`, with `changes` to its lines (`INPUT_RUN_ID` → value); its log and exit code. */
async function localRun(/** @type {string} */ dir, /** @type {Record<string, string>} */ changes) {
  const example = await readFile(join(ROOT, '.env.example'), 'utf8');
  const lines = example.split('\n').map((line) => {
    const name = /^([A-Z_]+)=/.exec(line)?.[1];
    return name !== undefined && name in changes ? `${name}=${changes[name]}` : line;
  });
  const envFile = join(dir, `${changes.INPUT_RUN_ID ?? 'run'}.env`);
  await writeFile(envFile, lines.join('\n'));
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
  // As on a developer's machine: no runner files.
  delete env.GITHUB_OUTPUT;
  delete env.GITHUB_STEP_SUMMARY;
  const child = spawn('npx', ['--yes', LOCAL_ACTION, '.', 'src/main.ts', envFile], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (chunk) => (log += chunk));
  child.stderr.on('data', (chunk) => (log += chunk));
  const code = await new Promise((resolve) => child.on('close', resolve));
  return { log, code };
}

/** The rows of local-action's "Action Outputs" table: output name → value. */
function outputsTable(/** @type {string} */ log) {
  const table = log.slice(log.lastIndexOf('Action Outputs'));
  return Object.fromEntries([...table.matchAll(/^│ *\d+ *│ *'([^']+)' *│ *'(.*)' *│$/gm)].map((row) => [row[1], row[2]]));
}

/** A stack trace: local-action prints one when the action, or local-action itself, threw or exited non-zero. */
const hasStackTrace = (/** @type {string} */ log) => /^\s+at .+[:(]/m.test(log) || /Error: Command failed/.test(log);

/** The log made inert for the runner that shows it: local-action prints workflow commands as they were given. */
const inert = (/** @type {string} */ log) => log.replace(/^(\s*)::/gm, '$1: :').replace(/##\[/g, '## [');

const sim = await startSimulator();
const dir = await mkdtemp(join(tmpdir(), 'local-action-'));
const problems = [];
try {
  const pass = await localRun(dir, { INPUT_BASE_URL: sim.url });
  const passOutputs = outputsTable(pass.log);
  if (passOutputs.passed !== 'true' || passOutputs.status !== 'completed' || passOutputs.run_id !== 'exprun_pass') problems.push(`the passing run's outputs are not in local-action's table: ${JSON.stringify(passOutputs)}`);
  if (/No outputs were set!/.test(pass.log)) problems.push('local-action says "No outputs were set!" for the passing run');
  if (/^::error::/m.test(pass.log)) problems.push('the passing run wrote an error');
  if (hasStackTrace(pass.log) || pass.code !== 0) problems.push(`the passing run ended with a stack trace or exit code ${pass.code}`);

  const low = await localRun(dir, { INPUT_BASE_URL: sim.url, INPUT_RUN_ID: 'exprun_low' });
  const lowOutputs = outputsTable(low.log);
  if (!/^::error::score 0\.62 is below the threshold 0\.85$/m.test(low.log)) problems.push('the failing gate did not end with its error annotation');
  if (lowOutputs.passed !== 'false' || lowOutputs.score !== '0.62') problems.push(`the failing gate's outputs are not in local-action's table: ${JSON.stringify(lowOutputs)}`);
  if (hasStackTrace(low.log)) problems.push('the failing gate ended with a stack trace');

  for (const [name, run] of /** @type {const} */ ([['passing run', pass], ['failing gate', low]])) {
    console.log(`--- local-action, the ${name} (exit code ${run.code}) ---`);
    console.log(inert(run.log));
  }
} finally {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
if (problems.length > 0) {
  for (const problem of problems) console.log(`NOT met: ${problem}`);
  process.exitCode = 1;
} else {
  console.log('Met: the outputs appear in local-action’s table, and a failing gate ends as a failed action (its error annotation, no stack trace).');
}
