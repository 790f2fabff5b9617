/**
 * Whether Retab has answered anything at all during the step, and when to give up on one that
 * never has. Every request goes through one client (client.ts), which keeps one `AnswerWatch`: with
 * several experiments they all share it.
 *
 * "Answered" is any HTTP status from `base_url`, a 5xx or 429 included: Retab is there, and a later
 * refusal is an outage, waited out until `timeout`. A refusal, a name that does not resolve, a TLS
 * handshake or a connection that fails, a tunnel the proxy could not open, are no answer; nor is a
 * proxy's own answer to its CONNECT, which is the proxy's, not Retab's.
 */

/**
 * How long the step tries a Retab that has never answered. Nothing but an answer tells a typo in
 * `base_url` (or a network that does not reach it) from an outage, and `timeout` is 30 minutes by
 * default: that is how long a typo used to cost. A minute outlasts what a Retab that is really
 * there takes to come back from a blip (a DNS hiccup, a load balancer or a runner's network
 * coming up), and is short beside any run worth waiting for.
 */
export const NO_ANSWER_LIMIT_MS = 60_000;

export class AnswerWatch {
  private firstTryAt: number | null = null;
  private answeredOnce = false;

  constructor(
    readonly limitMs: number,
    private readonly now: () => number,
  ) {}

  /** A request is about to leave: the first one starts the count. */
  tried(): void {
    this.firstTryAt ??= this.now();
  }

  /** An HTTP answer came from Retab: from now on, the step waits until `timeout`. */
  answered(): void {
    this.answeredOnce = true;
  }

  /** Since the first request, in ms (0 before any). */
  get triedForMs(): number {
    return this.firstTryAt === null ? 0 : this.now() - this.firstTryAt;
  }

  /** When the step gives up if Retab has still not answered; null once it has answered, or before any request. */
  giveUpAt(): number | null {
    return this.answeredOnce || this.firstTryAt === null ? null : this.firstTryAt + this.limitMs;
  }

  /** Whether a request that got no answer now ends the tries. */
  exhausted(): boolean {
    const at = this.giveUpAt();
    return at !== null && this.now() >= at;
  }
}

/** The longest a retry may wait: until `giveUpAt` when it is set (the last try is made then), else `delayMs`. */
export function retryDelayWithin(delayMs: number, now: number, giveUpAt: number | null): number {
  return giveUpAt === null ? delayMs : Math.max(0, Math.min(delayMs, giveUpAt - now));
}
