/**
 * Hostile answers, end to end: the built action against the simulator serving answers written to
 * break it. Each case reads everything the action leaves behind (stdout as the runner parses it,
 * stderr, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and the JSON report) and proves: no workflow command
 * the action did not write, no secret (the key and the GitHub token, whole or in part), no link,
 * no bidi or zero-width character in the summary, and bounded sizes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderRun, startSimulator } from './simulator/retab-simulator.js';
import { runAction } from './support/run-action.js';
import { unexpectedCommands, workflowCommands } from './support/workflow-commands.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type Result = Awaited<ReturnType<typeof runAction>>;

const KEY = 'rt_test_Zq9xHostileCanary0123456789';
const TOKEN = 'ghs_TokenCanary9876543210abcdefXYZ';
/** Runs of 8 characters of each secret's random part: a part of a secret is a leak too. */
const FRAGMENTS = ['Zq9xHost', 'ileCanar', 'ary01234', '23456789', 'TokenCan', '98765432', 'abcdefXY'];
const RUN = 'exprun_h';
const RUN_PATH = `/v1/workflows/experiments/runs/${RUN}`;
const PWN = '::error::PWNED';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ apiKey: KEY, runs: [{ id: RUN, runningMs: 0, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
});
afterEach(async () => {
  await sim.close();
});

/** The run as the simulator would answer once it finished, changed by `edit`. */
function finishedRun(edit: (run: Record<string, unknown>) => void, final: object = { status: 'completed', score: 0.9, error_count: 0 }): string {
  const run = renderRun({ id: RUN, total: 4, final: final as never }, 1e9, 'reference') as Record<string, unknown>;
  edit(run);
  return JSON.stringify(run);
}

function serveRun(body: string, times = Infinity) {
  sim.fault({ path: RUN_PATH, method: 'GET', status: 200, headers: { 'content-type': 'application/json' }, body, times });
}

