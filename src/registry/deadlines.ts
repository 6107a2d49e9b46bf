/**
 * Call timeouts on one coarse shared timer instead of a timer (and a timeout
 * promise) per call: arming and clearing a Node timer per call is a
 * measurable share of a pure tool's call. A call times out within TICK_MS of
 * its limit. The caller's own object is the deadline (no closure per call).
 */
export const TICK_MS = 25;

export interface Deadline {
  /** performance.now() at which `expire` runs. */
  at: number;
  expire(): void;
}

const pending = new Set<Deadline>();
let timer: NodeJS.Timeout | undefined;

function tick(): void {
  const now = performance.now();
  for (const deadline of pending) {
    if (deadline.at > now) continue;
    pending.delete(deadline);
    deadline.expire();
  }
  if (pending.size === 0) {
    clearInterval(timer);
    timer = undefined;
  }
}

/** Run `deadline.expire()` once `deadline.at` has passed, unless disarmed first. */
export function arm(deadline: Deadline): void {
  pending.add(deadline);
  if (!timer) {
    timer = setInterval(tick, TICK_MS);
    timer.unref();
  }
}

export function disarm(deadline: Deadline): void {
  pending.delete(deadline);
}
