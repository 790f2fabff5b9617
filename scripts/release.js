// @ts-check
/**
 * The release workflow's decisions (.github/workflows/release.yml), kept here so they are tested:
 *
 *   node scripts/release.js notes v1.2.3     the release notes: the tag's section of CHANGELOG.md,
 *                                            after checking the tag and package.json's version
 *   node scripts/release.js newest v1.2.3    "true" when v1.2.3 is the newest release of v1 among
 *                                            the repository's tags (then `v1` moves to it)
 *
 * Either fails with a message saying what to fix, and exit code 1.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

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

/** @param {string} tag */
function notesFor(tag) {
  const { version } = parseReleaseTag(tag);
  const packageVersion = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  if (packageVersion !== version) {
    throw new Error(`package.json's version is ${packageVersion}, the tag says ${version}: set it (npm version ${version} --no-git-tag-version), commit, and tag that commit.`);
  }
  return releaseNotes(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'), version);
}

function main() {
  const [command, tag = ''] = process.argv.slice(2);
  if (command === 'notes') {
    process.stdout.write(notesFor(tag));
  } else if (command === 'newest') {
    const tags = execFileSync('git', ['tag', '--list', 'v*'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    process.stdout.write(`${isNewestOfMajor(tag, tags)}\n`);
  } else {
    throw new Error('usage: node scripts/release.js notes|newest vX.Y.Z');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(`::error::${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
