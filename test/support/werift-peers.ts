// Real WebRTC peers for SFU tests, built with werift (a third-party WebRTC stack, not our code): a publisher that
// writes RTP into its tracks and a viewer that receives through the media server.
import { MediaStreamTrack, RTCPeerConnection, type RTCRtpTransceiver, RtpHeader, RtpPacket } from "werift";
import type { MediaServer, PublishedMedia } from "../../src/rooms/sfu/media-server.ts";

export const PEER_CONFIG = { iceServers: [], iceAdditionalHostAddresses: ["127.0.0.1"], bundlePolicy: "max-bundle" as const };

export async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === "complete" && resolve()));
}

export async function connected(pc: RTCPeerConnection, ms = 10_000): Promise<void> {
  if (pc.connectionState === "connected") return;
  await new Promise<void>((resolve, reject) => {
    pc.connectionStateChange.subscribe((s) => (s === "connected" ? resolve() : s === "failed" ? reject(new Error("ICE failed")) : undefined));
    setTimeout(() => reject(new Error(`not connected within ${ms} ms`)), ms);
  });
}

export interface Publisher {
  pc: RTCPeerConnection;
  videoTransceiver: RTCRtpTransceiver;
  media: PublishedMedia;
  sendVideo(seq: number): void;
  close(): Promise<void>;
}

export async function publishThrough(server: MediaServer, ssrc: number): Promise<Publisher> {
  const pc = new RTCPeerConnection(PEER_CONFIG);
  const video = new MediaStreamTrack({ kind: "video" });
  const audio = new MediaStreamTrack({ kind: "audio" });
  pc.addTransceiver(audio, { direction: "sendonly" });
  const videoTransceiver = pc.addTransceiver(video, { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  let media: PublishedMedia | null = null;
  const published = await server.publish(pc.localDescription!.sdp, (m) => (media = m));
  await pc.setRemoteDescription({ type: "answer", sdp: published.answerSdp });
  await connected(pc);
  // Each packet is a whole VP8 frame (RFC 7741 descriptor: S set, partition 0); a keyframe first and after every
  // keyframe request, as an encoder does: the SFU starts a receiver only on a keyframe.
  let keyframeNext = true;
  videoTransceiver.sender.onPictureLossIndication.subscribe(() => (keyframeNext = true));
  const sendVideo = (seq: number) => {
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, ssrc, marker: true });
    const payload = Buffer.alloc(800, seq % 256);
    payload[0] = 0x10;
    payload[1] = keyframeNext ? 0x00 : 0x01;
    keyframeNext = false;
    video.writeRtp(new RtpPacket(header, payload));
  };
  for (let s = 0; s < 50 && !media; s++) {
    sendVideo(s);
    await Bun.sleep(20);
  }
  if (!media) throw new Error("the media server did not see the published tracks");
  return {
    pc,
    videoTransceiver,
    media,
    sendVideo,
    close: async () => {
      await published.close();
      await pc.close();
    },
  };
}

export interface Viewer {
  pc: RTCPeerConnection;
  /** Sequence numbers of video packets received, in arrival order. */
  videoSeqs: number[];
  videoTransceiver(): RTCRtpTransceiver;
  close(): Promise<void>;
}

export async function viewThrough(server: MediaServer, media: PublishedMedia): Promise<Viewer> {
  const pc = new RTCPeerConnection(PEER_CONFIG);
  const videoSeqs: number[] = [];
  pc.onTrack.subscribe((t) => t.kind === "video" && t.onReceiveRtp.subscribe((rtp) => videoSeqs.push(rtp.header.sequenceNumber)));
  const sub = await server.subscribe(media);
  await pc.setRemoteDescription({ type: "offer", sdp: sub.offerSdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  await sub.accept(pc.localDescription!.sdp);
  await connected(pc);
  return {
    pc,
    videoSeqs,
    videoTransceiver: () => pc.getTransceivers().find((t) => t.kind === "video")!,
    close: async () => {
      await sub.close();
      await pc.close();
    },
  };
}
