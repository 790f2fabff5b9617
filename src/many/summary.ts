/**
 * The job summary (and the comment's text) for several experiments: one verdict, one table with a
 * row per experiment (on one screen), then each experiment's details as the single summary shows
 * them, each folded. Pure. It fits the size it is given: lists get shorter first, then the details
 * of some experiments are left out (the failing ones are kept longest), and the text says so.
 */
import { formatDuration } from '../common/duration.js';
import { readsCut, type GateResult } from '../gate/result.js';
import { formatChange } from '../report/details-summary.js';
import { cutToFit, escapeMarkdown as md, markdownTable } from '../report/markdown.js';
import { errorsText, failureLabels, MAX_SUMMARY_BYTES, summaryBody } from '../report/summary.js';
import { formatScore } from '../common/format.js';
import type { ExperimentOutcome, ManyResult } from './gate-many.js';

const TITLE = 'Retab experiment gate';

export interface FitOptions {
  /** The largest text allowed, as `measure` counts it. */
  max: number;
  measure: (text: string) => number;
  /** Rows per list (worst documents, errored documents), tried in turn until the text fits. */
  rowSteps: readonly number[];
  /** Where the full report is, for the note on what was left out. */
  seeAlso: string;
}

export const SUMMARY_FIT: FitOptions = {
  max: MAX_SUMMARY_BYTES - 1,
  measure: (text) => Buffer.byteLength(text),
  rowSteps: [20, 10, 5, 0],
  seeAlso: 'the JSON report (output `report_path`) has every experiment',
};

export function renderManySummary(many: ManyResult, fit: FitOptions = SUMMARY_FIT): string {
  const head = [headline(many), '', ...stoppedNote(many), ...markdownTable(HEADER, many.experiments.map(tableRow))].join('\n');
  let sections: string[] = [];
  for (const rows of fit.rowSteps) {
    sections = many.experiments.map((outcome) => section(outcome, rows));
    const text = [head, ...sections].join('\n');
    if (fit.measure(text) <= fit.max) return text;
  }
  return leaveOut(many, head, sections, fit);
}

const HEADER = ['Experiment', 'Verdict', 'Score', 'Change', 'Errors', 'Duration', 'Failing rule'];

function headline(many: ManyResult): string {
  const total = many.experiments.length;
  if (many.passed) return `### ✅ ${TITLE}: ${total === 1 ? 'the experiment' : `all ${total} experiments`} passed`;
  const failed = many.experiments.filter((outcome) => !outcome.result.passed).length;
  return `### ❌ ${TITLE}: ${failed} of ${total} ${total === 1 ? 'experiment' : 'experiments'} failed`;
}

function stoppedNote(many: ManyResult): string[] {
  if (many.stoppedBy === null) return [];
  return [`${md(many.stoppedBy, 200)} failed first, so the others were stopped (\`fail_fast\`) and the runs they had started were cancelled.`, ''];
}

function tableRow(outcome: ExperimentOutcome): string[] {
  const { result } = outcome;
  const run = result.run;
  return [
    `**${md(outcome.name, 100)}**`,
    verdict(outcome),
    run?.score == null ? '—' : `${formatScore(run.score)}${result.threshold === null ? '' : ` (≥ ${formatScore(result.threshold)})`}`,
    result.comparison?.delta == null ? '—' : formatChange(result.comparison.delta),
    // Only a completed run is judged on its errors; another run's count was not checked.
    !run ? '—' : run.status === 'completed' ? `${errorsText(result)}${result.maxErrors === null ? '' : ` (≤ ${result.maxErrors})`}` : 'not checked',
    duration(result),
    result.passed ? '' : md(failureLabels(result), 200),
  ];
}

function verdict(outcome: ExperimentOutcome): string {
  if (outcome.result.passed) return readsCut(outcome.result) ? '✅ passed (reads cut)' : '✅ passed';
  return outcome.stopped ? '⏹️ stopped' : '❌ failed';
}

function duration(result: GateResult): string {
  const runMs = result.run?.duration_ms ?? null;
  if (runMs !== null) return formatDuration(runMs);
  return result.waitedMs === null ? '—' : `waited ${formatDuration(result.waitedMs)}`;
}

/** One experiment's details, folded, so the table above stays on one screen. */
function section(outcome: ExperimentOutcome, rows: number): string {
  const { result } = outcome;
  const title = `${md(outcome.name, 100)} (line ${outcome.line})`;
  const body = summaryBody(result, { rows });
  if (!result.passed) {
    const verdict = outcome.stopped ? '⏹️' : '❌';
    return `<details><summary>${verdict} ${title}: ${outcome.stopped ? 'stopped' : `failed (${md(failureLabels(result), 200)})`}</summary>\n\n${body}\n\n</details>\n`;
  }
  const cut = readsCut(result) ? ', its report cut short by `fail_fast`' : '';
  return `<details><summary>✅ ${title}: passed${cut}</summary>\n\n${body}\n\n</details>\n`;
}

/** The smallest lists still do not fit: keep as many experiments' details as fit, failures first. */
function leaveOut(many: ManyResult, head: string, sections: string[], fit: FitOptions): string {
  const order = many.experiments.map((outcome, index) => ({ outcome, index })).sort((a, b) => Number(a.outcome.result.passed) - Number(b.outcome.result.passed) || a.index - b.index);
  // Room for the note, counted with every name it could list.
  const noteRoom = fit.measure(cutNote(many.experiments, fit)) + 2;
  let used = fit.measure(head) + noteRoom;
  const kept = new Set<number>();
  for (const { index } of order) {
    const size = fit.measure(sections[index] ?? '') + 1;
    if (used + size > fit.max) continue;
    used += size;
    kept.add(index);
  }
  const omitted = many.experiments.filter((_, index) => !kept.has(index));
  const text = [head, ...sections.filter((_, index) => kept.has(index)), cutNote(omitted, fit)].join('\n');
  return cutToFit(text, fit.max, '\n\n…(cut to fit)\n', fit.measure);
}

const LISTED_NAMES = 10;

function cutNote(omitted: ExperimentOutcome[], fit: FitOptions): string {
  const names = omitted.slice(0, LISTED_NAMES).map((outcome) => md(outcome.name, 100));
  const more = omitted.length - names.length;
  const list = `${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return `> [!NOTE]\n> The details of ${omitted.length} ${omitted.length === 1 ? 'experiment' : 'experiments'} (${list}) are left out to fit GitHub's size limit; their rows above still hold their figures, and ${fit.seeAlso}.\n`;
}
