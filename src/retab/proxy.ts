/**
 * The proxy variables, read from the given environment (proxy-transport.ts sends through them).
 *
 * As undici (and curl) do: the lower-case variable wins over the upper-case one; `HTTPS_PROXY`
 * falls back to `HTTP_PROXY`; `NO_PROXY` is a list of hosts (with optional `:port`, a leading `.`
 * or `*.` for subdomains) or `*`. Loopback addresses get no special treatment: list them in
 * `NO_PROXY` to reach a local server directly while a proxy is set.
 */
import type { Env } from '../env.js';

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
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
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

/** The proxy `env` sends requests for `target` through, as undici chooses it (ignoring NO_PROXY); undefined when none. */
export function proxyFor(target: URL, env: Env): string | undefined {
  const { httpProxy, httpsProxy } = proxySettings(env);
  return target.protocol === 'https:' ? (httpsProxy ?? httpProxy) : httpProxy;
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
 * The status a proxy refused the CONNECT tunnel with (403, 407, …), read from undici's error
 * ("Proxy response (407) !== 200 when HTTP Tunneling"); null for any other error.
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
