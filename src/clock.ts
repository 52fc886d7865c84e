// The installation's time. Every rule that depends on "now" (sessions, throttles, booking windows, links, jobs) reads
// it from here, so the server follows the system clock and a test sets the time instead of racing the wall clock.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock a test can pin or move; until then it follows the system clock. */
export class SettableClock implements Clock {
  private pinned: number | null = null;
  private offset = 0;

  now(): number {
    return this.pinned ?? Date.now() + this.offset;
  }

  /** Stops the clock at this instant (it stays there until set or advanced again). */
  set(at: Date | number): void {
    this.pinned = typeof at === "number" ? at : at.getTime();
  }

  /** Moves time forward (or back, with a negative amount), pinned or not. */
  advance(ms: number): void {
    if (this.pinned !== null) this.pinned += ms;
    else this.offset += ms;
  }

  /** Follows the system clock again. */
  release(): void {
    this.pinned = null;
    this.offset = 0;
  }
}
