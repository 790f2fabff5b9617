/**
 * Checks for workflow files and README snippets: GitHub's own parser (@actions/workflow-parser, the
 * one behind the Actions language service) says whether the text is a valid workflow, and a few
 * checks of ours say what it cannot: every `steps.<id>` a job reads is a step defined before it,
 * and every use of this action gives only its inputs (the required ones included) and reads only
 * its outputs.
 */
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/index';
import { parse } from 'yaml';

export interface ActionMetadata {
  name: string;
  description: string;
  inputs: Record<string, { description?: string; required?: boolean; default?: unknown }>;
  outputs: Record<string, { description?: string }>;
}

/** The ```yaml (or ```yml) blocks of a Markdown text, with the line each starts on. */
export function yamlBlocks(markdown: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ya?ml\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? ''); j++) body.push((lines[j] ?? '').slice(indent));
    blocks.push({ line: i + 1, text: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}

/** Problems GitHub's parser finds in an action.yml: unknown keys, missing `runs`, wrong types. */
export function actionParserProblems(name: string, content: string): string[] {
  const result = parseAction({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((error) => error.message);
}

/** Every problem of a workflow's text; empty when it is a valid workflow that uses the action right. */
export async function workflowProblems(name: string, content: string, action: ActionMetadata, isThisAction: (uses: string) => boolean): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const problems = parsed.context.errors.getErrors().map((error) => error.message);
  if (parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    for (const error of template.errors ?? []) if (!problems.includes(error.Message)) problems.push(error.Message);
  }
  if (problems.length > 0) return problems;
  return [...stepReferenceProblems(name, content), ...actionUseProblems(name, content, action, isThisAction)];
}

type Step = { id?: string; uses?: string; with?: Record<string, unknown>; [key: string]: unknown };
type Job = { steps?: Step[]; outputs?: Record<string, unknown> };

function jobsOf(content: string): [string, Job][] {
  const workflow = parse(content) as { jobs?: Record<string, Job> };
  return Object.entries(workflow.jobs ?? {});
}

/** The `steps.<id>` a value reads: inside `${{ }}` anywhere, and in `if:`, which is an expression whole. */
function stepsRead(value: unknown, key = ''): string[] {
  if (typeof value === 'string') {
    const expressions = key === 'if' ? [value] : [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((match) => match[1] ?? '');
    return expressions.flatMap((expression) => [...expression.matchAll(/\bsteps\.([A-Za-z_][A-Za-z0-9_-]*)/g)].map((match) => match[1] ?? ''));
  }
  if (Array.isArray(value)) return value.flatMap((item) => stepsRead(item));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stepsRead(v, k));
  return [];
}

/** A step can read only the steps before it; a job's outputs, any step of the job. */
function stepReferenceProblems(name: string, content: string): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of jobsOf(content)) {
    const steps = job.steps ?? [];
    const all = new Set(steps.flatMap((step) => (step.id ? [step.id] : [])));
    const before = new Set<string>();
    steps.forEach((step, index) => {
      for (const read of stepsRead(step)) {
        if (!before.has(read)) problems.push(`${name}: job ${jobId}, step ${index + 1} reads steps.${read}, which ${all.has(read) ? 'comes later' : 'no step defines'}`);
      }
      if (step.id) before.add(step.id);
    });
    for (const read of stepsRead(job.outputs ?? {})) if (!all.has(read)) problems.push(`${name}: job ${jobId}'s outputs read steps.${read}, which no step defines`);
  }
  return problems;
}

/** A use of this action gives only inputs it has, every required one, and later steps read only outputs it has. */
function actionUseProblems(name: string, content: string, action: ActionMetadata, isThisAction: (uses: string) => boolean): string[] {
  const problems: string[] = [];
  const inputs = Object.keys(action.inputs);
  const required = Object.entries(action.inputs).flatMap(([input, spec]) => (spec.required && spec.default === undefined ? [input] : []));
  for (const [jobId, job] of jobsOf(content)) {
    const gateIds = new Set<string>();
    (job.steps ?? []).forEach((step, index) => {
      const where = `${name}: job ${jobId}, step ${index + 1}`;
      if (step.uses && isThisAction(step.uses)) {
        const given = Object.keys(step.with ?? {});
        for (const input of given) if (!inputs.includes(input)) problems.push(`${where} gives \`${input}\`, which action.yml does not have`);
        for (const input of required) if (!given.includes(input)) problems.push(`${where} does not give the required input \`${input}\``);
        if (step.id) gateIds.add(step.id);
      }
    });
    const text = JSON.stringify(job);
    for (const match of text.matchAll(/\bsteps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)/g)) {
      const [, stepId = '', output = ''] = match;
      if (gateIds.has(stepId) && !(output in action.outputs)) problems.push(`${name}: job ${jobId} reads steps.${stepId}.outputs.${output}, which action.yml does not have`);
    }
  }
  return problems;
}
