/** The release workflow's decisions (scripts/release.js): the tag, the notes from CHANGELOG.md, the major tag. */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commandData, isNewestOfMajor, moveMajorTag, parseReleaseTag, releaseNotes } from '../scripts/release.js';
import { ROOT } from './support/run-action.js';
import { workflowCommands } from './support/workflow-commands.js';

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

type Step = { name?: string; run?: string; env?: Record<string, string> };
type Workflow = { concurrency?: { group?: string; 'cancel-in-progress'?: boolean } | string; jobs: Record<string, { concurrency?: unknown; steps: Step[] }> };
const RELEASE_WORKFLOW = parse(readFileSync(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8')) as Workflow;

/** A CHANGELOG section that is all workflow commands, in every form the runner reads. */
const HOSTILE_NOTES = ['### Fixed', '::error::PWNED', '  ::add-mask::everything', '::stop-commands::pause', '::set-output name=x::y', '##[warning]old form', 'a line\r::warning::after a carriage return'].join('\n');

const temporaryDirs: string[] = [];
afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'retab-release-'));
  temporaryDirs.push(dir);
  return dir;
}

/** A checkout of version 1.2.3 whose CHANGELOG section is `notes`, with this repository's scripts/release.js. */
function checkout(notes: string): string {
  const dir = temporaryDir();
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(ROOT, 'scripts', 'release.js'), join(dir, 'scripts', 'release.js'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.2.3', type: 'module' }));
  writeFileSync(join(dir, 'CHANGELOG.md'), `# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2027-01-10\n\n${notes}\n\n## [1.2.2] - 2027-01-01\n\n- older\n`);
  return dir;
}

describe('the release workflow never runs text from CHANGELOG.md as workflow commands', () => {
  const notesSteps = Object.values(RELEASE_WORKFLOW.jobs).flatMap((job) => job.steps.filter((step) => step.run?.includes('scripts/release.js notes')));

  it('has the steps that read the notes', () => {
    expect(notesSteps.length).toBeGreaterThanOrEqual(2);
  });

  it.each(notesSteps.map((step) => [step.name ?? '', step] as const))('%s: writes the notes to a file, and nothing of them to the log', (_, step) => {
    const dir = checkout(HOSTILE_NOTES);
    const runnerTemp = temporaryDir();
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_ACTIONS: 'true', RUNNER_TEMP: runnerTemp, TAG: 'v1.2.3', ...step.env };
    // As the runner runs a `run:` step: bash, from the checkout.
    const log = execFileSync('bash', ['-e', '-o', 'pipefail', '-c', step.run ?? ''], { cwd: dir, env: { ...env, TAG: 'v1.2.3' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(workflowCommands(log)).toEqual([]);
    expect(log).not.toContain('PWNED');
    expect(readFileSync(join(runnerTemp, 'notes.md'), 'utf8')).toBe(`${HOSTILE_NOTES}\n`);
  });

  it('in a workflow, the script refuses to print the notes to the log', async () => {
    const dir = checkout(HOSTILE_NOTES);
    const result = await promisify(execFile)(process.execPath, ['scripts/release.js', 'notes', 'v1.2.3'], { cwd: dir, env: { ...process.env, GITHUB_ACTIONS: 'true' } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('::error::in a workflow, give --out FILE');
    // Outside a workflow it prints them, to read before tagging.
    const local = execFileSync(process.execPath, ['scripts/release.js', 'notes', 'v1.2.3'], { cwd: dir, env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(local).toBe(`${HOSTILE_NOTES}\n`);
  });

  it('an error message stays one `::error::` command, whatever it quotes', async () => {
    const dir = checkout('- fine');
    const result = await promisify(execFile)(process.execPath, ['scripts/release.js', 'notes', 'v9\n::warning::PWNED%0A'], { cwd: dir }).catch((error: { code: number; stderr: string }) => error);
    expect(result).toMatchObject({ code: 1 });
    const commands = workflowCommands((result as { stderr: string }).stderr);
    expect(commands.map((command) => command.name)).toEqual(['error']);
    expect(commands[0]?.data).toContain('"v9\n::warning::PWNED%0A" is not a release tag');
    expect(commandData('50%\r\nx')).toBe('50%25%0D%0Ax');
  });
});

describe('concurrent release runs', () => {
  it('never share one group across tags, where a pending release would be cancelled silently', () => {
    const groups = [RELEASE_WORKFLOW.concurrency, ...Object.values(RELEASE_WORKFLOW.jobs).map((job) => job.concurrency)].filter((group) => group !== undefined);
    for (const group of groups) {
      const spec = typeof group === 'string' ? { group } : (group as { group?: string; 'cancel-in-progress'?: unknown });
      expect(spec.group).toMatch(/\$\{\{\s*github\.ref\s*\}\}/);
      expect(spec['cancel-in-progress'] ?? false).toBe(false);
    }
  });

  it('move the major tag through move-major, which decides on the tags of origin', () => {
    const moves = Object.values(RELEASE_WORKFLOW.jobs).flatMap((job) => job.steps.filter((step) => /\bgit\b.*\bpush\b|move-major/.test(step.run ?? '')));
    expect(moves.map((step) => step.run?.trim())).toEqual(['node scripts/release.js move-major "$TAG"']);
  });
});

describe('moveMajorTag, on real repositories', () => {
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const runner = (cwd: string, log: string[] = []) => ({ run: (args: string[]) => git(cwd, ...args), log: (line: string) => log.push(line) });

  /** An origin with a commit per version tagged, and a clone of it as a release run's checkout. */
  function origin(versions: string[]): { origin: string; clone: () => string; release: (version: string) => void } {
    const work = temporaryDir();
    git(work, 'init', '--quiet', '-b', 'main');
    const bare = temporaryDir();
    git(bare, 'init', '--quiet', '--bare');
    git(work, 'remote', 'add', 'origin', bare);
    const release = (version: string) => {
      git(work, 'commit', '--quiet', '--allow-empty', '-m', version);
      git(work, 'tag', '-a', version, '-m', version);
      git(work, 'push', '--quiet', 'origin', 'main', version);
    };
    for (const version of versions) release(version);
    return {
      origin: bare,
      clone: () => {
        const dir = temporaryDir();
        git(dir, 'clone', '--quiet', bare, '.');
        return dir;
      },
      release,
    };
  }
  const commitOf = (repo: string, ref: string) => git(repo, 'rev-parse', `${ref}^{commit}`).trim();

  it('creates the major tag on origin at the first release', () => {
    const repo = origin(['v1.0.0']);
    expect(moveMajorTag('v1.0.0', runner(repo.clone()))).toBe('moved');
    expect(commitOf(repo.origin, 'v1')).toBe(commitOf(repo.origin, 'v1.0.0'));
  });

  it('a release whose checkout predates a newer one leaves the major tag at the newer one', () => {
    const repo = origin(['v1.0.0', 'v1.2.3']);
    // The run of v1.2.3 checked out before v1.2.4 was pushed; v1.2.4's run moved v1 first.
    const older = repo.clone();
    repo.release('v1.2.4');
    expect(moveMajorTag('v1.2.4', runner(repo.clone()))).toBe('moved');
    const log: string[] = [];
    expect(moveMajorTag('v1.2.3', runner(older, log))).toBe('newer exists');
    expect(commitOf(repo.origin, 'v1')).toBe(commitOf(repo.origin, 'v1.2.4'));
    expect(log).toEqual(['A newer v1.*.* release exists: v1 stays where it is.']);
  });

  it('moves it forward, and a second run for the same release pushes nothing', () => {
    const repo = origin(['v1.0.0']);
    moveMajorTag('v1.0.0', runner(repo.clone()));
    repo.release('v1.1.0');
    const checkout = repo.clone();
    expect(moveMajorTag('v1.1.0', runner(checkout))).toBe('moved');
    expect(commitOf(repo.origin, 'v1')).toBe(commitOf(repo.origin, 'v1.1.0'));
    expect(moveMajorTag('v1.1.0', runner(checkout))).toBe('already there');
  });

  it('pushes with a lease: when origin moved the major tag after it was read, it decides again', () => {
    const repo = origin(['v1.0.0', 'v1.1.0']);
    moveMajorTag('v1.0.0', runner(repo.clone()));
    const checkout = repo.clone();
    const log: string[] = [];
    const base = runner(checkout, log);
    let raced = false;
    // Another run moves v1 to a newer release between this run's read of the tags and its push.
    const racing = {
      log: base.log,
      run(args: string[]) {
        if (args[0] === 'push' && !raced) {
          raced = true;
          repo.release('v1.2.0');
          moveMajorTag('v1.2.0', runner(repo.clone()));
        }
        return base.run(args);
      },
    };
    expect(moveMajorTag('v1.1.0', racing)).toBe('newer exists');
    expect(commitOf(repo.origin, 'v1')).toBe(commitOf(repo.origin, 'v1.2.0'));
    expect(log).toEqual(['v1 moved on origin meanwhile: deciding again.', 'A newer v1.*.* release exists: v1 stays where it is.']);
  });
});

