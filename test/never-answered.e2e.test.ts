/**
 * A typo in `base_url` costs a minute, not the whole `timeout`: the built action, with the default
 * 30 minute `timeout` and the real 60 s limit, against a port on 127.0.0.1 where nothing listens.
 * The one slow test of its kind (about a minute of backoff, no CPU): the cases around it (DNS, a
 * proxy, several experiments, a Retab that answered once) are in never-answered.integration.test.ts
 * on a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { NO_ANSWER_LIMIT_MS } from '../src/retab/no-answer.js';
import { runAction } from './support/run-action.js';
import { freePort } from './support/free-port.js';


describe('the built action against an address that never answers', () => {
  it(
    'gives up on a refused start after about 60 s with api_error, naming the address and "Check `base_url`"',
    async () => {
      const origin = `http://127.0.0.1:${await freePort()}`;
      const result = await runAction({
        inputs: { experiment_id: 'exp_typo', threshold: '0.8', api_key: 'rt_test_simulator_key', base_url: origin },
        killAfterMs: 120_000,
      });
      expect(result.exitCode).toBe(1);
      expect(result.outputs).toMatchObject({ status: 'api_error', passed: 'false' });
      expect(result.stdout).toMatch(new RegExp(`::error::.*Retab at ${origin.replace(/[.]/g, '\\.')} never answered: the connection was refused \\(ECONNREFUSED\\)`));
      expect(result.stdout).toContain('Check `base_url`');
      expect(result.summary).toContain('never answered');
      // Retried meanwhile, as a passing refusal would be, and given up at the limit, not at `timeout`.
      expect(result.stdout.match(/Retab cannot be reached; trying again/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
      expect(result.durationMs).toBeGreaterThanOrEqual(NO_ANSWER_LIMIT_MS);
      expect(result.durationMs).toBeLessThan(NO_ANSWER_LIMIT_MS + 10_000);
    },
    130_000,
  );
});
