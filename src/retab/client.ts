/**
 * The Retab HTTP client: one method per endpoint this action uses. It sends the key only to
 * `baseUrl`, never follows redirects, bounds every request in time and every body in size, and
 * parses every answer through a schema. Every string of an answer (body fields and keys, the
 * request id, error text) has the secrets taken out and is cut to a bound once, right after
 * decoding, so nothing above the client ever holds more of it (see common/api-text.ts).
 */
import type * as z from 'zod/mini';
import { cleanDecoded, cleanText, Redactor } from '../common/api-text.js';
import type { Env } from '../common/env.js';
import { keyEnvironment } from './keys.js';
import { RetabApiError, RetabConnectionError, RetabNeverAnsweredError, RetabProxyError, RetabResponseError, RetabTimeoutError, type RequestInfo } from './errors.js';
import { AnswerWatch, NO_ANSWER_LIMIT_MS } from './no-answer.js';
import { describeProxy, proxyFor, refusedTunnelStatus } from './proxy.js';
import { httpTransport, type HttpAnswer, type Transport } from './transport.js';
import { parseRetryAfter } from './retry-after.js';
import { normalizeMetrics, rawMetricsSchema, rawUnavailableMetricsSchema, repeatedDocument, type MetricsSummary } from './metrics.js';
import { rawTargetSchema, type TargetScore } from './targets.js';
import { MAX_RESULTS_PAGE_SIZE, normalizeResultsPage, rawResultsPageSchema, type ResultsPage } from './results.js';
import { cancelAnswerSchema, describeIssues, normalizeRun, rawRunSchema, RUN_ID_PATTERN, runAnswerProblem, runListSchema, STATUS_PATTERN, type ExperimentRun, type RawRun } from './run.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** The runs list's largest page (`limit` 1–100). */
export const MAX_RUNS_PAGE_SIZE = 100;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * The metrics summary carries every document's score in one body (about 100 bytes each), so it
 * gets a larger cap than the other answers: 32 MiB is some 300,000 documents. The body is reduced
 * to a few rows as soon as it is parsed, so it is held only for that moment.
 */
export const METRICS_MAX_BODY_BYTES = 32 * 1024 * 1024;
const USER_AGENT = 'retab-experiment-gate';
/** A request id is quoted in messages; a longer one is not an id. */
const MAX_REQUEST_ID = 128;

export interface RetabClientOptions {
  baseUrl: URL;
  apiKey: string;
  /** Other secrets (the GitHub token) to take out of every answer, besides the key. */
  secrets?: readonly string[];
  /** What carries the requests (see transport.ts; `transportFor` picks it), closed with the client; direct by default. */
  transport?: Transport;
  /** Where the proxy variables were read from, for messages about the proxy; `process.env` by default. */
  env?: Env;
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
  /** The cap for the metrics summary, which holds every document's score. */
  metricsMaxBodyBytes?: number;
  /** One line per request: method, path, status, latency, request id. Never headers. */
  debug?: (line: string) => void;
  now?: () => number;
  /** How long to keep trying while Retab has never answered (see no-answer.ts); `NO_ANSWER_LIMIT_MS` by default. */
  noAnswerLimitMs?: number;
}

interface SendOptions<T> {
  signal?: AbortSignal | undefined;
  /** Sent as JSON. */
  body?: unknown;
  maxBodyBytes?: number;
  /** An answer some error statuses (below 500) carry as data rather than as a failure. */
  errorSchema?: z.ZodMiniType<T>;
  /** Why a well-shaped answer still cannot be used (see `runAnswerProblem`), or null. */
  check?: (value: T) => string | null;
  /** Told the answer's `Date` header (null when absent). */
  onDate?: (date: string | null) => void;
}

/** What came back, before it is checked: the status, the body as text and the headers we use. */
interface Answer {
  status: number;
  requestId: string | null;
  retryAfter: string | null;
  date: string | null;
  text: string;
}

/** The experiment's runs as listed, with the server's clock. */
export interface RunList {
  runs: ExperimentRun[];
  /** The answer's `Date` header in ms since the epoch (whole seconds), or null when absent or unreadable. */
  serverDateMs: number | null;
}

export class RetabClient {
  private readonly transport: Transport;
  private readonly requestTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly debug: (line: string) => void;
  private readonly now: () => number;
  private readonly redactor: Redactor;
  /** Whether Retab has answered yet: one for every request of the step. */
  private readonly watch: AnswerWatch;

