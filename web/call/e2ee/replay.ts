// Replayed frames: SFrame authenticates a frame but does not say it is new, so a media server could send an old frame
// (an old "yes", a face from before) again. A receiver takes each (KID, counter) at most once. Counters of one sender
// grow across its audio and all its video layers, so one receiver sees gaps; frames can arrive somewhat out of order
// (a retransmission completes an older frame late), so a counter a little below the highest seen is still taken once.

/** How far below the highest counter seen a frame is still accepted (once). */
export const REPLAY_WINDOW = 4096n;

export class ReplayWindow {
  private readonly highest = new Map<bigint, bigint>();
  private readonly seen = new Map<bigint, Set<bigint>>();

  /** The KID's key is gone: its counters need not be remembered. */
  forget(kid: bigint): void {
    this.highest.delete(kid);
    this.seen.delete(kid);
  }

  /** True the first time this (KID, counter) is offered within the window; false for a repeat or a stale counter. */
  accept(kid: bigint, ctr: bigint): boolean {
    const top = this.highest.get(kid);
    let seen = this.seen.get(kid);
    if (!seen) this.seen.set(kid, (seen = new Set()));
    if (top !== undefined && ctr + REPLAY_WINDOW <= top) return false;
    if (seen.has(ctr)) return false;
    seen.add(ctr);
    if (top === undefined || ctr > top) {
      this.highest.set(kid, ctr);
      // Forget counters that fell out of the window, now and then rather than on every frame.
      if (seen.size > 2 * Number(REPLAY_WINDOW)) for (const c of seen) if (c + REPLAY_WINDOW <= ctr) seen.delete(c);
    }
    return true;
  }
}
