// A DTLS connection's handshake is reachable only from the address ICE verified. werift 0.25.2 alone hands every
// non-STUN datagram on a media port to DTLS and SRTP whatever address it came from, and its DTLS server treats a
// ClientHello after the handshake as a renegotiation that throws the session away: one forged ClientHello, sent from
// anywhere to a receiver's port on the SFU, stopped the video forwarded to that receiver while its browser still read
// "connected". src/rooms/sfu/media-server.ts now drops non-STUN datagrams from addresses that are not a candidate
// pair's. Real werift peers and the real media server; ports 45700–45799: used nowhere else.
import { afterAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { classes, Message, MediaStreamTrack, methods, RTCPeerConnection, RtpHeader, RtpPacket } from "werift";
import { foreignDatagramsDropped, MediaServer, type PublishedMedia } from "../src/rooms/sfu/media-server.ts";
import { gathered, PEER_CONFIG } from "./support/werift-peers.ts";

const server = new MediaServer({ portRange: [45700, 45799], advertise: ["127.0.0.1"] });
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** A DTLS 1.2 ClientHello record without a cookie, as a new client's first flight: any sender can make one. */
function forgedClientHello(): Buffer {
  const u24 = (n: number) => Buffer.from([(n >> 16) & 255, (n >> 8) & 255, n & 255]);
  // version, random, no session id, no cookie, one suite (ECDHE-ECDSA-AES128-GCM-SHA256), null compression, no extensions
  const body = Buffer.concat([Buffer.from([0xfe, 0xfd]), randomBytes(32), Buffer.from([0x00, 0x00, 0x00, 0x02, 0xc0, 0x2b, 0x01, 0x00, 0x00, 0x00])]);
  const handshake = Buffer.concat([Buffer.from([0x01]), u24(body.length), Buffer.from([0, 0]), u24(0), u24(body.length), body]);
  const header = Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, handshake.length >> 8, handshake.length & 255]);
  return Buffer.concat([header, handshake]);
}

const sfuUfrag = (sdp: string) => sdp.match(/^a=ice-ufrag:(\S+)/m)![1]!;
const hostPort = (sdp: string) => Number(sdp.match(/^a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+) typ host/im)![1]);

interface Outcome {
  /** Video packets each receiver got in a window before the forged datagram and in one after it (each about 30 packets). */
  targeted: { before: number; after: number; state: string };
  untouched: { before: number; after: number };
}

let running: Promise<Outcome> | null = null;
/** One publisher, two receivers; one forged ClientHello to the first receiver's port on the SFU, from another port. */
function scenario(): Promise<Outcome> {
  running ??= (async () => {
    const pub = new RTCPeerConnection(PEER_CONFIG);
    const track = new MediaStreamTrack({ kind: "video" });
    pub.addTransceiver(track, { direction: "sendonly" });
    await pub.setLocalDescription(await pub.createOffer());
    await gathered(pub);
    let media: PublishedMedia | undefined;
    const published = await server.publish(pub.localDescription!.sdp, (m) => (media = m));
    closers.push(async () => {
      await published.close();
      await pub.close();
    });
    await pub.setRemoteDescription({ type: "answer", sdp: published.answerSdp });
    const receive = async () => {
      const pc = new RTCPeerConnection(PEER_CONFIG);
      const got: number[] = [];
      pc.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((rtp) => got.push(rtp.header.sequenceNumber)));
      const sub = await server.subscribe(media!);
      closers.push(async () => {
        await sub.close();
        await pc.close();
      });
      await pc.setRemoteDescription({ type: "offer", sdp: sub.offerSdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      await sub.accept(pc.localDescription!.sdp);
      return { pc, got, sfuPort: hostPort(sub.offerSdp), offerSdp: sub.offerSdp };
    };
    const targeted = await receive();
    const untouched = await receive();
    let seq = 0;
    /** Writes video until `check` holds or `ms` have passed. */
    const sendUntil = async (check: () => boolean, ms: number) => {
      for (const end = performance.now() + ms; performance.now() < end && !check(); seq++) {
        const payload = Buffer.alloc(300, seq % 256);
        payload[0] = 0x10;
        payload[1] = seq % 10 === 0 ? 0x00 : 0x01;
        track.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, marker: true }), payload));
        await Bun.sleep(20);
      }
    };
    // Both receivers connected and started on a keyframe; then a window in which both are known to receive.
    await sendUntil(() => targeted.got.length >= 10 && untouched.got.length >= 10, 30_000);
    const mark = { targeted: targeted.got.length, untouched: untouched.got.length };
    await sendUntil(() => untouched.got.length - mark.untouched >= 30, 20_000);
    const before = { targeted: targeted.got.length - mark.targeted, untouched: untouched.got.length - mark.untouched };
    // First an ICE check of its own, unsigned (it knows the SFU's ufrag from the SDP, not the password), hoping to become
    // a candidate pair; then the ClientHello.
    const intruder = createSocket("udp4");
    const ufrag = sfuUfrag(targeted.offerSdp);
    const check = new Message(methods.BINDING, classes.REQUEST).setAttribute("USERNAME", `${ufrag}:intruder`).setAttribute("PRIORITY", 1).addMessageIntegrity(Buffer.from("not the password")).addFingerprint();
    for (const datagram of [check.bytes, forgedClientHello()]) {
      await new Promise<void>((resolve) => intruder.send(datagram, targeted.sfuPort, "127.0.0.1", () => resolve()));
    }
    intruder.close();
    const sent = { targeted: targeted.got.length, untouched: untouched.got.length };
    // As long a window again, measured by the receiver the datagram was not sent to.
    await sendUntil(() => untouched.got.length - sent.untouched >= 30, 20_000);
    return {
      targeted: { before: before.targeted, after: targeted.got.length - sent.targeted, state: targeted.pc.connectionState },
      untouched: { before: before.untouched, after: untouched.got.length - sent.untouched },
    };
  })();
  return running;
}

test("both receivers get video before the forged datagram, the one it was not sent to keeps getting it, and neither receiver's connection notices", async () => {
  const o = await scenario();
  expect(o.targeted.before).toBeGreaterThan(10);
  expect(o.targeted.state).toBe("connected");
  expect(o.untouched.before).toBeGreaterThanOrEqual(30);
  expect(o.untouched.after).toBeGreaterThanOrEqual(30);
}, 120_000);

test("a forged DTLS ClientHello from another address does not cut a receiver off: the SFU drops it", async () => {
  const o = await scenario();
  expect(o.targeted.before).toBeGreaterThan(10);
  expect(o.targeted.after).toBeGreaterThan(10);
  // Both the unsigned check and the ClientHello were dropped.
  expect(foreignDatagramsDropped().unsignedChecks).toBeGreaterThan(0);
  expect(foreignDatagramsDropped().strangerHandshakes).toBeGreaterThan(0);
}, 120_000);
