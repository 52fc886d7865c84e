// The selective forwarding unit: the only module that imports werift.
//
// Each participant has one publishing peer connection (the browser offers its camera and microphone, we answer) and
// one receiving peer connection per other participant's media (we offer, the browser answers). A browser publishes
// its camera in up to three simulcast layers; each receiver gets the layer their link carries and their tile shows
// (video-forward.ts). Media is forwarded packet by packet from the publisher's tracks to each receiver through the
// SFU's own egress (fast-egress.ts), which answers NACKs per hop from its cache; keyframe requests (PLI) from a
// receiver are relayed to the publisher, at most every 500 ms per layer. The SFU contacts no STUN or TURN server:
// it has its own address (advertised); TURN is for browsers, and werift's default public STUN server is switched off
// (see `withoutDefaultSTUN` below).
import { verify as verifySignature, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import type { Socket as DgramSocket } from "node:dgram";
import { fastEgress } from "./fast-egress.ts";
import { type FastIngress, fastIngress } from "./fast-ingress.ts";
import { observeRtt, publishingPeers, sfuStats } from "./sfu-stats.ts";
import { PublishedVideo, VideoForward } from "./video-forward.ts";
import {
  Connection,
  MediaStreamTrack,
  type PeerConfig,
  classes,
  parseMessage,
  RTCDtlsTransport,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpSender,
  type RTCRtpTransceiver,
  StunProtocol,
  useNACK,
  usePLI,
  useREMB,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
} from "werift";

export interface MediaServerOptions {
  portRange: readonly [number, number];
  /** Extra addresses to advertise (the host's public or LAN address behind NAT or Docker). */
  advertise: readonly string[];
}

type Kind = "audio" | "video";

export interface PublishedMedia {
  readonly tracks: ReadonlyMap<Kind, { track: MediaStreamTrack; transceiver: RTCRtpTransceiver }>;
  /** The publisher's packets, read by the SFU's own ingress (fast-ingress.ts). */
  readonly ingress: FastIngress;
  /** The video's layers (one without simulcast). */
  readonly video?: PublishedVideo;
}

/** What a receiver gets of one publisher: `wanted` tells how wide they show the video (device pixels). */
export interface Subscribed {
  offerSdp: string;
  accept: (answerSdp: string) => Promise<void>;
  wanted: (width: number) => void;
  close: () => Promise<void>;
}

const CODECS = {
  audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 })],
  // No transport-cc: with it Chrome's bandwidth estimate collapsed against werift (stack notes); REMB and NACK/PLI.
  video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })],
};

// werift's UDP sockets have no 'error' listener, so an ICMP "port unreachable" from a peer that went away surfaces as
// `recvmsg ECONNREFUSED` thrown from the socket: one vanished browser would take the whole server down. Errors on a
// UDP socket nobody listens to are counted and dropped instead (Kabinet's only UDP sockets are the SFU's).
let droppedSocketErrors = 0;
// `require`, not `import`: the bundler would hoist an import of node:dgram to start-up (see scripts/lazy-builtins.ts).
const { Socket } = require("node:dgram") as typeof import("node:dgram");
const originalEmit = Socket.prototype.emit;
Socket.prototype.emit = function (this: DgramSocket, event: string | symbol, ...args: unknown[]): boolean {
  if (event === "error" && this.listenerCount("error") === 0) {
    droppedSocketErrors++;
    return true;
  }
  return originalEmit.call(this, event, ...args);
} as typeof Socket.prototype.emit;

export function mediaSocketErrorsDropped(): number {
  return droppedSocketErrors;
}

// werift's ICE agent falls back to stun.l.google.com:19302 whenever no STUN server is configured, even with
// `iceServers: []` (werift 0.25 `lib/ice/src/ice.js`, `validateAddress(options.stunServer) ?? DEFAULT_STUN_SERVER`), and
// gathers a server-reflexive candidate from it: a DNS query and a UDP packet to Google on every call, and up to 5 s of
// waiting where that is blocked. The SFU needs no such candidate (it advertises its public address). Without a
// configured STUN server, the agent now has none. (ICE-lite, werift's other way to skip it, keeps the first pair a
// browser nominates and ignores a later one, so calls fail where the host has more than one address.)
type ServersDerived = { applyStunTurnServersFromOptions(this: WithoutDefaultSTUN): void };
type WithoutDefaultSTUN = { options: { stunServer?: unknown }; stunServer?: unknown };
const derive = (Connection.prototype as unknown as ServersDerived).applyStunTurnServersFromOptions;
if (typeof derive !== "function") throw new Error("werift changed: Connection.applyStunTurnServersFromOptions is gone; re-check its default STUN server");
(Connection.prototype as unknown as ServersDerived).applyStunTurnServersFromOptions = function withoutDefaultSTUN(this: WithoutDefaultSTUN): void {
  derive.call(this);
  if (!this.options.stunServer) this.stunServer = undefined;
};

