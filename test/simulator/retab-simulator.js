// @ts-check
/**
 * A Retab simulator: a real HTTP server on 127.0.0.1 that behaves like Retab's experiment-run API
 * (statuses, both response shapes, key checks, error bodies, request ids) and can be told to
 * misbehave on cue. Used by the integration and end-to-end tests, the demo and CI.
 */
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';

export const SIMULATOR_KEY = 'rt_test_simulator_key';

/**
 * @typedef {{ status: 'completed', score?: number | null, error_count?: number }
 *   | { status: 'error', message: string }
 *   | { status: 'cancelled', reason?: string | null }} FinalState
 * @typedef {object} RunSpec
 * @property {string} id
 * @property {number} [pendingMs] time spent pending, from the first read
 * @property {number} [queuedMs]
 * @property {number} [runningMs]
 * @property {number} [total] documents
 * @property {FinalState} final
 * @property {Shape} [shape]
 * @property {'missing' | 'null' | number} [errorCountField] answer without `error_count`, with null, or with this count, though `final.error_count` documents errored
 * @property {boolean} [bom] every answer about this run (run, metrics, results) starts with a UTF-8 byte order mark
 * @property {string} [experimentId]
 * @property {string} [workflowName]
 * @property {string} [blockId]
 * @property {'extract' | 'classifier' | 'split'} [blockType] 'extract' by default: per-field figures; else per-label ones
 * @property {string[]} [fields] the extract block's field paths (`FIELDS` by default), or the labels of a classifier or split block
 * @property {number} [nConsensus]
 * @property {(fraction: number) => number} [progress] share of documents done at a share of the running time
 * @property {string} [createdAt] ISO time of creation (runs started through the API get the real time)
 * @property {string} [trigger] `trigger.type` (`api` when absent; the live server says `manual_run` for runs created by the POST)
 * @property {number} [listedFrom] epoch ms from which the runs list shows it (a lagging list); always when absent
 * @property {string} [blockFingerprint] `block_execution_fingerprint` (`definition_fingerprint` in the older shape); '0ff93ddc7cefcb42' by default
 * @property {string} [documentsFingerprint] `documents_fingerprint`; 'ddd95baadce6045f' by default
 * @property {DocumentsSpec} [documents] how its metrics and per-document results look (all generated from the index)
 * @typedef {object} DocumentsSpec
 * @property {number | null} [priorScore] the prior run's score (null: no prior run); by default the score + 0.02
 * @property {string | null} [priorRunId]
 * @property {'summary' | 'no_metrics' | 'stale_metrics' | 'stale_metrics_409'} [metrics] what the metrics endpoint answers
 *   (`no_metrics` and `stale_metrics` in a 200, as the SDK reads them; `stale_metrics_409` as older notes had it)
 * @property {(index: number) => string} [filename]
 * @property {(index: number) => string} [errorMessage]
 * @property {number} [pairNoise] from 0 to 1: how little a document's prior score follows its score (0.2 by default;
 *   1 makes the per-document changes as noisy as the scores themselves)
 * @property {number} [priorCoverage] the share of documents the prior run also scored (1 by default)
 * @typedef {object} ExperimentSpec what a new run of an experiment does, for `POST /v1/workflows/experiments/runs`
 * @property {string} id the experiment id
 * @property {string} [workflowId] the workflow it belongs to (`wf_abc123` when absent)
 * @property {Omit<RunSpec, 'id' | 'experimentId' | 'createdAt'>} run
 * @typedef {object} Fault
 * @property {string | RegExp} [path] which requests it applies to (all when absent)
 * @property {string} [method]
 * @property {number} [times] how many requests it hits (1 when absent; Infinity for all)
 * @property {number} [status]
 * @property {Record<string, string>} [headers]
 * @property {string} [body] raw body
 * @property {'reset' | 'hang' | 'truncate' | 'close'} [action]
 * @property {number} [delayMs] answer normally, after this long
 * @property {number} [streamBytes] answer `status` (200 by default) with a chunked body of this many bytes, sent as fast as
 *   the client reads it (no content-length); what was sent ends up in the request's `bytesSent`
 * @property {'reset' | 'close' | 'hang' | number} [afterHandling] handle the request for real (a POST starts its run),
 *   then break the connection, never answer, or answer this HTTP status (with `body`) instead of the real answer
 * @typedef {object} RateLimit Retab's rate limiter for the key: a bucket of `perSecond` requests, refilled as time passes
 * @property {number} perSecond requests a second, and the burst the bucket holds
 * @property {string | RegExp} [path] which requests it counts and turns away (all when absent)
 * @property {string} [method]
 * @typedef {object} RecordedRequest
 * @property {string} method
 * @property {string} path
 * @property {number} at milliseconds since the simulator started
 * @property {import('node:http').IncomingHttpHeaders} headers
 * @property {number} status the status answered, or 0 for a broken connection
 * @property {number} [bytesSent] body bytes written, for a `streamBytes` fault
 * @property {string} [body] the request body, for POSTs
 */

/**
 * `flat`: the current shape, as Retab's SDK reads it (`workflow_id`, `workflow_version_id`,
 * `block_type`, `block_execution_fingerprint`, …), the default. `reference`: the docs page's older
 * shape with a `workflow` object and `block_kind`. `openapi` is another name for `flat`.
 * @typedef {'flat' | 'reference' | 'openapi'} Shape
 */

