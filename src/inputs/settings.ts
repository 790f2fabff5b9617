/**
 * Raw action inputs → one typed settings object. Every problem names the input, the value it got
 * and what it accepts, and all problems are reported together, before any request is sent.
 */
import * as z from 'zod/mini';
import { parseDuration } from '../common/duration.js';
import type { Env } from '../common/env.js';
import { InputError, quote } from '../common/errors.js';
import { RUN_ID_PATTERN } from '../retab/run.js';
import { readEventPayload } from './github-context.js';

export const DEFAULT_BASE_URL = 'https://api.retab.com';

/** Which run to gate: one given by id, or a new run of an experiment that the action starts. */
export type RunTarget = { kind: 'run'; runId: string } | { kind: 'experiment'; experimentId: string; workflowId: string | null };

export interface Settings {
  target: RunTarget;
  /** Cancel a run the action started when the wait gives up (timeout, job cancelled). */
  cancelOnAbort: boolean;
  /** Minimum score, 0..1. */
  threshold: number;
  maxErrors: number;
  apiKey: string;
  baseUrl: URL;
  timeoutMs: number;
  /** A fixed interval between polls, or `null` to let the action choose. */
  pollIntervalMs: number | null;
  /** The largest fall from the prior run's score that still passes, or `null` for no regression gate. */
  maxScoreDrop: number | null;
  /** The run to compare with, or `null` for Retab's choice (the previous completed run). */
  baselineRunId: string | null;
  /** With `max_score_drop`, whether a comparison that cannot be made warns (the default) or fails. */
  onMissingComparison: 'warn' | 'fail';
  /** Without `baseline_run_id`: compare with the run recorded on the base branch (`base`, the default) or with Retab's previous completed run (`previous`). */
  baseline: BaselineChoice;
  /** Record the verdict as a check run on the commit. */
  check: boolean;
  /** The level at which `max_score_drop` needs the drop shown (e.g. 0.95), or `null` for point estimates. */
  confidence: number | null;
  /** When to write the pull request comment. */
  comment: CommentMode;
  githubToken: string;
  /** With `experiments`: stop (and cancel) the other experiments on the first failure. */
  failFast: boolean;
  /** The `name` input: tells this gate's pull request comment from other gates', or `null`. */
  gateName: string | null;
  /** The `matrix` input: the job leg's matrix values as the runner wrote them (`toJSON(matrix)`). */
  matrix: string;
  /** Inputs accepted with a correction the user should hear about (e.g. a trailing `/v1` trimmed from `base_url`). */
  warnings?: string[];
}

export type CommentMode = 'false' | 'true' | 'on-failure';
export type BaselineChoice = 'base' | 'previous';

export const INPUT_NAMES = [
  'run_id',
  'threshold',
  'max_errors',
  'api_key',
  'base_url',
  'timeout',
  'poll_interval',
  'experiment_id',
  'workflow_id',
  'cancel_on_abort',
  'max_score_drop',
  'baseline_run_id',
  'on_missing_comparison',
  'confidence',
  'comment',
  'github_token',
  'experiments',
  'fail_fast',
  'name',
  'matrix',
  'check',
  'baseline',
] as const;
export type InputName = (typeof INPUT_NAMES)[number];
export type RawInputs = Record<InputName, string>;

export type { Env };

const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 24 * 3_600_000;
const MIN_POLL_MS = 100;
const MAX_POLL_MS = 10 * 60_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The key as given by `api_key`, else `RETAB_API_KEY`; trimmed. Read first so it can be masked first. */
export function resolveApiKey(input: string, env: Env): string {
  return (input.trim() || env.RETAB_API_KEY?.trim()) ?? '';
}

