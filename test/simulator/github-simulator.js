// @ts-check
/**
 * A fake GitHub API on 127.0.0.1: the issue-comment calls the pull request comment uses (list with
 * Link pagination, create, update), who a token is (`GET /user`, GraphQL `viewer`), a token check,
 * and read-only tokens that get 403 on writes the way a fork's pull request does.
 *
 * Tokens are of two kinds, as on GitHub. An installation token (the job's `GITHUB_TOKEN`, or a
 * GitHub App's) writes as the app's bot; `GET /user` refuses it with 403 "Resource not accessible
 * by integration", while GraphQL `viewer` answers with the bot. A personal token (classic or
 * fine-grained) writes as its user, who both calls name. Every comment keeps its author.
 */
import { createServer } from 'node:http';

/**
 * @typedef {{ login: string, id: number, type: 'User' | 'Bot' }} Account
 * @typedef {{ id: number, issue: string, body: string, user: Account, html_url: string }} StoredComment
 * @typedef {{ method: string, path: string, authorization: string | undefined, body: string }} GithubRequest
 * @typedef {{ account: Account, kind: 'installation' | 'personal', write: boolean }} TokenGrant
 * @typedef {{ id: number, head_sha: string, name: string, external_id?: string, status?: string, conclusion?: string, output?: { title?: string, summary?: string }, app?: { slug: string } }} StoredCheckRun
 */

/** The job's `GITHUB_TOKEN` writes as the github-actions app's bot account. */
export const GITHUB_ACTIONS_BOT = /** @type {Account} */ ({ login: 'github-actions[bot]', id: 41898282, type: 'Bot' });
/** Someone else: the author of comments added with `addComment`. */
export const SOMEONE = /** @type {Account} */ ({ login: 'someone', id: 5001, type: 'User' });

/**
 * @param {object} [options]
 * @param {string[]} [options.tokens] installation tokens that may write (as github-actions[bot])
 * @param {string[]} [options.readOnlyTokens] installation tokens that may only read (a fork's pull request)
 * @param {Record<string, Account>} [options.personalTokens] personal tokens, each writing as its user
 * @param {boolean} [options.graphql] whether `POST /graphql` is served (true by default)
 * @param {boolean} [options.hang] accept every connection and request, and never answer (a GitHub API that hangs)
 * @param {string[]} [options.history] the repository's linear history, newest commit first (each a 40-hex sha): `GET /commits?sha=` walks it
 */
