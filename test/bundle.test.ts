/**
 * What the action's start loads: dist/index.js turns on the compile cache and loads the bundle in
 * dist/action/, which must not carry what the common path never uses (its start paid for them).
 * @actions/core's entry is the exception: it is the runner's I/O, and it brings undici's entry and
 * core's OIDC client with it (the floor in `npm run bench` pays for them too). undici is also the
 * transport: every request goes through it, from the start's bundle, and it is carried once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/run-action.js';

describe('the built action', () => {
  it('starts from a launcher that turns on the compile cache before loading the bundle', async () => {
    const launcher = await readFile(join(ROOT, 'dist', 'index.js'), 'utf8');
    expect(launcher.indexOf('enableCompileCache')).toBeGreaterThan(-1);
    expect(launcher.indexOf('enableCompileCache')).toBeLessThan(launcher.indexOf("import(new URL('./action/index.js'"));
  });

  it('talks to the runner through @actions/core; @actions/github is a chunk loaded only for a comment', async () => {
    const dir = join(ROOT, 'dist', 'action');
    const bundle = await readFile(join(dir, 'index.js'), 'utf8');
    // core's file commands (the outputs' delimiter) and its job summary, in the bundle the action starts with.
    expect(bundle).toContain('ghadelimiter_');
    expect(bundle).toContain('Check if your runtime environment supports job summaries');
    const octokit = (text: string) => text.includes('octokit-core.js/');
    expect(octokit(bundle)).toBe(false);
    const chunks = (await readdir(dir)).filter((file) => file.endsWith('.js') && file !== 'index.js');
    const withOctokit = await Promise.all(chunks.map(async (file) => octokit(await readFile(join(dir, file), 'utf8'))));
    expect(withOctokit.filter(Boolean)).toHaveLength(1);
  });

  it('carries undici, the transport, once: in the start’s bundle, not again in a chunk', async () => {
    const undici = (text: string) => text.includes('Proxy-Authorization should be sent in ProxyAgent constructor') && text.includes('AGFzbQ'); // its proxy agent, its WebAssembly HTTP parser
    const dir = join(ROOT, 'dist', 'action');
    const chunks = (await readdir(dir)).filter((file) => file.endsWith('.js') && file !== 'index.js');
    expect(undici(await readFile(join(dir, 'index.js'), 'utf8'))).toBe(true);
    const withUndici = await Promise.all(chunks.map(async (file) => undici(await readFile(join(dir, file), 'utf8'))));
    expect(withUndici.filter(Boolean)).toHaveLength(0);
  });

  it('carries zod’s mini layer with its English messages, neither its classic layer nor another locale', async () => {
    const dir = join(ROOT, 'dist', 'action');
    const chunks = (await readdir(dir)).filter((file) => file.endsWith('.js'));
    const bundle = (await Promise.all(chunks.map((file) => readFile(join(dir, file), 'utf8')))).join('\n');
    // Each schema class is made by a constructor that takes its name: `ZodMiniObject` in the mini
    // layer, `ZodObject` in the classic one, which costs the start several milliseconds more.
    expect(bundle).toContain('"ZodMiniObject"');
    expect(bundle).not.toMatch(/"Zod(?:Type|Object|String|Number|Error)"/);
    // Every locale gives its messages as `{ localeError: … }`: English alone is loaded.
    expect(bundle).toContain('Invalid input: expected ');
    expect(bundle.match(/\blocaleError:/g)).toHaveLength(1);
  });
});
