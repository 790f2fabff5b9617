/**
 * The JSON report and the pull request comment of a step with several experiments: one report
 * holding every experiment's, and one comment for the step (the gate's marker, see github/comment-plan.ts).
 */
import { footerLine, MAX_COMMENT_CHARS } from '../github/comment-render.js';
import { boundedJson } from '../common/api-text.js';
import type { GateResult } from '../gate/result.js';
import type { ArtifactContent } from '../github/artifacts.js';
import { buildJsonReport, REPORT_VERSION } from '../report/json-report.js';
import type { ManyResult } from './gate-many.js';
import { renderManySummary } from './summary.js';

/** The result that stands for the whole step where one is expected: the headline's, with the step's verdict. */
export function stepResult(many: ManyResult): GateResult {
  return { ...many.headline.result, passed: many.passed };
}

/** The report of 50 experiments may be larger than one's, but still bounded. */
export const MAX_MANY_REPORT_BYTES = 16 * 1024 * 1024;

export function manyArtifacts(many: ManyResult): ArtifactContent {
  return {
    reportText: manyReportText(many),
    renderComment: (head, env) => renderManyComment(many, head.marker, footerLine(head.label, env)),
  };
}

/** Every experiment's report in one file: strings cut shorter until it fits, else the per-document lists left out. */
export function manyReportText(many: ManyResult, maxBytes = MAX_MANY_REPORT_BYTES): string {
  const report = (slim: boolean) => ({
    version: REPORT_VERSION,
    passed: many.passed,
    stopped_by: many.stoppedBy,
    experiments: many.experiments.map((outcome) => {
      const full = { name: outcome.name, line: outcome.line, experiment_id: outcome.experimentId, ...buildJsonReport(outcome.result) };
      return slim ? { ...full, metrics: null, results: null } : full;
    }),
    ...(slim ? { cut: 'the report was too large: the per-document lists were left out' } : {}),
  });
  return boundedJson(report(false), maxBytes, 2) ?? boundedJson(report(true), maxBytes, 2) ?? JSON.stringify({ version: REPORT_VERSION, passed: many.passed, cut: 'the report was too large' });
}

export function renderManyComment(many: ManyResult, marker: string, footer: string, maxChars = MAX_COMMENT_CHARS): string {
  const room = maxChars - marker.length - footer.length - 4;
  const summary = renderManySummary(many, {
    max: room,
    measure: (text) => text.length,
    rowSteps: [10, 5, 0],
    seeAlso: 'the job summary and the JSON report (output `report_path`) have more',
  });
  return [marker, summary.trimEnd(), footer].filter(Boolean).join('\n\n');
}
