// @ts-check
/**
 * The floor of the action's stack, for `npm run bench`: the least an action on it does. It reads
 * one input with `@actions/core`, makes one GET with undici's public `request`, parses the answer
 * with zod (the mini layer and its English messages, as the action's schemas) and sets one
 * output. The bench bundles it with the action's ncc options and starts it through the action's
 * own launcher (dist/index.js, which turns on the compile cache first), so the two differ only in
 * what the action does beyond this.
 *
 * Given the input `reads` (paths, one a line), it then makes those GETs too, one after another,
 * each parsed as JSON and by zod: the bench passes the action's own requests, to show what they cost
 * through the stack alone, apart from what the action does with them.
 */
import * as core from '@actions/core';
import { request } from 'undici';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

const runSchema = z.object({ id: z.string(), lifecycle: z.object({ status: z.enum(['queued', 'running', 'completed', 'error', 'cancelled']) }) });

const url = `${core.getInput('base_url')}/v1/workflows/experiments/runs/exprun_finished`;
const key = process.env.RETAB_API_KEY ?? '';
const answer = await request(url, { headers: { authorization: `Bearer ${key}`, 'api-key': key } });
const run = runSchema.parse(await answer.body.json());
for (const path of core.getInput('reads').split('\n').filter((line) => line !== '')) {
  const read = await request(`${core.getInput('base_url')}${path}`, { headers: { authorization: `Bearer ${key}`, 'api-key': key } });
  z.looseObject({}).parse(await read.body.json());
}
core.setOutput('status', run.lifecycle.status);
