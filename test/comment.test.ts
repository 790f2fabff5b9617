/**
 * The comment's decisions, without a server: whose comment it is, which gate it belongs to, and how
 * the token's account is learnt. The end-to-end proof is test/comment.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { GateResult } from '../src/gate/result.js';
import { isGateComment, readIdentity, type IssueComment } from '../src/github/comment-ownership.js';
import { canonicalMatrix, commentMarker, gateKey, gateLabel, planComment, type GateInputs } from '../src/github/comment-plan.js';
import { nextPage, publishComment, tokenIdentity, type CommentsApi, type TokenIdentity } from '../src/github/comment-publish.js';
import { renderComment } from '../src/github/comment-render.js';
import { makeRun } from './support/runs.js';

const BOT: TokenIdentity = { login: 'github-actions[bot]', id: 41898282 };
const MARKER = '<!-- retab-experiment-gate workflow=CI job=gate matrix= step=gate name= -->';
const ENV = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_REPOSITORY: 'octo/repo', GITHUB_WORKFLOW: 'CI', GITHUB_JOB: 'gate', GITHUB_ACTION: 'gate' };
const NO_MATRIX: GateInputs = { name: null, matrix: 'null' };

function result(passed: boolean): GateResult {
  return { status: 'completed', passed, failures: [], runId: 'exprun_2', threshold: 0.8, maxErrors: 0, run: makeRun(), waitedMs: 1_000 };
}

const markerFor = (env: Record<string, string>, inputs: GateInputs) => commentMarker(gateKey(env, inputs));

describe('isGateComment', () => {
  const comment = (user: IssueComment['user'], body: string | null = `${MARKER}\n\nreport`): IssueComment => ({ id: 1, body, user });

  it("is the token account's comment that starts with the marker", () => {
    expect(isGateComment(comment({ login: 'github-actions[bot]', id: 41898282, type: 'Bot' }), MARKER, BOT)).toBe(true);
  });

  it("is never another account's, even with the exact marker, nor a look-alike login's", () => {
    expect(isGateComment(comment({ login: 'someone', id: 5001, type: 'User' }), MARKER, BOT)).toBe(false);
    expect(isGateComment(comment({ login: 'github-actions[bot]', id: 5001, type: 'User' }), MARKER, BOT)).toBe(false);
    expect(isGateComment(comment(null), MARKER, BOT)).toBe(false);
    expect(isGateComment(comment(undefined), MARKER, BOT)).toBe(false);
  });

  it("is not the account's comment for another gate, or one that only quotes the marker later", () => {
    const other = MARKER.replace('name=', 'name=receipts');
    expect(isGateComment(comment({ id: BOT.id }, `${other}\n\nreport`), MARKER, BOT)).toBe(false);
    expect(isGateComment(comment({ id: BOT.id }, `> ${MARKER}`), MARKER, BOT)).toBe(false);
    expect(isGateComment(comment({ id: BOT.id }, null), MARKER, BOT)).toBe(false);
  });
});

describe('readIdentity', () => {
  it('takes a login and a positive numeric id, a bot account included', () => {
    expect(readIdentity('github-actions[bot]', 41898282)).toEqual(BOT);
    expect(readIdentity('octocat_acme', 1)).toEqual({ login: 'octocat_acme', id: 1 });
  });

  it.each([
    ['', 1],
    ['octocat', 0],
    ['octocat', '583231'],
    ['octocat', 1.5],
    [null, 1],
    ['::error::x', 1],
    ['octo\ncat', 1],
  ])('refuses login %j with id %j', (login, id) => {
    expect(readIdentity(login, id)).toBeNull();
  });
});

describe('the gate key and its marker', () => {
  it('differs between matrix legs, and between steps of one job', () => {
    const linux = markerFor(ENV, { name: null, matrix: '{\n  "os": "ubuntu-latest",\n  "node": 20\n}' });
    const windows = markerFor(ENV, { name: null, matrix: '{\n  "os": "windows-latest",\n  "node": 20\n}' });
    expect(linux).not.toBe(windows);
    expect(markerFor(ENV, NO_MATRIX)).not.toBe(markerFor({ ...ENV, GITHUB_ACTION: 'gate_2' }, NO_MATRIX));
  });

  it('tells apart two workflow files of the same name, and keeps one file\'s key across refs', () => {
    const ci = (ref: string) => markerFor({ ...ENV, GITHUB_WORKFLOW_REF: ref }, NO_MATRIX);
    expect(ci('octo/repo/.github/workflows/ci.yml@refs/pull/7/merge')).not.toBe(ci('octo/repo/.github/workflows/nightly.yml@refs/pull/7/merge'));
    expect(ci('octo/repo/.github/workflows/ci.yml@refs/pull/7/merge')).toBe(ci('octo/repo/.github/workflows/ci.yml@refs/heads/main'));
    expect(ci('octo/repo/.github/workflows/ci.yml@refs/pull/7/merge')).toContain('workflow=octo%2Frepo%2F.github%2Fworkflows%2Fci.yml ');
  });

  it("is the same for a leg whatever the layout or key order of the runner's JSON", () => {
    const a = markerFor(ENV, { name: null, matrix: '{\n  "os": "ubuntu-latest",\n  "node": 20,\n  "x": {"b": 1, "a": [2, 1]}\n}' });
    const b = markerFor(ENV, { name: null, matrix: '{"x":{"a":[2,1],"b":1},"node":20,"os":"ubuntu-latest"}' });
    expect(a).toBe(b);
    expect(a).toMatch(/ matrix=[0-9a-f]{16} /);
  });

  it('is separated by `name` alone when all else is equal', () => {
    expect(markerFor(ENV, { name: 'invoices', matrix: 'null' })).not.toBe(markerFor(ENV, { name: 'receipts', matrix: 'null' }));
    expect(markerFor(ENV, { name: 'invoices', matrix: 'null' })).toBe('<!-- retab-experiment-gate workflow=CI job=gate matrix= step=gate name=invoices -->');
  });

  it('cannot be ended early: `-->` in a name or workflow is encoded', () => {
    const marker = markerFor({ ...ENV, GITHUB_WORKFLOW: 'a --> b' }, { name: '--> <b>', matrix: 'null' });
    expect(marker.indexOf('-->')).toBe(marker.length - 3);
  });

  it('encodes a lone surrogate from the environment instead of throwing', () => {
    expect(markerFor({ ...ENV, GITHUB_WORKFLOW: 'CI \uD800' }, NO_MATRIX)).toContain('workflow=CI%20%EF%BF%BD ');
  });

  it('treats no matrix and "null" alike, and keeps text that is not JSON as it is', () => {
    expect(canonicalMatrix('')).toBeNull();
    expect(canonicalMatrix(' null\n')).toBeNull();
    expect(canonicalMatrix('${{ toJSON(matrix) }}')).toBe('${{ toJSON(matrix) }}');
  });

  it('labels the gate for readers with its name and matrix values', () => {
    expect(gateLabel(gateKey(ENV, { name: 'invoices', matrix: '{"os":"ubuntu-latest","node":20}' }))).toBe('invoices · matrix node=20, os=ubuntu-latest');
    expect(gateLabel(gateKey(ENV, NO_MATRIX))).toBe('');
  });

  it('shows the label in the footer as plain text, never a link or a mention', () => {
    const label = gateLabel(gateKey(ENV, { name: '@team [click](https://evil.example)', matrix: 'null' }));
    const body = renderComment(result(true), { marker: MARKER, label }, {});
    const footer = body.split('\n').at(-1) ?? '';
    expect(footer).toMatch(/^<sub>Gate /);
    expect(footer).not.toContain('](');
    expect(footer).not.toMatch(/@team/);
  });

  it('plans the comment with the key from the inputs', () => {
    const plan = planComment('true', result(true), ENV, { pull_request: { number: 7 } }, { name: 'invoices', matrix: '{"os":"ubuntu-latest"}' });
    expect(plan).toMatchObject({ write: true, issueNumber: 7, gate: { workflow: 'CI', job: 'gate', step: 'gate', name: 'invoices', matrix: '{"os":"ubuntu-latest"}' } });
  });
});

/** A GitHub API in memory: comments with authors, and the identity calls' answers. */
function fakeApi(comments: IssueComment[], identity: { viewer?: () => Promise<TokenIdentity>; user?: () => Promise<TokenIdentity> } = {}) {
  const calls: string[] = [];
  const refused = (status: number, message: string) => Object.assign(new Error(message), { status });
  const api: CommentsApi = {
    async viewer() {
      calls.push('viewer');
      return (identity.viewer ?? (async () => BOT))();
    },
    async authenticatedUser() {
      calls.push('user');
      return (identity.user ?? (async () => Promise.reject(refused(403, 'Resource not accessible by integration'))))();
    },
    async *listComments() {
      calls.push('list');
      yield comments.slice(0, 1);
      yield comments.slice(1);
    },
    async createComment(_owner, _repo, _issue, body) {
      calls.push('create');
      const comment = { id: 100 + comments.length, body, user: { login: BOT.login, id: BOT.id }, html_url: 'https://github.example/c' };
      comments.push(comment);
      return comment;
    },
    async updateComment(_owner, _repo, id, body) {
      calls.push(`update ${id}`);
      const comment = comments.find((c) => c.id === id);
      if (!comment) throw refused(404, 'Not Found');
      comment.body = body;
      return comment;
    },
  };
  return { api, calls, refused };
}

