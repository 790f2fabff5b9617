/**
 * Whether to write the pull request comment, and which gate it belongs to. Pure: a function of the
 * `comment` mode, the verdict, the workflow's environment and event payload, and the gate's own
 * inputs (`name`, and the job's matrix values that action.yml passes in).
 */
import { createHash } from 'node:crypto';
import type { GateResult } from '../gate/result.js';
import type { CommentMode, Env } from '../inputs/settings.js';

/**
 * What tells one gate's comment from another's on the same pull request. A workflow and a job are
 * not enough: every leg of a matrix job has the same GITHUB_JOB, and several gate steps can share a
 * job. So the key also holds the leg's matrix values and the step.
 */
export interface GateKey {
  /**
   * The workflow file (`octo/repo/.github/workflows/ci.yml`, from GITHUB_WORKFLOW_REF without its
   * `@ref`), since two files may share a name; the workflow's name where the runner does not set it.
   */
  workflow: string;
  job: string;
  /** The leg's matrix values as canonical JSON (keys sorted), or null outside a matrix. */
  matrix: string | null;
  /**
   * GITHUB_ACTION: the step's `id` when it has one, else `__<owner>_<repo>` with a `_2`, `_3` suffix
   * for a later use of the same action in the job (GitHub's variables reference).
   */
  step: string;
  /** The `name` input, for gates the rest cannot tell apart (e.g. a reusable workflow called from a matrix). */
  name: string | null;
}

/** The gate's own inputs that go into its key. */
export interface GateInputs {
  name: string | null;
  /** The `matrix` input: `${{ toJSON(matrix) }}` as the runner evaluated it ("null" outside a matrix). */
  matrix: string;
}

export type CommentPlan =
  | {
      write: true;
      owner: string;
      repo: string;
      issueNumber: number;
      marker: string;
      gate: GateKey;
      /** False with `on-failure` on a pass: an earlier failure's comment is updated, none is created. */
      create: boolean;
    }
  | { write: false; reason: string };

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

export function planComment(mode: CommentMode, result: GateResult, env: Env, payload: unknown, inputs: GateInputs): CommentPlan {
  if (mode === 'false') return { write: false, reason: '`comment` is false' };
  const event = env.GITHUB_EVENT_NAME ?? '';
  if (!PULL_REQUEST_EVENTS.has(event)) return { write: false, reason: `the event is ${event ? `"${event}"` : 'unknown'}, not a pull request` };
  const issueNumber = pullRequestNumber(payload);
  if (issueNumber === null) return { write: false, reason: 'the event payload has no pull request number' };
  const [owner, repo, ...rest] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo || rest.length > 0) return { write: false, reason: 'GITHUB_REPOSITORY is not set to owner/repo' };
  const gate = gateKey(env, inputs);
  return { write: true, owner, repo, issueNumber, marker: commentMarker(gate), gate, create: mode === 'true' || !result.passed };
}

function pullRequestNumber(payload: unknown): number | null {
  const pr = (payload as { pull_request?: { number?: unknown } } | null)?.pull_request;
  const number = pr?.number;
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : null;
}

export function gateKey(env: Env, inputs: GateInputs): GateKey {
  const text = (value: string | undefined) => value?.trim() ?? '';
  const ref = text(env.GITHUB_WORKFLOW_REF);
  const file = ref.includes('@') ? ref.slice(0, ref.lastIndexOf('@')) : ref;
  return { workflow: file || text(env.GITHUB_WORKFLOW), job: text(env.GITHUB_JOB), matrix: canonicalMatrix(inputs.matrix), step: text(env.GITHUB_ACTION), name: inputs.name };
}

/**
 * The matrix values in one spelling whatever the runner's layout: `toJSON` pretty-prints, and the
 * order of keys is not a promise. Text that is not JSON (a runner that left the expression as it
 * was) is kept as it is, trimmed: it is still the same for every run of the same leg.
 */
export function canonicalMatrix(raw: string): string | null {
  const text = raw.trim();
  if (text === '' || text === 'null') return null;
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)));
  } catch {
    return text;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/**
 * The hidden marker that finds this gate's comment again, so that every later run of the same gate
 * updates it. The matrix values go in as a digest: they can be long, and the marker is not the place
 * to show them (the comment's footer does). Percent-encoding keeps `-->` from ending the HTML comment.
 */
export function commentMarker(gate: GateKey): string {
  const part = (value: string | null) => encodeURIComponent(wellFormed(value ?? ''));
  const matrix = gate.matrix === null ? '' : createHash('sha256').update(gate.matrix).digest('hex').slice(0, 16);
  return `<!-- retab-experiment-gate workflow=${part(gate.workflow)} job=${part(gate.job)} matrix=${matrix} step=${part(gate.step)} name=${part(gate.name)} -->`;
}

/** `encodeURIComponent` throws on a lone surrogate: one becomes U+FFFD instead. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** The gate as a reader tells it apart: its name, and the leg's matrix values (`os=ubuntu-latest, node=20`). */
export function gateLabel(gate: GateKey): string {
  const parts: string[] = [];
  if (gate.name) parts.push(gate.name);
  if (gate.matrix !== null) parts.push(`matrix ${matrixText(gate.matrix)}`);
  return parts.join(' · ');
}

function matrixText(canonical: string): string {
  let value: unknown;
  try {
    value = JSON.parse(canonical);
  } catch {
    return canonical;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return canonical;
  return Object.entries(value)
    .map(([key, item]) => `${key}=${typeof item === 'string' ? item : JSON.stringify(item)}`)
    .join(', ');
}
