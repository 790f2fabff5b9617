// @ts-check
/**
 * Writes dist/licenses.txt for every package bundled in dist/, across all chunks. ncc's own
 * `--license` file is written once per chunk, each overwriting the last, so a lazily loaded chunk
 * (the `@actions/github` one) would leave the main bundle's packages out.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ROOT } from '../test/support/run-action.js';

const dist = join(ROOT, 'dist');
/** @type {Map<string, string>} package name → its directory */
const packages = new Map();
for (const file of await readdir(dist)) {
  if (!file.endsWith('.js.map')) continue;
  /** @type {{ sources: string[] }} */
  const map = JSON.parse(await readFile(join(dist, file), 'utf8'));
  for (const source of map.sources) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source.slice(source.lastIndexOf('node_modules/')));
    if (!match?.[1]) continue;
    // Sources are relative to build/, where ncc started; nested copies keep their own path.
    const prefix = source.slice(0, source.lastIndexOf('node_modules/'));
    packages.set(match[1], resolve(ROOT, 'build', prefix, 'node_modules', match[1]));
  }
}

const sections = [];
for (const [name, dir] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const licenseFile = (await readdir(dir)).find((entry) => /^(license|licence|copying)(\.|$)/i.test(entry));
  const text = licenseFile ? (await readFile(join(dir, licenseFile), 'utf8')).trim() : '';
  sections.push(`${name}\n${manifest.license ?? 'UNKNOWN'}\n${text}\n`);
}
await writeFile(join(dist, 'licenses.txt'), sections.join('\n'));
console.log(`dist/licenses.txt: ${packages.size} packages`);