/** Scenarios every simulator knows, by run id: the demo, the CI workflow and the end-to-end tests use them. */
export const BUILT_IN_RUNS = /** @type {RunSpec[]} */ ([
  { id: 'exprun_pass', pendingMs: 200, queuedMs: 300, runningMs: 1200, total: 12, final: { status: 'completed', score: 0.87, error_count: 0 } },
  { id: 'exprun_low', pendingMs: 100, queuedMs: 100, runningMs: 600, total: 12, final: { status: 'completed', score: 0.62, error_count: 0 } },
  { id: 'exprun_errors', runningMs: 600, total: 40, final: { status: 'completed', score: 0.91, error_count: 3 } },
  { id: 'exprun_failed', runningMs: 300, total: 12, final: { status: 'error', message: 'Block extract-invoice failed: model returned invalid JSON' } },
  { id: 'exprun_cancelled', runningMs: 300, total: 12, final: { status: 'cancelled', reason: 'Cancelled by jane@example.com' } },
  { id: 'exprun_noscore', runningMs: 200, total: 12, final: { status: 'completed', score: null, error_count: 0 } },
  { id: 'exprun_forever', pendingMs: 0, runningMs: 24 * 3_600_000, total: 500, final: { status: 'completed', score: 0.9 } },
  { id: 'exprun_regressed', runningMs: 300, total: 30, final: { status: 'completed', score: 0.8, error_count: 0 }, documents: { priorScore: 0.86, priorRunId: 'exprun_pass' } },
  { id: 'exprun_improved', runningMs: 300, total: 30, final: { status: 'completed', score: 0.91, error_count: 2 }, documents: { priorScore: 0.87, priorRunId: 'exprun_pass' } },
  // A drop of 0.03 whose per-document changes are as noisy as the scores: maybe noise at 95 %.
  { id: 'exprun_noisy', runningMs: 300, total: 30, final: { status: 'completed', score: 0.84, error_count: 0 }, documents: { priorScore: 0.87, priorRunId: 'exprun_pass', pairNoise: 1 } },
  // The prior run scored only about half of these documents.
  { id: 'exprun_half_paired', runningMs: 300, total: 40, final: { status: 'completed', score: 0.85, error_count: 0 }, documents: { priorScore: 0.86, priorRunId: 'exprun_pass', priorCoverage: 0.5 } },
  { id: 'exprun_classifier', runningMs: 200, total: 20, blockType: 'classifier', final: { status: 'completed', score: 0.86, error_count: 0 }, documents: { priorScore: 0.88, priorRunId: 'exprun_pass' } },
  { id: 'exprun_first', runningMs: 200, total: 12, final: { status: 'completed', score: 0.88, error_count: 0 }, documents: { priorScore: null, priorRunId: null } },
  { id: 'exprun_nometrics', runningMs: 200, total: 12, final: { status: 'completed', score: 0.88, error_count: 0 }, documents: { metrics: 'no_metrics' } },
  { id: 'exprun_stale', runningMs: 200, total: 12, final: { status: 'completed', score: 0.88, error_count: 0 }, documents: { metrics: 'stale_metrics' } },
  { id: 'exprun_large', runningMs: 300, total: 50_000, final: { status: 'completed', score: 0.84, error_count: 1_234 }, documents: { priorScore: 0.86, priorRunId: 'exprun_large_prior' } },
  {
    id: 'exprun_markup_docs',
    runningMs: 200,
    total: 5,
    final: { status: 'completed', score: 0.9, error_count: 2 },
    documents: {
      filename: (i) => `<img src=x onerror=alert(${i})> [click](https://evil.example) | **${i}**.pdf`,
      errorMessage: () => '<script>alert("x")</script>\n# heading [link](http://evil.example) | cell',
    },
  },
  // The real API's shapes and quirks (see the SDK): one scenario each.
  { id: 'exprun_flat', runningMs: 200, total: 12, shape: 'flat', final: { status: 'completed', score: 0.87, error_count: 0 } },
  { id: 'exprun_reference', runningMs: 200, total: 12, shape: 'reference', final: { status: 'completed', score: 0.87, error_count: 0 } },
  { id: 'exprun_noerrorcount', runningMs: 200, total: 40, errorCountField: 'missing', final: { status: 'completed', score: 0.9, error_count: 7 } },
  { id: 'exprun_nullerrorcount', runningMs: 200, total: 40, errorCountField: 'null', final: { status: 'completed', score: 0.9, error_count: 7 } },
  { id: 'exprun_cleannull', runningMs: 200, total: 12, errorCountField: 'null', final: { status: 'completed', score: 0.9, error_count: 0 } },
  { id: 'exprun_exact', runningMs: 200, total: 12, final: { status: 'completed', score: 0.814, error_count: 0 } },
  { id: 'exprun_noise_high', runningMs: 200, total: 12, final: { status: 'completed', score: 1.0000000000000002, error_count: 0 }, documents: { priorScore: 0.99 } },
  { id: 'exprun_noise_low', runningMs: 200, total: 12, final: { status: 'completed', score: -1e-16, error_count: 0 }, documents: { priorScore: 0.05 } },
  { id: 'exprun_badscore', runningMs: 200, total: 12, final: { status: 'completed', score: 1.5, error_count: 0 } },
  { id: 'exprun_bom', runningMs: 200, total: 12, bom: true, final: { status: 'completed', score: 0.87, error_count: 1 } },
  { id: 'exprun_stale_lastrun', runningMs: 200, total: 12, final: { status: 'completed', score: 0.88, error_count: 0 }, documents: { metrics: 'stale_metrics' } },
  { id: 'exprun_manypages', runningMs: 200, total: 250, final: { status: 'completed', score: 0.9, error_count: 5 } },
  {
    id: 'exprun_markup',
    runningMs: 200,
    total: 3,
    workflowName: '<img src=x onerror=alert(1)> [click](https://evil.example) | **bold**',
    final: { status: 'error', message: '<script>alert("x")</script>\n# heading [link](http://evil.example)' },
  },
]);

