// The SFU's own ingress for a publisher's RTP: once DTLS is up, each SRTP datagram is taken from the ICE connection
// before werift sees it, decrypted with srtp.ts, read once into an RtpView (rtp-view.ts) and handed to the listeners of
// werift's remote track it belongs to (`listen`). werift keeps ICE, DTLS and RTCP (sender reports from the publisher,
// our receiver reports, NACK and PLI upstream). Its own receive path decrypts, parses each header twice through
// string-based bit code, sorts the codec list and awaits several events per packet (stack notes); this path does not.
//
// Kept correct, by updating werift's own state so its RTCP stays right:
// - receiver reports: each packet is added to werift's per-SSRC statistics (`receiver.remoteStreams[ssrc]`), which its
//   report loop (`receiver.runRtcp`) reads for loss, highest sequence number and jitter;
// - upstream NACK: each video packet goes to a werift NACK generator (`receiver.nack`), one per SSRC, so a lost
//   packet is asked for again and the retransmission is delivered like any packet (werift alone shares one between
//   simulcast layers, which then read each other's sequence numbers as losses);
// - RTX (RFC 4588, when negotiated with SSRCs): unwrapped in place to the original SSRC, payload type and sequence
//   number before it is delivered or counted as received by the NACK generator;
// - the first packet of every SSRC takes werift's path, which learns the stream (rid → SSRC for simulcast, its
//   statistics, the report loop); so does anything this path does not handle (RED, transport-cc with its header
//   extension negotiated, an SSRC werift does not know, a profile srtp.ts lacks). Those packets still reach the
//   listeners, from werift's track event, so nothing is lost between the two paths.
// A packet whose SRTP tag does not verify is refused (counted) and handed to werift unchanged, which refuses it too; a
// packet received before (a replay, or the publisher's second retransmission of one loss) is dropped (counted): werift
// had no replay list and passed duplicates on to every receiver. Known limits: the mid of a packet is not recorded on
// the receiver (werift shows it in getStats only); RTX by repaired-rid (simulcast) stays with werift, which drops it
// (Kabinet negotiates no RTX).
import type { MediaStreamTrack, RTCPeerConnection, RtpPacket } from "werift";
import { RtpPacket as WeriftRtpPacket } from "werift";
import { type ExtensionIds, fromWerift, readRtp, type RtpView } from "./rtp-view.ts";
import { type SrtpContext, srtpContextsFromWerift, unprotectRtp, type WeriftSrtpConfig } from "./srtp.ts";

/**
 * Each RTP packet of the publisher's tracks, once, from either path. The view's buffers are the packet's own (not
 * reused by this path), but every listener of the track gets the same view: copy before rewriting anything in it.
 * RTX packets arrive unwrapped, as the packet they repair.
 */
export type RtpListener = (view: RtpView, track: MediaStreamTrack) => void;

export interface FastIngress {
  /** Listens to one track's packets, as werift's `track.onReceiveRtp.subscribe` did. */
  listen(track: MediaStreamTrack, listener: RtpListener): { unSubscribe(): void };
  close(): void;
}

/** Packets by the path that carried them, since start (for tests and the benchmark); `unwrapped`: RTX packets the
 *  fast path turned back into the packets they repair; `replayed`: packets received before, dropped. */
export const ingressCounts = { fast: 0, werift: 0, refused: 0, unwrapped: 0, replayed: 0 };

const URI_RID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
const URI_REPAIRED_RID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
const URI_MID = "urn:ietf:params:rtp-hdrext:sdes:mid";
const URI_TRANSPORT_CC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

/** The werift 0.25 internals this path reads and updates. */
interface Codec {
  payloadType: number;
  name: string;
  parameters?: string;
}
interface StreamStatistics {
  add(packet: StatisticsPacket): void;
}
interface NackHandler {
  addPacket(packet: StatisticsPacket): void;
  close(): void;
  onPacketLost: { subscribe(f: (nack: { mediaSourceSsrc: number }) => void): unknown };
}
interface Receiver {
  stopped: boolean;
  codecs: Record<number, Codec>;
  ssrcByRtx: Record<number, number>;
  trackBySSRC: Record<number, MediaStreamTrack | undefined>;
  trackByRID: Record<string, MediaStreamTrack | undefined>;
  remoteStreams: Record<number, StreamStatistics | undefined>;
  nack: NackHandler;
  nackCountBySsrc: Record<number, number>;
  nackEnabled: unknown;
  twccEnabled: unknown;
  rtcpRunning: boolean;
  latestRid?: string;
  runRtcp(): Promise<void>;
  handleRtpBySsrc: unknown;
  dtlsTransport?: DtlsTransport;
}
interface DtlsTransport {
  state: string;
  srtp?: { config?: WeriftSrtpConfig; remoteContext?: { srtpSSRCStates?: Record<number, { rolloverCounter: number; lastSequenceNumber: number }> } };
  bytesReceived: number;
  packetsReceived: number;
  onRtp: { execute(rtp: RtpPacket): void };
  iceTransport: { connection: { onData: { execute: (data: Buffer) => void } } };
}
interface Router {
  ssrcTable: Record<number, Receiver | object | undefined>;
  ridTable: Record<string, Receiver | undefined>;
  extIdUriMap: Record<number, string>;
}
/** What werift's statistics and NACK generator read of a packet. */
interface StatisticsPacket {
  header: { sequenceNumber: number; timestamp: number; ssrc: number; serializeSize: number };
  payload: { length: number };
}