async function gate(inputs: Record<string, string> = {}): Promise<Result> {
  return runAction({
    inputs: { run_id: RUN, threshold: '0.8', api_key: KEY, github_token: TOKEN, base_url: sim.url, timeout: '8s', poll_interval: '100ms', ...inputs },
    env: { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' },
  });
}

/** Everything the action left behind, with the `::add-mask::` lines (which must name the secrets) taken out. */
function leftBehind(result: Result): Record<string, string> {
  const stdout = result.stdout
    .split('\n')
    .filter((line) => line !== `::add-mask::${KEY}` && line !== `::add-mask::${TOKEN}`)
    .join('\n');
  return { stdout, stderr: result.stderr, outputs: JSON.stringify(result.outputs), summary: result.summary, report: result.report ?? '' };
}

function expectInert(result: Result) {
  expect(unexpectedCommands(result.stdout, [KEY, TOKEN])).toEqual([]);
  for (const [where, text] of Object.entries(leftBehind(result))) {
    for (const secret of [KEY, TOKEN, ...FRAGMENTS]) expect(text, `${where} holds ${secret}`).not.toContain(secret);
  }
  // No link GitHub would make by itself, no invisible characters but the one after @ and # that stops a mention.
  expect(result.summary).not.toMatch(/[a-z]+:\/\/|www\./i);
  expect(result.summary).not.toMatch(/[\u200c-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|(?<![@#])\u200b/);
  // Bounded: no answer makes a giant log line, output, summary or report.
  expect(result.stdout.length).toBeLessThan(200_000);
  for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThan(20_000);
  for (const [name, value] of Object.entries(result.outputs)) expect(Buffer.byteLength(value), name).toBeLessThanOrEqual(64 * 1024);
  expect(Buffer.byteLength(result.summary)).toBeLessThan(100_000);
  expect(result.report).not.toBeNull();
  expect(Buffer.byteLength(result.report ?? '')).toBeLessThanOrEqual(2 * 1024 * 1024);
  expect(() => JSON.parse(result.report ?? '')).not.toThrow();
  if (result.outputs.run) expect(() => JSON.parse(result.outputs.run ?? '')).not.toThrow();
}

describe('no API text becomes a workflow command; ids and statuses must have their shape', () => {
  it.each([
    ['a status carrying ::add-mask::', (run: Record<string, unknown>) => (run.lifecycle = { status: 'running\n::add-mask::PWNED' })],
    ['an id carrying ::error::', (run: Record<string, unknown>) => (run.id = `${RUN}\n${PWN}`)],
    ['an id carrying ::stop-commands:: after a lone carriage return', (run: Record<string, unknown>) => (run.id = `${RUN}\r::stop-commands::PWNED`)],
    ['an id carrying ::error:: after U+2028', (run: Record<string, unknown>) => (run.id = `${RUN}\u2028${PWN}`)],
    ['an id with a trailing line break', (run: Record<string, unknown>) => (run.id = `${RUN}\n`)],
    ['a status in full-width letters', (run: Record<string, unknown>) => (run.lifecycle = { status: 'ｃｏｍｐｌｅｔｅｄ' })],
  ])('%s: retried, then api_error, the run id output still ours', async (_name, edit) => {
    serveRun(finishedRun(edit));
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('api_error');
    expect(result.outputs.run_id).toBe(RUN);
    expect(sim.runReads(RUN)).toHaveLength(3);
  });

  it('an answer for another run is not taken for this one', async () => {
    serveRun(finishedRun((run) => (run.id = 'exprun_someone_else')));
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('api_error');
    expect(result.outputs.run_id).toBe(RUN);
    expect(result.summary).toContain('describes run exprun\\_someone\\_else, not run exprun\\_h');
  });

  it('the id of a run the action starts cannot start a command ("Started run …")', async () => {
    const hostile = finishedRun((run) => (run.id = `exprun_new\n::stop-commands::PWNED`), { status: 'queued' } as never);
    sim.fault({ path: '/v1/workflows/experiments/runs', method: 'POST', afterHandling: 202, headers: { 'content-type': 'application/json' }, body: hostile });
    const result = await gate({ run_id: '', experiment_id: 'exp_pass', timeout: '6s' });
    expectInert(result);
    expect(result.stdout).not.toContain('exprun_new');
  });

  it('the status in the answer to a cancel cannot start a command, nor can an answer about another run pass for it', async () => {
    sim.fault({
      path: /\/cancel$/,
      method: 'POST',
      status: 200,
      times: Infinity,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'exprun_someone_else', lifecycle: { status: `cancelled\n${PWN}` } }),
    });
    const result = await gate({ run_id: '', experiment_id: 'exp_forever', timeout: '2s' });
    expectInert(result);
    expect(result.outputs.status).toBe('timed_out');
    expect(sim.cancelRequests()).toHaveLength(3);
    expect(result.summary).toContain('Could not cancel run exprun\\_started\\_1');
  });
});

describe('the key and the token are removed after decoding, wherever they come back', () => {
  it('the key sent back JSON-escaped in an error body', async () => {
    const escaped = `\\u0072${KEY.slice(1)}`;
    sim.fault({ path: RUN_PATH, status: 400, headers: { 'content-type': 'application/json' }, body: `{"detail":"bad request; api-key=${escaped}"}` });
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('api_error');
    expect(result.summary).toContain('api\\-key=\\*\\*\\*');
  });

  it('the key percent-encoded, and as HTML character references, in an error body', async () => {
    const percent = [...KEY].map((char, i) => (i % 2 ? `%${char.charCodeAt(0).toString(16)}` : char)).join('');
    const html = [...KEY].map((char) => `&#${char.charCodeAt(0)};`).join('');
    sim.fault({ path: RUN_PATH, status: 422, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ detail: `?key=${percent} <b>${html}</b>` }) });
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('api_error');
    expect(result.stdout).toContain('?key=*** <b>***</b>');
    expect(result.summary).toContain('?key=\\*\\*\\* &lt;b&gt;\\*\\*\\*&lt;/b&gt;');
  });

  it('the key in x-request-id, quoted by the retry line and the failure', async () => {
    sim.fault({ path: RUN_PATH, status: 503, times: 2, headers: { 'x-request-id': `req ${KEY}` }, body: '{"detail":"busy"}' });
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('completed');
    expect(result.stdout).toContain('request id req ***');
  });

  it('the key and the token in fields of a 200 body, and in object keys', async () => {
    serveRun(
      finishedRun(
        (run) => {
          run.workflow = { workflow_id: `wf ${TOKEN}`, name_at_run_time: `name ${KEY}` };
          run[KEY] = TOKEN;
        },
        { status: 'error', message: `failed for Bearer ${KEY} and token ${TOKEN}` },
      ),
    );
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('error');
    expect(result.outputs.run).toContain('failed for Bearer ***');
  });

  it('the key JSON-escaped in an errored document\'s message and in a document\'s filename (the lists of the summary and the report)', async () => {
    const escaped = `\\u0072${KEY.slice(1)}`;
    const hostile = JSON.stringify(`\r${PWN} https://evil.example/x \u202e $x$`).slice(1, -1);
    sim.fault({
      path: '/v1/workflows/experiments/results',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: `{"data":[{"id":"r1","document_id":"d1","lifecycle":{"status":"error","message":"${escaped} ${hostile}"}}],"list_metadata":{"after":null}}`,
    });
    sim.fault({
      path: '/v1/workflows/experiments/metrics',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: `{"kind":"summary","score":0.9,"documents":[{"id":"d2","filename":"${escaped} ${hostile}","score":0.1}]}`,
    });
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('completed');
    const report = JSON.parse(result.report ?? '{}');
    expect(report.results.errored_documents[0].message).toMatch(/^\*\*\* /);
    expect(report.metrics.worst_documents[0].filename).toMatch(/^\*\*\* /);
    expect(result.summary).not.toContain('$x$');
  });

  it('the key split across two fields', async () => {
    const cut = 'rt_test_Zq9xHostile'.length;
    serveRun(
      finishedRun((run) => (run.workflow = { workflow_id: 'wf_1', name_at_run_time: KEY.slice(0, cut) }), { status: 'error', message: `${KEY.slice(cut)} was refused` }),
    );
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('error');
  });

  it('the key as an object key inside the stale-metrics reasons (shown in a warning)', async () => {
    sim.fault({
      path: '/v1/workflows/experiments/metrics',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'stale_metrics', stale_reasons: [{ [KEY]: 'changed', token: TOKEN }], message: 'stale' }),
    });
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('completed');
    expect(workflowCommands(result.stdout).some((command) => command.name === 'warning' && command.data.includes('stale'))).toBe(true);
  });
});

