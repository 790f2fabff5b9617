// @ts-check
/**
 * Writes dist/licenses.txt for every package bundled in dist/, across all chunks, from ncc's
 * webpack stats (`--stats-out build/ncc-stats.json`). ncc's own `--license` file is written once
 * per chunk, each overwriting the last, so a lazily loaded chunk (the `@actions/github` one) would
 * leave the main bundle's packages out.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ROOT } from '../test/support/run-action.js';

/** @typedef {{ name?: string, identifier?: string, modules?: StatsModule[] }} StatsModule */
/** @type {{ modules?: StatsModule[] }} */
const stats = JSON.parse(await readFile(join(ROOT, 'build', 'ncc-stats.json'), 'utf8'));
/** @type {Map<string, string>} package name → its directory */
const packages = new Map();
/** @param {StatsModule[]} modules */
function collect(modules) {
  for (const module of modules) {
    const path = module.name ?? '';
    const at = path.lastIndexOf('node_modules/');
    const match = at < 0 ? null : /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path.slice(at));
    if (match?.[1]) packages.set(match[1], resolve(ROOT, path.slice(0, at), 'node_modules', match[1]));
    if (module.modules) collect(module.modules);
  }
}
collect(stats.modules ?? []);

const sections = [];
for (const [name, dir] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const licenseFile = (await readdir(dir)).find((entry) => /^(license|licence|copying)(\.|$)/i.test(entry));
  const text = licenseFile ? (await readFile(join(dir, licenseFile), 'utf8')).trim() : '';
  sections.push(`${name}\n${manifest.license ?? 'UNKNOWN'}\n${text}\n`);
}
await writeFile(join(ROOT, 'dist', 'licenses.txt'), sections.join('\n'));
console.log(`dist/licenses.txt: ${packages.size} packages`);