type Parsed<T> = { ok: true; value: T } | { ok: false; accepted: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = (accepted: string): Parsed<never> => ({ ok: false, accepted });

/** A zod schema for one input: a parser plus the sentence saying what it accepts. */
function inputSchema<T>(parse: (raw: string) => Parsed<T>) {
  return z.pipe(
    z.string(),
    z.transform((raw: string, ctx) => {
      const result = parse(raw.trim());
      if (result.ok) return result.value;
      ctx.issues.push({ code: 'custom', message: result.accepted, input: raw });
      return z.NEVER;
    }),
  );
}

/** Empty means "not given": `null`; anything else goes to `parse`. */
function emptyIsNull<T>(parse: (raw: string) => Parsed<T>): (raw: string) => Parsed<T | null> {
  return (raw) => (raw === '' ? ok(null) : parse(raw));
}

const ID_SHAPE = 'made of letters, digits, "_" and "-" (at most 128)';

/** An id with the strict pattern every Retab id here follows; `accepted` says what else is allowed. */
function idParser(accepted: string): (raw: string) => Parsed<string> {
  return (raw) => {
    if (NO_VALUE.test(raw)) return no(`${NO_ID}; ${accepted}`);
    return RUN_ID_PATTERN.test(raw) ? ok(raw) : no(accepted);
  };
}

/**
 * What an earlier step writes when it had no id: `jq -r` prints `null` for a missing field,
 * JavaScript `undefined`, Python `None`. Each fits the id pattern, and would be sent to a URL.
 */
const NO_VALUE = /^(?:null|undefined|none)$/i;
const NO_ID = 'that is no id: an earlier step produced none (a missing value written out as text); check the step that gives it';

export function parseRunId(raw: string): Parsed<string> {
  if (raw === '') return no('it is required: the id of the experiment run to wait for, e.g. "exprun_abc123"');
  return idParser(`expected a run id ${ID_SHAPE}, e.g. "exprun_abc123"`)(raw);
}

/** An optional id with the same strict pattern as a run id; empty means "not given". */
function parseOptionalId(example: string): (raw: string) => Parsed<string | null> {
  return emptyIsNull(idParser(`expected an id ${ID_SHAPE}, e.g. "${example}"`));
}

export const parseBaselineRunId = emptyIsNull(idParser(`expected empty (compare with the previous completed run) or a run id ${ID_SHAPE}, e.g. "exprun_abc123"`));

/**
 * The boolean inputs, all read alike: "true" or "false" in any case, empty for action.yml's
 * default, and one message shape naming the default and what it does.
 */
export function booleanParser(defaultValue: boolean, whatTheDefaultDoes: string): (raw: string) => Parsed<boolean> {
  const accepted = `expected "${defaultValue}" (${whatTheDefaultDoes}) or "${!defaultValue}"`;
  return (raw) => {
    const value = readBoolean(raw);
    if (value === 'empty') return ok(defaultValue);
    return value === null ? no(accepted) : ok(value);
  };
}

/** "true" / "false" in any case; `null` for anything else. */
function readBoolean(raw: string): boolean | 'empty' | null {
  if (raw === '') return 'empty';
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  return null;
}

export const parseFailFast = booleanParser(false, 'every experiment is waited for');

export const parseCheck = booleanParser(true, 'record the verdict as a check run on the commit');

export function parseBaselineChoice(raw: string): Parsed<BaselineChoice> {
  const value = raw.toLowerCase();
  if (value === '' || value === 'base') return ok('base');
  if (value === 'previous') return ok('previous');
  return no('expected "base" (compare with the run recorded on the base branch; the default) or "previous" (compare with Retab\'s previous completed run of the experiment)');
}

// Empty is the default, like the other optional inputs; the runner fills in action.yml's `true`.
export const parseCancelOnAbort = booleanParser(true, 'cancel a run the action started when the wait gives up');

/** Exactly one of `run_id` and `experiment_id`; `workflow_id` only with `experiment_id`. Checked on the raw values. */
function targetErrors(raw: RawInputs): InputError[] {
  const runId = raw.run_id.trim();
  const experimentId = raw.experiment_id.trim();
  const workflowId = raw.workflow_id.trim();
  if (runId && experimentId) {
    return [
      new InputError(
        'experiment_id',
        experimentId,
        `\`run_id\` is also given (${quote(runId)}); give exactly one: \`run_id\` to wait for an existing run, or \`experiment_id\` to start a new run of the experiment and wait for it`,
      ),
    ];
  }
  if (!runId && !experimentId) {
    return [
      new InputError(
        'run_id',
        '',
        'one of `run_id` (an existing run to wait for, e.g. "exprun_abc123"), `experiments` (several, one per line) and `experiment_id` (an experiment to start a new run of, e.g. "exp_abc123") is required',
      ),
    ];
  }
  if (runId && workflowId) {
    return [new InputError('workflow_id', workflowId, 'it is only used with `experiment_id`, to start a run; with `run_id`, remove it')];
  }
  const baseline = raw.baseline_run_id?.trim() ?? '';
  if (runId && baseline === runId) return [new SelfBaselineError(baseline)];
  return [];
}

/**
 * `baseline_run_id` naming the gated run itself: a run compared with itself never shows a drop, so
 * `max_score_drop` would pass whatever happened. Its own kind, so that with `experiments` the line
 * whose run it is can be named (see inputs/experiments.ts).
 */
export class SelfBaselineError extends InputError {
  constructor(runId: string) {
    super(
      'baseline_run_id',
      runId,
      'it is the gated run itself (`run_id`), and a run compared with itself never shows a change; give the id of another run to compare with, or leave it empty (the previous completed run)',
    );
  }
}

/** A fraction written as a number ("0.85", ".5", "3") or a percentage ("85%"), not yet bounded; `null` when it is neither. */
function readFraction(raw: string): { value: number; percent: boolean } | null {
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(raw);
  if (percent) return { value: Number(percentToDecimal(percent[1] ?? '')), percent: true };
  if (/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw)) return { value: Number(raw), percent: false };
  return null;
}

