// What the SFU counts for the Prometheus endpoint (src/ops/metrics.ts), kept apart from werift so that reading it
// does not load the media server (which loads on the first call). The forwarding path only adds to plain numbers
// here; everything else (rooms, peers, streams, who goes through TURN) is looked at when Prometheus scrapes.
// Process-wide, like the SFU itself.

export type MediaKind = "audio" | "video";

/** Upper bounds of the round-trip-time histogram, in seconds: loopback to a poor mobile link. */
export const RTT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2] as const;

export const sfuStats = {
  /** Packets and bytes (SRTP, as sent) the SFU forwarded to receivers, retransmissions and probes not included. */
  forwarded: { audio: { packets: 0, bytes: 0 }, video: { packets: 0, bytes: 0 } } as Record<MediaKind, { packets: number; bytes: number }>,
  /** Packets the receivers reported lost in their RTCP receiver reports (the growth of each report's cumulative count). */
  lost: { audio: 0, video: 0 } as Record<MediaKind, number>,
  /** NACK messages received from receivers. */
  nacks: 0,
  /** Keyframe requests (PLI) the SFU sent to publishers, after merging requests within KEYFRAME_EVERY_MS. */
  keyframeRequests: 0,
  /** Times a receiver's video moved to another simulcast layer. */
  layerSwitches: 0,
  /** Round-trip times from receiver reports (werift's sender computes them from LSR/DLSR, RFC 3550 §6.4.1):
   *  counts per RTT_BUCKETS slot (not cumulative; the last slot: above every bound), their sum and count. */
  rtt: { buckets: new Array<number>(RTT_BUCKETS.length + 1).fill(0), sum: 0, count: 0 },
};

/** The publishing connections open now, each saying whether its chosen path goes through a TURN relay. */
export const publishingPeers = new Set<{ relayed(): boolean }>();

export function observeRtt(seconds: number): void {
  if (!(seconds >= 0) || seconds > 60) return; // a report matched to the wrong sender report, or a clock step
  const rtt = sfuStats.rtt;
  let i = 0;
  while (i < RTT_BUCKETS.length && seconds > RTT_BUCKETS[i]!) i++;
  rtt.buckets[i]!++;
  rtt.sum += seconds;
  rtt.count++;
}
