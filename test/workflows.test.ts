/**
 * The README's snippets stand alone (each one a valid workflow pasted on its own), the repository's
 * workflows are valid, and action.yml is valid and in step with the README: checked with GitHub's
 * own parser (see support/workflow-check.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/run-action.js';
import { actionParserProblems, workflowProblems, yamlBlocks, type ActionMetadata } from './support/workflow-check.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const README = read('README.md');
const ACTION_YML = read('action.yml');
const action = parse(ACTION_YML) as ActionMetadata;

/** This action, as the README references it (`your-org/…@v1`) or a workflow of this repository does (`./`). */
const isThisAction = (uses: string) => uses === './' || /^[\w.-]+\/retab-experiment-gate@/.test(uses);
const problemsOf = (name: string, text: string) => workflowProblems(name, text, action, isThisAction);

const snippets = yamlBlocks(README);
const workflowFiles = readdirSync(join(ROOT, '.github', 'workflows')).filter((file) => /\.ya?ml$/.test(file));

describe("the README's yaml snippets", () => {
  it('are there to check', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(4);
  });

  it.each(snippets.map((snippet) => [snippet.line, snippet.text] as const))('the snippet at README.md line %i is a valid workflow on its own', async (line, text) => {
    expect(await problemsOf(`README.md:${line}`, text)).toEqual([]);
  });
});

describe('the workflows under .github/workflows', () => {
  it('are there to check', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'check-dist.yml', 'release.yml', 'codeql.yml']));
  });

  it.each(workflowFiles)('%s is a valid workflow', async (file) => {
    expect(await problemsOf(file, read(join('.github', 'workflows', file)))).toEqual([]);
  });

  it.each(workflowFiles)('%s pins every action of another repository to a full commit SHA', (file) => {
    const uses = [...read(join('.github', 'workflows', file)).matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)/gm)].map((match) => match[1] ?? '');
    const unpinned = uses.filter((ref) => !ref.startsWith('./') && !/@[0-9a-f]{40}$/.test(ref));
    expect(unpinned).toEqual([]);
  });
});

describe('the checks catch a broken snippet', () => {
  const workflow = (steps: string) => `on: push\njobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
  const gateStep = (extra = '', id = 'gate') =>
    `      - id: ${id}\n        uses: your-org/retab-experiment-gate@v1\n        with:\n          experiment_id: exp_1\n          threshold: '0.8'\n${extra}`;

  it.each([
    [
      'a list of steps, not a workflow (the old "Read the outputs" snippet)',
      "- name: Gate\n  id: gate\n  uses: your-org/retab-experiment-gate@v1\n  with:\n    run_id: ${{ steps.start.outputs.run_id }}\n    threshold: '0.85'\n",
      'A sequence was not expected',
    ],
    ['a job without runs-on', 'on: push\njobs:\n  gate:\n    steps:\n      - run: echo\n', 'Required property is missing: runs-on'],
    ['a key GitHub does not know', workflow('      - run: echo\n        wiht:\n          a: b\n'), "Unexpected value 'wiht'"],
    [
      'a step that reads a step nobody defines',
      workflow(`      - uses: your-org/retab-experiment-gate@v1\n        with:\n          run_id: \${{ steps.start.outputs.run_id }}\n          threshold: '0.8'\n`),
      'reads steps.start, which no step defines',
    ],
    ['a step that reads a later step', workflow(`      - if: steps.gate.outputs.passed == 'true'\n        run: echo\n${gateStep()}`), 'reads steps.gate, which comes later'],
    ['an input the action does not have', workflow(gateStep("          treshold: '0.9'\n")), 'gives `treshold`, which action.yml does not have'],
    ['no threshold', workflow("      - uses: your-org/retab-experiment-gate@v1\n        with:\n          run_id: exprun_1\n"), 'does not give the required input `threshold`'],
    ['an output the action does not have', workflow(`${gateStep()}      - run: echo "$S"\n        env:\n          S: \${{ steps.gate.outputs.scor }}\n`), 'reads steps.gate.outputs.scor, which action.yml does not have'],
  ])('%s', async (_, text, expected) => {
    const problems = await problemsOf('broken.yml', text);
    expect(problems.join('\n')).toContain(expected);
  });

  it('a correct snippet built the same way has no problems', async () => {
    const text = `on: push\njobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps:\n      - id: gate\n        uses: your-org/retab-experiment-gate@v1\n        with:\n          experiment_id: exp_1\n          threshold: '0.8'\n      - if: always()\n        env:\n          S: \${{ steps.gate.outputs.score }}\n        run: echo "$S"\n`;
    expect(await problemsOf('fine.yml', text)).toEqual([]);
  });
});

describe('action.yml', () => {
  it("is valid against GitHub's action metadata schema", () => {
    expect(actionParserProblems('action.yml', ACTION_YML)).toEqual([]);
  });

  it("the schema check catches a broken action.yml", () => {
    const broken = ACTION_YML.replace('  main: dist/index.js', '  mian: dist/index.js');
    expect(broken).not.toBe(ACTION_YML);
    expect(actionParserProblems('action.yml', broken).join('\n')).toContain("Unexpected value 'mian'");
  });

  it("has a description that fits the Marketplace's listing (at most 125 characters)", () => {
    expect(typeof action.description).toBe('string');
    expect([...action.description].length).toBeLessThanOrEqual(125);
  });

  it("has exactly the inputs of the README's Inputs table, with the same defaults", () => {
    const rows = tableRows(section(README, 'Inputs'));
    expect(rows.map((row) => row[0]).sort()).toEqual(Object.keys(action.inputs).sort());
    for (const [name, shownDefault] of rows) {
      const spec = action.inputs[name ?? ''];
      const expected = spec?.required && spec.default === undefined ? '(required)' : spec?.default === '' ? "`''`" : `\`${String(spec?.default)}\``;
      expect({ input: name, default: shownDefault }).toEqual({ input: name, default: expected });
    }
  });

  it("has exactly the outputs of the README's Outputs table", () => {
    const rows = tableRows(section(README, 'Outputs'));
    expect(rows.map((row) => row[0]).sort()).toEqual(Object.keys(action.outputs).sort());
  });
});

describe('.github/dependabot.yml', () => {
  it('updates npm packages and GitHub Actions, grouped', () => {
    const config = parse(read('.github/dependabot.yml')) as { version: number; updates: { 'package-ecosystem': string; groups?: object }[] };
    expect(config.version).toBe(2);
    const ecosystems = config.updates.filter((update) => update.groups && Object.keys(update.groups).length > 0).map((update) => update['package-ecosystem']);
    expect(ecosystems.sort()).toEqual(['github-actions', 'npm']);
  });
});

/** The text of a `## <title>` section, up to the next `## `. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

/** The rows of the first table in a text whose first cell is `` `name` ``: the name, then the other cells. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => /^\| `([a-z_]+)` \|(.*)\|$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1] ?? '', ...(match[2] ?? '').split(' | ').map((cell) => cell.trim())]);
}
