/**
 * Which workflow run started a Retab run, from the runner's GITHUB_* variables, for the summary.
 * Each value is checked against the shape GitHub gives it, so the link built from them is safe.
 */
import { readFileSync } from 'node:fs';
import type { Env } from '../common/env.js';

export interface StartedBy {
  workflow: string | null;
  runNumber: string | null;
  /** The commit, shortened to 7 characters. */
  commit: string | null;
  /** The workflow run's page. */
  url: string | null;
}

export function startedByFromEnv(env: Env): StartedBy {
  const text = (name: string) => env[name]?.trim() || null;
  const runNumber = text('GITHUB_RUN_NUMBER');
  const sha = text('GITHUB_SHA');
  return {
    workflow: text('GITHUB_WORKFLOW'),
    runNumber: runNumber && /^\d{1,12}$/.test(runNumber) ? runNumber : null,
    commit: sha && /^[0-9a-f]{7,64}$/i.test(sha) ? sha.slice(0, 7) : null,
    url: workflowRunUrl(env),
  };
}

/** The page of the workflow run this job belongs to, or null when the variables do not make a safe link. */
export function workflowRunUrl(env: Env): string | null {
  const text = (name: string) => env[name]?.trim() || null;
  const server = text('GITHUB_SERVER_URL');
  const repository = text('GITHUB_REPOSITORY');
  const runId = text('GITHUB_RUN_ID');
  if (!server || !repository || !runId) return null;
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository) || !/^\d{1,20}$/.test(runId)) return null;
  let origin: string;
  try {
    const url = new URL(server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    origin = url.origin;
  } catch {
    return null;
  }
  return `${origin}/${repository}/actions/runs/${runId}`;
}

/**
 * The runner's event payload (GITHUB_EVENT_PATH), read once for the step; `null` when there is
 * none or it cannot be read (`onError` hears why).
 */
export function readEventPayload(env: Env, onError: (message: string) => void = () => {}): unknown {
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    onError(`Could not read the event payload: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}
