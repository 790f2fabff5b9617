/**
 * The proxy variables, read from the given environment, and the proxy a request goes through
 * (transport.ts gives undici a proxy agent for it, or none).
 *
 * As curl reads them: the lower-case variable wins over the upper-case one, and an empty one counts
 * as unset; `HTTPS_PROXY` falls back to `HTTP_PROXY`. `NO_PROXY` is `*` (no proxy at all) or a list,
 * split at commas and blanks, of
 * - host names: `example.com` is that host and its subdomains (a leading `.` or `*.` and a trailing
 *   `.` are ignored);
 * - IP addresses: `127.0.0.1`, `::1`, `[::1]`, or a range: `10.0.0.0/8`, `fd00::/8`;
 * each optionally with a port (`localhost:8080`, `[::1]:8080`; curl ignores ports, undici and Go do
 * not) that limits it to that port. An IPv6 address is written bare or in brackets; a port needs the
 * brackets. Loopback addresses get no special treatment: list them to reach a local server directly.
 */
import { BlockList, isIP } from 'node:net';
import type { Env } from '../common/env.js';

export interface ProxySettings {
  httpProxy: string | undefined;
  httpsProxy: string | undefined;
  noProxy: string;
}

export function proxySettings(env: Env): ProxySettings {
  const pick = (name: string) => nonEmpty(env[name.toLowerCase()]) ?? nonEmpty(env[name.toUpperCase()]);
  return {
    httpProxy: pick('http_proxy'),
    httpsProxy: pick('https_proxy'),
    noProxy: pick('no_proxy') ?? '',
  };
}

/**
 * Throws when a proxy variable is set but is not a URL, naming the variable and never its value
 * (it may hold a password). Checked for both schemes, whichever `base_url` has: a broken proxy
 * setting is a runner's problem worth saying at once.
 */
export function checkProxySettings(env: Env): void {
  const { httpProxy, httpsProxy } = proxySettings(env);
  for (const [name, value] of [['HTTP_PROXY', httpProxy], ['HTTPS_PROXY', httpsProxy]] as const) {
    if (value !== undefined && !URL.canParse(value)) throw new Error(`${name} (or its lower-case form) is set but is not a URL`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The proxy `env` sends requests for `target` through, `NO_PROXY` applied; undefined when none. */
export function proxyFor(target: URL, env: Env): string | undefined {
  const { httpProxy, httpsProxy, noProxy } = proxySettings(env);
  const proxy = target.protocol === 'https:' ? (httpsProxy ?? httpProxy) : httpProxy;
  return proxy === undefined || exempted(target, noProxy) ? undefined : proxy;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Whether `noProxy` (the `NO_PROXY` value) lists `target`'s host, on its port or on any. */
export function exempted(target: URL, noProxy: string): boolean {
  if (noProxy.trim() === '*') return true;
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  const port = Number(target.port) || DEFAULT_PORTS[target.protocol] || 0;
  return noProxy
    .split(/[,\s]+/)
    .filter(Boolean)
    .some((entry) => matches(parseEntry(entry), host, port));
}

interface Exception {
  /** A host name (lower case, without a leading or trailing dot), or an IP address. */
  host: string;
  /** For an IP address: the prefix length of the range it starts, when given (`/8`). */
  bits: number | null;
  /** Only this port, when given. */
  port: number | null;
}

function parseEntry(entry: string): Exception {
  let host = entry;
  let port: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  // One colon only: with more, unbracketed, the entry is an IPv6 address (`::1`), not a host and a port.
  const withPort = /^([^:]*):(\d+)$/.exec(entry);
  if (bracketed) [, host = '', port] = bracketed;
  else if (withPort) [, host = '', port] = withPort;
  const range = /^(.+)\/(\d{1,3})$/.exec(host);
  if (range && isIP(range[1] ?? '')) return { host: range[1] ?? '', bits: Number(range[2]), port: port === undefined ? null : Number(port) };
  const name = isIP(host) ? host : host.toLowerCase().replace(/^\*?\./, '').replace(/\.$/, '');
  return { host: name, bits: null, port: port === undefined ? null : Number(port) };
}

function matches(exception: Exception, host: string, port: number): boolean {
  if (exception.port !== null && exception.port !== port) return false;
  const family = isIP(exception.host);
  if (family === 0) return exception.host !== '' && (host === exception.host || host.endsWith(`.${exception.host}`));
  // Addresses compare as addresses: `::1` is `0:0:0:0:0:0:0:1`.
  if (isIP(host) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  try {
    if (exception.bits === null) list.addAddress(exception.host, type);
    else list.addSubnet(exception.host, exception.bits, type);
  } catch {
    return false; // A prefix longer than the address: curl ignores such an entry too.
  }
  return list.check(host, type);
}

/** A proxy URL as a message may show it: scheme, host and port; never the credentials written into it. */
export function describeProxy(proxy: string | undefined): string {
  if (!proxy) return '(the configured proxy)';
  try {
    const url = new URL(proxy);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '(the configured proxy)';
  }
}

/**
 * The status a proxy answered the CONNECT with, other than 200 (403, 407, …), read from undici's
 * error ("Proxy response (407) !== 200 when HTTP Tunneling"); null for any other error.
 */
export function refusedTunnelStatus(error: unknown): number | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : '';
    const match = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/.exec(message);
    if (match) return Number(match[1]);
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