// werift hands every datagram that is not STUN to DTLS and SRTP, whoever sent it (werift 0.25
// `lib/ice/src/stun/protocol.js` datagramReceived), and its DTLS server takes a ClientHello after the handshake as a
// renegotiation and drops the session: one forged packet from anywhere to a receiver's media port cut that receiver
// off for good while its browser still read "connected" (test/dtls-fingerprint-spoofed-hello.test.ts). werift also
// answers, and pairs with, ICE checks whose MESSAGE-INTEGRITY it never verifies (`ice.js` ensureProtocol), so any
// sender could have made itself a candidate pair. Now:
// - a binding request must be signed with this connection's ICE password (RFC 8445 §7.3), or it is dropped unanswered;
// - DTLS and media (first byte above 3, RFC 7983) come only from an address that sent such a signed request, or that
//   is a candidate pair's remote address (the browser's signalled candidates).
type Addr = [string, number];
type PeerCheckedProtocol = { fromPeer?: (addr: Addr) => boolean; signed?: (data: Buffer, addr: Addr) => boolean; lastPeer?: Addr };
type IceAgent = {
  checkList: { protocol: unknown; remoteCandidate: { host: string; port: number } }[];
  localPassword: string;
  userHistory?: Record<string, string>;
};
const dropped = { unsignedChecks: 0, strangers: 0, strangerHandshakes: 0 };
const DTLS_HANDSHAKE = 22;
const ensureProtocol = (Connection.prototype as unknown as { ensureProtocol(this: IceAgent, protocol: PeerCheckedProtocol): void }).ensureProtocol;
const datagramReceived = (StunProtocol.prototype as unknown as { datagramReceived(this: PeerCheckedProtocol, data: Buffer, addr: Addr): void }).datagramReceived;
if (typeof ensureProtocol !== "function" || typeof datagramReceived !== "function") {
  throw new Error("werift changed: Connection.ensureProtocol or StunProtocol.datagramReceived is gone; re-check which datagrams reach DTLS");
}
(Connection.prototype as unknown as { ensureProtocol(this: IceAgent, protocol: PeerCheckedProtocol): void }).ensureProtocol = function checkedPeers(this: IceAgent, protocol: PeerCheckedProtocol): void {
  ensureProtocol.call(this, protocol);
  // Addresses that proved they know the ICE password, kept from the first signed check: the browser's DTLS may arrive
  // before werift has made that check a candidate pair (it defers checks that come before its own start).
  const signers = new Set<string>();
  protocol.signed = (data, addr) => {
    const request = parseMessage(data);
    if (!request || request.messageClass !== classes.REQUEST) return true; // responses: werift checks their integrity itself
    const ours = String(request.getAttributeValue("USERNAME") ?? "").split(":")[0] ?? "";
    const password = this.userHistory?.[ours] ?? this.localPassword;
    if (!password || !parseMessage(data, Buffer.from(password, "utf8"))) return false;
    signers.add(`${addr[0]}:${addr[1]}`);
    return true;
  };
  protocol.fromPeer = (addr) =>
    signers.has(`${addr[0]}:${addr[1]}`) || this.checkList.some((p) => p.protocol === protocol && p.remoteCandidate.port === addr[1] && p.remoteCandidate.host === addr[0]);
};
(StunProtocol.prototype as unknown as { datagramReceived(this: PeerCheckedProtocol, data: Buffer, addr: Addr): void }).datagramReceived = function peersOnly(this: PeerCheckedProtocol, data: Buffer, addr: Addr): void {
  if (data.length > 0 && data[0]! <= 3) {
    if (this.signed && !this.signed(data, addr)) {
      dropped.unsignedChecks++;
      return;
    }
  } else if (this.fromPeer) {
    const last = this.lastPeer;
    // Nearly every datagram comes from the same peer as the one before: one comparison, not a search of the pairs.
    if (!last || last[1] !== addr[1] || last[0] !== addr[0]) {
      if (!this.fromPeer(addr)) {
        dropped.strangers++;
        if (data[0] === DTLS_HANDSHAKE) dropped.strangerHandshakes++;
        return;
      }
      this.lastPeer = addr;
    }
  }
  datagramReceived.call(this, data, addr);
};

