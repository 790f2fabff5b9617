/**
 * docs/forks.md, which the missing-key error on a fork's pull request points to: each of its
 * snippets is a valid workflow on its own, checked like the README's (see support/workflow-check.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/run-action.js';
import { workflowProblems, yamlBlocks, type ActionMetadata } from './support/workflow-check.js';

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionMetadata;
const FORKS = readFileSync(join(ROOT, 'docs', 'forks.md'), 'utf8');
const snippets = yamlBlocks(FORKS);

describe('docs/forks.md', () => {
  it('gives the three recipes', () => {
    const triggers = snippets.map((snippet) => {
      const on = (parse(snippet.text) as { on: unknown }).on;
      return typeof on === 'string' ? [on] : Object.keys(on as object);
    });
    expect(triggers).toEqual([['pull_request', 'push'], ['pull_request'], ['workflow_run'], ['pull_request_target']]);
    expect(FORKS).toContain('if: github.event.pull_request.head.repo.fork == false');
    expect(FORKS).toContain('workflow_run:');
  });

  it.each(snippets.map((snippet) => [snippet.line, snippet.text] as const))('the snippet at docs/forks.md line %i is a valid workflow on its own', async (line, text) => {
    expect(await workflowProblems(`docs/forks.md:${line}`, text, action, (uses) => /^[\w.-]+\/retab-experiment-gate@/.test(uses))).toEqual([]);
  });
});
