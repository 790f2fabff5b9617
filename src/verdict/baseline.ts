/**
 * Which run the comparison is with, and whether it can be compared at all. The search itself (the
 * base branch's check runs) is GitHub's side, in github/baseline-search.ts; the gate receives it as
 * a `BaselineFinder` and knows only this type. The decisions here are pure.
 */
import type { ExperimentRun } from '../retab/run.js';
import type { BaselineInfo, BaselineJudgement } from './regression.js';

/** The check run's name for a gate's label: how a pull request finds the run its base branch recorded. */
export function checkRunName(label: string): string {
  return `Retab gate: ${label}`;
}

export interface BaselineRequest {
  /** The gate's label (`name`, else the experiment id): the check runs of this name are read. */
  label: string;
  /** Whether a recorded run may be the baseline: null when it may, else why not (it is then passed over). */
  usable(runId: string, signal: AbortSignal): Promise<string | null>;
  signal: AbortSignal;
}

export interface RecordedBaseline {
  runId: string;
  commit: { sha: string; url: string | null; branch: string | null; behind: number };
}

export interface BaselineSearch {
  found: RecordedBaseline | null;
  /** Why nothing was found, or what was passed over: for the summary's note and the debug log. */
  note: string | null;
}

/** Finds the run recorded on the base branch; never throws (a failed search is `found: null` with a note). */
export type BaselineFinder = (request: BaselineRequest) => Promise<BaselineSearch>;

/** How to have a run recorded, said wherever none was found. */
export const HOW_TO_RECORD =
  'gate the experiment on pushes to the base branch with `checks: write` (see the README recipe "Compare a pull request with its base branch"), and the pull requests compare with that run';

/** The fallback, when the search found nothing: Retab's previous completed run, and why. */
export function previousRunBaseline(why: string | null): BaselineInfo {
  return { run_id: null, source: 'previous', commit: null, note: why && `${why}, so the comparison is with Retab's previous completed run of the experiment; to compare with the base branch, ${HOW_TO_RECORD}` };
}

/** Compares the gated run with the baseline run as Retab describes them; unknown facts are not held against it. */
export function judgeBaseline(info: BaselineInfo, run: ExperimentRun | null, baseline: ExperimentRun | null): BaselineJudgement {
  if (!run || !baseline) return { info, notComparable: null, sameBlock: false };
  let notComparable: string | null = null;
  if (run.experiment_id && baseline.experiment_id && run.experiment_id !== baseline.experiment_id) {
    notComparable = `the baseline run ${baseline.id} is of experiment ${baseline.experiment_id}, not ${run.experiment_id}: the runs are not comparable`;
  } else if (run.documents_fingerprint && baseline.documents_fingerprint && run.documents_fingerprint !== baseline.documents_fingerprint) {
    notComparable = `the baseline run ${baseline.id} was over other documents (\`documents_fingerprint\` ${baseline.documents_fingerprint}, this run ${run.documents_fingerprint}): the runs are not comparable`;
  }
  const sameBlock = Boolean(run.block_execution_fingerprint && run.block_execution_fingerprint === baseline.block_execution_fingerprint);
  return { info, notComparable, sameBlock };
}

/** Why a recorded run cannot be the baseline of `run`, or null when it can. */
export function unusableBaseline(candidate: ExperimentRun, run: ExperimentRun): string | null {
  if (candidate.id === run.id) return `run ${candidate.id} is the gated run itself`;
  if (candidate.status !== 'completed') return `run ${candidate.id} is ${candidate.status}, not completed`;
  if (candidate.score === null) return `run ${candidate.id} has no score`;
  if (run.experiment_id && candidate.experiment_id !== run.experiment_id) return `run ${candidate.id} is of experiment ${candidate.experiment_id ?? '(unknown)'}, not ${run.experiment_id}`;
  return null;
}
