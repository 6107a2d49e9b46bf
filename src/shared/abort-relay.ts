/**
 * An abort signal of its own that also follows another one: the followed
 * signal's abort aborts it too, until `release()`. One listener object,
 * removed on release — instead of `AbortSignal.any`, which costs several
 * times as much per call and whose signals Node holds through WeakRefs:
 * young-generation collections keep those, so whatever listened on them
 * survived each collection, per call. Used for a call's signal (registry),
 * a session call's cancel (mcp) and an outbound request's deadline.
 */
export class AbortRelay {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private followed: AbortSignal | undefined;

  /** Abort when `outer` does (at once if it has); one followed signal per relay, ignored once this one is aborted. */
  follow(outer: AbortSignal | undefined): this {
    if (!outer || this.followed || this.signal.aborted) return this;
    if (outer.aborted) this.abort(outer.reason);
    else {
      this.followed = outer;
      outer.addEventListener('abort', this, { once: true });
    }
    return this;
  }

  /** The followed signal aborted (EventListener object: no bound closure). */
  handleEvent(): void {
    this.abort(this.followed?.reason);
  }

  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /** Stop following: nothing of this relay stays on the followed signal. */
  release(): void {
    this.followed?.removeEventListener('abort', this);
    this.followed = undefined;
  }
}