const PLAN = { write: true as const, owner: 'octo', repo: 'repo', issueNumber: 7, marker: MARKER, gate: gateKey(ENV, NO_MATRIX), create: true };

describe('publishComment', () => {
  it("creates its own comment beside another user's copy of the marker, and updates its own on the next run", async () => {
    const copy = { id: 1, body: `${MARKER}\n\nforged`, user: { login: 'someone', id: 5001 } };
    const { api, calls } = fakeApi([copy]);
    expect(await publishComment(api, PLAN, `${MARKER}\n\nfirst`)).toMatchObject({ kind: 'created', author: 'github-actions[bot]' });
    expect(copy.body).toBe(`${MARKER}\n\nforged`);
    expect(await publishComment(api, PLAN, `${MARKER}\n\nsecond`)).toMatchObject({ kind: 'updated', id: 101 });
    expect(calls.filter((c) => c.startsWith('update'))).toEqual(['update 101']);
    expect(copy.body).toBe(`${MARKER}\n\nforged`);
  });

  it('on a pass with `on-failure`, does not take a copied marker for an earlier comment to update', async () => {
    const copy = { id: 1, body: `${MARKER}\n\nforged`, user: { login: 'someone', id: 5001 } };
    const { api, calls } = fakeApi([copy]);
    expect(await publishComment(api, { ...PLAN, create: false }, `${MARKER}\n\npassed`)).toMatchObject({ kind: 'skipped' });
    expect(calls).not.toContain('update 1');
  });

  it('writes nothing, with a warning naming both attempts, when the account cannot be told', async () => {
    const { api, calls, refused } = fakeApi([{ id: 1, body: `${MARKER}\n\nours?`, user: { id: BOT.id } }], { viewer: async () => Promise.reject(refused(502, 'Bad Gateway')) });
    const outcome = await publishComment(api, PLAN, 'body');
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.message).toMatch(
      /^Could not comment on pull request #7 of octo\/repo: could not tell which account the `github_token` writes as \(GraphQL `viewer`: HTTP 502 Bad Gateway; `GET \/user`: HTTP 403 Resource not accessible by integration\)\. The gate only ever updates a comment its own token wrote/,
    );
    expect(calls).toEqual(['viewer', 'user']);
  });
});

