/**
 * The base branch's recorded run: from the base commit back (a push: from its parent), at most
 * `MAX_COMMITS` commits, newest first, the check runs named after the gate; the first whose
 * `external_id` is a run id Retab reads as a completed, scored run of the same experiment.
 * Bounded: one time limit for the whole search, a few requests, stopped by the job's cancellation.
 * Reads only: a read-only token will do. Never throws; a failed search is a note.
 */
import { RUN_ID_PATTERN } from '../retab/run.js';
import { checkRunName, type BaselineFinder, type BaselineRequest, type BaselineSearch } from '../verdict/baseline.js';
import { messageOf } from '../common/errors.js';
import type { ChecksApi, ChecksApiFactory } from './checks-api.js';
import type { GateEvent } from './event.js';
import { timeoutSignal } from '../common/timeout-signal.js';

export const MAX_COMMITS = 20;
/** The whole search: it comes before the comparison, so it costs seconds at most. */
export const SEARCH_TIME_LIMIT_MS = 5_000;
/** Recorded runs read from Retab before giving up: each is a request to Retab. */
export const MAX_CANDIDATES = 3;

export interface SearchOptions {
  /** Its every request bound to `limit` and the job's cancellation. */
  api: ChecksApi;
  event: GateEvent;
  /** Aborted when the search's time is up. */
  limit: AbortSignal;
  timeLimitMs: number;
}

export async function searchBaseline(request: BaselineRequest, { api, event, limit, timeLimitMs }: SearchOptions): Promise<BaselineSearch> {
  const { search } = event;
  const branch = search?.branch ? `\`${search.branch}\`` : 'the base branch';
  if (!search) return { found: null, note: 'the event names no base commit to look for a recorded run on' };
  const signal = AbortSignal.any([request.signal, limit]);
  const name = checkRunName(request.label);
  const passedOver: string[] = [];
  let candidates = 0;
  try {
    const commits = (await api.listCommits(event.owner, event.repo, search.sha, MAX_COMMITS + search.skip)).slice(search.skip, search.skip + MAX_COMMITS);
    signal.throwIfAborted();
    for (const [index, commit] of commits.entries()) {
      if (!/^[0-9a-f]{40,64}$/i.test(commit.sha)) continue;
      for (const check of await api.listCheckRuns(event.owner, event.repo, commit.sha, name)) {
        signal.throwIfAborted();
        const id = check.external_id ?? '';
        // Anyone who can write check runs can write this one: an id is checked before it goes into a URL.
        if (!RUN_ID_PATTERN.test(id)) {
          passedOver.push(`a check run on ${commit.sha.slice(0, 7)} whose \`external_id\` is not a run id`);
          continue;
        }
        if (candidates >= MAX_CANDIDATES) return { found: null, note: `no usable run of ${branch} among the first ${MAX_CANDIDATES} recorded (${passedOver.join('; ')})` };
        candidates += 1;
        const why = await request.usable(id, signal);
        if (why === null) {
          const note = passedOver.length > 0 ? `passed over: ${passedOver.join('; ')}` : null;
          return { found: { runId: id, commit: { sha: commit.sha, url: event.commitUrl(commit.sha), branch: search.branch, behind: index + search.skip } }, note };
        }
        passedOver.push(`${why} (recorded on ${commit.sha.slice(0, 7)})`);
      }
    }
    const scope = `the last ${commits.length} commit${commits.length === 1 ? '' : 's'} of ${branch} from ${search.sha.slice(0, 7)}`;
    return { found: null, note: `no run of ${branch} was found: ${passedOver.length > 0 ? `on ${scope}, ${passedOver.join('; ')}` : `none of ${scope} has a check run named "${name}"`}` };
  } catch (error) {
    const why = request.signal.aborted && !limit.aborted ? 'the job was cancelled' : limit.aborted ? `it took longer than ${timeLimitMs / 1000} s` : messageOf(error);
    return { found: null, note: `no run of ${branch} was found: the search for one stopped (${why})` };
  }
}

export interface FinderOptions {
  token: string;
  baseUrl: string;
  event: GateEvent | null;
  checksApi: ChecksApiFactory;
  timeLimitMs?: number;
}

/** The gate's `BaselineFinder`: the API made on first use (`@actions/github` is loaded only then). */
export function baselineFinder({ token, baseUrl, event, checksApi, timeLimitMs = SEARCH_TIME_LIMIT_MS }: FinderOptions): BaselineFinder {
  return async (request) => {
    if (!event) return { found: null, note: 'the gate ran outside a GitHub workflow, where no run of the base branch can be looked up' };
    if (!token) return { found: null, note: 'no run of the base branch was looked for: `github_token` is empty' };
    try {
      const limit = timeoutSignal(timeLimitMs, () => `no answer within ${timeLimitMs / 1000} s`);
      // Every request, to GitHub and to Retab, ends with the search's time or the job.
      const signal = AbortSignal.any([request.signal, limit]);
      const api = await checksApi(token, baseUrl, signal);
      return await searchBaseline({ ...request, signal }, { api, event, limit, timeLimitMs });
    } catch (error) {
      return { found: null, note: `no run of the base branch was found: the search could not start (${messageOf(error)})` };
    }
  };
}
