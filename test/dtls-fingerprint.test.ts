// The DTLS fingerprint is what binds a call's media connection to the description that came over the authenticated
// signalling socket: a peer whose certificate is not the one its description names must get no media path. Proven
// with the real media server (src/rooms/sfu/media-server.ts) and real werift peers on loopback, in both directions:
// the SFU checks the publisher's certificate, and a client checks the SFU's. werift does the check after its
// handshake (node_modules/werift/lib/webrtc/src/transport/dtls.js, verifyRemoteCertificateFingerprint) and marks the
// transport failed before any SRTP key is derived.
//
// werift 0.25 does not check the peer's handshake signature; src/rooms/sfu/media-server.ts does, on the SFU's side (the
// DTLS server, a role a receiver's answer may not take from it): the last tests prove both.
// Media ports 45500–45599: no other test or benchmark uses them.
import { afterEach, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { CipherContext, HashAlgorithm, MediaStreamTrack, NamedCurveAlgorithm, type PeerConfig, RTCPeerConnection, RtpHeader, RtpPacket, SignatureAlgorithm } from "werift";
import { MediaServer, type PublishedMedia } from "../src/rooms/sfu/media-server.ts";
import { gathered, PEER_CONFIG } from "./support/werift-peers.ts";

const server = new MediaServer({ portRange: [45500, 45599], advertise: ["127.0.0.1"] });
const open: (() => Promise<void>)[] = [];
// Each test's peers are closed when it ends: a refused peer left running keeps sending to the SFU's ports.
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

type DtlsState = "new" | "connecting" | "connected" | "failed" | "closed";

/** Every `a=fingerprint` value with its first byte changed: the same certificate hash but for one byte. */
function withOneByteChanged(sdp: string): string {
  let changed = 0;
  const out = sdp.replace(/^(a=fingerprint:\S+ )([0-9A-F]{2})/gim, (_line, head: string, byte: string) => {
    changed++;
    return head + (Number.parseInt(byte, 16) ^ 0x5a).toString(16).toUpperCase().padStart(2, "0");
  });
  if (changed === 0) throw new Error("no a=fingerprint line to change");
  return out;
}

const fingerprintsOf = (sdp: string) => sdp.match(/^a=fingerprint:.*$/gim) ?? [];

interface Attempt {
  /** The states the SFU's DTLS transport for this publisher went through, from before it started. */
  sfuStates: DtlsState[];
  /** The states of the publishing client's peer connection. */
  clientStates: string[];
  /** Sequence numbers of the video packets the SFU's ingress handed on. */
  heard: number[];
  /** Writes video for `ms` milliseconds, a keyframe every tenth packet, as an encoder would. */
  sendVideo(ms: number): Promise<void>;
  /** Writes video until `check` holds or `ms` have passed; whether it holds. */
  sendUntil(check: () => boolean, ms: number): Promise<boolean>;
  sfuTransportState(): DtlsState;
  offerSdp: string;
  media: PublishedMedia;
}

/** Publishes one video track from a werift peer; `offer`/`answer` may change the descriptions on the way. */
async function publish(options: { offer?: (sdp: string) => string; answer?: (sdp: string) => string; config?: Partial<PeerConfig> } = {}): Promise<Attempt> {
  const pc = new RTCPeerConnection({ ...PEER_CONFIG, ...options.config });
  const track = new MediaStreamTrack({ kind: "video" });
  pc.addTransceiver(track, { direction: "sendonly" });
  const clientStates: string[] = [];
  pc.connectionStateChange.subscribe((s) => clientStates.push(s));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const sfuStates: DtlsState[] = [];
  const heard: number[] = [];
  let media: PublishedMedia | undefined;
  const published = await server.publish((options.offer ?? String)(pc.localDescription!.sdp), (m) => {
    media = m;
    const video = m.tracks.get("video")!;
    video.transceiver.dtlsTransport.onStateChange.subscribe((s) => sfuStates.push(s));
    m.ingress.listen(video.track, (view) => heard.push(view.sequenceNumber));
  });
  open.push(async () => {
    await published.close();
    await pc.close();
  });
  // The media server announces the tracks while it reads the offer, before any packet or handshake.
  if (!media) throw new Error("the media server did not announce the offered track");
  const announced = media as PublishedMedia;
  expect(announced.tracks.get("video")!.transceiver.dtlsTransport.state).toBe("new");
  await pc.setRemoteDescription({ type: "answer", sdp: (options.answer ?? String)(published.answerSdp) });
  let seq = 0;
  const sendUntil = async (check: () => boolean, ms: number): Promise<boolean> => {
    for (const end = performance.now() + ms; performance.now() < end && !check(); seq++) {
      const payload = Buffer.alloc(400, seq % 256);
      payload[0] = 0x10;
      payload[1] = seq % 10 === 0 ? 0x00 : 0x01; // VP8: a keyframe's P bit is 0
      track.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, marker: true }), payload));
      await Bun.sleep(20);
    }
    return check();
  };
  return {
    sfuStates,
    clientStates,
    heard,
    offerSdp: pc.localDescription!.sdp,
    media: announced,
    sfuTransportState: () => announced.tracks.get("video")!.transceiver.dtlsTransport.state as DtlsState,
    sendVideo: async (ms) => void (await sendUntil(() => false, ms)),
    sendUntil,
  };
}

