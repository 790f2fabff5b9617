// @ts-check
/**
 * The last step of `npm run build`: dist/index.js is src/index.ts as tsc compiled it (it only turns
 * on the compile cache and loads the bundle in dist/action/, so it is not bundled itself), with
 * dist/package.json marking it as an ES module.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../test/support/run-action.js';

const launcher = (await readFile(join(ROOT, 'build', 'index.js'), 'utf8')).replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
await writeFile(join(ROOT, 'dist', 'index.js'), launcher);
await writeFile(join(ROOT, 'dist', 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
