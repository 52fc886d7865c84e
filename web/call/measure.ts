// What getStats says about a connection, reduced to the few numbers the call acts on and the tests read.
import type { LinkSample } from "./quality.ts";

const previous = new WeakMap<RTCPeerConnection, { received: number; lost: number }>(); // closed connections drop out

/** One look at a connection: the selected pair's round trip and bitrate, packets received and lost since last time. */
export async function look(pc: RTCPeerConnection): Promise<LinkSample & { level: number; framesDecoded: number }> {
  let rtt: number | null = null;
  let bitrate: number | null = null;
  let received = 0;
  let lost = 0;
  let remoteLoss: number | null = null;
  let level = 0;
  let framesDecoded = 0;
  let inbound = false;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
      rtt = s.currentRoundTripTime ?? rtt;
      bitrate = s.availableOutgoingBitrate ?? bitrate;
    }
    if (s.type === "inbound-rtp") {
      inbound = true;
      received += s.packetsReceived ?? 0;
      lost += Math.max(0, s.packetsLost ?? 0);
      if (s.kind === "audio") level = s.audioLevel ?? 0;
      if (s.kind === "video") framesDecoded += s.framesDecoded ?? 0;
    }
    if (s.type === "remote-inbound-rtp" && typeof s.fractionLost === "number") remoteLoss = Math.max(remoteLoss ?? 0, s.fractionLost);
  });
  const before = previous.get(pc) ?? { received: 0, lost: 0 };
  previous.set(pc, { received, lost });
  const dReceived = received - before.received;
  const dLost = lost - before.lost;
  const loss = inbound ? (dReceived + dLost > 0 ? dLost / (dReceived + dLost) : null) : remoteLoss;
  const connected = pc.connectionState === "connected";
  return { connected, rtt, bitrate: inbound ? null : bitrate, loss, received: inbound ? dReceived : null, level, framesDecoded };
}

/** Frames and audio samples decoded so far on a receiving connection. */
export async function decoded(pc: RTCPeerConnection): Promise<{ framesDecoded: number; audioSamples: number }> {
  let framesDecoded = 0;
  let audioSamples = 0;
  (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number; totalSamplesReceived?: number }) => {
    if (s.type !== "inbound-rtp") return;
    if (s.kind === "video") framesDecoded += s.framesDecoded ?? 0;
    if (s.kind === "audio") audioSamples += s.totalSamplesReceived ?? 0;
  });
  return { framesDecoded, audioSamples };
}
