/**
 * The runner's side of an action, as GitHub documents it (workflow commands): inputs in `INPUT_*`
 * variables, commands on stdout, outputs and the job summary appended to the files the runner
 * names. It does what `@actions/core` does for these, byte for byte, without loading the rest of
 * it: core's entry also loads its OIDC client (with a second HTTP stack) and its platform probe
 * (child processes), and the action's start paid for them.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { EOL } from 'node:os';

/** An input as the runner passes it: `INPUT_` + the name upper-cased, spaces as `_`; trimmed. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
}

export function setSecret(secret: string): void {
  issue('add-mask', secret);
}

export function setOutput(name: string, value: string): void {
  const file = process.env.GITHUB_OUTPUT || '';
  if (!file) {
    process.stdout.write(EOL);
    process.stdout.write(`::set-output name=${escapeProperty(name)}::${escapeData(value)}${EOL}`);
    return;
  }
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  // A delimiter nobody can guess, so a value cannot end its block early and write other outputs.
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`Unexpected output: it contains the delimiter "${delimiter}"`);
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' });
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

export function debug(message: string): void {
  issue('debug', message);
}

export function warning(message: string): void {
  issue('warning', message);
}

/** Logs the error and makes the process exit with 1; it does not stop anything. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  issue('error', message);
}

/** Appends to the job summary; false when the runner gave no summary file. */
export async function appendSummary(markdown: string): Promise<boolean> {
  const file = process.env.GITHUB_STEP_SUMMARY || '';
  if (!file) return false;
  await appendFile(file, markdown + EOL, { encoding: 'utf8' });
  return true;
}

function issue(command: string, message: string): void {
  process.stdout.write(`::${command}::${escapeData(message)}${EOL}`);
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
