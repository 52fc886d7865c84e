// Simulcast video through the SFU: the publisher's side (its layers, how much each carries, keyframe requests) and
// each receiver's side (which layer they get, renumbered, and the padding that probes their link). The decisions are
// pure (layer-switch.ts, layer-policy.ts); this file wires them to werift's tracks and RTCP and to the SFU's egress.
import type { MediaStreamTrack, RTCRtpReceiver, RTCRtpSender, RtcpPacket } from "werift";
import type { FastEgress } from "./fast-egress.ts";
import type { FastIngress } from "./fast-ingress.ts";
import { type LayerNow, LayerPolicy } from "./layer-policy.ts";
import { LayerSwitch } from "./layer-switch.ts";
import type { RtpView } from "./rtp-view.ts";
import { sfuStats } from "./sfu-stats.ts";
import { readVp8, writePictureId } from "./vp8.ts";

const WINDOW_MS = 500;
const STALE_MS = 1_500;
/** Keyframe requests to one layer, at most this often, whoever asks (a keyframe costs the publisher's link dearly). */
export const KEYFRAME_EVERY_MS = 500;
const TICK_MS = 250;
const PROBE_TICK_MS = 50;
const PADDING_BYTES = 255; // the most a padding-only packet can carry (RFC 3550: the count is one byte)

const monotonicMs = (): number => performance.now();
// KABINET_SFU_TRACE=1 prints each receiver's layer decisions to stderr (numbers only: no names, no addresses).
const trace = process.env.KABINET_SFU_TRACE ? (...parts: unknown[]) => console.error("[sfu]", ...parts) : undefined;

interface Layer {
  readonly rid?: string;
  readonly track: MediaStreamTrack;
  ssrc?: number;
  width?: number;
  bytes: number;
  windowStart: number;
  bitrate: number;
  lastPacketAt: number;
  keyframeAskedAt: number;
  keyframeLater?: ReturnType<typeof setTimeout>;
}

type Listener = (layer: number, view: RtpView) => void;

/** How long each recent layer switch took, in ms, from the decision to the new layer's keyframe going out (tests and
 *  the benchmark read it: a switch should take one keyframe request's round trip, not a keyframe interval). */
export const layerSwitches: number[] = [];

/** A publisher's video: one layer without simulcast, two or three with it, lowest first. */
export class PublishedVideo {
  readonly layers: Layer[];
  private readonly listeners = new Set<Listener>();

  private readonly subscriptions: { unSubscribe(): void }[];

  constructor(
    tracks: readonly MediaStreamTrack[],
    private readonly receiver: RTCRtpReceiver,
    ingress: FastIngress,
  ) {
    this.layers = tracks.map((track) => ({ rid: track.rid, track, bytes: 0, windowStart: 0, bitrate: 0, lastPacketAt: 0, keyframeAskedAt: -Infinity }));
    this.subscriptions = this.layers.map((layer, i) => ingress.listen(layer.track, (view) => this.received(i, view)));
  }

  private received(i: number, view: RtpView): void {
    const layer = this.layers[i]!;
    const now = monotonicMs();
    layer.ssrc = view.ssrc;
    if (now - layer.windowStart >= WINDOW_MS) {
      layer.bitrate = layer.windowStart === 0 ? 0 : (layer.bytes * 8 * 1000) / (now - layer.windowStart);
      layer.bytes = 0;
      layer.windowStart = now;
    }
    layer.bytes += view.packet.length;
    layer.lastPacketAt = now;
    // Each layer's picture size, from its keyframes (read only where a frame starts: S set, partition 0).
    if ((view.payload[0]! & 0x17) === 0x10) {
      const vp8 = readVp8(view.payload);
      if (vp8?.width) layer.width = vp8.width;
    }
    for (const listener of this.listeners) listener(i, view);
  }

  /** Each layer's bitrate now (0 for one that went quiet: a publisher drops layers its own link cannot carry). */
  now(): LayerNow[] {
    const now = monotonicMs();
    return this.layers.map((l) => ({
      // A layer that just started has no full window yet: count it as live with a nominal rate.
      bitrate: now - l.lastPacketAt > STALE_MS ? 0 : l.bitrate || 1,
      width: l.width,
    }));
  }