describe('tokenIdentity', () => {
  it('asks GraphQL `viewer` first, which answers for every kind of token', async () => {
    const { api, calls } = fakeApi([]);
    expect(await tokenIdentity(api)).toEqual(BOT);
    expect(calls).toEqual(['viewer']);
  });

  it('falls back to `GET /user` (a personal token) when GraphQL does not answer', async () => {
    const octocat = { login: 'octocat', id: 583231 };
    const { api, calls, refused } = fakeApi([], { viewer: async () => Promise.reject(refused(404, 'Not Found')), user: async () => octocat });
    expect(await tokenIdentity(api)).toEqual(octocat);
    expect(calls).toEqual(['viewer', 'user']);
  });

  it('does not ask twice with a token GitHub refused (401)', async () => {
    const { api, calls, refused } = fakeApi([], { viewer: async () => Promise.reject(refused(401, 'Bad credentials')) });
    await expect(tokenIdentity(api)).rejects.toMatchObject({ status: 401 });
    expect(calls).toEqual(['viewer']);
  });
});

describe('nextPage', () => {
  const API = 'https://api.github.com';
  it("is the `Link` header's next page on the API's own origin", () => {
    expect(nextPage('<https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=3>; rel="last"', API)).toBe(
      'https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=2',
    );
    expect(nextPage('<https://ghes.example/api/v3/repos/o/r/issues/7/comments?page=2>; rel="next"', 'https://ghes.example/api/v3')).toBe('https://ghes.example/api/v3/repos/o/r/issues/7/comments?page=2');
  });

  it('is none on the last page, and never an address elsewhere, where the token would go', () => {
    expect(nextPage(undefined, API)).toBeNull();
    expect(nextPage('<https://api.github.com/x?page=1>; rel="prev"', API)).toBeNull();
    expect(nextPage('<https://evil.example/steal?page=2>; rel="next"', API)).toBeNull();
    expect(nextPage('<http://api.github.com/x?page=2>; rel="next"', API)).toBeNull();
    expect(nextPage('<not a url>; rel="next"', API)).toBeNull();
  });
});
