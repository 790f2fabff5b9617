/**
 * The job being cancelled, as an `AbortSignal`. The runner sends SIGINT, then SIGTERM about 7.5 s
 * later, then kills the process, when the job is cancelled or runs out of time.
 */

export interface JobCancellation {
  /** Aborted on the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /**
   * Aborted by the next SIGINT or SIGTERM from now on: what ends the step's last, best-effort work
   * (the pull request comment) at once, also when the wait was already cancelled (the runner's
   * SIGTERM follows its SIGINT about 7.5 s later).
   */
  nextSignal(): AbortSignal;
  /** Stop listening; once cancelled, this keeps listening (see below). */
  dispose(): void;
}

export function listenForJobCancellation(log: { info(message: string): void }): JobCancellation {
  const controller = new AbortController();
  const waiting = new Set<AbortController>();
  const onSignal = (name: NodeJS.Signals) => {
    for (const next of waiting) next.abort(new Error(`received ${name}`));
    waiting.clear();
    if (controller.signal.aborted) {
      log.info(`Received ${name}: already stopping, finishing the outputs and the summary.`);
      return;
    }
    log.info(`Received ${name}: stopping the wait.`);
    controller.abort(new Error(`received ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    nextSignal() {
      const next = new AbortController();
      waiting.add(next);
      return next.signal;
    },
    dispose() {
      // Once cancelled, stay deaf to further signals: the process is about to exit with its own
      // code, and a late SIGTERM must not turn that into a kill.
      if (controller.signal.aborted) return;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
