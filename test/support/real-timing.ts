/** Real time for the integration tests: the clock, a sleep that ends early on abort, and a fixed jitter. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Timing } from '../../src/common/timing.js';

export const realTiming: Timing = {
  now: Date.now,
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
  random: () => 0.5,
};
