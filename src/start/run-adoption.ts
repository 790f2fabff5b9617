/**
 * Which run did our POST start? The pure half of starting a run (start-run.ts does the I/O).
 *
 * `POST /v1/workflows/experiments/runs` has no idempotency key, and nothing in a run says who
 * started it: the live server marks every run created through the API `trigger.type: "manual_run"`,
 * the same as a run started by hand. So after an uncertain answer the only way to find our run is
 * to compare the experiment's runs with a list taken just before the POST:
 *
 * - a run listed before the POST is someone else's (the baseline);
 * - a run created, by Retab's clock, before the baseline was answered is someone else's, even when
 *   the list showed it late (the list can lag). Retab's clock is read from the baseline answer's
 *   `Date` header, so our clock's skew does not matter; the POST goes out at least a second after
 *   that answer, since `Date` only has whole seconds;
 * - a run created after our POST failed (again by Retab's clock, bounded from our own) is another
 *   job's;
 * - what is left is a candidate. Exactly one candidate over the whole look is ours; two or more, or
 *   none, cannot be decided, and the action fails rather than guess or start a second run.
 */
import type { RunList } from '../retab/client.js';
import type { ExperimentRun } from '../retab/run.js';

export type { RunList };

/** What was true just before the POST. */
export interface Baseline {
  /** Every run id listed before the POST: none of them can be ours. */
  existing: ReadonlySet<string>;
  /** The baseline answer's `Date` (Retab's clock). */
  serverDateMs: number;
  /** Our clock when the baseline request was sent. */
  sentAtMs: number;
  /** Our clock when the baseline answer was read. */
  receivedAtMs: number;
}

/** `Date` has whole seconds: a POST sent this long after the baseline answer reaches Retab in a later second. */
export const DATE_RESOLUTION_MS = 1_000;
/** How far Retab's `Date` and its `created_at` may disagree (two hosts of one service). */
export const SERVER_CLOCK_TOLERANCE_MS = 1_000;

/**
 * The baseline, or null when the answer carries no usable `Date`: without Retab's clock a run the
 * list shows late cannot be told from ours, so the list is no baseline at all.
 */
export function baselineFrom(list: RunList, sentAtMs: number, receivedAtMs: number): Baseline | null {
  if (list.serverDateMs === null) return null;
  return { existing: new Set(list.runs.map((run) => run.id)), serverDateMs: list.serverDateMs, sentAtMs, receivedAtMs };
}

/** Our clock's time before which the POST must not be sent (see `DATE_RESOLUTION_MS`). */
export function postNotBefore(baseline: Baseline): number {
  return baseline.receivedAtMs + DATE_RESOLUTION_MS;
}

/**
 * How much later than `postNotBefore` the POST may leave on the same baseline. A POST held back
 * longer (waiting for its turn behind other experiments' requests or in a 429 pause) takes the
 * list again first: a run another job started meanwhile would not be listed, and could be taken
 * for ours.
 */
export const BASELINE_FRESH_MS = 500;

export function baselineIsStale(baseline: Baseline, nowMs: number): boolean {
  return nowMs > postNotBefore(baseline) + BASELINE_FRESH_MS;
}

/** When, by Retab's clock, our run can have been created. */
export interface CreationWindow {
  notBeforeMs: number;
  notAfterMs: number;
}

/**
 * Our run was created after the baseline answer (Retab's clock `Date`, up to a second more; the
 * POST waited that second) and before we saw the POST fail. Retab's clock at `failedAtMs` (ours)
 * is at most `Date` + 1 s + the time since the baseline request was sent.
 */
export function creationWindow(baseline: Baseline, failedAtMs: number): CreationWindow {
  const date = baseline.serverDateMs;
  return {
    notBeforeMs: date + DATE_RESOLUTION_MS,
    notAfterMs: date + DATE_RESOLUTION_MS + Math.max(0, failedAtMs - baseline.sentAtMs) + SERVER_CLOCK_TOLERANCE_MS,
  };
}

export interface CandidateCriteria {
  experimentId: string;
  workflowId: string | null;
  baseline: Baseline;
  window: CreationWindow;
}

/**
 * The runs in `runs` that our POST may have created, by id. A hostile or confused list is read
 * defensively: runs of other experiments (or of no stated experiment) are ignored, and an id listed
 * twice counts only when every copy qualifies.
 */
export function newRuns(runs: readonly ExperimentRun[], criteria: CandidateCriteria): Map<string, ExperimentRun> {
  const found = new Map<string, ExperimentRun>();
  const refused = new Set<string>();
  for (const run of runs) {
    if (refused.has(run.id)) continue;
    if (!couldBeOurs(run, criteria)) {
      refused.add(run.id);
      found.delete(run.id);
    } else {
      found.set(run.id, run);
    }
  }
  return found;
}