/**
 * "81.4" (percent) → "0.814", by moving the decimal point in the text: `81.4 / 100` is
 * 0.8140000000000001, which a score of exactly 0.814 would fail.
 */
export function percentToDecimal(digits: string): string {
  const [whole = '', fraction = ''] = digits.split('.');
  const padded = whole.padStart(3, '0');
  return `${padded.slice(0, -2)}.${padded.slice(-2)}${fraction}`;
}

/**
 * "0,85" is how much of the world writes 0.85: say so, rather than only what is accepted. With a
 * single comma between digits, the value is read again with a point; `otherwise` is said when that
 * does not parse either.
 */
function decimalCommaHint<T>(parse: (raw: string) => Parsed<T>, otherwise = 'write a decimal point, not a comma'): (raw: string) => Parsed<T> {
  return (raw) => {
    const result = parse(raw);
    if (result.ok || !/^[^,]*\d,\d[^,]*$/.test(raw)) return result;
    const dotted = raw.replace(',', '.');
    return parse(dotted).ok ? no(`${result.accepted}; did you mean ${quote(dotted)}? (a decimal point, not a comma)`) : no(`${result.accepted}; ${otherwise}`);
  };
}

/** A number written where a percentage was meant (`2` for 2 %): the hint, when `raw%` would be accepted. */
function percentHint(raw: string, accepts: (text: string) => boolean): string {
  return /^\d+(?:\.\d+)?$/.test(raw) && accepts(`${raw}%`) ? `; did you mean "${raw}%"?` : '';
}

export function parseThreshold(raw: string): Parsed<number> {
  const accepted = 'expected a minimum score from 0 to 1 (e.g. "0.85") or a percentage (e.g. "85%")';
  if (raw === '') return no(`it is required; ${accepted}`);
  const fraction = readFraction(raw);
  if (!fraction) return no(accepted);
  if (fraction.value <= 1) return ok(fraction.value);
  if (fraction.percent) return no(`${accepted}; a percentage cannot exceed 100%`);
  return fraction.value <= 100 ? no(`${accepted}; did you mean "${raw}%"?`) : no(accepted);
}

