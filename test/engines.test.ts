/**
 * `npm ci` on the oldest Node the project supports prints no `EBADENGINE` for what the action ships:
 * every runtime package in the lock file admits that Node in its `engines`. (A dev tool that needs
 * a newer Node is the developer's business; what the action runs must not.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/run-action.js';

type Version = [number, number, number];

const UNDICI_FLOOR = '20.18.1';

function parseVersion(text: string): Version {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`not a version: ${text}`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` satisfies an `engines` range of the forms npm packages use here: `>=20`, `>= 0.6`, `>=0.6.11 <=0.7.0 || >=0.7.3`. */
function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  return range.split('||').some((set) =>
    set
      .trim()
      .replace(/(>=|<=|>|<|=)\s+/g, '$1')
      .split(/\s+/)
      .every((comparator) => {
        const match = /^(>=|<=|>|<|=)?(.+)$/.exec(comparator);
        if (!match) throw new Error(`not a comparator: ${comparator}`);
        const order = compare(v, parseVersion(match[2] ?? ''));
        return { '>=': order >= 0, '<=': order <= 0, '>': order > 0, '<': order < 0, '=': order === 0 }[match[1] ?? '='];
      }),
  );
}

describe('engines', () => {
  it('reads ranges as npm does', () => {
    expect(satisfies('20.18.1', '>=20.18.1')).toBe(true);
    expect(satisfies('20.18.0', '>=20.18.1')).toBe(false);
    expect(satisfies('20.18.1', '>= 20')).toBe(true);
    expect(satisfies('20.18.1', '>=22')).toBe(false);
    expect(satisfies('20.18.1', '>=0.6.11 <=0.7.0 || >=0.7.3')).toBe(true);
    expect(satisfies('0.7.1', '>=0.6.11 <=0.7.0 || >=0.7.3')).toBe(false);
  });

  it('every runtime dependency runs on the oldest Node the project supports', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    // `engines` says `>=20.18` (the Node 20 line the development tools support); undici's own floor
    // is its first patch release, 20.18.1, so that is the oldest Node a runtime package is held to.
    const floor = /^>=\s*(\S+)$/.exec(pkg.engines.node)?.[1] ?? '';
    const oldest = compare(parseVersion(floor), parseVersion(UNDICI_FLOOR)) < 0 ? UNDICI_FLOOR : floor;
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; version?: string; engines?: { node?: string } }> };
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !entry.dev && entry.engines?.node !== undefined && !satisfies(oldest, entry.engines.node))
      .map(([path, entry]) => `${path}@${entry.version}: node ${entry.engines?.node}`);
    expect(refusing).toEqual([]);
  });
});
