// Peers for the SFU ingress tests (src/rooms/sfu/fast-ingress.ts): a werift publisher and an answering werift peer
// configured like the media server's publishing side, a Chromium publisher, and loss injected where the SFU receives.
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtpHeader,
  RtpPacket,
  useNACK,
  usePLI,
} from "werift";
import { type FastIngress, fastIngress } from "../../src/rooms/sfu/fast-ingress.ts";
import { iceConfiguration } from "../../src/rooms/sfu/media-server.ts";
import type { RtpView } from "../../src/rooms/sfu/rtp-view.ts";
import { launchChromium } from "./browser.ts";
import { connected, gathered, PEER_CONFIG } from "./werift-peers.ts";

export const VP8 = { mimeType: "video/VP8", clockRate: 90000, payloadType: 96, rtcpFeedback: [useNACK(), usePLI()] };
export const OPUS = { mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 };
export const RTX = { mimeType: "video/rtx", clockRate: 90000, payloadType: 97, parameters: "apt=96" };

export interface Received {
  view: RtpView;
  kind: string;
}

export interface Call {
  publisher: RTCPeerConnection;
  sfu: RTCPeerConnection;
  video: RTCRtpTransceiver;
  audio: RTCRtpTransceiver;
  received: Received[];
  /** Sequence numbers (per kind) the SFU's side drops on arrival: once each (`once`) or every time; drops counted. */
  drop: { video: Set<number>; audio: Set<number>; once: boolean; dropped: number };
  sendVideo(seq: number): void;
  sendAudio(seq: number): void;
  /** Audio sequence numbers sent so far. */
  sentAudio: number[];
  ingress: FastIngress;
  close(): Promise<void>;
}

/** A werift publisher (audio and video) answered by a werift peer with the fast ingress, connected on loopback.
 *  `keep: false` keeps no received packets (for measuring). */
export async function call(ports: [number, number], options: { rtx: boolean; keep?: boolean }): Promise<Call> {
  const codecs = { audio: [new RTCRtpCodecParameters(OPUS)], video: [new RTCRtpCodecParameters(VP8), ...(options.rtx ? [new RTCRtpCodecParameters(RTX)] : [])] };
  const publisher = new RTCPeerConnection({ ...PEER_CONFIG, codecs });
  const videoTrack = new MediaStreamTrack({ kind: "video" });
  const audioTrack = new MediaStreamTrack({ kind: "audio" });
  const audio = publisher.addTransceiver(audioTrack, { direction: "sendonly" });
  const video = publisher.addTransceiver(videoTrack, { direction: "sendonly" });
  await publisher.setLocalDescription(await publisher.createOffer());
  await gathered(publisher);

  const sfu = new RTCPeerConnection({ ...iceConfiguration({ portRange: ports, advertise: ["127.0.0.1"] }), codecs });
  const received: Received[] = [];
  const ingress = fastIngress(sfu, { onRtp: (view, track) => options.keep !== false && received.push({ view, kind: track.kind }) });
  await sfu.setRemoteDescription(publisher.localDescription!);
  await sfu.setLocalDescription(await sfu.createAnswer());
  await gathered(sfu);
  await publisher.setRemoteDescription(sfu.localDescription!);
  await Promise.all([connected(publisher), connected(sfu)]);

  const drop = { video: new Set<number>(), audio: new Set<number>(), once: true, dropped: 0 };
  dropOnArrival(sfu, (ssrc, seq) => {
    const set = ssrc === video.sender.ssrc ? drop.video : ssrc === audio.sender.ssrc ? drop.audio : undefined;
    if (!set?.has(seq)) return false;
    if (drop.once) set.delete(seq);
    drop.dropped++;
    return true;
  });

  const sentAudio: number[] = [];
  return {
    publisher,
    sfu,
    video,
    audio,
    received,
    drop,
    sendVideo: (seq) => videoTrack.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, marker: seq % 4 === 0 }), videoPayload(seq))),
    sentAudio,
    ingress,
    sendAudio: (seq) => {
      sentAudio.push(seq);
      audioTrack.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, marker: false }), Buffer.alloc(120, seq % 256)));
    },
    close: async () => {
      ingress.close();
      await publisher.close();
      await sfu.close();
    },
  };
}

export const videoPayload = (seq: number) => Buffer.from(Array.from({ length: 900 + (seq % 37) }, (_, i) => (seq * 7 + i) % 256));

export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await Bun.sleep(20);
}

/** Drops, where the SFU receives them, the RTP datagrams `drop` picks (by SSRC and sequence number) before anything
 *  else reads them (the fast ingress once installed). */
export function dropOnArrival(pc: RTCPeerConnection, drop: (ssrc: number, seq: number) => boolean): void {
  const connection = pc.getTransceivers()[0]!.receiver.dtlsTransport.iceTransport.connection;
  const inner = connection.onData.execute;
  connection.onData.execute = (data: Buffer) => {
    const rtp = data.length > 12 && data[0]! >> 6 === 2 && (data[1]! < 192 || data[1]! > 208);
    if (!rtp || !drop(data.readUInt32BE(8), data.readUInt16BE(2))) inner(data);
  };
}

export const seqsOf = (c: Call, kind: string) => c.received.filter((r) => r.kind === kind).map((r) => r.view.sequenceNumber);

/** A Chromium tab publishing its fake camera and microphone (in simulcast layers when `layers` is given) to `sfu`. */
export async function publishFromChromium(
  sfu: RTCPeerConnection,
  layers?: { rid: string; scaleResolutionDownBy?: number; maxBitrate: number }[],
): Promise<{ stats(): Promise<Record<string, unknown>[]>; close(): Promise<void> }> {
  const page = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("<!doctype html><title>publisher</title>", { headers: { "content-type": "text/html" } }) });
  const browser = await launchChromium();
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${page.port}/`);
  const offer = await tab.evaluate(async (sendEncodings) => {
    const pc = new globalThis.RTCPeerConnection(); // the browser's own (this function runs in the page)
    (window as unknown as { pc: globalThis.RTCPeerConnection }).pc = pc;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 960, height: 540 } });
    for (const track of stream.getTracks()) {
      pc.addTransceiver(track, track.kind === "video" && sendEncodings ? { direction: "sendonly", sendEncodings } : { direction: "sendonly" });
    }
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === "complete") resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    });
    return pc.localDescription!.sdp;
  }, layers);
  await sfu.setRemoteDescription({ type: "offer", sdp: offer });
  await sfu.setLocalDescription(await sfu.createAnswer());
  await gathered(sfu);
  await tab.evaluate((sdp) => (window as unknown as { pc: globalThis.RTCPeerConnection }).pc.setRemoteDescription({ type: "answer", sdp }), sfu.localDescription!.sdp);
  await connected(sfu, 20_000);
  return {
    stats: () =>
      tab.evaluate(async () => {
        const all: Record<string, unknown>[] = [];
        for (const s of (await (window as unknown as { pc: globalThis.RTCPeerConnection }).pc.getStats()).values()) all.push(s as Record<string, unknown>);
        return all;
      }),
    close: async () => {
      await browser.close();
      page.stop(true);
    },
  };
}
