/** The release workflow's decisions (scripts/release.js): the tag, the notes from CHANGELOG.md, the major tag. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isNewestOfMajor, parseReleaseTag, releaseNotes } from '../scripts/release.js';
import { ROOT } from './support/run-action.js';

const CHANGELOG = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');

const SAMPLE = `# Changelog

Intro text.

## [Unreleased]

### Added
- Something new.

## [1.1.0] - 2027-01-10

### Fixed
- A fix.

## 1.0.0 - 2026-12-01

### Added
- The first release.

[Unreleased]: https://github.com/your-org/retab-experiment-gate/compare/v1.1.0...HEAD
[1.1.0]: https://github.com/your-org/retab-experiment-gate/compare/v1.0.0...v1.1.0
`;

describe('parseReleaseTag', () => {
  it('reads vMAJOR.MINOR.PATCH', () => {
    expect(parseReleaseTag('v1.20.3')).toEqual({ major: 1, minor: 20, patch: 3, version: '1.20.3' });
  });

  it.each(['1.2.3', 'v1.2', 'v1', 'v1.2.3-rc.1', 'v01.2.3', 'v1.2.3 ', 'refs/tags/v1.2.3'])('refuses %j, saying what it expects', (tag) => {
    expect(() => parseReleaseTag(tag)).toThrow(`"${tag}" is not a release tag: expected vMAJOR.MINOR.PATCH`);
  });
});

describe('releaseNotes', () => {
  it("is the version's section, without its heading, the next section or the link definitions", () => {
    expect(releaseNotes(SAMPLE, '1.1.0')).toBe('### Fixed\n- A fix.\n');
    expect(releaseNotes(SAMPLE, '1.0.0')).toBe('### Added\n- The first release.\n');
  });

  it('does not take 1.1.0 for 1.1.00 or 11.0 for 1.1.0', () => {
    expect(() => releaseNotes(SAMPLE, '1.1.00')).toThrow('no section for 1.1.00');
    expect(() => releaseNotes(SAMPLE.replace('## [1.1.0]', '## [11.1.0]'), '1.1.0')).toThrow('no section for 1.1.0');
  });

  it('fails clearly when the version has no section, saying what to do', () => {
    expect(() => releaseNotes(SAMPLE, '2.0.0')).toThrow(
      'CHANGELOG.md has no section for 2.0.0. Before tagging, move the notes under "## [Unreleased]" to a new "## [2.0.0] - YYYY-MM-DD" heading and commit it.',
    );
  });

  it('fails when the section is empty', () => {
    expect(() => releaseNotes('## [1.0.0] - 2026-12-01\n\n## [0.9.0]\n- x\n', '1.0.0')).toThrow("CHANGELOG.md's section for 1.0.0 is empty");
  });

  it('reads CRLF files', () => {
    expect(releaseNotes(SAMPLE.replace(/\n/g, '\r\n'), '1.1.0')).toBe('### Fixed\n- A fix.\n');
  });
});

describe('CHANGELOG.md', () => {
  it('has the Unreleased notes, which become the first release once their heading names it', () => {
    expect(releaseNotes(CHANGELOG, 'Unreleased')).toContain('### Added');
    const released = CHANGELOG.replace('## [Unreleased]', '## [1.0.0] - 2026-12-01');
    const notes = releaseNotes(released, '1.0.0');
    expect(notes).toMatch(/^### Added\n/);
    expect(notes).not.toContain('# Changelog');
  });
});

describe('isNewestOfMajor', () => {
  const tags = ['v1', 'v1.0.0', 'v1.1.0', 'v1.2.0', 'v2.0.0', 'v2', 'v1.3.0-rc.1', 'not-a-version', ''];

  it('is true for a release newer than every other of its major version', () => {
    expect(isNewestOfMajor('v1.3.0', [...tags, 'v1.3.0'])).toBe(true);
    expect(isNewestOfMajor('v1.2.1', tags)).toBe(true);
    expect(isNewestOfMajor('v3.0.0', tags)).toBe(true);
  });

  it('is false for a fix of an older minor version: the major tag must not move back', () => {
    expect(isNewestOfMajor('v1.1.1', tags)).toBe(false);
    expect(isNewestOfMajor('v1.0.5', tags)).toBe(false);
  });

  it('compares numbers, not text (v1.10.0 is newer than v1.9.0)', () => {
    expect(isNewestOfMajor('v1.10.0', ['v1.9.0'])).toBe(true);
    expect(isNewestOfMajor('v1.9.0', ['v1.10.0'])).toBe(false);
  });
});

describe('node scripts/release.js', () => {
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'release.js'), ...args], { cwd: ROOT }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  it("fails when the tag is not package.json's version, saying how to set it", async () => {
    const result = await run('notes', 'v9.9.9');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("::error::package.json's version is");
    expect(result.stderr).toContain('npm version 9.9.9 --no-git-tag-version');
  });

  it('fails on a tag that is not vX.Y.Z', async () => {
    const result = await run('notes', 'latest');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"latest" is not a release tag');
  });

  it("fails on package.json's current version while CHANGELOG.md has no section for it", async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const hasSection = new RegExp(`^## \\[?${version.replace(/\./g, '\\.')}\\]?`, 'm').test(CHANGELOG);
    const result = await run('notes', `v${version}`);
    expect(result.code).toBe(hasSection ? 0 : 1);
    if (!hasSection) expect(result.stderr).toContain(`CHANGELOG.md has no section for ${version}`);
  });
});