export async function startGithubSimulator(options = {}) {
  /** @type {Map<string, TokenGrant>} */
  const grants = new Map();
  for (const token of options.tokens ?? ['ghs_simulator_token']) grants.set(token, { account: GITHUB_ACTIONS_BOT, kind: 'installation', write: true });
  for (const token of options.readOnlyTokens ?? ['ghs_fork_read_only']) grants.set(token, { account: GITHUB_ACTIONS_BOT, kind: 'installation', write: false });
  for (const [token, account] of Object.entries(options.personalTokens ?? {})) grants.set(token, { account, kind: 'personal', write: true });
  const serveGraphql = options.graphql ?? true;
  /** @type {StoredComment[]} */
  const comments = [];
  /** @type {GithubRequest[]} */
  const requests = [];
  let nextId = 1000;
  /** @type {StoredCheckRun[]} */
  const checkRuns = [];
  const history = options.history ?? [];

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization, body: text });
    if (options.hang) return;
    /** @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    /** @param {string} docs */
    const refuse = (docs) => send(403, { message: 'Resource not accessible by integration', documentation_url: `https://docs.github.com/rest/${docs}`, status: '403' });
    const token = /^(?:token|Bearer) (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const grant = grants.get(token);
    if (!grant) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    const origin = `http://${req.headers.host}`;

    // GHES serves GraphQL at /api/graphql and REST under /api/v3.
    if ((url.pathname === '/graphql' || url.pathname === '/api/graphql') && req.method === 'POST') {
      if (!serveGraphql) return send(404, { message: 'Not Found', status: '404' });
      const query = String(JSON.parse(text).query ?? '');
      if (!/\bviewer\s*\{/.test(query)) return send(200, { errors: [{ message: 'the simulator answers only `viewer`' }] });
      return send(200, { data: { viewer: { login: grant.account.login, databaseId: grant.account.id } } });
    }
    const base = url.pathname.replace(/^\/api\/v3/, '');

    if (base === '/user' && req.method === 'GET') {
      if (grant.kind === 'installation') return refuse('users/users#get-the-authenticated-user');
      return send(200, { ...grant.account, html_url: `https://github.example/${grant.account.login}` });
    }
    const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(base);
    if (list && req.method === 'GET') {
      const issue = `${list[1]}/${list[2]}#${list[3]}`;
      const all = comments.filter((c) => c.issue === issue);
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const headers = /** @type {Record<string, string>} */ ({});
      if (page * perPage < all.length) {
        const next = new URL(url.pathname, origin);
        next.searchParams.set('per_page', String(perPage));
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next}>; rel="next"`;
      }
      return send(200, slice, headers);
    }
    if (list && req.method === 'POST') {
      if (!grant.write) return refuse('issues/comments#create-an-issue-comment');
      const issue = `${list[1]}/${list[2]}#${list[3]}`;
      const id = nextId++;
      const comment = { id, issue, body: JSON.parse(text).body, user: grant.account, html_url: `https://github.example/${list[1]}/${list[2]}/pull/${list[3]}#issuecomment-${id}` };
      comments.push(comment);
      return send(201, comment);
    }
    const update = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(base);
    if (update && req.method === 'PATCH') {
      if (!grant.write) return refuse('issues/comments#update-an-issue-comment');
      const comment = comments.find((c) => c.id === Number(update[3]));
      if (!comment) return send(404, { message: 'Not Found', status: '404' });
      // GitHub lets a repository's maintainers edit anyone's comment; the gate must not rely on a refusal.
      comment.body = JSON.parse(text).body;
      return send(200, comment);
    }
    const createCheck = /^\/repos\/([^/]+)\/([^/]+)\/check-runs$/.exec(base);
    if (createCheck && req.method === 'POST') {
      if (!grant.write) return refuse('checks/runs#create-a-check-run');
      const body = JSON.parse(text);
      if (typeof body.name !== 'string' || typeof body.head_sha !== 'string') return send(422, { message: 'Invalid request: name and head_sha are required', status: '422' });
      if ((body.output?.summary ?? '').length > 65535 || (body.output?.title ?? '').length > 1000) return send(422, { message: 'Invalid request: output too long', status: '422' });
      const check = { ...body, id: nextId++, app: { slug: 'github-actions' } };
      checkRuns.push(check);
      return send(201, { ...check, html_url: `https://github.example/${createCheck[1]}/${createCheck[2]}/runs/${check.id}` });
    }
    const commits = /^\/repos\/([^/]+)\/([^/]+)\/commits$/.exec(base);
    if (commits && req.method === 'GET') {
      const from = history.indexOf(url.searchParams.get('sha') ?? '');
      if (from < 0) return send(422, { message: 'No commit found for SHA', status: '422' });
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      return send(200, history.slice(from, from + perPage).map((sha, i) => ({ sha, html_url: `https://github.example/${commits[1]}/${commits[2]}/commit/${sha}`, parents: history[from + i + 1] ? [{ sha: history[from + i + 1] }] : [] })));
    }
    const listChecks = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/check-runs$/.exec(base);
    if (listChecks && req.method === 'GET') {
      const name = url.searchParams.get('check_name');
      // Newest first, as GitHub lists them.
      const found = checkRuns.filter((c) => c.head_sha === listChecks[3] && (name === null || c.name === name)).reverse();
      return send(200, { total_count: found.length, check_runs: found });
    }
    send(404, { message: 'Not Found', status: '404' });
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    comments,
    requests,
    /**
     * A comment on a pull request by someone else (by default), e.g. one that copies the gate's marker.
     * @param {string} issue `owner/repo#number` @param {string} body @param {Account} [user]
     */
    addComment(issue, body, user = SOMEONE) {
      const id = nextId++;
      const comment = { id, issue, body, user, html_url: `https://github.example/${issue}#issuecomment-${id}` };
      comments.push(comment);
      return comment;
    },
    checkRuns,
    /**
     * A check run recorded earlier (by an earlier gate, or by anyone who can write check runs).
     * @param {string} sha @param {string} name @param {string} externalId @param {Partial<StoredCheckRun>} [more]
     */
    addCheckRun(sha, name, externalId, more = {}) {
      const check = { id: nextId++, head_sha: sha, name, external_id: externalId, status: 'completed', conclusion: 'success', app: { slug: 'github-actions' }, ...more };
      checkRuns.push(check);
      return check;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