export function parseMaxErrors(raw: string): Parsed<number> {
  const accepted = 'expected a whole number of errors that still passes, 0 or more (e.g. "0" or "3")';
  if (!/^\d{1,9}$/.test(raw)) return no(accepted);
  return ok(Number(raw));
}

export function parseBaseUrl(raw: string, env: Env): Parsed<URL> {
  const text = raw || env.RETAB_API_BASE_URL?.trim() || DEFAULT_BASE_URL;
  const accepted = `expected an https:// URL such as "${DEFAULT_BASE_URL}" (http:// only for 127.0.0.1, localhost or [::1])`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return no(accepted);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return no(accepted);
  if (url.username || url.password) return no(`${accepted}, without credentials in it`);
  if (url.search || url.hash) return no(`${accepted}, without a query or fragment`);
  url.pathname = url.pathname.replace(/\/+$/, '');
  return ok(url);
}

/**
 * Every request path already starts with `/v1`: a base URL ending in a version segment (the form
 * older SDKs used, e.g. "https://api.retab.com/v1") would give `/v1/v1/…` paths and a misleading
 * "not found". Trimmed with a warning, as Retab's SDK does.
 */
export function withoutVersionSegment(url: URL): { url: URL; warning: string | null } {
  const trimmed = url.pathname.replace(/\/+$/, '').replace(/\/v\d+$/, '');
  if (trimmed === url.pathname.replace(/\/+$/, '')) return { url, warning: null };
  const before = `${url.origin}${url.pathname}`;
  const fixed = new URL(url.href);
  fixed.pathname = trimmed;
  const after = `${fixed.origin}${trimmed}`;
  return {
    url: fixed,
    warning: `\`base_url\` ${JSON.stringify(before)} ends with a version segment; the action adds /v1 to every path itself, so it uses ${JSON.stringify(after)}. Drop the trailing version from \`base_url\` (or RETAB_API_BASE_URL)`,
  };
}

/** A duration from `minMs` to `maxMs`, in milliseconds. */
function durationWithin(minMs: number, maxMs: number, accepted: string): (raw: string) => Parsed<number> {
  return (raw) => {
    const ms = parseDuration(raw);
    return ms === null || ms < minMs || ms > maxMs ? no(accepted) : ok(ms);
  };
}

export const parseTimeout = durationWithin(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS, 'expected how long to wait in all, from 1s to 24h, e.g. "90s", "15m", "1h30m" or bare seconds "600"');

export const parsePollInterval = emptyIsNull(
  durationWithin(MIN_POLL_MS, MAX_POLL_MS, 'expected empty (the action chooses) or a fixed interval from 100ms to 10m, e.g. "500ms", "2s", "1m"'),
);

function scoreDrop(raw: string): number | null {
  const fraction = readFraction(raw);
  return fraction && fraction.value <= 1 ? fraction.value : null;
}

export const parseMaxScoreDrop = emptyIsNull((raw): Parsed<number> => {
  const drop = scoreDrop(raw);
  if (drop !== null) return ok(drop);
  const hint = percentHint(raw, (text) => scoreDrop(text) !== null);
  return no(`expected empty (no regression gate) or the largest fall from the prior run's score that still passes, from 0 to 1 (e.g. "0.02") or a percentage (e.g. "2%")${hint}`);
});

/** A confidence level from 50 % to 99.9 %: below that an interval says little, above it needs absurd numbers of documents. */
function confidenceLevel(raw: string): number | null {
  const fraction = readFraction(raw);
  return fraction && fraction.value >= 0.5 && fraction.value <= 0.999 ? fraction.value : null;
}

export const parseConfidence = emptyIsNull((raw): Parsed<number> => {
  const level = confidenceLevel(raw);
  if (level !== null) return ok(level);
  const hint = percentHint(raw, (text) => confidenceLevel(text) !== null);
  return no(`expected empty (the rules use point estimates) or a confidence level from 0.5 to 0.999, e.g. "0.95" or "95%"${hint}`);
});