describe('a malformed base_url never echoes its password', () => {
  it.each(['https:/admin:hunter2@retab.example', 'https:\\\\admin:hunter2@retab.example', 'admin:hunter2@retab.example', 'https://admin:hun/ter2@retab.example'])('%s', async (baseUrl) => {
    const result = await gate({ base_url: baseUrl });
    expect(result.outputs.status).toBe('input_error');
    expect(result.stdout).toContain('Input `base_url`');
    for (const text of Object.values(leftBehind(result))) expect(text).not.toMatch(/hunter2|ter2/);
  });
});

describe('API text is bounded and inert in the summary', () => {
  it('a 3.5 MB error message does not become a 3.5 MB log line, output or report', async () => {
    const message = `\n${PWN}\n${'x'.repeat(3_500_000)}`;
    // Once, not twice (the simulator repeats it in `details`): the body stays under the 4 MiB cap.
    serveRun(finishedRun((run) => (run.lifecycle = { status: 'error', message })));
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('error');
    expect(result.outputs.run?.length).toBeLessThan(10_000);
  });

  it('a 20 MB stale-metrics message does not become a 20 MB warning', async () => {
    const message = `%0A${PWN}\r${PWN}\n${'y'.repeat(20_000_000)}`;
    sim.fault({ path: '/v1/workflows/experiments/metrics', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'stale_metrics', stale_reasons: ['changed'], message }) });
    const result = await gate({ timeout: '20s' });
    expectInert(result);
    expect(result.outputs.status).toBe('completed');
  });

  it('links, mentions, bidi overrides and zero-width characters in the run do not reach the summary as such', async () => {
    const hostile = 'see https://evil.example/login or WWW.evil.example, _www.evil.example, ftp://evil.example, ask @octocat \u202eexe.fdp\u202c \u2066x\u2069 zero\u200bwidth\u200djoin\ufeff';
    serveRun(finishedRun((run) => (run.workflow = { workflow_id: 'wf_1', name_at_run_time: hostile }), { status: 'error', message: hostile }));
    const result = await gate();
    expectInert(result);
    expect(result.summary).toContain('https\\[:\\]//evil.example/login');
    expect(result.summary).toContain('WWW\\[.\\]evil.example');
    expect(result.summary).toContain('@\u200boctocat');
  });

  it('terminal escape sequences (ESC and the 8-bit CSI) in an error message do not reach the log', async () => {
    // Erase the line, move up, hide text: the log viewer renders these.
    const message = 'visible \u001b[2K\u001b[1A\u001b[8mhidden\u001b[0m \u009b2K done';
    serveRun(finishedRun(() => {}, { status: 'error', message }));
    const result = await gate();
    expectInert(result);
    expect(result.outputs.status).toBe('error');
    for (const text of [result.stdout, result.summary]) for (const escape of ['\u001b', '\u009b']) expect(text).not.toContain(escape);
    expect(result.stdout).toContain('visible');
  });

  it('a hundred documents with 300 KB filenames do not make a 30 MB report', async () => {
    const documents = Array.from({ length: 100 }, (_, i) => ({ id: `expdoc_${i}`, filename: `${i}-${'f'.repeat(300_000)}.pdf`, score: 0.5, prior_score: 0.6 }));
    const body = { kind: 'summary', run_id: RUN, score: 0.9, prior_score: 0.9, prior_run_id: 'exprun_prior', documents, scored_document_count: 100, total_document_count: 100 };
    sim.fault({ path: '/v1/workflows/experiments/metrics', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const result = await gate({ timeout: '20s' });
    expectInert(result);
    expect(result.outputs.status).toBe('completed');
    expect(JSON.parse(result.report ?? '{}').metrics.worst_documents).toHaveLength(100);
    expect(Buffer.byteLength(result.report ?? '')).toBeLessThan(400_000);
  });
});
