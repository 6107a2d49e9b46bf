/**
 * Call timeouts on one coarse shared timer instead of a timer (and a timeout
 * promise) per call: arming and clearing a Node timer per call is a
 * measurable share of a pure tool's call. A call times out within TICK_MS of
 * its limit.
 */
export const TICK_MS = 25;

interface Deadline {
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

/** Run `expire` about `ms` from now unless the returned cancel function is called first. */
export function onDeadline(ms: number, expire: () => void): () => void {
  const deadline: Deadline = { at: performance.now() + ms, expire };
  pending.add(deadline);
  if (!timer) {
    timer = setInterval(tick, TICK_MS);
    timer.unref();
  }
  return () => pending.delete(deadline);
}