/**
 * Past completed runs (and one that errored) of experiment `exp_trend`, oldest first, for the
 * trend; `exprun_trend` is its newest run, a drop of 0.03 that may be noise (like `exprun_noisy`).
 */
export const TREND_HISTORY = [0.91, 0.9, 0.91, 0.89, 0.88, null, 0.87];
const TREND_RUNS = /** @type {RunSpec[]} */ ([
  ...TREND_HISTORY.map((score, i) => ({
    id: `exprun_trend_${i + 1}`,
    experimentId: 'exp_trend',
    createdAt: `2026-04-${String(10 + i).padStart(2, '0')}T09:00:00Z`,
    total: 30,
    final: score === null ? { status: /** @type {const} */ ('error'), message: 'Block failed' } : { status: /** @type {const} */ ('completed'), score, error_count: 0 },
  })),
  { id: 'exprun_trend', experimentId: 'exp_trend', createdAt: '2026-04-20T09:00:00Z', runningMs: 200, total: 30, final: { status: 'completed', score: 0.84, error_count: 0 }, documents: { priorScore: 0.87, priorRunId: 'exprun_trend_7', pairNoise: 1 } },
]);

/** Experiments every simulator knows, for starting runs: the end-to-end tests and the demo use them. */
export const BUILT_IN_EXPERIMENTS = /** @type {ExperimentSpec[]} */ ([
  { id: 'exp_pass', run: { queuedMs: 200, runningMs: 800, total: 12, final: { status: 'completed', score: 0.91, error_count: 0 } } },
  { id: 'exp_low', run: { queuedMs: 100, runningMs: 500, total: 12, final: { status: 'completed', score: 0.55, error_count: 0 } } },
  { id: 'exp_forever', run: { queuedMs: 100, runningMs: 24 * 3_600_000, total: 500, final: { status: 'completed', score: 0.9 } } },
]);

/**
 * @param {object} [options]
 * @param {number} [options.port] 0 for any free port
 * @param {string} [options.host] the loopback address to listen on: `127.0.0.1` (by default) or `::1`
 * @param {string} [options.apiKey]
 * @param {Shape} [options.shape] the default response shape (`flat`, the SDK's current one, when absent)
 * @param {RunSpec[]} [options.runs] extra runs, besides the built-in ones
 * @param {ExperimentSpec[]} [options.experiments] extra experiments, besides the built-in ones
 * @param {number} [options.listLagMs] a run started now shows in the runs list only this long after its creation
 * @param {boolean} [options.dateHeader] send the `Date` header (true by default, as HTTP servers do)
 * @param {{ key: string, cert: string }} [options.tls] serve HTTPS with this key and certificate (HTTP when absent)
 */
