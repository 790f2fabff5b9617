/** docs/report.md's examples are what the built action writes against the simulator (scripts/report-example.js). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_MARKER, renderExamples, withoutWaits } from '../scripts/report-example.js';
import { ROOT } from './support/run-action.js';

describe("docs/report.md's examples", () => {
  it('are the summaries the built action writes now (pass, below threshold, regression, errors, error run, several experiments)', async () => {
    const doc = await readFile(join(ROOT, 'docs', 'report.md'), 'utf8');
    const at = doc.indexOf(EXAMPLES_MARKER);
    expect(at).toBeGreaterThan(0);
    const examples = await renderExamples();
    for (const headline of ['passed (', 'failed (score below threshold)', 'failed (score regressed)', 'failed (too many errors)', 'failed (the run ended in error)', '3 of 4 experiments failed']) {
      expect(examples).toContain(`Retab experiment gate: ${headline}`);
    }
    expect(withoutWaits(doc.slice(at))).toBe(withoutWaits(examples));
  }, 60_000);
});
