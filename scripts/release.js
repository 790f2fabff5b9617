// @ts-check
/**
 * The release workflow's decisions (.github/workflows/release.yml), kept here so they are tested.
 * Run from the repository's root (the workflow's checkout):
 *
 *   node scripts/release.js notes v1.2.3 --out FILE
 *                              the release notes, the tag's section of CHANGELOG.md, written to
 *                              FILE after checking the tag and package.json's version. Without
 *                              `--out` they are printed, but never inside a workflow: the log would
 *                              run a line of the changelog such as `::add-mask::…` as a command
 *   node scripts/release.js newest v1.2.3
 *                              "true" when v1.2.3 is the newest release of v1 among the tags
 *   node scripts/release.js move-major v1.2.3
 *                              moves `v1` on origin to v1.2.3 when it is the newest release of v1
 *                              there (see `moveMajorTag`)
 *
 * Each fails with a message saying what to fix, and exit code 1.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {{ major: number, minor: number, patch: number, version: string }} Version */

/**
 * A release tag, `vX.Y.Z` (no pre-release or build suffix: those are not released here).
 * @param {string} tag
 * @returns {Version}
 */
export function parseReleaseTag(tag) {
  const match = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(tag);
  if (!match) throw new Error(`"${tag}" is not a release tag: expected vMAJOR.MINOR.PATCH, e.g. v1.2.3`);
  const [major, minor, patch] = match.slice(1).map(Number);
  return { major: major ?? 0, minor: minor ?? 0, patch: patch ?? 0, version: tag.slice(1) };
}

const escapeRegExp = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The notes of one version in a Keep a Changelog file: the lines under `## [X.Y.Z]` (or `## X.Y.Z`)
 * up to the next `## ` heading, without the link definitions that close the file.
 * @param {string} changelog
 * @param {string} version e.g. "1.2.3"
 */
