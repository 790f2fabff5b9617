import { describe, expect, it } from 'vitest';
import type { GateResult } from '../src/gate/result.js';
import { renderComment } from '../src/github/comment-render.js';
import { cutToFit, escapeMarkdown, markdownTable } from '../src/report/markdown.js';
import { buildOutputs } from '../src/report/outputs.js';
import { MAX_SUMMARY_BYTES, renderSummary } from '../src/report/summary.js';
import { makeRun } from './support/runs.js';

function result(overrides: Partial<GateResult> = {}): GateResult {
  return { status: 'completed', passed: true, failures: [], runId: 'exprun_2', threshold: 0.8, maxErrors: 0, run: makeRun(), waitedMs: 4_000, ...overrides };
}

/** The table row that starts with `| name |`, as its cells. */
function row(markdown: string, name: string): string[] | undefined {
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${name} |`));
  return line?.split(' | ').map((cell) => cell.replace(/^\| |\s*\|$/g, ''));
}

describe('renderSummary', () => {
  it('heads a passing run with the verdict, then the figures against the gate', () => {
    const markdown = renderSummary(result());
    expect(markdown.split('\n')[0]).toBe('### ✅ Retab experiment gate: passed (score 0.87 ≥ 0.8, 0 errors ≤ 0)');
    expect(row(markdown, 'Score')).toEqual(['Score', '**0.87**', '≥ 0.8 ✅']);
    expect(row(markdown, 'Errors')).toEqual(['Errors', '0', '≤ 0 ✅']);
    expect(row(markdown, 'Documents')?.[1]).toBe('12 / 12 completed');
    expect(row(markdown, 'Status')?.[1]).toBe('completed');
    expect(row(markdown, 'Duration')?.[1]).toBe('4m 18s (waited 4s)');
    expect(row(markdown, 'Consensus')?.[1]).toBe('5\\-way');
    expect(row(markdown, 'Block')?.[1]).toBe('extract\\-invoice \\(extract\\)');
    expect(row(markdown, 'Workflow')?.[1]).toBe('Invoice workflow \\(wf\\_abc123\\) version draft\\_2026\\_05\\_18');
    expect(row(markdown, 'Run')?.[1]).toBe('exprun\\_2 of experiment exp\\_abc');
  });

  it('names every failing rule under the headline', () => {
    const markdown = renderSummary(
      result({
        passed: false,
        run: makeRun({ score: 0.62, error_count: 2 }),
        failures: [
          { rule: 'score_below_threshold', message: 'score 0.62 is below the threshold 0.8' },
          { rule: 'too_many_errors', message: '2 errors occurred; at most 0 allowed' },
        ],
      }),
    );
    expect(markdown.split('\n')[0]).toBe('### ❌ Retab experiment gate: failed (score below threshold, too many errors)');
    expect(markdown).toContain('\n- score 0.62 is below the threshold 0.8\n- 2 errors occurred; at most 0 allowed\n');
    expect(row(markdown, 'Score')?.[2]).toBe('≥ 0.8 ❌');
    expect(row(markdown, 'Errors')?.[2]).toBe('≤ 0 ❌');
  });

  it('shows what it knows when no run was read', () => {
    const markdown = renderSummary(result({ status: 'input_error', passed: false, run: null, threshold: null, failures: [{ rule: 'input_error', message: 'Input `threshold`: got "2"' }] }));
    expect(markdown).toContain('failed (invalid input)');
    expect(markdown).not.toContain('| Score |');
    expect(row(markdown, 'Run')?.[1]).toBe('exprun\\_2');
  });

  it('never lets API strings become HTML, links, emphasis or new table cells', () => {
    const hostile = '<img src=x onerror=alert(1)> [click](https://evil.example) | **bold** `code`\n# heading';
    const markdown = renderSummary(result({ passed: false, run: makeRun({ status: 'error', message: hostile, workflow_name: hostile }), failures: [{ rule: 'run_error', message: hostile }] }));
    expect(markdown).not.toMatch(/<img|<script|\]\(|\*\*bold|`code`|\n# heading/);
    for (const line of markdown.split('\n').filter((l) => l.startsWith('| '))) {
      expect(line.split(/(?<!\\)\|/).length).toBe(5); // 3 cells, so 4 pipes
    }
  });

  it('stays small however long the API strings are', () => {
    const huge = 'x'.repeat(5_000_000);
    const markdown = renderSummary(result({ passed: false, run: makeRun({ status: 'error', message: huge, workflow_name: huge, block_id: huge }), failures: [{ rule: 'run_error', message: huge }] }));
    expect(Buffer.byteLength(markdown)).toBeLessThan(10_000);
  });
});

describe('escapeMarkdown', () => {
  it('escapes HTML and Markdown and keeps text on one line', () => {
    expect(escapeMarkdown('<b>a_b</b>\n[x](y)')).toBe('&lt;b&gt;a\\_b&lt;/b&gt; \\[x\\]\\(y\\)');
  });

  it('cuts long text', () => {
    expect(escapeMarkdown('abcdefghij', 5)).toBe('abcd…');
  });
});

describe('buildOutputs', () => {
  it('gives every figure as a string, and the run as JSON', () => {
    const outputs = buildOutputs(result());
    expect(outputs).toMatchObject({
      passed: 'true',
      status: 'completed',
      score: '0.87',
      threshold: '0.8',
      error_count: '0',
      duration_ms: '258221',
      run_id: 'exprun_2',
      total_document_count: '12',
      completed_document_count: '12',
    });
    expect(JSON.parse(outputs.run)).toEqual(makeRun());
  });

  it('leaves unknown figures empty', () => {
    const outputs = buildOutputs(result({ status: 'not_found', passed: false, run: null }));
    expect(outputs).toMatchObject({ passed: 'false', status: 'not_found', score: '', error_count: '', duration_ms: '', run: '', run_id: 'exprun_2', threshold: '0.8' });
  });
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('size limits whatever the input', () => {
  // Far more rows than the action ever keeps, each as long and as escape-heavy as allowed.
  const message = `${'"<😀>'.repeat(400)}`;
  const huge = result({
    details: {
      requested_prior_run_id: null,
      metrics: { state: 'failed', message },
      results: {
        state: 'ok',
        document_count: 20_000,
        status_counts: { error: 20_000 },
        errored_documents: Array.from({ length: 1_000 }, (_, i) => ({ id: `r${i}`, document_id: `d${i}`, filename: message, status: 'error', message })),
        errored_document_count: 20_000,
        pages: 20,
      },
    },
  });

  it('keeps the summary under 1 MiB, cut between whole characters', () => {
    const markdown = renderSummary(huge, { rows: 1_000 });
    expect(Buffer.byteLength(markdown)).toBeLessThan(MAX_SUMMARY_BYTES);
    expect(markdown).toMatch(/cut to fit a job summary\)\n$/);
    expect(markdown).not.toMatch(LONE_SURROGATE);
  });

  it('keeps the comment within its limit, cut between whole characters', () => {
    for (const max of [300, 301, 302, 303]) {
      const body = renderComment(result({ passed: false, failures: [{ rule: 'run_error', message: '😀'.repeat(2_000) }] }), { marker: '<!-- m -->', label: '' }, {}, max);
      expect(body.length).toBeLessThanOrEqual(max);
      expect(body).toMatch(/see the job summary\)$/);
      expect(body).not.toMatch(LONE_SURROGATE);
    }
  });
});

describe('cutToFit', () => {
  it('leaves text that fits alone, and cuts the rest to fit with the note', () => {
    expect(cutToFit('abc', 3, '…')).toBe('abc');
    expect(cutToFit('abcdef', 4, '…')).toBe('abc…');
    expect(cutToFit('ééé', 5, '.', (t) => Buffer.byteLength(t))).toBe('éé.');
    expect(cutToFit('a😀b', 3, '…')).toBe('a…');
  });
  it('escapeMarkdown cuts long text between whole characters', () => {
    expect(escapeMarkdown('😀'.repeat(10), 4)).toBe('😀…');
    expect(escapeMarkdown('x😀'.repeat(10), 4)).toBe('x😀…');
  });
});

describe('markdownTable', () => {
  it('writes the header, the rule and one line per row, then a blank line', () => {
    expect(markdownTable(['', 'Value'], [['Score', '0.8'], ['Errors']])).toEqual(['| | Value |', '|---|---|', '| Score | 0.8 |', '| Errors |  |', '']);
  });
});

describe('escapeMarkdown and GitHub references', () => {
  it('keeps an API string from mentioning people or linking issues', () => {
    const escaped = escapeMarkdown('ping @acme/reviewers about #123 and jane@example.com');
    expect(escaped).not.toMatch(/@[a-z]/);
    expect(escaped).not.toMatch(/#\d/);
    expect(escaped.replace(/\u200b|\\/g, '')).toBe('ping @acme/reviewers about #123 and jane@example.com');
  });
});
