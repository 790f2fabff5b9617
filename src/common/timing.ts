/** The clock, sleeping and randomness: passed in, so tests and the benchmark run without real time. */
export interface Timing {
  now: () => number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** In [0, 1), for jitter. */
  random: () => number;
}