export function releaseNotes(changelog, version) {
  const lines = changelog.replace(/\r\n/g, '\n').split('\n');
  const heading = new RegExp(`^## \\[?${escapeRegExp(version)}\\]?(?:\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start === -1) {
    throw new Error(
      `CHANGELOG.md has no section for ${version}. Before tagging, move the notes under "## [Unreleased]" to a new "## [${version}] - YYYY-MM-DD" heading and commit it.`,
    );
  }
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => /^## /.test(line));
  const section = (end === -1 ? rest : rest.slice(0, end)).filter((line) => !/^\[[^\]]+\]:\s*\S+$/.test(line));
  const notes = section.join('\n').trim();
  if (!notes) throw new Error(`CHANGELOG.md's section for ${version} is empty: say what changed.`);
  return `${notes}\n`;
}

/**
 * Whether `tag` is the newest release of its major version among `tags`, so that `vX` may move to
 * it: a fix released for an older minor version must not move `vX` back.
 * @param {string} tag
 * @param {string[]} tags every tag of the repository (others than vX.Y.Z are ignored)
 */
export function isNewestOfMajor(tag, tags) {
  const release = parseReleaseTag(tag);
  const sameMajor = tags.flatMap((other) => {
    try {
      const parsed = parseReleaseTag(other.trim());
      return parsed.major === release.major ? [parsed] : [];
    } catch {
      return [];
    }
  });
  return sameMajor.every((other) => compare(other, release) <= 0);
}

/** @param {Version} a @param {Version} b */
function compare(a, b) {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** @param {string} tag @param {string} root */
function notesFor(tag, root) {
  const { version } = parseReleaseTag(tag);
  const packageVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  if (packageVersion !== version) {
    throw new Error(`package.json's version is ${packageVersion}, the tag says ${version}: set it (npm version ${version} --no-git-tag-version), commit, and tag that commit.`);
  }
  return releaseNotes(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'), version);
}

/**
 * A message as the data of a workflow command (`::error::…`): the runner unescapes `%25`, `%0D` and
 * `%0A`, so the message stays one command whatever it holds.
 * @param {string} text
 */
export function commandData(text) {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * @typedef {object} Git
 * @property {(args: string[]) => string} run runs git, returns its stdout; throws when it fails
 * @property {(message: string) => void} log
 */

/** How often `moveMajorTag` looks again after another release moved the major tag under it. */
const MOVE_ATTEMPTS = 5;

/**
 * Moves the major tag (`v1`) on origin to `tag` when `tag` is the newest `v1.*.*` there. Release
 * runs of different tags may run at once (none waits behind another, so none is cancelled while
 * pending): each decides on origin's tags as they are now, not as its checkout saw them, and pushes
 * with a lease on the major tag as it read it. When another run moved it meanwhile, the push is
 * refused and the decision is made again, so an older release never moves `v1` back.
 * @param {string} tag
 * @param {Git} git
 * @returns {'moved' | 'newer exists' | 'already there'}
 */
export function moveMajorTag(tag, git) {
  const { major } = parseReleaseTag(tag);
  const majorTag = `v${major}`;
  for (let attempt = 1; ; attempt++) {
    git.run(['fetch', '--quiet', '--force', '--tags', '--prune', '--prune-tags', 'origin']);
    const tags = git.run(['tag', '--list', 'v*']).split('\n');
    if (!isNewestOfMajor(tag, tags)) {
      git.log(`A newer ${majorTag}.*.* release exists: ${majorTag} stays where it is.`);
      return 'newer exists';
    }
    const target = git.run(['rev-parse', '--verify', `refs/tags/${tag}^{commit}`]).trim();
    const seen = tags.some((name) => name.trim() === majorTag) ? git.run(['rev-parse', '--verify', `refs/tags/${majorTag}`]).trim() : '';
    if (seen && git.run(['rev-parse', '--verify', `refs/tags/${majorTag}^{commit}`]).trim() === target) {
      git.log(`${majorTag} already points to ${tag} (${target}).`);
      return 'already there';
    }
    git.run(['tag', '--force', majorTag, target]);
    try {
      // An empty lease means "only if it does not exist yet".
      git.run(['push', '--quiet', `--force-with-lease=refs/tags/${majorTag}:${seen}`, 'origin', `refs/tags/${majorTag}`]);
      git.log(`${majorTag} now points to ${tag} (${target}).`);
      return 'moved';
    } catch (error) {
      if (attempt >= MOVE_ATTEMPTS) throw new Error(`could not move ${majorTag} to ${tag} after ${attempt} attempts: ${error instanceof Error ? error.message : String(error)}`);
      git.log(`${majorTag} moved on origin meanwhile: deciding again.`);
    }
  }
}

/** @param {string} cwd @returns {Git} */
function realGit(cwd) {
  return {
    run: (args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    log: (message) => console.log(message),
  };
}

function main() {
  const [command, tag = '', ...rest] = process.argv.slice(2);
  const root = process.cwd();
  if (command === 'notes') {
    const out = rest[0] === '--out' ? rest[1] : undefined;
    if (rest.length > 0 && !out) throw new Error('usage: node scripts/release.js notes vX.Y.Z [--out FILE]');
    const notes = notesFor(tag, root);
    if (out) {
      writeFileSync(out, notes);
      console.log(`The notes of ${tag} (${notes.split('\n').length - 1} lines of CHANGELOG.md) are in ${out}.`);
    } else if (process.env.GITHUB_ACTIONS === 'true') {
      throw new Error('in a workflow, give --out FILE: printed to the log, a line of the notes could run as a workflow command');
    } else {
      process.stdout.write(notes);
    }
  } else if (command === 'newest') {
    const tags = execFileSync('git', ['tag', '--list', 'v*'], { cwd: root, encoding: 'utf8' }).split('\n');
    process.stdout.write(`${isNewestOfMajor(tag, tags)}\n`);
  } else if (command === 'move-major') {
    moveMajorTag(tag, realGit(root));
  } else {
    throw new Error('usage: node scripts/release.js notes|newest|move-major vX.Y.Z');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(`::error::${commandData(error instanceof Error ? error.message : String(error))}`);
    process.exit(1);
  }
}
