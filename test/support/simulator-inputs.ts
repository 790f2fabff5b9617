/**
 * The inputs of a quick gate against the Retab simulator, as `recordingIO` takes them: the key and
 * address of the simulator, threshold 0.8 with no errors allowed, 100 ms polls and a 10 s timeout.
 */
export function simulatorInputs(sim: { url: string; apiKey: string }, overrides: Record<string, string> = {}): Record<string, string> {
  return { threshold: '0.8', max_errors: '0', api_key: sim.apiKey, base_url: sim.url, timeout: '10s', poll_interval: '100ms', ...overrides };
}
