/**
 * The full report as JSON, written to a file under RUNNER_TEMP for upload as an artifact. It holds
 * everything the gate knows, including longer lists than the summary shows (still bounded: see
 * `DETAIL_LIMITS`), in one stable shape.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundedJson, cutText } from '../common/api-text.js';
import { errorsOf, type GateResult } from '../gate/result.js';
import type { ErrorCount } from '../verdict/rules.js';
import type { Env } from '../inputs/settings.js';

export const REPORT_VERSION = 1;
/** The most the report file may hold; far above what the bounded lists produce (see `DETAIL_LIMITS`). */
export const MAX_REPORT_BYTES = 2 * 1024 * 1024;

export function buildJsonReport(result: GateResult): Record<string, unknown> {
  return {
    version: REPORT_VERSION,
    passed: result.passed,
    status: result.status,
    failures: result.failures,
    run_id: result.run?.id ?? result.runId,
    criteria: {
      threshold: result.threshold,
      max_errors: result.maxErrors,
      max_score_drop: result.comparison?.max_score_drop ?? null,
      confidence: result.comparison?.confidence ?? null,
      on_missing_comparison: result.comparison?.on_missing_comparison ?? null,
    },
    waited_ms: result.waitedMs,
    run: result.run,
    // The error count the verdict used: `error_count` as the run gave it, else counted in the results, else unknown.
    errors: errorsReport(errorsOf(result)),
    comparison: result.comparison ?? null,
    metrics: result.details?.metrics ?? null,
    results: result.details?.results ?? null,
    fields: result.details?.fields ?? null,
    trend: result.details?.trend ?? null,
    requested_prior_run_id: result.details?.requested_prior_run_id ?? null,
  };
}

function errorsReport(errors: ErrorCount | null): Record<string, unknown> | null {
  if (!errors) return null;
  return errors.known ? { count: errors.count, source: errors.source } : { count: null, why: errors.why, ...(errors.cut ? { cut: true } : {}) };
}

/** Writes the report into a new directory under RUNNER_TEMP (else the system's temp directory); returns its path. */
export async function writeJsonReport(result: GateResult, env: Env, text: string = reportText(result)): Promise<string> {
  const base = env.RUNNER_TEMP?.trim() || tmpdir();
  const dir = await mkdtemp(join(base, 'retab-gate-'));
  const path = join(dir, 'retab-gate-report.json');
  await writeFile(path, `${text}\n`, 'utf8');
  return path;
}

/**
 * The report as JSON text of at most `maxBytes`: its strings are cut shorter until it fits, and if
 * even that is not enough, the per-document lists are dropped (the verdict and the run remain).
 */
export function reportText(result: GateResult, maxBytes = MAX_REPORT_BYTES): string {
  const report = buildJsonReport(result);
  const text = boundedJson(report, maxBytes, 2);
  if (text !== null) return text;
  const failures = result.failures.slice(0, 20).map((failure) => ({ ...failure, message: cutText(failure.message, 300) }));
  const slim = { ...report, failures, metrics: null, results: null, cut: 'the report was too large: the per-document lists were left out' };
  return boundedJson(slim, maxBytes, 2) ?? JSON.stringify({ version: REPORT_VERSION, passed: result.passed, status: result.status, cut: slim.cut });
}
