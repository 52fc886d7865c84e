// The SFU's metrics, read at scrape time: rooms, peers and streams from the app's live rooms, the rest from the plain
// counters the forwarding path keeps (src/rooms/sfu/sfu-stats.ts; retransmissions from the egress's own count).
// Neither import loads werift: the media server still loads on the first call.
import { Counter, type Metric, type Registry } from "prom-client";
import { egressCounts } from "../rooms/sfu/fast-egress.ts";
import { type MediaKind, publishingPeers, RTT_BUCKETS, sfuStats } from "../rooms/sfu/sfu-stats.ts";
import { oncePerScrape, readCounter, readGauge, type ScrapeStart } from "./metrics-read.ts";

export interface CallCounts {
  rooms: number;
  peers: number;
  streams: number;
}

const KINDS: readonly MediaKind[] = ["audio", "video"];

export function registerSfuMetrics(registry: Registry, scrapeStart: ScrapeStart): { watch: (counts: () => CallCounts) => void } {
  const registers = [registry];
  let calls: () => CallCounts = () => ({ rooms: 0, peers: 0, streams: 0 });
  const counts = oncePerScrape(() => calls(), scrapeStart);
  readGauge(registry, "kabinet_sfu_rooms", "Rooms whose call goes through the SFU now.", () => counts().rooms);
  readGauge(registry, "kabinet_sfu_peers", "People connected to the SFU now (publishing or receiving media).", () => counts().peers);
  readGauge(registry, "kabinet_sfu_streams", "Audio and video streams the SFU forwards to receivers now.", () => counts().streams);
  readGauge(registry, "kabinet_sfu_peers_relayed", "People whose media reaches the SFU through a TURN relay.", () => {
    let relayed = 0;
    for (const peer of publishingPeers) if (peer.relayed()) relayed++;
    return relayed;
  });

  byKind(registers, "kabinet_sfu_packets_forwarded_total", "RTP packets forwarded to receivers, by kind.", (kind) => sfuStats.forwarded[kind].packets);
  byKind(registers, "kabinet_sfu_bytes_forwarded_total", "Bytes (SRTP, as sent) forwarded to receivers, by kind.", (kind) => sfuStats.forwarded[kind].bytes);
  byKind(registers, "kabinet_sfu_packets_lost_total", "Packets the receivers reported lost in their RTCP receiver reports, by kind.", (kind) => sfuStats.lost[kind]);
  readCounter(registry, "kabinet_sfu_nacks_total", "NACK messages received from receivers.", () => sfuStats.nacks);
  readCounter(registry, "kabinet_sfu_retransmissions_total", "Packets sent again in answer to a NACK.", () => egressCounts.retransmitted);
  readCounter(registry, "kabinet_sfu_keyframe_requests_total", "Keyframe requests (PLI) sent to publishers.", () => sfuStats.keyframeRequests);
  readCounter(registry, "kabinet_sfu_layer_switches_total", "Times a receiver's video moved to another simulcast layer.", () => sfuStats.layerSwitches);
  registry.registerMetric(rttHistogram());

  return {
    watch: (counts) => {
      calls = counts;
    },
  };
}

function byKind(registers: Registry[], name: string, help: string, read: (kind: MediaKind) => number): void {
  new Counter({
    name,
    help,
    labelNames: ["kind"],
    registers,
    collect() {
      this.reset();
      for (const kind of KINDS) this.inc({ kind }, read(kind));
    },
  });
}

/** The round-trip-time histogram, from the buckets sfu-stats.ts fills (prom-client's Histogram can only observe). */
function rttHistogram(): Metric {
  const name = "kabinet_sfu_rtt_seconds";
  const help = "Round-trip time between the SFU and receivers, from RTCP receiver reports.";
  const get = async () => {
    const { buckets, sum, count } = sfuStats.rtt;
    let cumulative = 0;
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = RTT_BUCKETS.map((le, i) => {
      cumulative += buckets[i]!;
      return { metricName: `${name}_bucket`, labels: { le }, value: cumulative };
    });
    values.push({ metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: count });
    return {
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      values: [...values, { metricName: `${name}_sum`, labels: {}, value: sum }, { metricName: `${name}_count`, labels: {}, value: count }],
    };
  };
  return { name, help, type: "histogram", aggregator: "sum", get, reset() {} } as unknown as Metric;
}
