/**
 * The full report as JSON, written to a file under RUNNER_TEMP for upload as an artifact. It holds
 * everything the gate knows, including longer lists than the summary shows (still bounded: see
 * `DETAIL_LIMITS`), in one stable shape.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorsOf, type GateResult } from '../gate-result.js';
import type { ErrorCount } from '../verdict.js';
import type { Env } from '../inputs.js';

export const REPORT_VERSION = 1;

export function buildJsonReport(result: GateResult): Record<string, unknown> {
  return {
    version: REPORT_VERSION,
    passed: result.passed,
    status: result.status,
    failures: result.failures,
    run_id: result.run?.id ?? result.runId,
    criteria: { threshold: result.threshold, max_errors: result.maxErrors, max_score_drop: result.comparison?.max_score_drop ?? null },
    waited_ms: result.waitedMs,
    run: result.run,
    // The error count the verdict used: `error_count` as the run gave it, else counted in the results, else unknown.
    errors: errorsReport(errorsOf(result)),
    comparison: result.comparison ?? null,
    metrics: result.details?.metrics ?? null,
    results: result.details?.results ?? null,
    requested_prior_run_id: result.details?.requested_prior_run_id ?? null,
  };
}

function errorsReport(errors: ErrorCount | null): Record<string, unknown> | null {
  if (!errors) return null;
  return errors.known ? { count: errors.count, source: errors.source } : { count: null, why: errors.why };
}

/** Writes the report into a new directory under RUNNER_TEMP (else the system's temp directory); returns its path. */
export async function writeJsonReport(result: GateResult, env: Env, report: Record<string, unknown> = buildJsonReport(result)): Promise<string> {
  const base = env.RUNNER_TEMP?.trim() || tmpdir();
  const dir = await mkdtemp(join(base, 'retab-gate-'));
  const path = join(dir, 'retab-gate-report.json');
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`, 'utf8');
  return path;
}
