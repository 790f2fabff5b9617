/** What Retab's key prefixes say about a key. */

/** What a key looks like it is for, from its documented prefix; used to make auth errors useful. */
export function keyEnvironment(apiKey: string): 'test' | 'live' | 'legacy' | 'unknown' {
  if (apiKey.startsWith('rt_test_')) return 'test';
  if (apiKey.startsWith('rt_live_')) return 'live';
  if (apiKey.startsWith('sk_retab_')) return 'legacy';
  return 'unknown';
}