  constructor(private readonly options: RetabClientOptions) {
    this.transport = options.transport ?? httpTransport();
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.debug = options.debug ?? (() => {});
    this.now = options.now ?? Date.now;
    this.redactor = new Redactor([options.apiKey, ...(options.secrets ?? [])]);
    this.watch = new AnswerWatch(options.noAnswerLimitMs ?? NO_ANSWER_LIMIT_MS, this.now);
  }

  /**
   * When a request that gets no answer stops the tries (`RetabNeverAnsweredError`), on the client's
   * clock: null once Retab has answered anything. A retry waits no longer than this, so that the
   * last try is made then.
   */
  noAnswerDeadline(): number | null {
    return this.watch.giveUpAt();
  }

  /** `GET /v1/workflows/experiments/runs/{run_id}` */
  async getRun(runId: string, signal?: AbortSignal): Promise<ExperimentRun> {
    const raw = await this.send('GET', `/v1/workflows/experiments/runs/${encodeURIComponent(runId)}`, rawRunSchema, { signal, check: (run) => runProblem(run, runId) });
    // The stack trace helps whoever debugs the block, not the reader of the summary: debug log only
    // (cleaned and cut like every string of an answer).
    const stackTrace = raw.lifecycle.details?.stack_trace;
    if (stackTrace) this.debug(`Run ${raw.id} error stack trace:\n${stackTrace}`);
    return normalizeRun(raw);
  }

  /** `GET /v1/workflows/experiments/metrics?run_id=…&view=summary`, against `priorRunId` when given (else the previous run). */
  async getMetricsSummary(runId: string, options: { priorRunId?: string | null; signal?: AbortSignal } = {}): Promise<MetricsSummary> {
    // `include_prior=true` as the SDK sends it: the prior run's scores are what the comparison needs.
    const query = new URLSearchParams({ run_id: runId, view: 'summary', include_prior: 'true' });
    if (options.priorRunId) query.set('prior_run_id', options.priorRunId);
    const raw = await this.send('GET', `/v1/workflows/experiments/metrics?${query}`, rawMetricsSchema, {
      signal: options.signal,
      maxBodyBytes: this.options.metricsMaxBodyBytes ?? METRICS_MAX_BODY_BYTES,
      errorSchema: rawUnavailableMetricsSchema,
      check: (metrics) => {
        if (metrics.kind === 'no_metrics' || metrics.kind === 'stale_metrics') return null;
        const repeated = repeatedDocument(metrics as { documents?: Array<{ id: string }> | null });
        if (repeated !== null) return `lists document ${excerpt(repeated, 100)} more than once`;
        return metricsAnswerProblem(metrics as { run_id?: string | null; prior_run_id?: string | null }, runId, options.priorRunId ?? null);
      },
    });
    return normalizeMetrics(raw);
  }

  /** `GET /v1/workflows/experiments/metrics?run_id=…&view=by_target&target_path=…`: one field's score and the prior run's. */
  async getTargetMetrics(runId: string, targetPath: string, options: { priorRunId?: string | null; signal?: AbortSignal } = {}): Promise<TargetScore> {
    const query = new URLSearchParams({ run_id: runId, view: 'by_target', target_path: targetPath, include_prior: 'true' });
    if (options.priorRunId) query.set('prior_run_id', options.priorRunId);
    // The answer lists every document's value for the field: the metrics cap applies.
    const raw = await this.send('GET', `/v1/workflows/experiments/metrics?${query}`, rawTargetSchema, {
      signal: options.signal,
      maxBodyBytes: this.options.metricsMaxBodyBytes ?? METRICS_MAX_BODY_BYTES,
      check: (target) =>
        metricsAnswerProblem(target, runId, options.priorRunId ?? null) ?? (target.target != null && target.target !== targetPath ? 'describes another field than the one asked for' : null),
    });
    return { score: raw.score ?? null, prior_score: raw.prior_score ?? null };
  }

  /** `GET /v1/workflows/experiments/results?run_id=…&limit=…&after=…`: one page of per-document results. */
  async getResultsPage(runId: string, options: { after?: string | null; limit?: number; signal?: AbortSignal } = {}): Promise<ResultsPage> {
    const limit = Math.min(MAX_RESULTS_PAGE_SIZE, Math.max(1, options.limit ?? MAX_RESULTS_PAGE_SIZE));
    const query = new URLSearchParams({ run_id: runId, limit: String(limit) });
    if (options.after) query.set('after', options.after);
    const raw = await this.send('GET', `/v1/workflows/experiments/results?${query}`, rawResultsPageSchema, {
      signal: options.signal,
      check: (page) => (page.data.some((item) => !STATUS_PATTERN.test(item.lifecycle.status)) ? 'gives a document status that is not a lifecycle status' : null),
    });
    return normalizeResultsPage(raw);
  }

