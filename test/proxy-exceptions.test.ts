/**
 * Which proxy a request goes through, as curl reads the variables: the lower-case one wins unless
 * it is empty (an empty one counts as unset), and NO_PROXY lists host names (with subdomains), IP
 * addresses bare or bracketed (`::1`, `[::1]`), ranges (`10.0.0.0/8`), each optionally with a port.
 * The proxy a real request takes is in proxy.test.ts; these are the decisions alone.
 */
import { describe, expect, it } from 'vitest';
import { proxyFor, proxySettings } from '../src/retab/proxy.js';

const PROXY = 'http://proxy.corp:3128';

/** Whether a request to `target` skips the proxy with `NO_PROXY=noProxy`. */
function direct(target: string, noProxy: string): boolean {
  return proxyFor(new URL(target), { HTTPS_PROXY: PROXY, HTTP_PROXY: PROXY, NO_PROXY: noProxy }) === undefined;
}

describe('NO_PROXY', () => {
  it.each([
    ['::1', 'http://[::1]:8080'],
    ['::1', 'https://[::1]'],
    ['[::1]', 'http://[::1]:8080'],
    ['[::1]:8080', 'http://[::1]:8080'],
    ['0:0:0:0:0:0:0:1', 'http://[::1]:8080'],
    ['fd00::/8', 'https://[fd12:3456::1]'],
    ['127.0.0.1', 'http://127.0.0.1:8080'],
    ['127.0.0.0/8', 'http://127.0.0.2:8080'],
    ['10.0.0.0/8:443', 'https://10.1.2.3'],
    ['localhost:8080', 'http://localhost:8080'],
    ['example.com', 'https://api.example.com'],
    ['.example.com', 'https://example.com'],
    ['*.example.com', 'https://api.example.com'],
    ['example.com.', 'https://api.example.com.'],
    ['EXAMPLE.com', 'https://api.example.COM'],
    ['foo.test, ::1', 'http://[::1]:8080'],
    ['foo.test ::1', 'http://[::1]:8080'],
    ['*', 'https://api.retab.com'],
  ])('%s: %s is reached directly', (noProxy, target) => {
    expect(direct(target, noProxy)).toBe(true);
  });

  it.each([
    ['::2', 'http://[::1]:8080'],
    ['[::1]:9090', 'http://[::1]:8080'],
    ['::1', 'http://127.0.0.1:8080'],
    ['127.0.0.1', 'http://[::1]:8080'],
    ['127.0.0.0/8', 'http://128.0.0.1'],
    ['fd00::/8', 'https://[fe80::1]'],
    ['1.2.3.4/99', 'https://1.2.3.4'],
    ['localhost:8080', 'http://localhost:8081'],
    ['example.com', 'https://notexample.com'],
    ['api.example.com', 'https://example.com'],
    ['*,foo.test', 'https://api.retab.com'],
    ['', 'https://api.retab.com'],
  ])('%s: %s goes through the proxy', (noProxy, target) => {
    expect(direct(target, noProxy)).toBe(false);
  });
});

describe('an empty variable counts as unset', () => {
  it('an empty no_proxy beside a set NO_PROXY: NO_PROXY applies', () => {
    const env = { HTTP_PROXY: PROXY, no_proxy: '', NO_PROXY: '127.0.0.1' };
    expect(proxySettings(env).noProxy).toBe('127.0.0.1');
    expect(proxyFor(new URL('http://127.0.0.1:8080'), env)).toBeUndefined();
    expect(proxyFor(new URL('http://127.0.0.1:8080'), { ...env, no_proxy: '  ' })).toBeUndefined();
  });

  it('a set no_proxy still wins over NO_PROXY', () => {
    expect(proxyFor(new URL('http://127.0.0.1:8080'), { HTTP_PROXY: PROXY, no_proxy: 'example.com', NO_PROXY: '127.0.0.1' })).toBe(PROXY);
  });

  it('an empty http_proxy beside a set HTTP_PROXY: HTTP_PROXY applies', () => {
    expect(proxyFor(new URL('http://127.0.0.1:8080'), { http_proxy: '', HTTP_PROXY: PROXY })).toBe(PROXY);
  });
});