function couldBeOurs(run: ExperimentRun, { experimentId, workflowId, baseline, window }: CandidateCriteria): boolean {
  if (run.experiment_id !== experimentId) return false;
  if (workflowId !== null && run.workflow_id !== null && run.workflow_id !== workflowId) return false;
  if (baseline.existing.has(run.id)) return false;
  const created = run.created_at === null ? NaN : parseServerTime(run.created_at);
  // Without a creation time the run cannot be placed: not ours as far as we can tell.
  return Number.isFinite(created) && created >= window.notBeforeMs && created <= window.notAfterMs;
}

/** An ISO time from the API; one without a zone is UTC (as Python servers often write it), never the runner's local time. */
export function parseServerTime(text: string): number {
  const zoned = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(text.trim()) ? text.trim() : `${text.trim()}Z`;
  return Date.parse(zoned);
}

/**
 * Why the run the POST answered cannot be the one it started, or null when it can: of this
 * experiment, not listed before, and not created (by Retab's clock) before the baseline was
 * answered, which a list that lags would not show. An answer describing an older run (a confused
 * or hostile server) must not be gated, let alone cancelled at the timeout; the started run is
 * then looked for like after any uncertain answer. A run without a creation time is judged on the rest.
 */
export function answeredRunProblem(run: ExperimentRun, experimentId: string, baseline: Baseline | null): string | null {
  if (run.experiment_id !== null && run.experiment_id !== experimentId) return `it is a run of experiment ${run.experiment_id}`;
  if (!baseline) return null;
  if (baseline.existing.has(run.id)) return 'it was listed before the start';
  // Our run is created after the POST, which left a second after the list answered at `Date` (see `creationWindow`).
  const created = run.created_at === null ? NaN : parseServerTime(run.created_at);
  if (created < baseline.serverDateMs) return `it was created at ${run.created_at}, before the runs list taken just before the start (${new Date(baseline.serverDateMs).toISOString()} by Retab's clock)`;
  return null;
}

export type LookDecision =
  | { kind: 'adopt'; run: ExperimentRun }
  /** Two or more new runs: either may be ours. */
  | { kind: 'several'; ids: string[] }
  /** No new run by the end of the look. */
  | { kind: 'none' }
  | { kind: 'keep_looking' };

/** What the candidates seen over the whole look (every list read, merged by id) decide. */
export function decideLook(seen: ReadonlyMap<string, ExperimentRun>, lookIsOver: boolean): LookDecision {
  if (seen.size >= 2) return { kind: 'several', ids: [...seen.keys()].sort() };
  if (!lookIsOver) return { kind: 'keep_looking' };
  const [only] = seen.values();
  return only ? { kind: 'adopt', run: only } : { kind: 'none' };
}

/** The one run that is known to be ours, for cancelling it; null when there is not exactly one. */
export function knownOrphan(seen: ReadonlyMap<string, ExperimentRun>): ExperimentRun | null {
  if (seen.size !== 1) return null;
  const [only] = seen.values();
  return only ?? null;
}

/** Why it cannot be known whether (or which) run was started: the kind of a `StartUnknownError`. */
export type UnknownStartReason = 'no_baseline' | 'not_listed' | 'several_new' | 'list_unreadable';

/**
 * The POST's answer was uncertain and the runs list cannot settle it. The message names the
 * experiment and says what to check; the action never sends the POST again after this.
 */
export class StartUnknownError extends Error {
  override readonly name = 'StartUnknownError';
  constructor(
    readonly reason: UnknownStartReason,
    readonly experimentId: string,
    readonly lastError: Error,
    detail: { lookedMs?: number; ids?: string[]; listError?: string } = {},
  ) {
    super(unknownMessage(reason, experimentId, lastError, detail));
  }
}

function unknownMessage(reason: UnknownStartReason, experimentId: string, cause: Error, detail: { lookedMs?: number; ids?: string[]; listError?: string }): string {
  const uncertain = `Retab's answer to starting a run of experiment ${experimentId} was uncertain (${cause.message})`;
  const looked = `${Math.round((detail.lookedMs ?? 0) / 1000)} s`;
  const check = `Check the runs of experiment ${experimentId} in Retab before re-running this job`;
  const notAgain = 'the action did not send the request again, so as not to start a second run';
  switch (reason) {
    case 'no_baseline':
      return `${uncertain}, and the experiment's runs could not be listed before the start (${detail.listError ?? 'unknown error'}), so a run this job started cannot be told from others; ${notAgain}. ${check}: a run it started may be running; cancel it if nobody needs it`;
    case 'not_listed':
      return `${uncertain}, and no new run of it was listed within ${looked}; ${notAgain}. ${check}: a run it started may still appear; cancel it if nobody needs it`;
    case 'several_new':
      return `${uncertain}, and ${detail.ids?.length ?? 2} new runs of it appeared (${(detail.ids ?? []).join(', ')}): another job may have started one at the same time, and which one is this job's cannot be known, so none was gated or cancelled. ${check}`;
    case 'list_unreadable':
      return `${uncertain}, and the experiment's runs could not be listed to find the run it started (${detail.listError ?? 'unknown error'}); ${notAgain}. ${check}: a run it started may be running; cancel it if nobody needs it`;
  }
}
