/**
 * A local run as the README gives it (`npx @github/local-action . src/main.ts .env`), reproduced
 * without the download (`npm run local-action` runs local-action itself). local-action loads the
 * .env file into the environment and stands in for @actions/core, through which the action reads
 * its inputs: it fills in action.yml's defaults, but passes `${{ github.token }}` as written. Both
 * are here: the .env file's INPUT_* variables alone (as any tool that only sets the environment
 * runs the action), and with the defaults filled in as local-action does.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSimulator } from './simulator/retab-simulator.js';
import { ROOT, runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

/** `KEY=VALUE` lines of a dotenv file; comments and blank lines skipped. */
function readDotenv(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => [match[1] ?? '', (match[2] ?? '').trim()]);
  return Object.fromEntries(entries);
}

/** Every input as a tool that fills in defaults passes it (local-action's @actions/core stand-in): `INPUT_<NAME>`, else action.yml's default text. */
async function localActionInputs(variables: Record<string, string>): Promise<Record<string, string>> {
  const action = parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: unknown }> };
  return Object.fromEntries(
    Object.entries(action.inputs).map(([name, spec]) => [name, variables[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || (spec.default === undefined ? '' : String(spec.default))]),
  );
}

async function exampleVariables(): Promise<Record<string, string>> {
  const variables = readDotenv(await readFile(join(ROOT, '.env.example'), 'utf8'));
  return { ...variables, INPUT_BASE_URL: sim.url };
}

/** The built action with exactly these variables as its inputs: every other INPUT_* unset, as under local-action. */
async function runWithOnly(variables: Record<string, string>) {
  const action = parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
  const unset = Object.fromEntries(Object.keys(action.inputs).map((name) => [`INPUT_${name.toUpperCase()}`, undefined]));
  return runAction({ inputs: {}, env: { ...unset, ...variables } });
}

describe('a local run', () => {
  it('.env.example names every variable it sets after an input action.yml has', async () => {
    const action = parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
    const known = new Set(Object.keys(action.inputs).map((name) => `INPUT_${name.toUpperCase()}`));
    const inputVariables = Object.keys(readDotenv(await readFile(join(ROOT, '.env.example'), 'utf8'))).filter((name) => name.startsWith('INPUT_'));
    expect(inputVariables.length).toBeGreaterThan(0);
    expect(inputVariables.filter((name) => !known.has(name))).toEqual([]);
  });

  it('with .env.example, gates the run and passes', async () => {
    const result = await runWithOnly(await exampleVariables());
    expect(result.stderr).toBe('');
    expect(result.outputs).toMatchObject({ passed: 'true', status: 'completed', run_id: 'exprun_pass' });
    expect(result.exitCode).toBe(0);
  });

  it.each([
    ['INPUT_RUN_ID', 'run_id'],
    ['INPUT_THRESHOLD', 'threshold'],
    ['INPUT_MAX_ERRORS', 'max_errors'],
    ['INPUT_TIMEOUT', 'timeout'],
    ['INPUT_API_KEY', 'api_key'],
  ])('without %s, and nothing to fill in the defaults, fails on the input %s before any request', async (variable, input) => {
    const { [variable]: _, ...rest } = await exampleVariables();
    const before = sim.requests.length;
    const result = await runWithOnly(rest);
    expect(sim.requests.length).toBe(before);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'input_error' });
    expect(result.stdout).toContain(`::error::Input \`${input}\``);
  });

  it('with the defaults filled in as written (github_token is `${{ github.token }}`) and no comment, passes', async () => {
    const inputs = await localActionInputs({ INPUT_RUN_ID: 'exprun_pass', INPUT_THRESHOLD: '0.85', INPUT_API_KEY: sim.apiKey, INPUT_BASE_URL: sim.url, INPUT_POLL_INTERVAL: '100ms' });
    expect(inputs).toMatchObject({ comment: 'false', github_token: '${{ github.token }}', max_errors: '0', timeout: '30m' });
    const result = await runAction({ inputs });
    expect(result.outputs).toMatchObject({ passed: 'true', status: 'completed' });
    expect(result.exitCode).toBe(0);
  });

  it('with a comment asked for, the unevaluated token is an input error, before any request', async () => {
    const inputs = await localActionInputs({ ...(await exampleVariables()), INPUT_COMMENT: 'true' });
    const before = sim.requests.length;
    const result = await runAction({ inputs });
    expect(sim.requests.length).toBe(before);
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'input_error' });
    expect(result.stdout).toContain('::error::Input `github_token`');
    expect(result.stdout).toContain('the action ran outside a workflow');
  });
});
