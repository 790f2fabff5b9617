/**
 * What changed, field by field. For extract blocks: the weakest fields from the summary's
 * per-field likelihoods, then, for a bounded number of them, each field's score against the prior
 * run (`view=by_target`), so the report can show which moved most. For classifier and split blocks:
 * the weakest labels and the largest confusion flows, from the summary alone (no extra request).
 *
 * Best-effort and bounded: at most `FIELD_LIMITS.reads` extra requests, stopped by the report's
 * time budget (the caller's signal); a field that could not be read is counted and said, never
 * guessed. Pure but for the injected client.
 */
import { messageOf } from '../common/errors.js';
import { WorstK } from './bounded.js';
import type { Aggregate, TargetScore } from '../retab/targets.js';

export const FIELD_LIMITS = {
  /** Extra `view=by_target` requests, at most. */
  reads: 8,
  /** Rows kept per list. */
  rows: 10,
} as const;

export interface FieldChange {
  path: string;
  score: number | null;
  prior_score: number | null;
  /** score − prior_score, when both are known. */
  change: number | null;
}

export interface Flow {
  source: string;
  target: string;
  score: number;
}

export interface FieldDetails {
  state: 'ok';
  kind: 'fields' | 'labels';
  /** Fields (or labels) with a score in the summary's aggregate. */
  count: number;
  /** The lowest-scoring fields (or labels), worst first. */
  weakest: Array<{ path: string; score: number }>;
  /** Fields read against the prior run, the largest move first; fields whose move is unknown last. */
  changes: FieldChange[];
  /** Confusion between labels, the largest off-diagonal flows first. */
  flows: Flow[];
  /** The `view=by_target` requests: asked, answered, failed, and not sent (time budget spent). */
  reads: { asked: number; answered: number; failed: number; skipped: number };
  /** Why some reads failed: the first message. */
  problem: string | null;
  /** Why reads were not sent (`reads.skipped`): the time budget ran out, or the job was cancelled. */
  skip_reason: string | null;
}

export interface FieldUnavailable {
  state: 'missing';
  message: string;
}

export interface ReadFieldsOptions {
  runId: string;
  baselineRunId: string | null;
  signal: AbortSignal;
  getTarget: (runId: string, path: string, options: { priorRunId: string | null; signal: AbortSignal }) => Promise<TargetScore>;
  limits?: { reads: number; rows: number };
}

/** How many per-field reads are in flight at once. */
const CONCURRENT_READS = 4;

export async function readFieldDetails(aggregate: Aggregate | null, options: ReadFieldsOptions): Promise<FieldDetails | FieldUnavailable> {
  if (!aggregate) return { state: 'missing', message: 'the metrics summary has no per-field figures (`aggregate`)' };
  const limits = options.limits ?? FIELD_LIMITS;
  if (aggregate.likelihoods.length === 0 && (aggregate.diag.length > 0 || aggregate.flows.length > 0)) return labelDetails(aggregate, limits.rows);
  if (aggregate.likelihoods.length === 0) return { state: 'missing', message: 'the metrics summary lists no field scores' };

  const byScore = (a: [string, number], b: [string, number]) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const toRead = new WorstK<[string, number]>(Math.max(limits.reads, limits.rows), byScore);
  for (const entry of aggregate.likelihoods) toRead.add(entry);
  const weakest = toRead.sorted();
  const changes: FieldChange[] = [];
  const reads = { asked: 0, answered: 0, failed: 0, skipped: 0 };
  let problem: string | null = null;
  let skipReason: string | null = null;
  // A few at a time: the reads are independent, and one after another they would cost the sum of their latencies.
  const paths = weakest.slice(0, limits.reads).map(([path]) => path);
  for (let start = 0; start < paths.length; start += CONCURRENT_READS) {
    await Promise.all(
      paths.slice(start, start + CONCURRENT_READS).map(async (path) => {
        if (options.signal.aborted) {
          reads.skipped += 1;
          skipReason ??= messageOf(options.signal.reason);
          return;
        }
        reads.asked += 1;
        try {
          const target = await options.getTarget(options.runId, path, { priorRunId: options.baselineRunId, signal: options.signal });
          reads.answered += 1;
          const change = target.score !== null && target.prior_score !== null ? target.score - target.prior_score : null;
          changes.push({ path, score: target.score, prior_score: target.prior_score, change });
        } catch (error) {
          reads.failed += 1;
          // The path is API text: quoted and cut, so it cannot break the log line it ends up in.
          problem ??= `could not read field ${JSON.stringify(path.slice(0, 200))} of run ${options.runId}: ${messageOf(error)}`;
        }
      }),
    );
  }
  changes.sort((a, b) => (b.change === null ? -1 : 0) - (a.change === null ? -1 : 0) || Math.abs(b.change ?? 0) - Math.abs(a.change ?? 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    state: 'ok',
    kind: 'fields',
    count: aggregate.likelihoods.length,
    weakest: weakest.slice(0, limits.rows).map(([path, score]) => ({ path, score })),
    changes,
    flows: [],
    reads,
    problem,
    skip_reason: skipReason,
  };
}

function labelDetails(aggregate: Aggregate, rows: number): FieldDetails {
  const weakest = new WorstK<[string, number]>(rows, (a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const entry of aggregate.diag) weakest.add(entry);
  // The largest flows are the worst confusions: rank by score, largest first.
  const flows = new WorstK<Flow>(rows, (a, b) => b.score - a.score || (a.source + a.target < b.source + b.target ? -1 : 1));
  for (const flow of aggregate.flows) if (flow.source !== flow.target) flows.add(flow);
  return {
    state: 'ok',
    kind: 'labels',
    count: aggregate.diag.length,
    weakest: weakest.sorted().map(([path, score]) => ({ path, score })),
    changes: [],
    flows: flows.sorted(),
    reads: { asked: 0, answered: 0, failed: 0, skipped: 0 },
    problem: null,
    skip_reason: null,
  };
}
