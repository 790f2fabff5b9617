/**
 * The layout the reader of `src/` relies on (docs/architecture.md): the root holds only the entry
 * and the wiring; every other module lives in the folder of its stage, and a module imports only
 * from its own folder or from a stage before it, so imports run one way, down the flow, and no
 * two modules import each other, directly or around a circle.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/run-action.js';

/** The stages, in the order data flows; `common` serves them all, `runner` is the edge with the runner. */
const STAGES = ['common', 'retab', 'inputs', 'start', 'wait', 'details', 'verdict', 'gate', 'report', 'github', 'many', 'runner'];
const SRC = join(ROOT, 'src');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : Promise.resolve(entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []))));
  return nested.flat();
}

/** The modules a file imports (static and dynamic), as absolute paths of their `.ts` sources. */
async function importsOf(file: string): Promise<string[]> {
  const source = await readFile(file, 'utf8');
  const specifiers = [...source.matchAll(/(?:^\s*(?:import|export)\s[^'"]*?from\s+|import\(\s*)'(\.[^']+)'/gm)].map((match) => match[1] ?? '');
  return specifiers.map((specifier) => resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
}

const stageOf = (file: string): string => {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? 'root' : (parts[0] ?? '');
};
const rank = (stage: string) => (stage === 'root' ? STAGES.length : STAGES.indexOf(stage));

describe('layout', () => {
  it('the root holds only the entry and the wiring, every other module a stage folder', async () => {
    const entries = await readdir(SRC, { withFileTypes: true });
    const rootModules = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
    expect(rootModules.length).toBeLessThanOrEqual(4);
    expect(rootModules.sort()).toEqual(['action.ts', 'index.ts', 'main.ts']);
    const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(folders.filter((folder) => !STAGES.includes(folder))).toEqual([]);
  });

  it('imports run down the flow: a module imports only its own folder or an earlier stage', async () => {
    const upward: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      for (const target of await importsOf(file)) {
        if (rank(stageOf(target)) > rank(stageOf(file))) upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('no import circle, within a folder either', async () => {
    const files = await sourceFiles(SRC);
    const graph = new Map(await Promise.all(files.map(async (file) => [file, await importsOf(file)] as const)));
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('the Retab client knows nothing of the action above it: only its own modules and the common tools', async () => {
    const outside: string[] = [];
    for (const file of await sourceFiles(join(SRC, 'retab'))) {
      for (const target of await importsOf(file)) if (!['retab', 'common'].includes(stageOf(target))) outside.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
    expect(outside).toEqual([]);
  });

  it('the bounded collections live beside the reads that use them, not in the report', async () => {
    const report = await readdir(join(SRC, 'report'));
    expect(report).not.toContain('bounded.ts');
    expect(await importsOf(join(SRC, 'details', 'run-details.ts'))).toContain(join(SRC, 'details', 'bounded.ts'));
  });
});
