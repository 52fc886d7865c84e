// How good a link is, from what getStats says every 2 seconds, and when to stop sending video because the link
// cannot carry it. Pure, so the thresholds are unit-tested apart from the browser (quality.test.ts).

export type Quality = "good" | "weak" | "lost";

/** One 2-second look at a link. */
export interface LinkSample {
  connected: boolean;
  /** Round trip to the server in seconds, when known. */
  rtt: number | null;
  /** Share of packets lost in this interval (0–1), when known. */
  loss: number | null;
  /** What the browser thinks it may send, bits per second, when known. */
  bitrate: number | null;
  /** Packets that arrived in this interval, when this is a receiving link (null for the sending link). */
  received: number | null;
}

export function rateLink(s: LinkSample): Quality {
  if (!s.connected || s.received === 0) return "lost";
  if ((s.loss ?? 0) > 0.08 || (s.rtt ?? 0) > 0.5 || (s.bitrate !== null && s.bitrate < 150_000)) return "weak";
  return "good";
}

/** A link that cannot carry video: most packets of a video call would be lost or not fit. */
export function cannotCarryVideo(s: LinkSample): boolean {
  return !s.connected || (s.loss ?? 0) > 0.15 || (s.bitrate !== null && s.bitrate < 100_000);
}

/**
 * Pauses video after the link has been too poor for `samples` looks in a row (four looks 2 s apart: poor for 6 s), so
 * a passing hiccup does not switch it off. After the person turns video back on, it waits a full window again.
 */
export class VideoGuard {
  private bad = 0;
  constructor(private readonly samples = 4) {}

  /** True exactly when video should be paused now. */
  look(s: LinkSample): boolean {
    this.bad = cannotCarryVideo(s) ? this.bad + 1 : 0;
    return this.bad === this.samples;
  }

  reset(): void {
    this.bad = 0;
  }
}
