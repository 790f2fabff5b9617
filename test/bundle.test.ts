/**
 * What the action's start loads: dist/index.js turns on the compile cache and loads the bundle in
 * dist/action/, which must not carry what the common path never uses (its start paid for them).
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

  it('loads neither undici’s fetch, WebSocket and EventSource nor @actions/core’s OIDC client on start', async () => {
    const bundle = await readFile(join(ROOT, 'dist', 'action', 'index.js'), 'utf8');
    expect(bundle).not.toContain('ACTIONS_ID_TOKEN_REQUEST_URL');
    expect(bundle).not.toContain('EventSource');
    expect(bundle).not.toMatch(/class \w+ extends EventTarget\{.{0,200}binaryType/);
  });

  it('carries requests with Node’s own http on start; undici, for a proxy, is a chunk loaded only then', async () => {
    const undici = (text: string) => text.includes('Proxy-Authorization should be sent in ProxyAgent constructor') && text.includes('AGFzbQ'); // its proxy agent, its WebAssembly HTTP parser
    const dir = join(ROOT, 'dist', 'action');
    const chunks = (await readdir(dir)).filter((file) => file.endsWith('.js') && file !== 'index.js');
    expect(undici(await readFile(join(dir, 'index.js'), 'utf8'))).toBe(false);
    const withUndici = await Promise.all(chunks.map(async (file) => undici(await readFile(join(dir, file), 'utf8'))));
    expect(withUndici.filter(Boolean)).toHaveLength(1);
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
