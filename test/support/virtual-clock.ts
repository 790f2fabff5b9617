/** A clock that only moves when the code under test sleeps. */
export function virtualClock(start = 0) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    sleeps,
    async sleep(ms: number, signal: AbortSignal) {
      sleeps.push(ms);
      if (!signal.aborted) now += ms;
    },
  };
}