export async function startSimulator(options = {}) {
  const apiKey = options.apiKey ?? SIMULATOR_KEY;
  const defaultShape = options.shape ?? 'flat';
  const started = Date.now();
  /** @type {Map<string, RunSpec & { firstReadAt: number | null, cancelled?: { atMs: number, reason: string } }>} */
  const runs = new Map();
  /** @type {Map<string, ExperimentSpec>} */
  const experiments = new Map();
  for (const spec of [...BUILT_IN_EXPERIMENTS, ...(options.experiments ?? [])]) experiments.set(spec.id, spec);
  let startedCounter = 0;
  let otherCounter = 0;
  const listLagMs = options.listLagMs ?? 0;
  const dateHeader = options.dateHeader ?? true;
  /** @type {Array<(request: RecordedRequest) => void>} called when a start request arrives, before anything else happens to it */
  const startHooks = [];
  /** @type {Array<(request: RecordedRequest) => void>} called when any request arrives, before anything else happens to it */
  const requestHooks = [];
  /** @type {((data: Array<Record<string, unknown>>) => unknown[]) | null} rewrites every runs list's `data` (a hostile list) */
  let listTransform = null;
  /** @type {Array<Fault & { remaining: number }>} */
  const faults = [];
  /** @type {RecordedRequest[]} */
  const requests = [];
  /** @type {(RateLimit & { tokens: number, at: number }) | null} */
  let rateLimit = null;
  let requestCounter = 0;
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();

  const addRun = (/** @type {RunSpec} */ spec) => runs.set(spec.id, { ...spec, firstReadAt: null });
  for (const spec of [...BUILT_IN_RUNS, ...(options.runs ?? [])]) addRun(spec);
  for (const spec of TREND_RUNS) {
    addRun(spec);
    // Past runs: finished long before anybody reads them (the newest, the gated one, runs on cue).
    const run = runs.get(spec.id);
    if (run && spec.id !== 'exprun_trend') run.firstReadAt = started - 3_600_000;
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  const handle = (req, res) => {
    res.sendDate = dateHeader;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    /** @type {RecordedRequest} */
    const record = { method: req.method ?? 'GET', path: url.pathname + url.search, at: Date.now() - started, headers: req.headers, status: 0 };
    requests.push(record);
    const requestId = `req_sim_${++requestCounter}`;
    /** @param {number} status @param {unknown} body @param {Record<string, string>} [headers] @param {boolean} [bom] */
    const send = (status, body, headers = {}, bom = false) => {
      const after = fault?.afterHandling;
      if (after === 'reset') return req.socket.resetAndDestroy();
      if (after === 'close') return req.socket.destroy();
      if (after === 'hang') return;
      if (typeof after === 'number') {
        record.status = after;
        res.writeHead(after, { 'x-request-id': requestId, ...(fault?.headers ?? {}) });
        return res.end(fault?.body ?? '');
      }
      record.status = status;
      const text = (bom ? '\uFEFF' : '') + (typeof body === 'string' ? body : JSON.stringify(body));
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId, ...headers });
      res.end(text);
    };

    for (const hook of requestHooks) hook(record);
    if (req.method === 'POST' && url.pathname === '/v1/workflows/experiments/runs') for (const hook of startHooks) hook(record);
    const waitMs = rateLimited(record);
    if (waitMs !== null) {
      record.status = 429;
      // Whole seconds, as servers write it: the time until the bucket holds a request again, rounded up.
      res.writeHead(429, { 'content-type': 'application/json', 'x-request-id': requestId, 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1_000))) });
      return res.end(JSON.stringify({ detail: 'Rate limit exceeded. Please try again later.' }));
    }
    const fault = takeFault(record);
    if (fault?.afterHandling !== undefined) return route();
    if (fault) {
      if (fault.action === 'reset') return req.socket.resetAndDestroy();
      if (fault.action === 'close') return req.socket.destroy();
      if (fault.action === 'hang') return; // never answers
      if (fault.action === 'truncate') {
        record.status = 200;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400', 'x-request-id': requestId });
        res.write('{"id":"exprun_pass","lifecycle":{"sta');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      if (fault.streamBytes !== undefined) return streamBody(fault.status ?? 200, fault.streamBytes);
      if (fault.delayMs !== undefined && fault.status === undefined) {
        setTimeout(() => route(), fault.delayMs);
        return;
      }
      record.status = fault.status ?? 500;
      res.writeHead(record.status, { 'x-request-id': requestId, ...(fault.headers ?? {}) });
      res.end(fault.body ?? '');
      return;
    }
    route();

    /** A huge body, written with back-pressure: if the client stops reading, the writing stops too. */
    function streamBody(/** @type {number} */ status, /** @type {number} */ total) {
      record.status = status;
      record.bytesSent = 0;
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (record.bytesSent !== undefined && record.bytesSent < total && !res.destroyed) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - record.bytesSent));
          record.bytesSent += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    }

    function route() {
      const bearer = req.headers.authorization === `Bearer ${apiKey}`;
      const header = req.headers['api-key'] === apiKey;
      if (!bearer && !header) return send(401, { detail: 'Invalid API key' });
      const match = /^\/v1\/workflows\/experiments\/runs\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && match) {
        const id = decodeURIComponent(match[1] ?? '');
        const run = runs.get(id);
        if (!run) return send(404, { detail: `Experiment run not found: ${id}` });
        if (run.firstReadAt === null) run.firstReadAt = Date.now();
        return send(200, renderCurrent(run), {}, run.bom);
      }
      if (req.method === 'GET' && url.pathname === '/v1/workflows/experiments/metrics') return metrics({ url, send, res, record, requestId });
      if (req.method === 'GET' && url.pathname === '/v1/workflows/experiments/results') return results({ url, send });
      if (req.method === 'POST' && url.pathname === '/v1/workflows/experiments/runs') return readBody((body) => startRun(body));
      if (req.method === 'GET' && url.pathname === '/v1/workflows/experiments/runs') return listRuns();
      const cancel = /^\/v1\/workflows\/experiments\/runs\/([^/]+)\/cancel$/.exec(url.pathname);
      if (req.method === 'POST' && cancel) return readBody(() => cancelRun(decodeURIComponent(cancel[1] ?? '')));
      return send(404, { detail: 'Not Found' });
    }

    /** @param {(body: unknown) => void} then */
    function readBody(then) {
      /** @type {Buffer[]} */
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        record.body = Buffer.concat(chunks).toString('utf8');
        let body;
        try {
          body = record.body ? JSON.parse(record.body) : {};
        } catch {
          return send(422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
        }
        then(body);
      });
    }

    /** @param {unknown} body */
    function startRun(body) {
      const { experiment_id: experimentId, workflow_id: workflowId } = /** @type {{ experiment_id?: unknown, workflow_id?: unknown }} */ (body ?? {});
      if (typeof experimentId !== 'string' || !experimentId) {
        return send(422, { detail: [{ loc: ['body', 'experiment_id'], msg: 'Field required', type: 'missing' }] });
      }
      const experiment = experiments.get(experimentId);
      const workflow = experiment?.workflowId ?? 'wf_abc123';
      if (!experiment || (workflowId !== undefined && workflowId !== null && workflowId !== workflow)) {
        return send(404, { detail: `Experiment not found: ${experimentId}${typeof workflowId === 'string' ? ` in workflow ${workflowId}` : ''}` });
      }
      const run = createRun(`exprun_started_${++startedCounter}`, experiment, experimentId, 'manual_run');
      return send(202, renderRun(run, 0, run.shape ?? defaultShape));
    }

    function listRuns() {
      const experimentId = url.searchParams.get('experiment_id');
      const order = url.searchParams.get('order') ?? 'desc';
      const limit = Number(url.searchParams.get('limit') ?? '20');
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        return send(422, { detail: [{ loc: ['query', 'limit'], msg: 'Input should be between 1 and 100', type: 'range' }] });
      }
      const now = Date.now();
      const matching = [...runs.values()].filter((run) => (!experimentId || (run.experimentId ?? 'exp_abc') === experimentId) && (run.listedFrom ?? 0) <= now);
      // Oldest first, as stored; built-in runs have no creation time and count as old.
      matching.sort((a, b) => Date.parse(a.createdAt ?? DEFAULT_CREATED_AT) - Date.parse(b.createdAt ?? DEFAULT_CREATED_AT));
      if (order === 'desc') matching.reverse();
      const page = matching.slice(0, limit);
      for (const run of page) if (run.firstReadAt === null) run.firstReadAt = Date.now();
      const more = matching.length > limit;
      const data = page.map((run) => renderCurrent(run));
      return send(200, { data: listTransform ? listTransform(data) : data, list_metadata: { before: null, after: more ? (page.at(-1)?.id ?? null) : null } });
    }

    /** @param {string} id */
    function cancelRun(id) {
      const run = runs.get(id);
      if (!run) return send(404, { detail: `Experiment run not found: ${id}` });
      if (run.firstReadAt === null) run.firstReadAt = Date.now();
      const status = renderCurrent(run).lifecycle.status;
      if (status === 'completed' || status === 'error') return send(404, { detail: `Experiment run ${id} is ${status} and cannot be cancelled` });
      if (!run.cancelled) run.cancelled = { atMs: Date.now() - run.firstReadAt, reason: 'Cancelled via the API' };
      return send(200, { id, lifecycle: { status: 'cancelled', reason: run.cancelled.reason } });
    }
  };
  const server = options.tls ? createTlsServer(options.tls, handle) : createServer(handle);

  /**
   * A new run of `experiment`, created now as the POST does (the live server marks it `manual_run`),
   * listed only after the list lag.
   * @param {string} id @param {ExperimentSpec} experiment @param {string} experimentId @param {string} trigger
   */
  function createRun(id, experiment, experimentId, trigger, createdAtMs = Date.now()) {
    addRun({ ...experiment.run, id, experimentId, trigger, createdAt: new Date(createdAtMs).toISOString(), listedFrom: createdAtMs + listLagMs });
    const run = /** @type {RunSpec & { firstReadAt: number | null }} */ (runs.get(id));
    run.firstReadAt = Date.now(); // a started run runs whether or not anybody reads it
    return run;
  }

  /** The metrics summary of a finished run, written in chunks so a large run is never one string. */
  /**
   * @param {{ url: URL, send: (status: number, body: unknown, headers?: Record<string, string>, bom?: boolean) => void, res: import('node:http').ServerResponse, record: RecordedRequest, requestId: string }} ctx
   */
  function metrics({ url, send, res, record, requestId }) {
    const id = url.searchParams.get('run_id') ?? '';
    const run = runs.get(id);
    if (!run) return send(404, { detail: `Experiment run not found: ${id}` });
    const view = url.searchParams.get('view');
    if (view !== 'summary' && view !== 'by_target') return send(422, { detail: [{ loc: ['query', 'view'], msg: 'only summary and by_target are simulated', type: 'value_error' }] });
    const docs = run.documents ?? {};
    const final = run.final;
    if (docs.metrics === 'stale_metrics' || docs.metrics === 'stale_metrics_409') {
      // The SDK's ExperimentMetricsStaleError, answered as an ordinary 2xx body.
      const stale = {
        kind: 'stale_metrics',
        error: 'stale_metrics',
        experiment_id: run.experimentId ?? 'exp_abc',
        stale_reasons: ['documents_changed'],
        last_run: { run_id: 'exprun_last', block_execution_fingerprint: '0ff93ddc7cefcb42', score: 0.83, created_at: '2026-05-01T09:30:00Z' },
        current_block_execution_fingerprint: '1aa04eeb8dfdc153',
        message: 'The experiment documents changed since the run',
      };
      return send(docs.metrics === 'stale_metrics_409' ? 409 : 200, stale, {}, run.bom);
    }
    if (docs.metrics === 'no_metrics' || final.status !== 'completed' || final.score === null || final.score === undefined) {
      return send(200, { kind: 'no_metrics', error: 'no_metrics', experiment_id: run.experimentId ?? 'exp_abc', message: `No metrics for run ${id}` }, {}, run.bom);
    }
    const baseline = url.searchParams.get('prior_run_id');
    /** @type {number | null} */
    let priorScore = docs.priorScore === undefined ? round(final.score + 0.02) : docs.priorScore;
    let priorRunId = docs.priorScore === null ? null : (docs.priorRunId ?? 'exprun_prior');
    if (baseline) {
      const other = runs.get(baseline);
      if (!other) return send(404, { detail: `Experiment run not found: ${baseline}` });
      priorScore = other.final.status === 'completed' ? (other.final.score ?? null) : null;
      priorRunId = baseline;
    }
    const runScore = final.score;
    const blockType = run.blockType ?? 'extract';
    if (view === 'by_target') {
      const path = url.searchParams.get('target_path') ?? '';
      const index = (run.fields ?? FIELDS).indexOf(path);
      if (blockType !== 'extract' || index < 0) return send(404, { detail: `Target not found: ${path}` });
      const { score, prior } = fieldScores(runScore, priorScore, index);
      return send(200, { run_id: id, kind: 'by_target', target: path, score, prior_score: prior, confusion: null, documents: [] });
    }
    const total = run.total ?? 12;
    const errors = final.error_count ?? 0;
    const document = (/** @type {number} */ i) => {
      const score = isErrored(i, total, errors) ? null : documentScore(runScore, i);
      const prior = priorScore === null || score === null ? null : priorDocumentScore(priorScore, i, docs);
      return { score, prior };
    };
    // The summary's scores are the means of the documents it lists, as Retab's are: a first pass
    // adds them up (nothing is stored), the second writes the documents.
    let sum = 0;
    let scored = 0;
    let priorSum = 0;
    let priors = 0;
    for (let i = 0; i < total; i++) {
      const { score, prior } = document(i);
      if (score !== null) {
        sum += score;
        scored += 1;
      }
      if (prior !== null) {
        priorSum += prior;
        priors += 1;
      }
    }
    const summaryScore = scored > 0 ? round(sum / scored) : null;
    const summaryPrior = priors > 0 ? round(priorSum / priors) : null;
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId });
    if (run.bom) res.write('\uFEFF');
    res.write(
      JSON.stringify({ experiment_id: run.experimentId ?? 'exp_abc', run_id: id, kind: 'summary', view: 'summary', block_type: blockType, score: summaryScore, prior_score: summaryPrior, prior_run_id: priorRunId }).slice(0, -1) +
        ',"documents":[',
    );
    for (let start = 0; start < total; start += 1000) {
      const chunk = [];
      for (let i = start; i < Math.min(total, start + 1000); i++) {
        const { score, prior } = document(i);
        chunk.push(JSON.stringify({ id: documentId(i), filename: docs.filename ? docs.filename(i) : `invoice-${String(i + 1).padStart(5, '0')}.pdf`, score, prior_score: prior }));
      }
      res.write((start > 0 ? ',' : '') + chunk.join(','));
    }
    res.end(`],"scored_document_count":${scored},"total_document_count":${total},"aggregate":${JSON.stringify(aggregateOf(blockType, runScore, priorScore, run.fields))}}`);
  }

  /** One cursor page of per-document results, generated from the index: nothing is stored. */
  /** @param {{ url: URL, send: (status: number, body: unknown, headers?: Record<string, string>, bom?: boolean) => void }} ctx */
  function results({ url, send }) {
    const id = url.searchParams.get('run_id') ?? '';
    const run = runs.get(id);
    if (!run) return send(404, { detail: `Experiment run not found: ${id}` });
    // As Retab's CLI validates it: 1–100.
    const limit = Number(url.searchParams.get('limit') ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return send(422, { detail: [{ loc: ['query', 'limit'], msg: 'Input should be less than or equal to 100', type: 'less_than_equal' }] });
    }
    const after = url.searchParams.get('after');
    const start = after ? Number(/^expres_(\d+)$/.exec(after)?.[1] ?? NaN) + 1 : 0;
    if (!Number.isInteger(start)) return send(400, { detail: `Invalid cursor: ${after}` });
    const total = run.total ?? 12;
    const final = run.final;
    const errors = final.status === 'completed' ? (final.error_count ?? 0) : 0;
    const done = final.status === 'completed' ? total : final.status === 'error' ? Math.floor(total / 2) : Math.floor(total / 3);
    const end = Math.min(total, start + limit);
    const data = [];
    for (let i = start; i < end; i++) {
      /** @type {Record<string, unknown>} */
      let lifecycle = { status: 'completed' };
      if (isErrored(i, total, errors)) {
        const message = run.documents?.errorMessage ? run.documents.errorMessage(i) : `Extraction failed for page ${(i % 7) + 1}: the model returned invalid JSON`;
        lifecycle = { status: 'error', message, details: { message, stack_trace: null, block_id: run.blockId ?? 'extract-invoice', block_name: 'Extract invoice', error_code: 'EXTRACTION_FAILED', context: null } };
      } else if (i >= done) lifecycle = final.status === 'cancelled' ? { status: 'cancelled', reason: 'run cancelled' } : { status: 'error', message: 'the run failed before this document' };
      data.push({
        id: resultId(i),
        experiment_run_id: id,
        experiment_id: run.experimentId ?? 'exp_abc',
        document_id: documentId(i),
        lifecycle,
        timing: { created_at: '2026-05-02T11:00:00Z', completed_at: '2026-05-02T11:01:00Z' },
        block_type: run.blockType ?? 'extract',
        artifact: null,
        attempt: 1,
      });
    }
    send(200, { data, list_metadata: { before: start > 0 ? resultId(start) : null, after: end < total ? resultId(end - 1) : null } }, {}, run.bom);
  }

  /** The run now: as its scenario says, or frozen as cancelled when it was cancelled through the API. */
  function renderCurrent(/** @type {RunSpec & { firstReadAt: number | null, cancelled?: { atMs: number, reason: string } }} */ run) {
    const shape = run.shape ?? defaultShape;
    const elapsed = Date.now() - (run.firstReadAt ?? Date.now());
    if (!run.cancelled) return renderRun(run, elapsed, shape);
    const frozen = renderRun(run, run.cancelled.atMs, shape);
    const cancelledAt = new Date(Date.parse(run.createdAt ?? DEFAULT_CREATED_AT) + run.cancelled.atMs).toISOString();
    return { ...frozen, lifecycle: { status: 'cancelled', reason: run.cancelled.reason }, timing: { ...frozen.timing, completed_at: cancelledAt } };
  }

  /** Null when the rate limiter lets `record` through (taking a request from the bucket), else how long until it would. */
  function rateLimited(/** @type {RecordedRequest} */ record) {
    const limit = rateLimit;
    if (!limit) return null;
    if (limit.method && limit.method !== record.method) return null;
    if (limit.path && !(typeof limit.path === 'string' ? record.path.startsWith(limit.path) : limit.path.test(record.path))) return null;
    const now = Date.now();
    limit.tokens = Math.min(limit.perSecond, limit.tokens + ((now - limit.at) / 1_000) * limit.perSecond);
    limit.at = now;
    if (limit.tokens >= 1) {
      limit.tokens -= 1;
      return null;
    }
    return ((1 - limit.tokens) / limit.perSecond) * 1_000;
  }

  /** @param {RecordedRequest} record */
  function takeFault(record) {
    const index = faults.findIndex(
      (fault) =>
        fault.remaining > 0 &&
        (!fault.method || fault.method === record.method) &&
        (!fault.path || (typeof fault.path === 'string' ? record.path.startsWith(fault.path) : fault.path.test(record.path))),
    );
    if (index < 0) return null;
    const fault = faults[index];
    if (!fault) return null;
    fault.remaining -= 1;
    return fault;
  }

  let connections = 0;
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise((resolve) => server.listen(options.port ?? 0, host, () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    apiKey,
    requests,
    /** TCP connections accepted so far, and how many are open now. */
    connections: () => ({ accepted: connections, open: sockets.size }),
    addRun,
    /** @param {Fault} fault */
    fault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    /** Turns requests away with 429 past `limit.perSecond` a second (a full bucket to begin with); null to stop. @param {RateLimit | null} limit */
    rateLimit(limit) {
      rateLimit = limit ? { ...limit, tokens: limit.perSecond, at: Date.now() } : null;
    },
    /** @param {ExperimentSpec} spec */
    addExperiment(spec) {
      experiments.set(spec.id, spec);
    },
    /** The runs started through `POST /v1/workflows/experiments/runs` for one experiment, with whether each was cancelled. */
    startedRuns(/** @type {string} */ experimentId) {
      return [...runs.values()].filter((run) => run.id.startsWith('exprun_started_') && run.experimentId === experimentId).map((run) => ({ id: run.id, cancelled: Boolean(run.cancelled) }));
    },
    /**
     * Another job (another pull request) starts a run of the same experiment, as its own POST would.
     * @param {string} experimentId @param {{ trigger?: string, createdAtMs?: number }} [how] its trigger (`manual_run`) and creation time (now)
     */
    startOtherRun(experimentId, how = {}) {
      const experiment = experiments.get(experimentId);
      if (!experiment) throw new Error(`no experiment ${experimentId}`);
      return createRun(`exprun_other_${++otherCounter}`, experiment, experimentId, how.trigger ?? 'manual_run', how.createdAtMs).id;
    },
    /** Runs started by `startOtherRun`, with whether each was cancelled. */
    otherRuns(/** @type {string} */ experimentId) {
      return [...runs.values()].filter((run) => run.id.startsWith('exprun_other_') && run.experimentId === experimentId).map((run) => ({ id: run.id, cancelled: Boolean(run.cancelled) }));
    },
    /** Calls `hook` whenever a start request arrives (before faults or handling): e.g. another job starting a run just then. */
    onStartRequest(/** @type {(request: RecordedRequest) => void} */ hook) {
      startHooks.push(hook);
    },
    /** Calls `hook` whenever any request arrives (before faults or handling): e.g. to act a moment after a runs list. */
    onRequest(/** @type {(request: RecordedRequest) => void} */ hook) {
      requestHooks.push(hook);
    },
    /** Rewrites every runs list's `data` from now on (null to stop): runs of other experiments, duplicates, anything. */
    transformList(/** @type {((data: Array<Record<string, unknown>>) => unknown[]) | null} */ transform) {
      listTransform = transform;
    },
    /** Cancel requests, in order. */
    cancelRequests() {
      return requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel'));
    },
    /** Requests for one run's GET, in order. */
    runReads(/** @type {string} */ id) {
      return requests.filter((r) => r.method === 'GET' && r.path === `/v1/workflows/experiments/runs/${encodeURIComponent(id)}`);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/** A number in [0, 1) from an index and a salt: the same every time. */
function hash(/** @type {number} */ i, /** @type {number} */ salt) {
  let x = Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca77);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
  return ((x ^ (x >>> 15)) >>> 0) / 2 ** 32;
}
const round = (/** @type {number} */ n) => Number(n.toFixed(4));
const documentId = (/** @type {number} */ i) => `expdoc_${String(i + 1).padStart(6, '0')}`;
const resultId = (/** @type {number} */ i) => `expres_${String(i).padStart(6, '0')}`;
/** `errors` documents spread over the run, the same ones in metrics and results. */
export function isErrored(/** @type {number} */ i, /** @type {number} */ total, /** @type {number} */ errors) {
  return errors > 0 && ((i * 7919) % total) < errors;
}
/**
 * In [-1, 1], from an index: documents 2k and 2k+1 mirror each other, so the values of an even
 * number of documents add up to 0 and the scores below average exactly to the run's.
 */
function mirrored(/** @type {number} */ i, /** @type {number} */ salt) {
  const u = 2 * hash(i >> 1, salt) - 1;
  return i % 2 === 0 ? u : -u;
}
/** Document scores spread around the run's score (never clamped: the spread shrinks near 0 and 1). */
export function documentScore(/** @type {number} */ runScore, /** @type {number} */ i) {
  const spread = Math.min(0.15, runScore, 1 - runScore);
  return round(runScore + spread * mirrored(i, 1));
}
/**
 * A document's prior score: around the prior run's score, following the document's own score
 * (a hard document is hard in both runs) but for a share `pairNoise` of independent noise. Null for
 * the documents the prior run did not score (`priorCoverage`).
 * @param {number} priorScore @param {number} i @param {DocumentsSpec} docs
 */
export function priorDocumentScore(priorScore, i, docs) {
  if (hash(i, 3) >= (docs.priorCoverage ?? 1)) return null;
  const noise = docs.pairNoise ?? 0.2;
  const spread = Math.min(0.15, priorScore, 1 - priorScore);
  return round(priorScore + spread * ((1 - noise) * mirrored(i, 1) + noise * mirrored(i, 2)));
}
/** The fields of the simulated extract block, for `aggregate.likelihoods` and `view=by_target`. */
export const FIELDS = ['vendor.name', 'invoice_number', 'invoice_date', 'due_date', 'total_amount', 'currency', 'line_items.description', 'line_items.quantity', 'line_items.amount', 'buyer.address'];
const clamp = (/** @type {number} */ n) => Math.min(1, Math.max(0, n));
/** A field's score around the run's, and its prior around the prior run's (null without a prior run). */
export function fieldScores(/** @type {number} */ runScore, /** @type {number | null} */ priorScore, /** @type {number} */ index) {
  const score = clamp(round(runScore + (hash(index, 4) - 0.5) * 0.3));
  const prior = priorScore === null ? null : clamp(round(score + (priorScore - runScore) + (hash(index, 5) - 0.5) * 0.12));
  return { score, prior };
}
/** The summary's `aggregate`: per-field likelihoods for extract blocks; per-label agreement and confusion flows otherwise. */
function aggregateOf(/** @type {string} */ blockType, /** @type {number} */ runScore, /** @type {number | null} */ priorScore, /** @type {string[] | undefined} */ names) {
  // Object.fromEntries makes every name an own key, `__proto__` included, as JSON.parse does.
  if (blockType === 'extract') return { likelihoods: Object.fromEntries((names ?? FIELDS).map((path, i) => [path, fieldScores(runScore, priorScore, i).score])) };
  const labels = names ?? ['invoice', 'receipt', 'contract', 'purchase_order'];
  const diag = Object.fromEntries(labels.map((label, i) => [label, clamp(round(runScore + (hash(i, 6) - 0.5) * 0.2))]));
  const flows = labels.flatMap((source, i) => labels.map((target, j) => ({ source, target, score: i === j ? diag[source] : round(hash(i * 7 + j, 7) * 0.1) })));
  return { diag, flows };
}
const DEFAULT_CREATED_AT = '2026-05-02T11:00:00Z';

/**
 * The run as Retab would answer `elapsedMs` after its first read.
 * @param {RunSpec} spec @param {number} elapsedMs @param {Shape} shape
 */
export function renderRun(spec, elapsedMs, shape) {
  const pending = spec.pendingMs ?? 0;
  const queued = pending + (spec.queuedMs ?? 0);
  const running = queued + (spec.runningMs ?? 0);
  const total = spec.total ?? 12;
  const createdAt = spec.createdAt ?? DEFAULT_CREATED_AT;
  const startedAt = new Date(Date.parse(createdAt) + queued).toISOString();

  /** @type {Record<string, unknown>} */
  let lifecycle;
  let completed = 0;
  /** @type {number | null} */
  let score = null;
  let errorCount = 0;
  let completedAt = null;
  let durationMs = null;
  if (elapsedMs < pending) lifecycle = { status: 'pending' };
  else if (elapsedMs < queued) lifecycle = { status: 'queued' };
  else if (elapsedMs < running) {
    lifecycle = { status: 'running' };
    const fraction = (elapsedMs - queued) / Math.max(1, running - queued);
    completed = Math.min(total, Math.floor(total * (spec.progress ? spec.progress(fraction) : fraction)));
  } else {
    const final = spec.final;
    lifecycle = { ...final };
    if (final.status === 'completed') {
      delete lifecycle.score;
      delete lifecycle.error_count;
      completed = total;
      score = final.score === undefined ? null : final.score;
      errorCount = typeof spec.errorCountField === 'number' ? spec.errorCountField : (final.error_count ?? 0);
    } else if (final.status === 'error') {
      completed = Math.floor(total / 2);
      lifecycle.details = {
        message: final.message,
        stack_trace: 'Traceback (most recent call last):\n  File "blocks/extract.py", line 212, in run\n    raise BlockFailed(message)\nBlockFailed: model returned invalid JSON',
        block_id: spec.blockId ?? 'extract-invoice',
        block_name: 'Extract invoice',
        error_code: 'BLOCK_FAILED',
        context: null,
      };
    } else {
      completed = Math.floor(total / 3);
    }
    completedAt = new Date(Date.parse(createdAt) + running).toISOString();
    durationMs = running - queued;
  }

  const common = {
    id: spec.id,
    trigger: { type: spec.trigger ?? 'api' },
    lifecycle,
    timing: { created_at: createdAt, started_at: elapsedMs >= queued ? startedAt : null, completed_at: completedAt, duration_ms: durationMs },
    experiment_id: spec.experimentId ?? 'exp_abc',
    block_id: spec.blockId ?? 'extract-invoice',
    n_consensus: spec.nConsensus ?? 5,
    total_document_count: total,
    completed_document_count: completed,
    ...(spec.errorCountField === 'missing' ? {} : { error_count: spec.errorCountField === 'null' ? null : errorCount }),
    score,
    parent_run_id: null,
    some_future_field: { ignored: true },
  };
  if (shape !== 'reference') {
    // The SDK's ExperimentRun (flat).
    return {
      ...common,
      workflow_id: 'wf_abc123',
      workflow_version_id: 'draft_2026_05_18',
      block_type: spec.blockType ?? 'extract',
      block_version_id: null,
      block_execution_fingerprint: spec.blockFingerprint ?? '0ff93ddc7cefcb42',
      documents_fingerprint: spec.documentsFingerprint ?? 'ddd95baadce6045f',
      metrics_validity_fingerprint: null,
      metrics_validity_fingerprint_version: null,
      document_count: total,
    };
  }
  return {
    ...common,
    workflow: { workflow_id: 'wf_abc123', version_id: 'draft_2026_05_18', name_at_run_time: spec.workflowName ?? 'Invoice workflow', requested_version: 'draft' },
    block_kind: spec.blockType ?? 'extract',
    definition_fingerprint: spec.blockFingerprint ?? '0ff93ddc7cefcb42',
    documents_fingerprint: spec.documentsFingerprint ?? 'ddd95baadce6045f',
  };
}
