/**
 * The runner's side of the action: `runnerIO` (src/main.ts) is a thin adapter over @actions/core.
 * What it writes is pinned here as the runner reads it (workflow commands on stdout, the
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), byte for byte, so that a change of core, or of the
 * adapter, that would change what the runner sees fails here. The second half does the same
 * through the built action, for the runner's files missing or unset.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runnerIO } from '../src/runner/io.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { parseOutputFile, runAction } from './support/run-action.js';
import { unexpectedCommands, workflowCommands } from './support/workflow-commands.js';

const awkward = ['plain', 'a%b\r\nc:d,e', 'multi\nline\n', '', '::error::inside'];

/** How a workflow command's message is escaped, as the runner unescapes it. */
const escapeData = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

let dir: string;
let saved: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'commands-'));
  saved = { ...process.env };
});
afterEach(async () => {
  process.env = saved;
  process.exitCode = undefined;
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/**
 * The job summary's file, one for the whole file: core keeps the path of the first summary it
 * writes (on a runner it never changes), so every test here writes to this one.
 */
let summaryDir: string;
let summaryFile: string;
beforeAll(async () => {
  summaryDir = await mkdtemp(join(tmpdir(), 'summary-'));
  summaryFile = join(summaryDir, 'summary');
});
afterAll(async () => {
  await rm(summaryDir, { recursive: true, force: true });
});

/** What `act` writes on stdout. */
async function stdoutOf(act: () => unknown): Promise<string> {
  let written = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written += String(chunk);
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return written;
}

describe('runnerIO: the runner through @actions/core', () => {
  it.each(awkward)('logs, masks, warns and fails with the documented commands: %j', async (text) => {
    expect(await stdoutOf(() => runnerIO.setSecret(text))).toBe(`::add-mask::${escapeData(text)}\n`);
    expect(await stdoutOf(() => runnerIO.info(text))).toBe(`${text}\n`);
    expect(await stdoutOf(() => runnerIO.debug(text))).toBe(`::debug::${escapeData(text)}\n`);
    expect(await stdoutOf(() => runnerIO.warning(text))).toBe(`::warning::${escapeData(text)}\n`);
    expect(process.exitCode).toBeUndefined();
    expect(await stdoutOf(() => runnerIO.setFailed(text))).toBe(`::error::${escapeData(text)}\n`);
    expect(process.exitCode).toBe(1);
  });

  it('reads inputs from the runner’s variables: the name upper-cased, spaces as `_`, trimmed, empty when unset', async () => {
    process.env.INPUT_BASE_URL = '  https://api.retab.com \n';
    process.env['INPUT_TWO_WORDS'] = ' x ';
    expect(['base_url', 'BASE_URL', 'two words', 'not_set'].map((name) => runnerIO.getInput(name))).toEqual(['https://api.retab.com', 'https://api.retab.com', 'x', '']);
  });

  it('writes each output to GITHUB_OUTPUT as a block with a delimiter of its own, multi-line values whole', async () => {
    const file = join(dir, 'output');
    await writeFile(file, '');
    process.env.GITHUB_OUTPUT = file;
    const written = await stdoutOf(() => awkward.forEach((value, i) => runnerIO.setOutput(`name${i}`, value)));
    expect(written).toBe('');
    const text = await readFile(file, 'utf8');
    const blocks = [...text.matchAll(/^(name\d)<<(ghadelimiter_[0-9a-f-]{36})\n([^]*?)\n\2\n/gm)];
    expect(blocks.map((block) => block[0]).join('')).toBe(text);
    expect(blocks.map((block) => [block[1], block[3]])).toEqual(awkward.map((value, i) => [`name${i}`, value]));
    expect(new Set(blocks.map((block) => block[2])).size).toBe(awkward.length);
    // A value cannot write another output: a line `x=y` inside one is its text.
    runnerIO.setOutput('run', 'a\nforged=true\n');
    expect(parseOutputFile(await readFile(file, 'utf8'))).toMatchObject({ run: 'a\nforged=true\n' });
    expect(parseOutputFile(await readFile(file, 'utf8'))).not.toHaveProperty('forged');
  });

  it('without GITHUB_OUTPUT (a local run), prints each output as an escaped `set-output` command instead', async () => {
    delete process.env.GITHUB_OUTPUT;
    for (const value of awkward) expect(await stdoutOf(() => runnerIO.setOutput('na:me', value))).toBe(`\n::set-output name=${escapeProperty('na:me')}::${escapeData(value)}\n`);
  });

  it('refuses an output file that does not exist', async () => {
    process.env.GITHUB_OUTPUT = join(dir, 'missing');
    expect(() => runnerIO.setOutput('name', 'x')).toThrow(/Missing file at path/);
  });

  it('appends to the job summary, the Markdown as given and a line end', async () => {
    await writeFile(summaryFile, 'before\n');
    process.env.GITHUB_STEP_SUMMARY = summaryFile;
    expect(await stdoutOf(() => runnerIO.writeSummary('# Title\n\n| a |'))).toBe('');
    await runnerIO.writeSummary('second');
    expect(await readFile(summaryFile, 'utf8')).toBe('before\n# Title\n\n| a |\nsecond\n');
  });

  it('a summary that could not be written is not written again with the next one', async () => {
    await rm(summaryFile, { force: true });
    await mkdir(summaryFile);
    process.env.GITHUB_STEP_SUMMARY = summaryFile;
    // A directory: appending to it fails.
    await expect(runnerIO.writeSummary('lost')).rejects.toThrow();
    await rm(summaryFile, { recursive: true });
    await writeFile(summaryFile, '');
    await runnerIO.writeSummary('kept');
    expect(await readFile(summaryFile, 'utf8')).toBe('kept\n');
  });

  it('without GITHUB_STEP_SUMMARY (a local run), prints the summary in the log, inert', async () => {
    delete process.env.GITHUB_STEP_SUMMARY;
    const written = await stdoutOf(() => runnerIO.writeSummary('# Title\n::error::forged\n| a |'));
    expect(written).toBe('Job summary (GITHUB_STEP_SUMMARY is not set):\n# Title\n: :error::forged\n| a |\n');
    expect(workflowCommands(written)).toEqual([]);
  });
});

describe('the built action, with the runner’s files missing or unset', () => {
  type Simulator = Awaited<ReturnType<typeof startSimulator>>;
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });
  const inputs = () => ({ run_id: 'exprun_pass', threshold: '0.85', api_key: sim.apiKey, base_url: sim.url, poll_interval: '100ms' });

  it('an output file that does not exist fails the step, after the summary is written', async () => {
    const result = await runAction({ inputs: inputs(), env: { GITHUB_OUTPUT: join(dir, 'missing') } });
    expect(result.exitCode).toBe(1);
    expect(result.summary).toContain('exprun\\_pass');
    const errors = workflowCommands(result.stdout).filter((command) => command.name === 'error');
    expect(errors.map((command) => command.data)).toEqual([expect.stringMatching(/^could not write the step's outputs: Missing file at path: /)]);
    expect(result.stdout.indexOf('The run passed the gate.')).toBeLessThan(result.stdout.indexOf('::error::'));
  });

  it('without GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, passes with its outputs and its summary in the log', async () => {
    const result = await runAction({ inputs: inputs(), env: { GITHUB_OUTPUT: undefined, GITHUB_STEP_SUMMARY: undefined } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('\n::set-output name=passed::true\n');
    expect(result.stdout).toContain('\n::set-output name=status::completed\n');
    expect(result.stdout).toContain('Job summary (GITHUB_STEP_SUMMARY is not set):\n');
    expect(unexpectedCommands(result.stdout, [sim.apiKey]).filter((command) => command.name !== 'set-output')).toEqual([]);
  });
});
