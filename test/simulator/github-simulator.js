// @ts-check
/**
 * A fake GitHub REST API on 127.0.0.1: just the issue-comment calls the pull request comment uses
 * (list with Link pagination, create, update), a token check, and read-only tokens that get 403 on
 * writes the way a fork's pull request does.
 */
import { createServer } from 'node:http';

/**
 * @typedef {{ id: number, issue: string, body: string, user: { login: string, type: string }, html_url: string }} StoredComment
 * @typedef {{ method: string, path: string, authorization: string | undefined }} GithubRequest
 */

/**
 * @param {object} [options]
 * @param {string[]} [options.tokens] tokens that may write
 * @param {string[]} [options.readOnlyTokens] tokens that may only read (a fork's pull request)
 */
export async function startGithubSimulator(options = {}) {
  const writers = new Set(options.tokens ?? ['ghs_simulator_token']);
  const readers = new Set(options.readOnlyTokens ?? ['ghs_fork_read_only']);
  /** @type {StoredComment[]} */
  const comments = [];
  /** @type {GithubRequest[]} */
  const requests = [];
  let nextId = 1000;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization });
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    /** @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const token = /^(?:token|Bearer) (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!writers.has(token) && !readers.has(token)) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    const origin = `http://${req.headers.host}`;
    const base = url.pathname.replace(/^\/api\/v3/, ''); // GHES serves the API under /api/v3

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
      if (!writers.has(token)) return send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment', status: '403' });
      const issue = `${list[1]}/${list[2]}#${list[3]}`;
      const id = nextId++;
      const comment = { id, issue, body: JSON.parse(text).body, user: { login: 'github-actions[bot]', type: 'Bot' }, html_url: `https://github.example/${list[1]}/${list[2]}/pull/${list[3]}#issuecomment-${id}` };
      comments.push(comment);
      return send(201, comment);
    }
    const update = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(base);
    if (update && req.method === 'PATCH') {
      if (!writers.has(token)) return send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/issues/comments#update-an-issue-comment', status: '403' });
      const comment = comments.find((c) => c.id === Number(update[3]));
      if (!comment) return send(404, { message: 'Not Found', status: '404' });
      comment.body = JSON.parse(text).body;
      return send(200, comment);
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
    /** Someone else's comment on a pull request. @param {string} issue `owner/repo#number` @param {string} body */
    addComment(issue, body) {
      const id = nextId++;
      comments.push({ id, issue, body, user: { login: 'someone', type: 'User' }, html_url: `https://github.example/${issue}#issuecomment-${id}` });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