export function parseOnMissingComparison(raw: string): Parsed<'warn' | 'fail'> {
  const value = raw.toLowerCase();
  if (value === '' || value === 'warn') return ok('warn');
  if (value === 'fail') return ok('fail');
  return no('expected "warn" (a comparison with the prior run that cannot be made leaves a note; the default) or "fail" (it fails the `max_score_drop` rule)');
}

/** A boolean input with a third value: "true" and "false" are read as every boolean input's are. */
export function parseCommentMode(raw: string): Parsed<CommentMode> {
  const value = readBoolean(raw);
  if (value === 'empty' || value === false) return ok('false');
  if (value === true) return ok('true');
  if (raw.toLowerCase() === 'on-failure') return ok('on-failure');
  return no('expected "false" (no comment), "true" (comment on every pull request run) or "on-failure" (only when the gate fails)');
}

const MAX_GATE_NAME = 100;

/** A gate's name goes into the comment's marker and footer: one short line of visible text. */
export const parseGateName = emptyIsNull((raw): Parsed<string> => {
  // Control characters, format characters such as bidi overrides and zero-width ones (which would
  // hide what the name says), and lone surrogates.
  if (raw.length <= MAX_GATE_NAME && !/[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u.test(raw)) return ok(raw);
  return no(`expected empty or a short name for this gate, on one line and at most ${MAX_GATE_NAME} characters, e.g. "invoices"`);
});

// A secret goes into a header: anything but printable ASCII would corrupt it or inject another.
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const notPrintable = (what: string) => `${what} is printable ASCII without spaces; check the secret for stray characters or line breaks`;

// Outside a workflow (local-action, a plain `node` run) the runner does not evaluate action.yml's
// default, and the token arrives as the expression's text.
const UNEVALUATED_EXPRESSION = /^\$\{\{.*\}\}$/s;

function parseGithubToken(raw: string): Parsed<string> {
  if (UNEVALUATED_EXPRESSION.test(raw)) {
    return no('expected a token, not the text of an expression: the action ran outside a workflow (e.g. with local-action), where nothing evaluates it; give `github_token` a token, or set `comment` to "false"');
  }
  return PRINTABLE_ASCII.test(raw) ? ok(raw) : no(notPrintable('a token'));
}

function parseApiKey(raw: string, env: Env): Parsed<string> {
  if (raw === '') {
    const required = 'a Retab API key is required: set the `api_key` input (e.g. `${{ secrets.RETAB_API_KEY }}`) or the RETAB_API_KEY environment variable';
    return no(isForkPullRequest(env.GITHUB_EVENT_NAME, PULL_REQUEST_EVENTS.has(env.GITHUB_EVENT_NAME ?? '') ? readEventPayload(env) : null) ? `${required}. ${forkNote(env)}` : required);
  }
  return PRINTABLE_ASCII.test(raw) ? ok(raw) : no(notPrintable('a key'));
}

/**
 * A bare number is seconds, as it always was; but `timeout: 10` is more often meant as minutes,
 * and then gives up after ten seconds. Said, not refused: 10 s is a valid timeout.
 */
export function bareSecondsWarning(timeout: string): string | null {
  if (!/^\d+(?:\.\d+)?$/.test(timeout) || Number(timeout) >= 60) return null;
  return `\`timeout\` ${quote(timeout)} is a bare number, so ${timeout} seconds; write "${timeout}m" for ${timeout} minutes, or "${timeout}s" to say seconds`;
}

// The events whose runs get no secrets when the pull request comes from a fork (not
// `pull_request_target`, which runs in the base repository with its secrets).
const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_review', 'pull_request_review_comment']);

/** Whether the run is for a pull request from a fork, by the event payload GitHub wrote for it. */
export function isForkPullRequest(eventName: string | undefined, payload: unknown): boolean {
  if (!PULL_REQUEST_EVENTS.has(eventName ?? '')) return false;
  const pull = field(payload, 'pull_request');
  const head = field(field(pull, 'head'), 'repo');
  const base = field(field(pull, 'base'), 'repo');
  const headName = field(head, 'full_name');
  const baseName = field(base, 'full_name');
  // A pull request between two branches of one fork runs in that fork, with its own secrets: the
  // `fork` flag decides only when the names cannot be compared.
  if (typeof headName === 'string' && typeof baseName === 'string') return headName !== baseName;
  return field(head, 'fork') === true;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** Why the key is empty on a fork's pull request, and where the safe ways to gate one are written down. */
function forkNote(env: Env): string {
  return `This run is for a pull request from a fork, and GitHub gives no secrets to workflows run for a fork's pull request, so the key is empty. See ${forksDocsLink(env)} for the safe ways to gate such pull requests (a \`workflow_run\` workflow, \`pull_request_target\` with care, or skipping the gate on forks)`;
}

/** docs/forks.md in the repository the action runs from, when the runner names it; else said in words. */
export function forksDocsLink(env: Env): string {
  const fallback = "docs/forks.md in this action's repository";
  const repository = env.GITHUB_ACTION_REPOSITORY?.trim();
  const ref = env.GITHUB_ACTION_REF?.trim();
  if (!repository || !ref || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository) || !/^[A-Za-z0-9_./-]{1,200}$/.test(ref) || ref.includes('..')) return fallback;
  let origin: string;
  try {
    const server = new URL(env.GITHUB_SERVER_URL?.trim() || 'https://github.com');
    if (server.protocol !== 'https:' && server.protocol !== 'http:') return fallback;
    origin = server.origin;
  } catch {
    return fallback;
  }
  return `${origin}/${repository}/blob/${ref}/docs/forks.md`;
}

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; errors: InputError[] };