/** A werift receiver offered the publisher's media by the SFU, with its answer ready (not yet given to the SFU). */
async function subscribeTo(media: Attempt["media"]): Promise<{ got: number[]; sub: Awaited<ReturnType<MediaServer["subscribe"]>>; answerSdp: string }> {
  const pc = new RTCPeerConnection(PEER_CONFIG);
  const got: number[] = [];
  pc.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((rtp) => got.push(rtp.header.sequenceNumber)));
  const sub = await server.subscribe(media);
  open.push(async () => {
    await sub.close();
    await pc.close();
  });
  await pc.setRemoteDescription({ type: "offer", sdp: sub.offerSdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  return { got, sub, answerSdp: pc.localDescription!.sdp };
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = performance.now() + ms; performance.now() < end; await Bun.sleep(25)) if (check()) return true;
  return check();
}

describe("DTLS fingerprints", () => {
  test("a publisher whose certificate matches its offer's fingerprint connects, and its video reaches the SFU", async () => {
    const a = await publish();
    expect(await until(() => a.sfuTransportState() === "connected", 20_000)).toBe(true);
    expect(await a.sendUntil(() => a.heard.length >= 10, 20_000)).toBe(true);
    expect(a.clientStates).toContain("connected");
  }, 60_000);

  test("the SFU refuses a publisher whose offer names another certificate (one byte of the fingerprint changed): no connection, not one packet", async () => {
    const a = await publish({
      offer: (sdp) => {
        const changed = withOneByteChanged(sdp);
        expect(fingerprintsOf(changed)).not.toEqual(fingerprintsOf(sdp));
        return changed;
      },
    });
    // The handshake runs to its end, then the certificate is compared and the transport fails.
    expect(await until(() => a.sfuStates.includes("failed"), 20_000)).toBe(true);
    await a.sendVideo(1_000);
    await Bun.sleep(300);
    expect(a.sfuStates).not.toContain("connected");
    expect(a.sfuTransportState()).toBe("failed");
    expect(a.heard).toEqual([]);
  }, 60_000);

  test("a client refuses an SFU whose answer names another certificate: the client never connects", async () => {
    const a = await publish({ answer: withOneByteChanged });
    // The client is the DTLS client here: it learns the SFU's certificate in the handshake and compares it then.
    expect(await until(() => a.clientStates.includes("failed"), 20_000)).toBe(true);
    expect(a.clientStates).not.toContain("connected");
    await a.sendVideo(500);
    await Bun.sleep(300);
    expect(a.heard).toEqual([]);
  }, 60_000);

  test("the SFU sends nothing to a receiver whose answer names another certificate", async () => {
    const a = await publish();
    expect(await until(() => a.sfuTransportState() === "connected", 20_000)).toBe(true);
    const receive = async (answer: (sdp: string) => string) => {
      const { got, sub, answerSdp } = await subscribeTo(a.media);
      await sub.accept(answer(answerSdp));
      return got;
    };
    const refused = await receive(withOneByteChanged);
    const accepted = await receive(String);
    expect(await a.sendUntil(() => accepted.length >= 10, 20_000)).toBe(true);
    await a.sendVideo(500);
    expect(refused).toEqual([]);
  }, 60_000);

  test("a receiver's answer may not make the SFU the DTLS client (where its signature check would not run)", async () => {
    const a = await publish();
    expect(await until(() => a.sfuTransportState() === "connected", 20_000)).toBe(true);
    const { sub, answerSdp } = await subscribeTo(a.media);
    const passive = answerSdp.replace(/^a=setup:\w+/gm, "a=setup:passive");
    await expect(sub.accept(passive)).rejects.toThrow("DTLS client role");
  }, 60_000);

  // werift 0.25.2 as DTLS server reads the client's CertificateVerify but never checks its signature
  // (lib/dtls/src/flight/server/flight6.js only logs it): the fingerprint check alone proves only that the peer sent the
  // right certificate, which DTLS 1.2 sends in the clear. src/rooms/sfu/media-server.ts now checks the signature. Here
  // a client presents its certificate but signs with another key: the SFU must refuse it.
  test("the SFU refuses a publisher that presents the certificate its offer names but does not hold its private key", async () => {
    const sha256ECDSA = { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 };
    const shown = await CipherContext.createSelfSignedCertificateWithKey(sha256ECDSA, NamedCurveAlgorithm.secp256r1_23);
    const other = await CipherContext.createSelfSignedCertificateWithKey(sha256ECDSA, NamedCurveAlgorithm.secp256r1_23);
    const a = await publish({ config: { dtls: { keys: { certPem: shown.certPem, keyPem: other.keyPem, signatureHash: shown.signatureHash } } } });
    // The offer names exactly the certificate presented; only the key behind the handshake's signature differs.
    expect(fingerprintsOf(a.offerSdp)[0]!.toUpperCase()).toBe(`A=FINGERPRINT:SHA-256 ${new X509Certificate(shown.certPem).fingerprint256}`);
    await until(() => a.sfuStates.includes("connected") || a.sfuStates.includes("failed"), 20_000);
    await a.sendUntil(() => a.heard.length >= 5, 5_000);
    expect(a.sfuStates).not.toContain("connected");
    expect(a.heard).toEqual([]);
  }, 60_000);
});
