import { describe, expect, it } from 'vitest';
import { RetabConnectionError, RetabNeverAnsweredError, RetabProxyError } from '../src/retab/errors.js';
import { AnswerWatch, NO_ANSWER_LIMIT_MS, retryDelayWithin } from '../src/retab/no-answer.js';

const GET = { method: 'GET', path: '/v1/workflows/experiments/runs/exprun_1' };

describe('AnswerWatch', () => {
  it('counts from the first request, and gives up at the limit while nothing has answered', () => {
    let now = 1_000;
    const watch = new AnswerWatch(NO_ANSWER_LIMIT_MS, () => now);
    expect(watch.giveUpAt()).toBeNull();
    watch.tried();
    now += 30_000;
    watch.tried();
    expect(watch.giveUpAt()).toBe(1_000 + NO_ANSWER_LIMIT_MS);
    expect(watch.exhausted()).toBe(false);
    now = 1_000 + NO_ANSWER_LIMIT_MS;
    expect(watch.exhausted()).toBe(true);
    expect(watch.triedForMs).toBe(NO_ANSWER_LIMIT_MS);
  });

  it('never gives up once Retab has answered anything', () => {
    let now = 0;
    const watch = new AnswerWatch(10, () => now);
    watch.tried();
    watch.answered();
    now = 1_000_000;
    expect(watch.giveUpAt()).toBeNull();
    expect(watch.exhausted()).toBe(false);
  });
});

describe('retryDelayWithin', () => {
  it('cuts a retry to end at the give-up moment, and leaves it alone without one', () => {
    expect(retryDelayWithin(30_000, 50_000, 60_000)).toBe(10_000);
    expect(retryDelayWithin(1_000, 50_000, 60_000)).toBe(1_000);
    expect(retryDelayWithin(1_000, 70_000, 60_000)).toBe(0);
    expect(retryDelayWithin(30_000, 50_000, null)).toBe(30_000);
  });
});

describe('RetabNeverAnsweredError', () => {
  it('names the address, the cause in words and its code, and says to check base_url; not retried', () => {
    const error = new RetabNeverAnsweredError(new RetabConnectionError('ENOTFOUND', GET, 'https://api.retab.cm', null), 'https://api.retab.cm', 61_000);
    expect(error.message).toBe('Retab at https://api.retab.cm never answered: the host name does not resolve (ENOTFOUND), on every try for 1m 1s. Check `base_url`');
    expect(error.retryable).toBe(false);
    expect(error.neverSent).toBe(true);
  });

  it('behind a proxy that could not connect, names the proxy and the proxy variables too', () => {
    const last = new RetabProxyError(502, 'http://proxy.corp:3128', GET, 'https://api.retab.cm', null);
    const error = new RetabNeverAnsweredError(last, 'https://api.retab.cm', 60_000);
    expect(error.message).toContain('the proxy http://proxy.corp:3128 could not connect to it (HTTP 502)');
    expect(error.message).toContain('Check `base_url`, and the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)');
  });

  it('a code it has no words for still gives the code', () => {
    const error = new RetabNeverAnsweredError(new RetabConnectionError('ERR_SSL_WRONG_VERSION_NUMBER', GET, 'https://127.0.0.1:9', null), 'https://127.0.0.1:9', 60_000);
    expect(error.message).toContain('no connection could be made (ERR_SSL_WRONG_VERSION_NUMBER)');
    expect(error.neverSent).toBe(false);
  });
});