/** Parse every input; `apiKey` is the already resolved (and masked) key. */
export function parseSettings(raw: RawInputs, apiKey: string, env: Env): SettingsResult {
  const schema = z.object({
    run_id: inputSchema(emptyIsNull(parseRunId)),
    threshold: inputSchema(decimalCommaHint(parseThreshold)),
    max_errors: inputSchema(decimalCommaHint(parseMaxErrors, 'a count is a whole number, without a comma')),
    api_key: inputSchema((value) => parseApiKey(value, env)),
    base_url: inputSchema((value) => parseBaseUrl(value, env)),
    timeout: inputSchema(decimalCommaHint(parseTimeout)),
    poll_interval: inputSchema(decimalCommaHint(parsePollInterval)),
    experiment_id: inputSchema(parseOptionalId('exp_abc123')),
    workflow_id: inputSchema(parseOptionalId('wf_abc123')),
    cancel_on_abort: inputSchema(parseCancelOnAbort),
    max_score_drop: inputSchema(decimalCommaHint(parseMaxScoreDrop)),
    baseline_run_id: inputSchema(parseBaselineRunId),
    on_missing_comparison: inputSchema(parseOnMissingComparison),
    confidence: inputSchema(decimalCommaHint(parseConfidence)),
    comment: inputSchema(parseCommentMode),
    github_token: inputSchema(parseGithubToken),
    check: inputSchema(parseCheck),
    baseline: inputSchema(parseBaselineChoice),
    fail_fast: inputSchema(parseFailFast),
    name: inputSchema(parseGateName),
    // The runner fills it in from the job's matrix: whatever it wrote tells the leg apart.
    matrix: inputSchema((value): Parsed<string> => ok(value)),
  });
  const crossErrors = targetErrors(raw);
  // The report inputs are optional: a caller that predates them still parses.
  const optional: Partial<RawInputs> = { max_score_drop: '', baseline_run_id: '', on_missing_comparison: '', confidence: '', comment: '', github_token: '', experiments: '', fail_fast: '', name: '', matrix: '', check: '', baseline: '' };
  const result = schema.safeParse({ ...optional, ...raw, ...unusedInputs(raw), api_key: apiKey });
  if (result.success && crossErrors.length === 0) {
    const v = result.data;
    const baseUrl = withoutVersionSegment(v.base_url);
    return {
      ok: true,
      settings: {
        target: v.run_id !== null ? { kind: 'run', runId: v.run_id } : { kind: 'experiment', experimentId: v.experiment_id ?? '', workflowId: v.workflow_id },
        cancelOnAbort: v.cancel_on_abort,
        threshold: v.threshold,
        maxErrors: v.max_errors,
        apiKey: v.api_key,
        baseUrl: baseUrl.url,
        timeoutMs: v.timeout,
        pollIntervalMs: v.poll_interval,
        maxScoreDrop: v.max_score_drop,
        baselineRunId: v.baseline_run_id,
        onMissingComparison: v.on_missing_comparison,
        baseline: v.baseline,
        check: v.check,
        confidence: v.confidence,
        comment: v.comment,
        githubToken: v.github_token,
        failFast: v.fail_fast,
        gateName: v.name,
        matrix: v.matrix,
        warnings: [baseUrl.warning, bareSecondsWarning(raw.timeout.trim())].filter((warning) => warning !== null),
      },
    };
  }
  const errors = (result.error?.issues ?? []).map((issue) => {
    const input = String(issue.path[0]) as InputName;
    return new InputError(input, shownValue(input, raw, apiKey), issue.message);
  });
  return { ok: false, errors: [...crossErrors, ...errors] };
}

