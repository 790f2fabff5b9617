// @ts-check
/** `npm run check-dist`: rebuild dist/ and fail when it differs from what is committed. */
import { execFileSync } from 'node:child_process';

execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
const changed = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { encoding: 'utf8' });
if (changed.trim()) {
  console.error(`dist/ does not match the source. Run \`npm run build\` and commit dist/:\n${changed}`);
  console.error(execFileSync('git', ['diff', '--stat', '--', 'dist'], { encoding: 'utf8' }));
  process.exit(1);
}
console.log('dist/ matches the source.');
