/**
 * A signal aborted after `ms`, for `AbortSignal.any`. Not `AbortSignal.timeout`: `AbortSignal.any`
 * holds its sources weakly, so a timeout signal that nothing else holds can be collected before it
 * fires, and then never aborts the combined one. Here the timer holds the controller. Unreferenced:
 * a call that ends early leaves nothing to keep the process alive.
 */
export function timeoutSignal(ms: number, reason: () => string): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException(reason(), 'TimeoutError')), ms).unref();
  return controller.signal;
}
