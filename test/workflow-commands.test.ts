/**
 * The runner's side of the action without @actions/core: every command and file written must be
 * what core itself writes for the same call, so the runner reads the same thing.
 */
import * as core from '@actions/core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as commands from '../src/workflow-commands.js';

const awkward = ['plain', 'a%b\r\nc:d,e', 'multi\nline\n', '', '::error::inside'];

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

/** What `act` writes on stdout. */
function stdoutOf(act: () => void): string {
  let written = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written += String(chunk);
    return true;
  });
  act();
  spy.mockRestore();
  return written;
}

/** Each heredoc delimiter replaced by its order of appearance: they are random. */
const sameDelimiters = (text: string) => {
  const seen: string[] = [];
  return text.replace(/ghadelimiter_[0-9a-f-]+/g, (d) => `delimiter_${seen.includes(d) ? seen.indexOf(d) : seen.push(d) - 1}`);
};

describe('workflow commands, as @actions/core writes them', () => {
  it.each(awkward)('logs, masks, warns and fails alike: %j', (text) => {
    for (const name of ['setSecret', 'info', 'debug', 'warning'] as const) {
      expect(stdoutOf(() => commands[name](text))).toBe(stdoutOf(() => core[name](text)));
    }
    expect(stdoutOf(() => commands.setFailed(text))).toBe(stdoutOf(() => core.setFailed(text)));
    expect(process.exitCode).toBe(1);
  });

  it('reads inputs alike: the runner’s variable name, trimmed, empty when unset', () => {
    process.env.INPUT_BASE_URL = '  https://api.retab.com \n';
    process.env['INPUT_TWO_WORDS'] = ' x ';
    for (const name of ['base_url', 'BASE_URL', 'two words', 'not_set']) expect(commands.getInput(name)).toBe(core.getInput(name));
  });

  it('writes outputs to GITHUB_OUTPUT alike, and through stdout without it', async () => {
    const ours = join(dir, 'ours');
    const theirs = join(dir, 'theirs');
    await writeFile(ours, '');
    await writeFile(theirs, '');
    for (const [file, api] of [[ours, commands], [theirs, core]] as const) {
      process.env.GITHUB_OUTPUT = file;
      for (const value of awkward) api.setOutput('name', value);
    }
    expect(sameDelimiters(await readFile(ours, 'utf8'))).toBe(sameDelimiters(await readFile(theirs, 'utf8')));

    delete process.env.GITHUB_OUTPUT;
    for (const value of awkward) expect(stdoutOf(() => commands.setOutput('na:me', value))).toBe(stdoutOf(() => core.setOutput('na:me', value)));
  });

  it('refuses an output file that does not exist, as core does', () => {
    process.env.GITHUB_OUTPUT = join(dir, 'missing');
    expect(() => commands.setOutput('name', 'x')).toThrow(/Missing file at path/);
  });

  it('appends to the job summary alike, and says when there is no summary file', async () => {
    const ours = join(dir, 'ours');
    const theirs = join(dir, 'theirs');
    await writeFile(ours, 'before\n');
    await writeFile(theirs, 'before\n');
    process.env.GITHUB_STEP_SUMMARY = ours;
    expect(await commands.appendSummary('# Title\n\n| a |')).toBe(true);
    process.env.GITHUB_STEP_SUMMARY = theirs;
    await core.summary.addRaw('# Title\n\n| a |', true).write();
    expect(await readFile(ours, 'utf8')).toBe(await readFile(theirs, 'utf8'));

    delete process.env.GITHUB_STEP_SUMMARY;
    expect(await commands.appendSummary('x')).toBe(false);
  });
});