/**
 * Inputs that other inputs make unused, replaced by their empty default so they are not checked:
 * `github_token` without a comment (local-action passes its default, `${{ github.token }}`,
 * unevaluated), `cancel_on_abort` with `run_id` (such a run is never cancelled). Every input that is
 * used is still checked, and `workflow_id` with `run_id` stays an error: nobody writes it by default.
 */
function unusedInputs(raw: RawInputs): Partial<RawInputs> {
  const unused: Partial<RawInputs> = {};
  const comment = parseCommentMode((raw.comment ?? '').trim());
  // Without a comment the token serves only the check run and the base search, which are
  // best-effort: a token that is not one (local-action's unevaluated default) is then no token.
  if (comment.ok && comment.value === 'false' && !parseGithubToken((raw.github_token ?? '').trim()).ok) unused.github_token = '';
  if (raw.run_id.trim()) unused.cancel_on_abort = '';
  return unused;
}

/** What can still be shown of the criteria when some inputs are bad. */
export function partialCriteria(raw: RawInputs): { runId: string; threshold: number | null; maxErrors: number | null } {
  const threshold = parseThreshold(raw.threshold.trim());
  const maxErrors = parseMaxErrors(raw.max_errors.trim());
  return {
    runId: raw.run_id.trim(),
    threshold: threshold.ok ? threshold.value : null,
    maxErrors: maxErrors.ok ? maxErrors.value : null,
  };
}

/** An input's value as an error message may show it: secrets hidden, a password in a URL starred. */
function shownValue(input: InputName, raw: RawInputs, apiKey: string): string {
  if (input === 'api_key') return apiKey ? '(hidden)' : '';
  if (input === 'github_token') return raw.github_token && !UNEVALUATED_EXPRESSION.test(raw.github_token.trim()) ? '(hidden)' : raw.github_token;
  if (input === 'base_url') return withoutCredentials(raw.base_url);
  return raw[input];
}

/**
 * A URL as it may appear in an error message: a password written into it is not echoed, however
 * the URL is malformed (`https:/user:pw@host`, backslashes, no scheme, a password holding `/` or
 * `@`). Everything from the scheme's slashes to the last `@` is hidden: too much of a broken URL
 * rather than part of a password.
 */
export function withoutCredentials(text: string): string {
  return text.replace(/^((?:[a-z][a-z0-9+.-]*:)?[/\\]*)[^]*@/i, '$1***@');
}