/**
 * Datagrams dropped since start: ICE checks not signed with their connection's password, and DTLS or media from an
 * address that is not a peer's (among them DTLS handshakes). A browser's late packets to the port of a connection
 * already closed, and reused, are dropped too.
 */
export function foreignDatagramsDropped(): { unsignedChecks: number; strangers: number; strangerHandshakes: number } {
  return { ...dropped };
}

// werift's DTLS server checks that the browser's certificate is the one its SDP names, but not the handshake
// signature (CertificateVerify) that proves the browser holds that certificate's private key (werift 0.25
// `lib/dtls/src/flight/server/flight6.js` only logs it). DTLS 1.2 sends the certificate in clear, so anyone who saw
// it could have presented it. Now, once the handshake is done and before any media, the signature is checked over the
// handshake up to it, with the certificate's public key; a connection whose signature does not verify fails.
type HandshakeCache = { sortedHandshakeCache: { msg_type: number; fragment: Buffer; serialize(): Buffer }[] };
type DtlsEnd = { role: string; dtls?: { dtls: HandshakeCache; remoteCertificate?: Buffer } };
const CERTIFICATE_VERIFY = 15;
const SIGNATURE_HASHES: Record<number, string> = { 4: "sha256", 5: "sha384", 6: "sha512" };
const fingerprintCheck = (RTCDtlsTransport.prototype as unknown as { verifyRemoteCertificateFingerprint(this: DtlsEnd): void }).verifyRemoteCertificateFingerprint;
if (typeof fingerprintCheck !== "function") throw new Error("werift changed: RTCDtlsTransport.verifyRemoteCertificateFingerprint is gone; re-check the DTLS peer checks");
(RTCDtlsTransport.prototype as unknown as { verifyRemoteCertificateFingerprint(this: DtlsEnd): void }).verifyRemoteCertificateFingerprint = function fingerprintAndKey(this: DtlsEnd): void {
  fingerprintCheck.call(this);
  if (this.role === "server") verifyPeerHoldsKey(this.dtls!.dtls, this.dtls!.remoteCertificate!);
};

/** Throws unless the client's CertificateVerify is a valid signature, with its certificate's key, of the handshake. */
export function verifyPeerHoldsKey(context: HandshakeCache, certificate: Buffer): void {
  const messages = context.sortedHandshakeCache;
  const at = messages.findIndex((m) => m.msg_type === CERTIFICATE_VERIFY);
  if (at < 0) throw new Error("the DTLS peer sent no CertificateVerify");
  const body = messages[at]!.fragment;
  const hash = SIGNATURE_HASHES[body[0]!];
  const length = body.length >= 4 ? body.readUInt16BE(2) : -1;
  if (!hash || length < 0 || body.length < 4 + length) throw new Error("the DTLS peer's CertificateVerify is malformed");
  const signed = Buffer.concat(messages.slice(0, at).map((m) => m.serialize()));
  const key = new X509Certificate(certificate).publicKey;
  if (!verifySignature(hash, signed, key, body.subarray(4, 4 + length))) throw new Error("the DTLS peer does not hold its certificate's key");
  peersVerified++;
}

let peersVerified = 0;
/** DTLS peers whose handshake signature was checked and held (since start). */
export function dtlsPeersVerified(): number {
  return peersVerified;
}

/** The ICE side of every peer connection Kabinet makes (calls and network checks): the media ports, the advertised
 *  address and nothing else. */
export function iceConfiguration(options: MediaServerOptions): Partial<PeerConfig> {
  return {
    iceServers: [], // never werift's default public STUN server, nor the browsers' TURN relay
    icePortRange: [options.portRange[0], options.portRange[1]],
    iceAdditionalHostAddresses: [...options.advertise],
    iceUseIpv4: true,
    iceUseIpv6: false,
    iceUseTcp: false,
    // One ICE transport for all media: werift leaves the extra per-m-line transports' sockets open otherwise.
    bundlePolicy: "max-bundle",
  };
}

