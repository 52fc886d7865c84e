// Which simulcast layer one receiver should get of one publisher's video: the largest that both their link carries
// and their screen shows. Pure decisions from what the SFU observes, no I/O, so each rule is unit-tested.
//
// The link. Loss is the signal: the share of forwarded packets the receiver reports lost (RTCP receiver reports) or
// asks again for (NACKs, which arrive within a round trip). Delay-based estimates need transport-wide congestion
// control, which made Chrome's own estimate collapse against werift (stack notes); REMB from a receiving Chrome,
// measured on loopback, said 60–98 kbit/s while it received 300 kbit/s and more (without the abs-send-time extension
// it has no send times to go by), so it is not used. A layer the link has not carried yet is
// tried by probing first: the SFU sends padding at the extra rate the next layer needs for a short while, on the
// stream the receiver already gets; if that costs more than a few lost packets the switch is not made and the next
// try waits longer (2 s, doubling up to 5 s), so a weak link gets a smaller picture rather than freezes from trying.
// A layer that starts losing packets is left for the one below at once.
//
// The screen. The receiver says how large it shows the video (CSS pixels × device pixel ratio); a layer much wider
// than that is not sent, so a small tile gets the small layer.

export interface LayerNow {
  /** Bits per second the publisher sends on this layer now (0 when it stopped sending it). */
  bitrate: number;
  /** The layer's picture width, from its last keyframe. */
  width?: number;
}

export interface Decision {
  target: number;
  /** Bits per second of padding to send now to probe the link (0: none). */
  probeBps: number;
}

export const LOSS_TOO_HIGH = 0.1;
export const PROBE_LOSS_TOO_HIGH = 0.05;
export const PROBE_MS = 1_000;
export const HOLD_MS = 2_000;
export const MAX_HOLD_MS = 5_000;

export class LayerPolicy {
  /** The highest layer this receiver's link has been seen to carry. */
  private ceiling: number;
  private holdUntil: number;
  private holdMs = HOLD_MS;
  private probe?: { layer: number; until: number; sent: number; lost: number; bps: number };
  private wantedWidth = Number.POSITIVE_INFINITY;
  private current = -1;
  private lastProbeFailed = false;

  constructor(startLayer: number, nowMs: number) {
    this.ceiling = startLayer;
    this.holdUntil = nowMs + HOLD_MS;
  }

  /** How wide the receiver shows this video, in device pixels (0 or less: not shown, the smallest layer will do). */
  wanted(width: number): void {
    this.wantedWidth = width;
  }

  /** A receiver report's or NACK window's share of lost packets. */
  lost(fraction: number, nowMs: number): void {
    if (this.probe) return; // judged by the probe's own count
    if (fraction < LOSS_TOO_HIGH) return;
    this.ceiling = Math.max(0, Math.min(this.ceiling, this.current) - 1);
    this.backOff(nowMs);
  }

  /** Packets sent to this receiver and how many of them it asked again for, while a probe runs. */
  probed(sent: number, nacked: number): void {
    if (!this.probe) return;
    this.probe.sent += sent;
    this.probe.lost += nacked;
  }

  decide(layers: readonly LayerNow[], current: number, nowMs: number): Decision {
    this.current = current;
    const live = layers.map((l, i) => (l.bitrate > 0 ? i : -1)).filter((i) => i >= 0);
    if (live.length === 0) return { target: Math.max(current, 0), probeBps: 0 };
    const top = live[live.length - 1]!;
    const cap = this.sizeCap(layers, live, top);

    if (this.probe && nowMs >= this.probe.until) {
      const { layer, sent, lost } = this.probe;
      this.probe = undefined;
      if (sent > 0 && lost / sent <= PROBE_LOSS_TOO_HIGH) {
        this.ceiling = layer;
        this.holdMs = HOLD_MS;
        this.holdUntil = nowMs; // the next layer up may be tried as soon as this one is on
        this.lastProbeFailed = false;
      } else {
        this.failedProbe(nowMs);
      }
    }
    if (this.probe && this.probe.sent >= 20 && this.probe.lost / this.probe.sent > PROBE_LOSS_TOO_HIGH) {
      this.probe = undefined; // failing already: stop adding load at once
      this.failedProbe(nowMs);
    }
    // The link has carried more than is needed now (the tile got smaller): nothing to prove until it grows again.
    const allowed = Math.min(this.ceiling, cap, top);
    const target = nearestLive(live, allowed);
    const goal = Math.min(cap, top);
    if (!this.probe && nowMs >= this.holdUntil && current === target && this.ceiling < goal) {
      // Straight for the layer the screen wants; after a failure, one step at a time.
      const above = live.filter((i) => i > this.ceiling && i <= goal);
      const layer = this.lastProbeFailed ? above[0] : above.at(-1);
      if (layer !== undefined) {
        const extra = Math.max(50_000, (layers[layer]!.bitrate - layers[current]!.bitrate) * 1.1);
        this.probe = { layer, until: nowMs + PROBE_MS, sent: 0, lost: 0, bps: extra };
      }
    }
    return { target, probeBps: this.probe?.bps ?? 0 };
  }

  private failedProbe(nowMs: number): void {
    this.lastProbeFailed = true;
    this.backOff(nowMs);
  }

  private backOff(nowMs: number): void {
    this.holdUntil = nowMs + this.holdMs;
    this.holdMs = Math.min(this.holdMs * 2, MAX_HOLD_MS);
  }

  private sizeCap(layers: readonly LayerNow[], live: number[], top: number): number {
    if (!Number.isFinite(this.wantedWidth)) return top;
    if (this.wantedWidth <= 0) return live[0]!;
    // The smallest layer at least about as wide as shown, among those whose width is known (from a keyframe); none
    // known yet: no cap.
    return live.find((i) => layers[i]!.width !== undefined && layers[i]!.width! >= this.wantedWidth * 0.9) ?? top;
  }
}

/** The highest live layer at or below `layer`, else the lowest live one. */
function nearestLive(live: number[], layer: number): number {
  let best = live[0]!;
  for (const i of live) if (i <= layer) best = i;
  return best;
}
