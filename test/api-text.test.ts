/**
 * The tools for text the action did not write: secrets out (in every form they come back in),
 * bounded, inert in the log, no links or invisible characters in Markdown; and the caps on the
 * outputs, the report and the comment that hold whatever reaches them.
 */
import { describe, expect, it } from 'vitest';
import { boundedJson, cleanDecoded, cleanText, inertLog, MAX_API_TEXT, Redactor } from '../src/common/api-text.js';
import { renderComment } from '../src/github/comment-render.js';
import type { GateResult } from '../src/gate/result.js';
import { guardedIO } from '../src/runner/io.js';
import { MAX_REPORT_BYTES, reportText } from '../src/report/json-report.js';
import { escapeMarkdown } from '../src/report/markdown.js';
import { buildOutputs, MAX_OUTPUT_BYTES } from '../src/report/outputs.js';
import { normalizeRun, rawRunSchema, runAnswerProblem } from '../src/retab/run.js';
import { recordingIO } from './support/recording-io.js';
import { workflowCommands } from './support/workflow-commands.js';

const KEY = 'rt_live_Q7mUnitCanary0123456789abc';
const TOKEN = 'ghp_UnitTokenCanary9876543210';
const redactor = new Redactor([KEY, TOKEN]);

describe('Redactor: the secrets, in every form they come back in', () => {
  const encode = {
    plain: (s: string) => s,
    'percent-encoded': (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join(''),
    'percent-encoded, some characters only': (s: string) => [...s].map((c, i) => (i % 3 ? c : `%${c.charCodeAt(0).toString(16)}`)).join(''),
    'decimal character references': (s: string) => [...s].map((c) => `&#${c.charCodeAt(0)};`).join(''),
    'hex character references': (s: string) => [...s].map((c) => `&#x${c.charCodeAt(0).toString(16)};`).join(''),
    '\\u escapes left in the text': (s: string) => [...s].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join(''),
    '\\x escapes left in the text': (s: string) => [...s].map((c) => `\\x${c.charCodeAt(0).toString(16)}`).join(''),
  };
  it.each(Object.entries(encode))('%s', (_name, form) => {
    for (const secret of [KEY, TOKEN]) expect(redactor.redact(`before ${form(secret)} after`)).toBe('before *** after');
  });

  it('an encoded secret among Markdown escapes and references to other characters, in every spelling of a reference', () => {
    const markdown = 'line\\_items &#39;a&#39; &amp; 50%20off \\| ';
    const spellings = [
      (s: string) => `&#0${s.charCodeAt(0)};${s.slice(1)}`,
      (s: string) => `&#X00${s.charCodeAt(0).toString(16)};${s.slice(1)}`,
      (s: string) => `${s.slice(0, -1)}%${s.charCodeAt(s.length - 1).toString(16)}`,
      (s: string) => `${s.slice(0, 5)}\\u00${s.charCodeAt(5).toString(16).toUpperCase()}${s.slice(6)}`,
    ];
    for (const spell of spellings) expect(redactor.redact(`${markdown}${spell(KEY)} ${markdown}`)).toBe(`${markdown}*** ${markdown}`);
    // References to characters no secret holds leave the text as it was.
    expect(redactor.redact(markdown)).toBe(markdown);
  });

  it('base64-encoded at every byte alignment, standard and URL-safe (a Basic authorization sent back)', () => {
    for (const secret of [KEY, TOKEN]) {
      for (const before of ['', 'u:', 'us:', 'user:']) {
        for (const encoding of ['base64', 'base64url'] as const) {
          const encoded = Buffer.from(`${before}${secret}`).toString(encoding);
          // Only the groups of four that also hold the bytes around the secret stay: the user's, two of the secret's at most.
          expect(redactor.redact(`Authorization: Basic ${encoded} (echoed)`)).toMatch(/^Authorization: Basic [A-Za-z0-9+/_-]{0,8}\*\*\*[A-Za-z0-9+/_-]{0,4}=*? \(echoed\)$/);
        }
      }
    }
    // Other base64 is left alone.
    const other = Buffer.from('user:rt_live_SomebodyElse0123456789').toString('base64');
    expect(redactor.redact(other)).toBe(other);
  });

  it('a secret made of characters that mean something in a pattern is matched literally', () => {
    const odd = 'k.e*y+?(x)[y]{z}|a\\b^c$d-e/f';
    expect(new Redactor([odd]).redact(`a ${odd} b kXey`)).toBe('a *** b kXey');
  });

  it('a run of eight or more characters of a secret: cut short, or split across two fields', () => {
    expect(redactor.redact('key rt_live_Q7mUnitCa… (cut)')).toBe('key rt_live_***… (cut)');
    expect(redactor.redact('name: rt_live_Q7mUnitCanary')).toBe('name: rt_live_***');
    expect(redactor.redact('0123456789abc was refused')).toBe('*** was refused');
    // The public prefix alone, or fewer than eight characters of the rest, is not a secret.
    expect(redactor.redact('keys start with rt_live_ or rt_test_; Q7mUnit is not enough')).toBe('keys start with rt_live_ or rt_test_; Q7mUnit is not enough');
  });

  it('a secret straddling the cut is removed whole, not left half visible', () => {
    const text = `${'a'.repeat(MAX_API_TEXT - 10)}${KEY} and more`;
    const cleaned = cleanText(text, redactor);
    expect(cleaned.length).toBeLessThanOrEqual(MAX_API_TEXT);
    expect(cleaned).toMatch(/a\*\*\*/);
    expect(cleaned).not.toContain(KEY.slice(0, 10));
  });

  it('a 20 MB string is cut to the bound, quickly', () => {
    const started = Date.now();
    const cleaned = cleanText(`${KEY} ${'y'.repeat(20_000_000)}`, redactor);
    expect(cleaned.length).toBe(MAX_API_TEXT);
    expect(cleaned.startsWith('*** yyy')).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('cleanDecoded: every string of a decoded answer, keys included', () => {
  it('cleans values and keys in place, keeps `__proto__` an own key, survives any nesting', () => {
    const value = JSON.parse(`{"__proto__":{"x":"${KEY}"},"k ${TOKEN}":["${KEY}", 1, null, {"deep":"${'z'.repeat(5000)}"}]}`) as Record<string, unknown>;
    cleanDecoded(value, (text) => cleanText(text, redactor));
    expect(JSON.stringify(value)).toBe(`{"__proto__":{"x":"***"},"k ***":["***",1,null,{"deep":"${'z'.repeat(MAX_API_TEXT - 1)}…"}]}`);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    const cyclic: Record<string, unknown> = { text: KEY };
    cyclic.self = cyclic;
    expect(cleanDecoded(cyclic, (text) => redactor.redact(text))).toEqual(expect.objectContaining({ text: '***' }));
    const deep = JSON.parse(`${'['.repeat(200_000)}"${KEY}"${']'.repeat(200_000)}`);
    expect(() => cleanDecoded(deep, (text) => redactor.redact(text))).not.toThrow();
  });
});

describe('inertLog: no text written to the log becomes a workflow command', () => {
  it.each([
    ['a line feed', `status running\n::add-mask::PWNED`],
    ['a lone carriage return (the runner ends a line there too)', `status running\r::stop-commands::PWNED`],
    ['CR LF', `status running\r\n::error::PWNED`],
    ['U+2028 and U+2029', `a\u2028::error::PWNED\u2029::warning::PWNED`],
    ['a vertical tab, a form feed, NEL', `a\u000b::error::PWNED\u000c::error::PWNED\u0085::error::PWNED`],
    ['leading blanks before the command', `x\n   \t::error::PWNED`],
    ['the old ##[ form anywhere in a line', `ok ##[error]PWNED and ##[add-mask]PWNED`],
    ['a message that starts with a command itself', `::error::PWNED`],
    ['ESC and the 8-bit CSI (terminal escapes)', `x\u001b[2K\u009b1A\n::error::PWNED`],
  ])('%s', (_name, message) => {
    const line = inertLog(message);
    expect(workflowCommands(line)).toEqual([]);
    expect(line).toContain('PWNED');
  });

  it('removes bidi overrides and zero-width characters, and cuts a long message', () => {
    expect(inertLog('a\u202eb\u200bc\u2066d\u2069\ufeff')).toBe('abcd');
    expect(inertLog('x'.repeat(100_000)).length).toBe(16_000);
  });

  it('guardedIO: every message, output and the summary lose the secrets; every log line is inert', async () => {
    const { io, recording } = recordingIO({});
    const guarded = guardedIO(io, redactor);
    guarded.info(`Run x: ${KEY}\n::error::PWNED`);
    guarded.warning(`w ${TOKEN}`);
    guarded.setOutput('run', `{"message":"${KEY}"}`);
    await guarded.writeSummary(`| ${KEY} |`);
    expect(recording.info).toEqual(['Run x: ***\n: :error::PWNED']);
    expect(recording.warnings).toEqual(['w ***']);
    expect(recording.outputs.run).toBe('{"message":"***"}');
    expect(recording.summary).toBe('| *** |');
  });
});

describe('run answers: strict patterns for ids and statuses', () => {
  it.each([
    [{ id: 'exprun_1\n::error::x', status: 'running' }, 'exprun_1\n::error::x', 'gives an id that is not a run id'],
    [{ id: 'exprun_1\n', status: 'running' }, null, 'gives an id that is not a run id'],
    [{ id: 'exprun_2', status: 'running' }, 'exprun_1', 'describes run exprun_2, not run exprun_1'],
    [{ id: 'exprun_1', status: 'running\r::add-mask::x' }, 'exprun_1', 'gives a status that is not a lifecycle status'],
    [{ id: 'exprun_1', status: 'Completed' }, 'exprun_1', 'gives a status that is not a lifecycle status'],
    [{ id: 'exprun_1', status: 'running' }, 'exprun_1', null],
  ])('%j asked as %s: %s', (answer, expected, problem) => {
    expect(runAnswerProblem(answer, expected)).toBe(problem);
  });
});

function resultWithRun(message: string): GateResult {
  const run = normalizeRun(rawRunSchema.parse({ id: 'exprun_1', lifecycle: { status: 'error', message }, workflow: { name_at_run_time: message } }));
  return { status: 'error', passed: false, failures: [{ rule: 'run_error', message: `run exprun_1 ended with status error: ${message}` }], runId: 'exprun_1', threshold: 0.8, maxErrors: 0, run, waitedMs: 1 };
}

describe('caps on what the action writes, whatever reaches them', () => {
  it('an output never exceeds its cap, and the run output stays valid JSON', () => {
    const outputs = buildOutputs(resultWithRun('m'.repeat(1_000_000)));
    for (const [name, value] of Object.entries(outputs)) expect(Buffer.byteLength(value), name).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    expect(JSON.parse(outputs.run).id).toBe('exprun_1');
  });

  it('the report never exceeds its cap and stays valid JSON', () => {
    const result = resultWithRun('m'.repeat(3_500_000));
    const documents = Array.from({ length: 5_000 }, (_, i) => ({ id: `d${i}`, filename: `${'f'.repeat(3_000)}.pdf`, score: 0.5, prior_score: null }));
    result.details = {
      requested_prior_run_id: null,
      metrics: { state: 'ok', score: 0.5, prior_score: null, prior_run_id: null, scored_document_count: 5_000, total_document_count: 5_000, listed_document_count: 5_000, unscored_document_count: 0, prior_only_document_count: 0, worst_documents: documents, document_scores: null, paired_changes: null },
      results: { state: 'failed', message: 'x' },
    };
    const text = reportText(result);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_REPORT_BYTES);
    expect(JSON.parse(text).status).toBe('error');
    expect(boundedJson({ a: 'x'.repeat(100) }, 10)).toBeNull();
  });
});

describe('Markdown: API text never becomes a link or a mention, and shows no invisible characters', () => {
  it.each([
    ['https://evil.example/login', 'https\\[:\\]//evil.example/login'],
    ['http://evil.example', 'http\\[:\\]//evil.example'],
    ['ftp://evil.example', 'ftp\\[:\\]//evil.example'],
    ['www.evil.example', 'www\\[.\\]evil.example'],
    ['WWW.evil.example', 'WWW\\[.\\]evil.example'],
    ['_www.evil.example', '\\_www\\[.\\]evil.example'],
    ['mail jane@evil.example', 'mail jane@\u200bevil.example'],
    ['@octocat', '@\u200boctocat'],
    ['a\u202eb\u202cc\u2066d\u2069e\u200df\ufeffg\u00adh', 'abcdefgh'],
    // GitHub renders $…$ as math: a message could paint its own green "passed".
    ['$\\color{green}{\\text{passed}}$ and $$x$$', '&#36;\\\\color\\{green\\}\\{\\\\text\\{passed\\}\\}&#36; and &#36;&#36;x&#36;&#36;'],
  ])('%j', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });

  it('the pull request comment carries the same escaping', () => {
    const comment = renderComment(resultWithRun('see https://evil.example/login or www.evil.example \u202eexe.fdp'), { marker: '<!-- marker -->', label: '' }, {});
    expect(comment).not.toMatch(/[a-z]+:\/\/evil|www\.evil|\u202e/i);
    expect(comment).toContain('https\\[:\\]//evil.example/login');
  });
});
