/**
 * What the action's start loads: dist/index.js turns on the compile cache and loads the bundle in
 * dist/action/, which must not carry what the common path never uses (its start paid for them).
 */
import { readFile } from 'node:fs/promises';
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
});