  /** `POST /v1/workflows/experiments/runs`: starts a new run. Not idempotent: see start/start-run.ts before retrying it. */
  async startRun(experimentId: string, workflowId: string | null, signal?: AbortSignal): Promise<ExperimentRun> {
    const body = workflowId === null ? { experiment_id: experimentId } : { experiment_id: experimentId, workflow_id: workflowId };
    const raw = await this.send('POST', '/v1/workflows/experiments/runs', rawRunSchema, { signal, body, check: (run) => runProblem(run, null) });
    return normalizeRun(raw);
  }

  /**
   * `GET /v1/workflows/experiments/runs?experiment_id=…&order=desc&limit=…`: the experiment's newest
   * runs (first page only, `limit` at most 100, the API's maximum), with the answer's `Date` header:
   * Retab's clock, which start-run.ts compares with the runs' creation times. A run in the list with
   * an id or status that cannot be one makes the whole list malformed: one of them may be ours.
   */
  async listRecentRuns(experimentId: string, limit: number, signal?: AbortSignal): Promise<RunList> {
    const query = new URLSearchParams({ experiment_id: experimentId, order: 'desc', limit: String(Math.min(MAX_RUNS_PAGE_SIZE, Math.max(1, limit))) });
    let date: string | null = null;
    const check = (list: { data: RawRun[] }) => list.data.map((run) => runProblem(run, null)).find((problem) => problem !== null) ?? null;
    const page = await this.send('GET', `/v1/workflows/experiments/runs?${query}`, runListSchema, { signal, check, onDate: (value) => (date = value) });
    return { runs: page.data.map(normalizeRun), serverDateMs: parseHttpDate(date) };
  }