  /** Asks the publisher for a keyframe on one layer; requests within KEYFRAME_EVERY_MS of the last become one. */
  requestKeyframe(i: number): void {
    const layer = this.layers[i];
    if (!layer?.ssrc || layer.keyframeLater) return;
    const wait = layer.keyframeAskedAt + KEYFRAME_EVERY_MS - monotonicMs();
    const ask = () => {
      layer.keyframeLater = undefined;
      layer.keyframeAskedAt = monotonicMs();
      sfuStats.keyframeRequests++;
      if (layer.ssrc !== undefined) void this.receiver.sendRtcpPLI(layer.ssrc).catch(() => {});
    };
    if (wait <= 0) ask();
    else layer.keyframeLater = setTimeout(ask, wait);
  }

  close(): void {
    for (const layer of this.layers) clearTimeout(layer.keyframeLater);
    for (const sub of this.subscriptions) sub.unSubscribe();
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** What one receiver gets of one publisher's video. */
export class VideoForward {
  private readonly switcher: LayerSwitch;
  private readonly policy: LayerPolicy;
  private readonly stopListening: () => void;
  private readonly rtcp: { unSubscribe(): void };
  private readonly nacks: { unSubscribe(): void };
  private readonly plis: { unSubscribe(): void };
  private readonly timer: ReturnType<typeof setInterval>;
  private probeTimer?: ReturnType<typeof setInterval>;
  private probeBps = 0;
  private switchAskedAt?: number;
  private sent = 0;
  private mediaLost = 0;
  private paddingLost = 0;
  /** Sequence numbers asked for lately (a receiver asks for a lost packet up to ten times: each counts once). */
  private readonly askedFor = new Map<number, number>();
  /** Sequence numbers of the padding this receiver was sent lately. */
  private readonly padded = new Set<number>();
  private closed = false;

  constructor(
    private readonly source: PublishedVideo,
    private readonly sender: RTCRtpSender,
    private readonly egress: FastEgress,
  ) {
    // Start one below the top: a first picture quickly, the top layer as soon as the link has shown it carries it.
    const start = Math.max(0, source.layers.length - 2);
    this.switcher = new LayerSwitch(start);
    this.policy = new LayerPolicy(start, monotonicMs());
    this.stopListening = source.listen((layer, view) => this.forward(layer, view));
    this.rtcp = sender.onRtcp.subscribe((packet) => this.feedback(packet));
    this.nacks = sender.onGenericNack.subscribe(({ lost }) => this.nacked(lost));
    // A receiver that lost a keyframe asks us; we ask the publisher, for the layer this receiver gets.
    this.plis = sender.onPictureLossIndication.subscribe(() => this.source.requestKeyframe(Math.max(this.switcher.current, 0)));
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** The receiver's tile width in device pixels. */
  wanted(width: number): void {
    trace?.("wanted", width);
    this.policy.wanted(width);
    this.tick();
  }

  /** Starts again from the next keyframe (the receiver's connection is up only now). */
  restart(): void {
    this.switcher.current = -1;
    this.source.requestKeyframe(this.switcher.target);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.stopListening();
    this.rtcp.unSubscribe();
    this.nacks.unSubscribe();
    this.plis.unSubscribe();
  }

  private forward(layer: number, view: RtpView): void {
    if (view.payload.length === 0) return this.switcher.skip(layer, view.sequenceNumber); // the publisher's own padding
    const now = monotonicMs();
    const before = this.switcher.current;
    const w = this.switcher.accept(layer, view.sequenceNumber, view.timestamp, view.payload, now);
    if (!w) {
      if (layer === this.switcher.target) this.source.requestKeyframe(layer);
      return;
    }
    if (before >= 0 && this.switcher.current !== before) sfuStats.layerSwitches++;
    if (before >= 0 && this.switcher.current !== before && this.switchAskedAt !== undefined) {
      layerSwitches.push(now - this.switchAskedAt);
      if (layerSwitches.length > 1_000) layerSwitches.shift();
      this.switchAskedAt = undefined;
    }
    // The payload is shared by every receiver: this receiver's picture id goes in for the encryption, then back out.
    const saved = w.vp8 ? this.rewritePayload(view.payload, w) : undefined;
    try {
      this.egress.forward(view, w.sequenceNumber, w.timestamp);
    } finally {
      if (saved && w.vp8) this.restorePayload(view.payload, w.vp8.pictureIdAt, w.vp8.tl0At, saved);
    }
    this.sent++;
  }

  /** Writes this receiver's picture id and TL0PICIDX into the shared payload; returns the bytes to put back. */
  private rewritePayload(payload: Buffer, w: NonNullable<ReturnType<LayerSwitch["accept"]>>): [number, number, number] {
    const d = w.vp8!;
    const saved: [number, number, number] = [payload[d.pictureIdAt] ?? 0, payload[d.pictureIdAt + 1] ?? 0, d.tl0At >= 0 ? payload[d.tl0At]! : 0];
    writePictureId(payload, d, w.pictureId);
    if (d.tl0At >= 0) payload[d.tl0At] = w.tl0PicIdx;
    return saved;
  }

  private restorePayload(payload: Buffer, pictureIdAt: number, tl0At: number, saved: [number, number, number]): void {
    if (pictureIdAt > 0) {
      payload[pictureIdAt] = saved[0];
      payload[pictureIdAt + 1] = saved[1];
    }
    if (tl0At >= 0) payload[tl0At] = saved[2];
  }

  private nacked(lost: readonly number[]): void {
    const now = monotonicMs();
    for (const seq of lost) {
      const at = this.askedFor.get(seq);
      if (at !== undefined && now - at < 2_000) continue;
      this.askedFor.set(seq, now);
      if (this.padded.has(seq)) this.paddingLost++;
      // A packet that never reached the SFU (lost on the publisher's side) says nothing about this receiver's link.
      else if (this.egress.sent(seq)) this.mediaLost++;
    }
    if (this.askedFor.size > 2_048) for (const [seq, at] of this.askedFor) if (now - at >= 2_000) this.askedFor.delete(seq);
  }

  private feedback(packet: RtcpPacket): void {
    const now = monotonicMs();
    if (packet.type === 201 || packet.type === 200) {
      for (const report of (packet as { reports: { ssrc: number; fractionLost: number }[] }).reports) {
        if (report.ssrc === this.sender.ssrc) {
          if (report.fractionLost) trace?.("receiver report: lost", report.fractionLost / 256);
          this.policy.lost(report.fractionLost / 256, now);
        }
      }
    }
  }

  private tick(): void {
    if (this.closed) return;
    const now = monotonicMs();
    // NACKs within a round trip tell of loss sooner than receiver reports, which come about once a second.
    if (this.sent >= 20) this.policy.lost(this.mediaLost / this.sent, now);
    this.policy.probed(this.sent, this.mediaLost + this.paddingLost);
    this.sent = 0;
    this.mediaLost = 0;
    this.paddingLost = 0;
    const layers = this.source.now();
    const decision = this.policy.decide(layers, this.switcher.current, now);
    if (decision.target !== this.switcher.target || decision.probeBps) trace?.("layers", JSON.stringify(layers), "current", this.switcher.current, JSON.stringify(decision));
    if (decision.target !== this.switcher.target && this.switcher.current >= 0) this.switchAskedAt = now;
    this.switcher.target = decision.target;
    if (this.switcher.waitingForKeyframe) this.source.requestKeyframe(decision.target);
    this.setProbe(decision.probeBps);
  }

  private setProbe(bps: number): void {
    if (bps === this.probeBps) return;
    this.probeBps = bps;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    if (bps > 0) this.probeTimer = setInterval(() => this.pad(), PROBE_TICK_MS);
  }

  /** Padding-only packets on the receiver's video stream at the probe's rate (RFC 3550 §5.1: P set, last byte = count). */
  private pad(): void {
    const packets = Math.max(1, Math.round((this.probeBps * PROBE_TICK_MS) / 1000 / 8 / PADDING_BYTES));
    for (let i = 0; i < packets; i++) {
      const numbers = this.switcher.insert();
      if (!numbers) return;
      if (!this.egress.pad(numbers.sequenceNumber, numbers.timestamp, PADDING_BYTES)) return;
      this.sent++;
      this.padded.add(numbers.sequenceNumber);
      if (this.padded.size > 1_024) this.padded.delete(this.padded.values().next().value!);
    }
  }
}