export class MediaServer {
  constructor(private readonly options: MediaServerOptions) {}

  private peerConnection(): RTCPeerConnection {
    // The mid and rid header extensions name each simulcast layer's stream (RFC 8852); werift routes layers by them.
    return new RTCPeerConnection({
      ...iceConfiguration(this.options),
      codecs: CODECS,
      headerExtensions: { audio: [useSdesMid()], video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()] },
    });
  }

  /** Answers a browser's publishing offer. `onMedia` fires once audio and video (whatever was offered) have arrived. */
  async publish(offerSdp: string, onMedia: (media: PublishedMedia) => void): Promise<{ answerSdp: string; close: () => Promise<void> }> {
    const pc = this.peerConnection();
    // The publisher's SRTP is read by the SFU's own code once DTLS is up; werift keeps ICE, DTLS and RTCP.
    const ingress = fastIngress(pc);
    const peer = { relayed: () => pc.iceTransports.some((t) => t.connection.nominated?.remoteCandidate.type === "relay") };
    publishingPeers.add(peer);
    pc.connectionStateChange.subscribe((state) => (state === "closed" || state === "failed") && publishingPeers.delete(peer));
    const tracks = new Map<Kind, { track: MediaStreamTrack; transceiver: RTCRtpTransceiver }>();
    let expected = 0;
    let announced = false;
    let published: PublishedMedia | undefined;
    // werift fires onTrack inside setRemoteDescription, before we know how many to expect: check on both sides.
    const announceWhenComplete = () => {
      if (announced || expected === 0 || tracks.size < expected) return;
      announced = true;
      const video = tracks.get("video");
      // With simulcast werift has a track per rid, in the order the browser offered them (lowest first).
      const layers = video ? (video.transceiver.receiver.tracks.length > 0 ? video.transceiver.receiver.tracks : [video.track]) : [];
      published = { tracks, ingress, video: video ? new PublishedVideo(layers, video.transceiver.receiver, ingress) : undefined };
      onMedia(published);
    };
    pc.onTrack.subscribe((track) => {
      const transceiver = pc.getTransceivers().find((t) => t.receiver.track === track || t.receiver.tracks.includes(track));
      if (!transceiver) return;
      tracks.set(track.kind as Kind, { track, transceiver });
      announceWhenComplete();
    });
    await pc.setRemoteDescription({ type: "offer", sdp: browserCandidatesOnly(offerSdp, { mdns: true }) });
    expected = pc.getTransceivers().filter((t) => t.kind === "audio" || t.kind === "video").length;
    // The DTLS server picks the SRTP profile. Chrome as server picks AES-CM with HMAC-SHA1; werift as server prefers
    // AES-GCM, which costs the SFU less per packet (no separate HMAC). So the SFU answers as the DTLS server.
    for (const t of pc.getTransceivers()) if (t.dtlsTransport?.role === "auto") t.dtlsTransport.role = "server";
    announceWhenComplete();
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    return {
      answerSdp: pc.localDescription!.sdp,
      close: async () => {
        publishingPeers.delete(peer);
        published?.video?.close();
        ingress.close();
        await pc.close();
      },
    };
  }

  /** Offers a browser the media of one publisher; the browser's answer completes it. */
  async subscribe(media: PublishedMedia): Promise<Subscribed> {
    const pc = this.peerConnection();
    const closers: (() => void)[] = [];
    let video: VideoForward | undefined;
    for (const [kind, { track }] of media.tracks) {
      const t = pc.addTransceiver(new MediaStreamTrack({ kind }), { direction: "sendonly" });
      const egress = fastEgress(t.sender, { retransmit: kind === "video", kind });
      const reports = countReceiverReports(t.sender, kind);
      closers.push(() => egress.close(), () => reports.unSubscribe());
      // Video (every published video has its PublishedVideo, one layer or more) goes through the layer choice;
      // audio is forwarded as it comes.
      if (kind === "video" && media.video) {
        const v = new VideoForward(media.video, t.sender, egress);
        video = v;
        closers.push(() => v.close());
        continue;
      }
      const sub = media.ingress.listen(track, (view) => egress.forward(view, view.sequenceNumber, view.timestamp));
      closers.push(() => sub.unSubscribe());
    }
    const closeAll = () => {
      for (const close of closers.splice(0)) close();
    };
    pc.connectionStateChange.subscribe((state) => {
      // Packets before this went nowhere (werift drops them until DTLS is up): a fresh keyframe to start from.
      if (state === "connected") video?.restart();
      if (state === "closed" || state === "failed") closeAll();
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    return {
      offerSdp: pc.localDescription!.sdp,
      accept: async (answerSdp) => {
        // The SFU stays the DTLS server, whose side checks the browser's handshake signature (verifyPeerHoldsKey);
        // every browser answers "active" anyway.
        if (/^a=setup:passive/m.test(answerSdp)) throw new Error("the answer must take the DTLS client role (a=setup:active)");
        await pc.setRemoteDescription({ type: "answer", sdp: browserCandidatesOnly(answerSdp, { mdns: true }) });
      },
      wanted: (width) => video?.wanted(width),
      close: async () => {
        closeAll();
        await pc.close();
      },
    };
  }
}

/**
 * Loss and round-trip time from one receiver's RTCP reports, added to the metrics (sfu-stats.ts). The loss is the
 * growth of the report's cumulative count; the round trip is werift's own measurement from the report's LSR and DLSR
 * (its sender handles the report before `onRtcp` fires), about one a second per stream.
 */
function countReceiverReports(sender: RTCRtpSender, kind: Kind): { unSubscribe(): void } {
  const s = sender as unknown as { ssrc: number; totalRoundTripTime: number; roundTripTimeMeasurements: number };
  let lostBefore = 0;
  let measurements = s.roundTripTimeMeasurements;
  let totalBefore = s.totalRoundTripTime;
  return sender.onRtcp.subscribe((packet) => {
    if (packet.type !== 201 && packet.type !== 200) return;
    for (const report of (packet as { reports: { ssrc: number; packetsLost: number }[] }).reports) {
      if (report.ssrc !== s.ssrc) continue;
      if (report.packetsLost > lostBefore) sfuStats.lost[kind] += report.packetsLost - lostBefore;
      lostBefore = report.packetsLost;
    }
    if (s.roundTripTimeMeasurements > measurements) {
      observeRtt((s.totalRoundTripTime - totalBefore) / (s.roundTripTimeMeasurements - measurements));
      measurements = s.roundTripTimeMeasurements;
      totalBefore = s.totalRoundTripTime;
    }
  });
}

/** Resolves once werift has gathered its candidates: Kabinet answers with all of them at once (no trickle). */
export async function gathered(pc: RTCPeerConnection, withinMs = GATHERING_MS): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => {
    // A stalled gathering (a TURN server that never answers, a connection closed meanwhile) must not hold the request.
    const timer = setTimeout(done, withinMs);
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => state === "complete" && done());
    function done(): void {
      clearTimeout(timer);
      unSubscribe();
      resolve();
    }
  });
}

const GATHERING_MS = 5_000;

/**
 * A browser's description with only the ICE candidates a browser sends. Each candidate line names an address and port
 * that werift sends connectivity checks to for as long as the connection tries (and looks up by DNS when it is a
 * name): a participant could otherwise name any host or port, the server's own network included, and have the server
 * probe it. Kept: UDP candidates whose address is an IP literal (and, where `mdns` allows, a browser's `….local`
 * name), at most MAX_CANDIDATES of them, which is what a browser offers. The known limit: those few may still name
 * any address; the checks they cause are small STUN requests, bounded by the connection's life.
 */
export function browserCandidatesOnly(sdp: string, options: { mdns: boolean }): string {
  let kept = 0;
  return sdp.replace(/^a=candidate:(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) .*(?:\r?\n|$)/gim, (line, _f, _c, transport: string, _p, address: string) => {
    const literal = isIP(address) !== 0;
    const mdns = options.mdns && /^[0-9a-f-]+\.local$/i.test(address);
    return transport.toLowerCase() === "udp" && (literal || mdns) && kept++ < MAX_CANDIDATES ? line : "";
  });
}

const MAX_CANDIDATES = 8;