interface Stream {
  receiver: Receiver;
  stats: StreamStatistics;
  /** The track packets of this SSRC are delivered to (for an RTX SSRC: the repaired stream's track). */
  track?: MediaStreamTrack;
  nack?: NackHandler;
  /** RTX SSRC: the repaired stream's SSRC and payload types (RTX payload type → original). */
  rtx?: { ssrc: number; apt: Map<number, number> };
  /** Payload types seen on this SSRC: true when this path handles them. */
  handled: Map<number, boolean>;
}

/** Starts the fast ingress of a publishing peer connection (call it before or after negotiation; it takes over once
 *  DTLS is up). `onRtp`, when given, hears every track's packets. */
export function fastIngress(pc: RTCPeerConnection, options: { onRtp?: RtpListener } = {}): FastIngress {
  const router = (pc as unknown as { router: Router }).router;
  const ids: ExtensionIds = {};
  const streams = new Map<number, Stream>();
  const nacks = new Map<Receiver, Map<number, NackHandler>>();
  const watched = new WeakSet<MediaStreamTrack>();
  const unsubscribes: (() => void)[] = [];
  const restores: (() => void)[] = [];
  const installed = new Set<DtlsTransport>();
  let transportCC = false;
  const shim: StatisticsPacket = { header: { sequenceNumber: 0, timestamp: 0, ssrc: 0, serializeSize: 0 }, payload: { length: 0 } };
  const listeners = new Map<MediaStreamTrack, Set<RtpListener>>();
  let closed = false;

  const deliver = (view: RtpView, track: MediaStreamTrack): void => {
    options.onRtp?.(view, track);
    const forTrack = listeners.get(track);
    if (forTrack) for (const listener of forTrack) listener(view, track);
  };

  // Packets werift carried (before this path is up, first packets of a stream, what this path hands over).
  const watch = (track: MediaStreamTrack): void => {
    if (watched.has(track)) return;
    watched.add(track);
    const { unSubscribe } = track.onReceiveRtp.subscribe((rtp) => {
      const view = fromWerift(rtp, ids);
      if (!view) return;
      ingressCounts.werift++;
      deliver(view, track);
    });
    unsubscribes.push(unSubscribe);
  };
  const watchAll = (): void => {
    for (const t of pc.getTransceivers()) for (const track of t.receiver.tracks) watch(track);
  };

  /** werift's NACK generator for one SSRC: the receiver's own for its first, a new one for each further (simulcast). */
  const nackFor = (receiver: Receiver, ssrc: number): NackHandler => {
    let bySsrc = nacks.get(receiver);
    if (!bySsrc) nacks.set(receiver, (bySsrc = new Map()));
    let nack = bySsrc.get(ssrc);
    if (!nack) {
      if (bySsrc.size === 0) nack = receiver.nack;
      else {
        const Handler = receiver.nack.constructor as new (receiver: Receiver) => NackHandler;
        nack = new Handler(receiver);
        nack.onPacketLost.subscribe(({ mediaSourceSsrc }) => {
          receiver.nackCountBySsrc[mediaSourceSsrc] = (receiver.nackCountBySsrc[mediaSourceSsrc] ?? 0) + 1;
        });
      }
      bySsrc.set(ssrc, nack);
    }
    return nack;
  };

  /** The receiver werift routes this SSRC to (as its router does, simulcast layers by rid or by a learnt SSRC). */
  const receiverOf = (ssrc: number, rid: string | undefined): Receiver | undefined => {
    const bySsrc = router.ssrcTable[ssrc];
    if (bySsrc && "handleRtpBySsrc" in bySsrc) return bySsrc as Receiver;
    if (rid !== undefined) return Object.hasOwn(router.ridTable, rid) ? router.ridTable[rid] : undefined; // a publisher-chosen name
    for (const receiver of Object.values(router.ridTable)) if (receiver?.trackBySSRC[ssrc]) return receiver;
    return undefined;
  };

  /** The stream this path takes over once werift has seen its first packet; undefined leaves it with werift. */
  const streamOf = (view: RtpView): Stream | undefined => {
    const receiver = receiverOf(view.ssrc, view.rid);
    const stats = receiver?.remoteStreams[view.ssrc];
    // werift answers with the browser's rtcp-fb lines, transport-cc included, even where the SFU's codecs leave it out;
    // without the header extension its transport-cc feedback never has anything to send. With the extension, werift
    // keeps these packets (it reads the transport sequence number from each).
    if (!receiver || !stats || (receiver.twccEnabled && transportCC)) return undefined;
    const original = receiver.ssrcByRtx[view.ssrc];
    const mediaSsrc = original ?? view.ssrc;
    const track = receiver.trackBySSRC[mediaSsrc];
    if (!track) return undefined;
    // werift registers an SSRC it learnt by rid only when a packet without rid arrives; its RTCP routing (the
    // publisher's sender reports) needs it, so it is registered now.
    router.ssrcTable[view.ssrc] ??= receiver;
    let rtx: Stream["rtx"];
    if (original !== undefined) {
      rtx = { ssrc: original, apt: new Map() };
      for (const codec of Object.values(receiver.codecs)) {
        const apt = /(?:^|;)\s*apt=(\d+)/.exec(codec.parameters ?? "")?.[1];
        if (codec.name.toLowerCase() === "rtx" && apt) rtx.apt.set(codec.payloadType, Number(apt));
      }
    }
    const nack = track.kind === "video" && receiver.nackEnabled ? nackFor(receiver, mediaSsrc) : undefined;
    const stream: Stream = { receiver, stats, track, nack, rtx, handled: new Map() };
    streams.set(view.ssrc, stream);
    return stream;
  };

  /** Whether this path handles a payload type: media and RTX yes; RED and unknown ones go to werift. */
  const handles = (stream: Stream, payloadType: number): boolean => {
    let yes = stream.handled.get(payloadType);
    if (yes === undefined) {
      const name = stream.receiver.codecs[payloadType]?.name.toLowerCase();
      yes = name !== undefined && name !== "red" && (name !== "rtx" || stream.rtx?.apt.has(payloadType) === true);
      stream.handled.set(payloadType, yes);
    }
    return yes;
  };

  /** The packet as werift's statistics and NACK generator read it (one reused object: neither keeps it). */
  const asWerift = (view: RtpView): StatisticsPacket => {
    shim.header.sequenceNumber = view.sequenceNumber;
    shim.header.timestamp = view.timestamp;
    shim.header.ssrc = view.ssrc;
    shim.header.serializeSize = view.header.length;
    shim.payload.length = view.payload.length;
    return shim;
  };

  /** Delivers one decrypted packet on this path; false hands it to werift. */
  const forward = (view: RtpView): boolean => {
    const stream = streams.get(view.ssrc) ?? streamOf(view);
    if (!stream) return false;
    const receiver = stream.receiver;
    if (receiver.stopped) return true; // werift drops them too
    if (!handles(stream, view.payloadType)) return false;
    stream.stats.add(asWerift(view));
    if (view.rid !== undefined) receiver.latestRid = view.rid;
    if (!receiver.rtcpRunning) void receiver.runRtcp();
    let media: RtpView | undefined = view;
    if (stream.rtx) {
      media = view.payload.length < 2 ? undefined : unwrapRTX(view, stream.rtx.ssrc, stream.rtx.apt.get(view.payloadType)!, ids);
      if (!media) return true; // padding-only probe: counted, nothing to deliver (as werift)
      ingressCounts.unwrapped++;
    }
    stream.nack?.addPacket(asWerift(media));
    ingressCounts.fast++;
    deliver(media, stream.track!);
    return true;
  };

  /** werift's own path for a decrypted packet, with the NACK generator of its SSRC in place (werift has one per
   *  receiver, which simulcast layers would share). */
  const handOver = (dtls: DtlsTransport, plain: Buffer, view: RtpView): void => {
    let rtp: RtpPacket;
    try {
      rtp = WeriftRtpPacket.deSerialize(plain);
    } catch {
      ingressCounts.refused++;
      return;
    }
    const receiver = receiverOf(view.ssrc, view.rid);
    const own = receiver?.nack;
    if (receiver) receiver.nack = nackFor(receiver, receiver.ssrcByRtx[view.ssrc] ?? view.ssrc);
    try {
      dtls.onRtp.execute(rtp);
    } finally {
      if (receiver && own) receiver.nack = own;
    }
  };

  const install = (dtls: DtlsTransport): void => {
    if (installed.has(dtls) || dtls.state !== "connected") return;
    const contexts = srtpContextsFromWerift(dtls.srtp?.config);
    if (!contexts) return; // a profile srtp.ts does not handle: werift keeps the whole path
    installed.add(dtls);
    seedIndexes(contexts.inbound, dtls);
    for (const [id, uri] of Object.entries(router.extIdUriMap)) {
      if (uri === URI_RID) ids.rid = Number(id);
      else if (uri === URI_REPAIRED_RID) ids.repairedRid = Number(id);
      else if (uri === URI_MID) ids.mid = Number(id);
      else if (uri === URI_TRANSPORT_CC) transportCC = true;
    }
    watchAll();
    const onData = dtls.iceTransport.connection.onData;
    const weriftExecute = onData.execute;
    onData.execute = (data: Buffer): void => {
      // werift's demux (rtp/src/helper.ts isMedia, rtcp.ts isRtcp): RTCP and DTLS stay with werift.
      const b1 = data[1]!;
      if (closed || data.length < 2 || data[0]! < 128 || data[0]! > 191 || (b1 >= 192 && b1 <= 208)) return weriftExecute(data);
      const plain = unprotectRtp(contexts.inbound, data);
      if (!plain) {
        if (contexts.inbound.refusal === "replay") {
          ingressCounts.replayed++; // already delivered once (or too late to be of use)
          return;
        }
        // Refused, and left as it came: werift tries its own SRTP state (a forged packet fails there too and is
        // dropped; a packet whose index this path misjudged still gets through).
        ingressCounts.refused++;
        return weriftExecute(data);
      }
      dtls.bytesReceived += data.length;
      dtls.packetsReceived++;
      const view = readRtp(plain, ids);
      if (!view) ingressCounts.refused++; // decrypted but not RTP (werift drops it as malformed too)
      else if (!forward(view)) handOver(dtls, plain, view);
    };
    restores.push(() => {
      onData.execute = weriftExecute;
    });
  };

  const installAll = (): void => {
    for (const t of pc.getTransceivers()) {
      const dtls = (t.receiver as unknown as Receiver).dtlsTransport;
      if (dtls) install(dtls);
    }
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const restore of restores) restore();
    for (const unSubscribe of unsubscribes) unSubscribe();
    for (const [receiver, bySsrc] of nacks) for (const nack of bySsrc.values()) if (nack !== receiver.nack) nack.close();
  };

  watchAll();
  unsubscribes.push(pc.onTrack.subscribe(watch).unSubscribe);
  unsubscribes.push(
    pc.connectionStateChange.subscribe((state) => {
      if (state === "connected") installAll();
      if (state === "closed" || state === "failed") close();
    }).unSubscribe,
  );
  if (pc.connectionState === "connected") installAll();
  const listen = (track: MediaStreamTrack, listener: RtpListener): { unSubscribe(): void } => {
    watch(track);
    let forTrack = listeners.get(track);
    if (!forTrack) listeners.set(track, (forTrack = new Set()));
    forTrack.add(listener);
    return { unSubscribe: () => void forTrack.delete(listener) };
  };
  return { listen, close };
}