  /** `POST /v1/workflows/experiments/runs/{run_id}/cancel`: answers the run's lifecycle status after the cancel. */
  async cancelRun(runId: string, signal?: AbortSignal): Promise<{ id: string; status: string }> {
    const answer = await this.send('POST', `/v1/workflows/experiments/runs/${encodeURIComponent(runId)}/cancel`, cancelAnswerSchema, {
      signal,
      body: {},
      check: (cancelled) => runAnswerProblem({ id: cancelled.id, status: cancelled.lifecycle.status }, runId),
    });
    return { id: answer.id, status: answer.lifecycle.status };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** One request: sent, its body read within the caps, then checked and parsed (see `decode`). */
  private async send<T>(method: 'GET' | 'POST', path: string, schema: z.ZodMiniType<T>, options: SendOptions<T> = {}): Promise<T> {
    const url = this.urlFor(path);
    const info: RequestInfo = { method, path: url.pathname + url.search };
    const answer = await this.exchange(url, info, options);
    const value = this.decode(answer, info, schema, options);
    options.onDate?.(answer.date);
    return value;
  }

  /** Sends the request and reads the body; every way this can fail becomes a typed error (see `failure`). */
  private async exchange<T>(url: URL, info: RequestInfo, options: SendOptions<T>): Promise<Answer> {
    const { method } = info;
    const { signal, body } = options;
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const started = this.now();
    let response: HttpAnswer;
    this.watch.tried();
    try {
      response = await this.transport.request(url, {
        method,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          'api-key': this.options.apiKey,
          accept: 'application/json',
          'user-agent': USER_AGENT,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const failure = this.unlessNeverAnswered(this.failure(error, info, url, timeout, signal), url);
      this.debug(`${method} ${info.path} -> no answer in ${this.now() - started} ms (${failure.message})`);
      throw failure;
    }

    // Any status: Retab is there (a proxy's refusal of the tunnel is an error above, not an answer).
    this.watch.answered();
    const status = response.statusCode;
    const requestId = this.headerText(response.headers['x-request-id']);
    const answered = `${method} ${info.path} -> ${status} in ${this.now() - started} ms${requestId ? ` (request id ${requestId})` : ''}`;
    try {
      const text = await this.readBody(response, info, requestId, options.maxBodyBytes ?? this.maxBodyBytes);
      this.debug(answered);
      return { status, requestId, retryAfter: headerValue(response.headers['retry-after']), date: headerValue(response.headers.date), text };
    } catch (error) {
      const failure =
        error instanceof RetabResponseError || signal?.aborted || timeout.aborted
          ? this.failure(error, info, url, timeout, signal)
          : // The headers came, then the connection broke: a cut-off body, worth another try.
            new RetabResponseError('truncated', status, requestId, info, `was cut off (${errorCode(error)})`);
      this.debug(`${answered}, body unusable (${failure.message})`);
      throw failure;
    }
  }

  /**
   * The answer's status and body as a value of `schema`, or the typed error that says why not. The
   * body is decoded first and cleaned after (see `cleanBody`): a secret sent back JSON-escaped
   * (`\u0072t_test_…`) is only recognisable once decoded.
   */
  private decode<T>(answer: Answer, info: RequestInfo, schema: z.ZodMiniType<T>, options: SendOptions<T>): T {
    const { status, requestId, text } = answer;
    const body = this.cleanBody(text);
    if (status < 200 || status >= 300) {
      // Some error statuses carry an answer the caller treats as data (e.g. `stale_metrics`).
      const data = options.errorSchema && status < 500 && body ? options.errorSchema.safeParse(body.json) : null;
      if (data?.success) return data.data;
      // `Retry-After` is a time on the server's wall clock, not on the injected one.
      const retryAfterMs = parseRetryAfter(answer.retryAfter, Date.now());
      const detail = (body && errorDetail(body.json)) ?? textDetail(this.clean(text), status);
      throw new RetabApiError(status, requestId, detail, info, retryAfterMs, this.hintFor(status));
    }
    if (!body) {
      // A Python server's `NaN`/`Infinity` is JSON to it but not to anyone else: not a transient page, so not retried.
      if (isJsonWithNonFinite(text)) throw new RetabResponseError('unexpected_shape', status, requestId, info, 'holds NaN or Infinity where a number should be');
      throw new RetabResponseError('not_json', status, requestId, info, `is not JSON: ${excerpt(this.clean(text))}`);
    }
    const parsed = schema.safeParse(body.json);
    if (!parsed.success) {
      throw new RetabResponseError('unexpected_shape', status, requestId, info, `does not have the expected shape: ${describeIssues(parsed.error)}`);
    }
    const problem = options.check?.(parsed.data) ?? null;
    if (problem) throw new RetabResponseError('malformed', status, requestId, info, problem);
    return parsed.data;
  }

  /** The body as JSON with every string (and key) cleaned, or null when it is not JSON. */
  private cleanBody(text: string): { json: unknown } | null {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return null;
    }
    return { json: cleanDecoded(json, (value) => this.clean(value)) };
  }

  /** A string from an answer: without the secrets, cut to `MAX_API_TEXT`. */
  private clean(text: string): string {
    return cleanText(text, this.redactor);
  }

  /** A header quoted in messages (the request id): cleaned, on one line, short. */
  private headerText(value: string | string[] | undefined): string | null {
    const raw = headerValue(value);
    // eslint-disable-next-line no-control-regex
    return raw === null ? null : cleanText(raw, this.redactor, MAX_REQUEST_ID).replace(/[\u0000-\u001f\u007f]/g, ' ');
  }

  /** `path` under `baseUrl`; anything that would leave its origin is a bug, refused before the key is sent. */
  private urlFor(path: string): URL {
    const { origin, pathname } = this.options.baseUrl;
    const url = new URL(`${origin}${pathname.replace(/\/+$/, '')}${path}`);
    if (url.origin !== origin) throw new Error(`Refusing to send a request outside ${origin}: ${path}`);
    return url;
  }

  /** Reads the body up to the cap; a larger body is refused without being held in memory. */
  private async readBody(response: HttpAnswer, info: RequestInfo, requestId: string | null, maxBodyBytes: number): Promise<string> {
    const tooLarge = () =>
      new RetabResponseError('too_large', response.statusCode, requestId, info, `is larger than the ${maxBodyBytes} bytes this action accepts`);
    const declared = Number(headerValue(response.headers['content-length']) ?? NaN);
    if (declared > maxBodyBytes) {
      response.body.destroy();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > maxBodyBytes) {
        response.body.destroy();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    // A UTF-8 byte order mark is not JSON, but some servers and proxies send one: drop it.
    return stripBom(Buffer.concat(chunks).toString('utf8'));
  }

  private failure(error: unknown, info: RequestInfo, url: URL, timeout: AbortSignal, signal?: AbortSignal): Error {
    if (error instanceof RetabResponseError) return error;
    if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new Error('aborted');
    if (timeout.aborted) return new RetabTimeoutError(this.requestTimeoutMs, info);
    const refused = refusedTunnelStatus(error);
    if (refused !== null) return new RetabProxyError(refused, describeProxy(proxyFor(url, this.options.env ?? process.env)), info, url.origin, error);
    const code = errorCode(error);
    return new RetabConnectionError(code, info, url.origin, error);
  }

  /**
   * A request that got no answer at all (refused, DNS, TLS, no tunnel), while Retab has never
   * answered during the step and has been tried for the limit: the tries stop (see no-answer.ts).
   */
  private unlessNeverAnswered(failure: Error, url: URL): Error {
    const noAnswer = (failure instanceof RetabConnectionError || failure instanceof RetabProxyError) && failure.retryable;
    if (!noAnswer || !this.watch.exhausted()) return failure;
    return new RetabNeverAnsweredError(failure, url.origin, this.watch.triedForMs);
  }

  private hintFor(status: number): string {
    if (status === 401 || status === 403) {
      const kind = keyEnvironment(this.options.apiKey);
      const seen = kind === 'unknown' ? 'it does not start with rt_test_, rt_live_ or sk_retab_' : `it looks like a ${kind} key`;
      return `Check the key in \`api_key\` or RETAB_API_KEY, and that it belongs to the environment (test or live) that owns the run (${seen})`;
    }
    if (status >= 300 && status < 400) return `Retab redirected the request; the action does not follow redirects so the key never leaves \`base_url\`. Check \`base_url\``;
    if (status === 400 || status === 422) return 'Check `run_id` and the other inputs';
    if (status === 429) return 'Retab is rate limiting this key';
    return '';
  }
}

/** JSON once bare `NaN`, `Infinity` and `-Infinity` tokens are allowed: what Python's json module writes by default. */
function isJsonWithNonFinite(text: string): boolean {
  if (!/\b(?:NaN|Infinity)\b/.test(text)) return false;
  try {
    JSON.parse(text.replace(/-?\bInfinity\b|\bNaN\b/g, 'null'));
    return true;
  } catch {
    return false;
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** An HTTP `Date` header (IMF-fixdate, whole seconds) in ms since the epoch; null when absent or unreadable. */
function parseHttpDate(value: string | null): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function headerValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

/**
 * Metrics for another run than the one asked for, or compared with another run than the baseline
 * asked for, would be taken for this run's figures: malformed, like a run answer about another run.
 * An id the answer leaves out cannot be checked and is not held against it.
 */
function metricsAnswerProblem(answer: { run_id?: string | null; prior_run_id?: string | null }, runId: string, priorRunId: string | null): string | null {
  const { run_id: answered, prior_run_id: prior } = answer;
  if (answered != null && answered !== runId) return RUN_ID_PATTERN.test(answered) ? `describes run ${answered}, not run ${runId}` : 'gives a run id that is not a run id';
  if (priorRunId !== null && prior != null && prior !== priorRunId) {
    return RUN_ID_PATTERN.test(prior) ? `compares with run ${prior}, not the baseline run ${priorRunId}` : 'gives a prior run id that is not a run id';
  }
  return null;
}

function runProblem(run: RawRun, expectedId: string | null): string | null {
  return runAnswerProblem({ id: run.id, status: run.lifecycle.status }, expectedId);
}

function errorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : 'unknown error';
}

/** Retab's error bodies: `{"detail": "…"}`, `{"detail": {"message": …}}` or FastAPI's `{"detail": [{"loc","msg"}]}`; null for another shape. */
function errorDetail(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const { detail: given, message } = body as { detail?: unknown; message?: unknown };
  const detail = given ?? message;
  if (typeof detail === 'string') return excerpt(detail);
  if (Array.isArray(detail)) {
    return excerpt(
      detail
        .slice(0, 10)
        .map((item: { loc?: unknown; msg?: unknown }) => `${Array.isArray(item?.loc) ? item.loc.slice(0, 10).join('.') : ''}: ${typeof item?.msg === 'string' ? item.msg : ''}`)
        .join('; '),
    );
  }
  if (detail && typeof detail === 'object' && 'message' in detail) return excerpt(String((detail as { message: unknown }).message));
  return null;
}

/** A body that is not one of Retab's error shapes: a gateway page or plain text, already cleaned. */
function textDetail(text: string, status: number): string {
  return text.trim() ? excerpt(text) : `empty body (HTTP ${status})`;
}

function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
