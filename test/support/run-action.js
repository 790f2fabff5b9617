// @ts-check
/**
 * Run the built action the way the runner does: `node dist/index.js` with `INPUT_*` variables
 * (action.yml's defaults filled in), and `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` files read back.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ACTION_ENTRY = join(ROOT, 'dist', 'index.js');

/**
 * action.yml's input defaults, as the runner would pass them.
 * @param {{ matrix?: unknown }} [job] the job's matrix values (none: not a matrix job)
 * @returns {Promise<Record<string, string>>}
 */
export async function actionDefaults(job = {}) {
  const action = parse(await readFile(join(ROOT, 'action.yml'), 'utf8'));
  /** @type {Record<string, string>} */
  const defaults = {};
  for (const [name, spec] of Object.entries(action.inputs ?? {})) defaults[name] = spec.default === undefined ? '' : String(spec.default);
  // The runner evaluates the expressions in defaults: the job's token (empty here), and the matrix,
  // which `toJSON` writes pretty-printed with two spaces, as `null` outside a matrix job.
  for (const [name, value] of Object.entries(defaults)) {
    defaults[name] = value
      .replace(/\$\{\{\s*github\.token\s*\}\}/g, '')
      .replace(/\$\{\{\s*toJSON\(matrix\)\s*\}\}/g, () => JSON.stringify(job.matrix ?? null, null, 2));
  }
  return defaults;
}

/** The runner's variable for an input: `INPUT_` + the name upper-cased, spaces as `_`. */
export function inputVariable(/** @type {string} */ name) {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Parse a GITHUB_OUTPUT file (`name<<delimiter` blocks, or `name=value` lines). */
export function parseOutputFile(/** @type {string} */ text) {
  /** @type {Record<string, string>} */
  const outputs = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]);
      outputs[name ?? ''] = value.join('\n');
    } else if (line.includes('=')) {
      const at = line.indexOf('=');
      outputs[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return outputs;
}

/**
 * @param {object} options
 * @param {Record<string, string>} options.inputs inputs given in the workflow's `with:`
 * @param {Record<string, string | undefined>} [options.env] extra environment
 * @param {unknown} [options.matrix] the job leg's matrix values, for action.yml's `toJSON(matrix)` default
 * @param {(child: import('node:child_process').ChildProcess, output: { stdout: string }) => void} [options.onStart]
 * @param {string} [options.node] the node binary (this one by default)
 * @param {string[]} [options.nodeArgs] arguments for node before the entry (e.g. `--import` a probe)
 * @param {string} [options.entry] the script to run (dist/index.js by default)
 * @param {number} [options.killAfterMs] a safety net for tests: SIGKILL after this long
 */
export async function runAction(options) {
  const dir = await mkdtemp(join(tmpdir(), 'retab-gate-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const inputs = { ...(await actionDefaults({ matrix: options.matrix })), ...options.inputs };
  /** @type {Record<string, string | undefined>} */
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [inputVariable(name), value])),
    ...options.env,
  };
  const started = Date.now();
  const child = spawn(options.node ?? process.execPath, [...(options.nodeArgs ?? []), options.entry ?? ACTION_ENTRY], { env: /** @type {NodeJS.ProcessEnv} */ (env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  options.onStart?.(child, output);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
  /** @type {{ code: number | null, signal: NodeJS.Signals | null }} */
  const exit = await new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  clearTimeout(killer);
  const result = {
    exitCode: exit.code,
    signal: exit.signal,
    durationMs: Date.now() - started,
    stdout: output.stdout,
    stderr: output.stderr,
    outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8'),
    /** @type {string | null} the JSON report file's text, read back before the directory is removed */
    report: null,
  };
  const reportPath = result.outputs.report_path;
  if (reportPath) result.report = await readFile(reportPath, 'utf8').catch(() => null);
  await rm(dir, { recursive: true, force: true });
  return result;
}