/** Starts each stream's SRTP index where werift's is (the path may be installed on a connection already carrying media). */
function seedIndexes(context: SrtpContext, dtls: DtlsTransport): void {
  const states = dtls.srtp?.remoteContext?.srtpSSRCStates ?? {};
  for (const [ssrc, state] of Object.entries(states)) {
    context.streams.set(Number(ssrc), { roc: state.rolloverCounter, highest: state.lastSequenceNumber });
  }
}

/**
 * RFC 4588 §4: an RTX payload is the original sequence number (2 bytes) and the original payload. Rewritten in place:
 * the header moves 2 bytes on over the original sequence number, and takes the original SSRC, payload type and
 * sequence number.
 */
function unwrapRTX(view: RtpView, ssrc: number, payloadType: number, ids: ExtensionIds): RtpView | undefined {
  const packet = view.packet;
  const headerLength = view.header.length;
  const sequenceNumber = packet.readUInt16BE(headerLength);
  packet.copyWithin(2, 0, headerLength);
  const unwrapped = packet.subarray(2);
  unwrapped[1] = (unwrapped[1]! & 0x80) | payloadType;
  unwrapped.writeUInt16BE(sequenceNumber, 2);
  unwrapped.writeUInt32BE(ssrc, 8);
  return readRtp(unwrapped, ids);
}
