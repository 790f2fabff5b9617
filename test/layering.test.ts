/**
 * The layering the reader of `src/` relies on: the Retab client (`src/retab/`) is the bottom layer
 * and knows nothing of the action's inputs; it may use only its own modules, the environment type
 * and the untrusted-text tools. The bounded collections serve the reads, not the report.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/run-action.js';

const ALLOWED_OUTSIDE_RETAB = new Set(['../env.js', '../api-text.js']);

function relativeImports(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm)].map((match) => match[1] ?? '');
}

describe('layering', () => {
  it('src/retab/ imports nothing from the action above it', async () => {
    const dir = join(ROOT, 'src', 'retab');
    const outside: string[] = [];
    for (const file of await readdir(dir)) {
      const source = await readFile(join(dir, file), 'utf8');
      for (const path of relativeImports(source)) if (path.startsWith('../') && !ALLOWED_OUTSIDE_RETAB.has(path)) outside.push(`${file}: ${path}`);
    }
    expect(outside).toEqual([]);
  });

  it('the bounded collections live beside the reads that use them, not in the report', async () => {
    const report = await readdir(join(ROOT, 'src', 'report'));
    expect(report).not.toContain('bounded.ts');
    const reads = await readFile(join(ROOT, 'src', 'run-details.ts'), 'utf8');
    expect(relativeImports(reads)).toContain('./bounded.js');
  });
});
