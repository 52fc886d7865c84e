import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { RtpHeader, RtpPacket, SrtpSession } from "werift";
import { createSrtpContext, deriveSessionKey, estimateROC, MAX_STREAMS, protectForwarded, protectRtp, REPLAY_WINDOW, type SrtpContext, SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80, type SrtpProfile, unprotectRtp } from "./srtp.ts";

const PROFILES: [string, SrtpProfile, number][] = [
  ["AEAD_AES_128_GCM", SRTP_AEAD_AES_128_GCM, 12],
  ["AES128_CM_HMAC_SHA1_80", SRTP_AES128_CM_HMAC_SHA1_80, 14],
];

describe("SRTP key derivation", () => {
  test("RFC 3711 Appendix B.3 test vectors", () => {
    const key = Buffer.from("E1F97A0D3E018BE0D64FA32C06DE4139", "hex");
    const salt = Buffer.from("0EC675AD498AFEEBB6960B3AABE6", "hex");
    expect(deriveSessionKey(key, salt, 0, 16).toString("hex")).toBe("c61e7a93744f39ee10734afe3ff7a087");
    expect(deriveSessionKey(key, salt, 2, 14).toString("hex")).toBe("30cbbc08863d8c85d49db34a9ae1");
    expect(deriveSessionKey(key, salt, 1, 20).toString("hex")).toBe("cebe321f6ff7716b6fd4ab49af256a156d38baa4");
  });
});

describe("SRTP rollover counter estimate (RFC 3711 §3.3.1)", () => {
  test.each([
    ["next in order", 0, 100, 101, 0],
    ["wrap forward", 0, 65535, 0, 1],
    ["wrap forward with loss", 3, 65500, 20, 4],
    ["late packet from before the wrap", 4, 5, 65530, 3],
    ["late packet, no wrap", 2, 40000, 39990, 2],
    ["before the stream's first packet", 0, 3, 65534, -1],
  ])("%s", (_name, roc, highest, seq, expected) => {
    expect(estimateROC(roc, highest, seq)).toBe(expected);
  });
});

function pair(profile: SrtpProfile, saltBytes: number) {
  const ours = { key: randomBytes(16), salt: randomBytes(saltBytes) };
  const theirs = { key: randomBytes(16), salt: randomBytes(saltBytes) };
  // werift's session as the peer: it encrypts with `theirs` and decrypts what is sent with `ours`.
  const werift = new SrtpSession({
    profile,
    keys: { localMasterKey: theirs.key, localMasterSalt: theirs.salt, remoteMasterKey: ours.key, remoteMasterSalt: ours.salt },
  });
  return { werift, inbound: createSrtpContext(profile, theirs.key, theirs.salt), outbound: createSrtpContext(profile, ours.key, ours.salt) };
}

function header(seq: number, extras: Partial<RtpHeader> = {}): RtpHeader {
  return new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 0x11223344, marker: seq % 3 === 0, ...extras });
}

/** A stream's whole receiving state, copied. */
const stateOf = (context: SrtpContext, ssrc = 0x11223344) => {
  const stream = context.streams.get(ssrc);
  return stream && { roc: stream.roc, highest: stream.highest, newest: stream.newest, seen: stream.seen && [...stream.seen] };
};

/** Packets protected in the order given by one context, and a receiving context with the same keys. */
function protectedStream(profile: SrtpProfile, saltBytes: number, seqs: number[]) {
  const key = randomBytes(16);
  const salt = randomBytes(saltBytes);
  const sender = createSrtpContext(profile, key, salt);
  const sent = new Map<number, Buffer>();
  for (const seq of seqs) {
    const h = header(seq);
    sent.set(seq, protectRtp(sender, h.serialize(h.serializeSize), payloadOf(seq)));
  }
  return { receiver: createSrtpContext(profile, key, salt), sent };
}

const payloadOf = (seq: number) => Buffer.alloc(700 + (seq % 50), seq % 251);
const acrossWrap = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5];

describe.each(PROFILES)("SRTP %s", (_name, profile, saltBytes) => {
  test("decrypts what werift's SRTP session encrypted, across a sequence-number wrap", () => {
    const { werift, inbound } = pair(profile, saltBytes);
    for (const seq of acrossWrap) {
      const srtp = werift.encrypt(payloadOf(seq), header(seq));
      const plain = unprotectRtp(inbound, srtp);
      expect(plain).toBeDefined();
      const rtp = RtpPacket.deSerialize(plain!);
      expect(rtp.header.sequenceNumber).toBe(seq);
      expect(rtp.header.timestamp).toBe((seq * 3000) >>> 0);
      expect(rtp.header.marker).toBe(seq % 3 === 0);
      expect(rtp.payload.equals(payloadOf(seq))).toBe(true);
    }
    expect(inbound.streams.get(0x11223344)).toMatchObject({ roc: 1, highest: 5 });
  });

  test("a header with an extension block and CSRCs is authenticated as sent", () => {
    const { werift, inbound } = pair(profile, saltBytes);
    const h = header(7, { csrc: [1, 2], extension: true, extensionProfile: 0xbede, extensions: [{ id: 1, payload: Buffer.from("hi") }] });
    const srtp = werift.encrypt(payloadOf(7), h);
    const plain = unprotectRtp(inbound, srtp, Buffer.alloc(2000));
    expect(plain).toBeDefined();
    const rtp = RtpPacket.deSerialize(plain!);
    expect(rtp.header.csrc).toEqual([1, 2]);
    expect(rtp.header.extensions[0]?.payload.toString()).toBe("hi");
    expect(rtp.payload.equals(payloadOf(7))).toBe(true);
  });

  test("werift's SRTP session decrypts what this one protected, across a sequence-number wrap", () => {
    const { werift, outbound } = pair(profile, saltBytes);
    const out = Buffer.alloc(1500);
    for (const seq of acrossWrap) {
      const h = header(seq);
      const srtp = protectRtp(outbound, h.serialize(h.serializeSize), payloadOf(seq), out);
      const rtp = RtpPacket.deSerialize(werift.decrypt(Buffer.from(srtp)));
      expect(rtp.header.sequenceNumber).toBe(seq);
      expect(rtp.payload.equals(payloadOf(seq))).toBe(true);
    }
  });

  test("protects in place: header and payload given as views into the output buffer (an egress's cache slot)", () => {
    const { werift, outbound } = pair(profile, saltBytes);
    const slot = Buffer.alloc(1500);
    const h = header(42);
    const headerBytes = h.serialize(h.serializeSize);
    headerBytes.copy(slot);
    payloadOf(42).copy(slot, headerBytes.length);
    const srtp = protectRtp(outbound, slot.subarray(0, headerBytes.length), slot.subarray(headerBytes.length, headerBytes.length + payloadOf(42).length), slot);
    expect(srtp.buffer).toBe(slot.buffer);
    const rtp = RtpPacket.deSerialize(werift.decrypt(Buffer.from(srtp)));
    expect(rtp.header.sequenceNumber).toBe(42);
    expect(rtp.payload.equals(payloadOf(42))).toBe(true);
  });

  test("protects a received packet for a receiver: SSRC, payload type, sequence number and timestamp rewritten, the publisher's header extensions and padding left out", () => {
    const { werift, outbound } = pair(profile, saltBytes);
    const received = new RtpPacket(
      header(9, { csrc: [77], extension: true, extensionProfile: 0xbede, extensions: [{ id: 3, payload: Buffer.from("h") }], padding: true, paddingSize: 4, marker: true }),
      payloadOf(9),
    ).serialize();
    const headerLength = 12 + 4 + 8; // fixed, one CSRC, the extension block
    const payload = received.subarray(headerLength, received.length - 4);
    expect(payload.equals(payloadOf(9))).toBe(true);
    const slot = Buffer.alloc(1500);
    const srtp = protectForwarded(outbound, received, payload, { ssrc: 0xdeadbeef, payloadType: 100, sequenceNumber: 65535, timestamp: 0xfffffff0 }, slot);
    expect(srtp.buffer).toBe(slot.buffer);
    const rtp = RtpPacket.deSerialize(werift.decrypt(Buffer.from(srtp)));
    expect(rtp.header).toMatchObject({ ssrc: 0xdeadbeef, payloadType: 100, sequenceNumber: 65535, timestamp: 0xfffffff0, marker: true, csrc: [77], extension: false, padding: false });
    expect(rtp.payload.equals(payloadOf(9))).toBe(true);
    expect(received.readUInt32BE(8)).toBe(0x11223344); // the received packet is left as it was (other receivers share it)

    // A payload rewritten per receiver, already in place after the header it will get (12 + 4 bytes of CSRC).
    payload.copy(slot, 16);
    slot[16] = 0xaa;
    const rewritten = protectForwarded(outbound, received, slot.subarray(16, 16 + payload.length), { ssrc: 1, payloadType: 100, sequenceNumber: 0, timestamp: 0 }, slot);
    const again = RtpPacket.deSerialize(werift.decrypt(Buffer.from(rewritten)));
    expect(again.payload[0]).toBe(0xaa);
    expect(again.payload.subarray(1).equals(payloadOf(9).subarray(1))).toBe(true);
  });

  test("late packets from before the wrap still decrypt (reordering around 0)", () => {
    const { receiver, sent } = protectedStream(profile, saltBytes, [65533, 65534, 65535, 0, 1, 2]);
    for (const seq of [65533, 0, 65534, 1, 65535, 2]) {
      const plain = unprotectRtp(receiver, Buffer.from(sent.get(seq)!));
      expect(plain && RtpPacket.deSerialize(plain).payload.equals(payloadOf(seq))).toBe(true);
    }
    expect(receiver.streams.get(0x11223344)).toMatchObject({ roc: 1, highest: 2 });
  });

  test("a tampered packet is refused and leaves the stream's index as it was", () => {
    const { werift, inbound } = pair(profile, saltBytes);
    expect(unprotectRtp(inbound, werift.encrypt(payloadOf(65535), header(65535)))).toBeDefined();
    const state = stateOf(inbound);
    for (const at of [3 /* sequence number */, 40 /* payload */, -1 /* tag */]) {
      const srtp = werift.encrypt(payloadOf(0), header(0));
      srtp[at < 0 ? srtp.length + at : at]! ^= 0x01;
      const asSent = Buffer.from(srtp);
      expect(unprotectRtp(inbound, srtp)).toBeUndefined();
      expect(inbound.refusal).toBe("tag");
      expect(srtp.equals(asSent)).toBe(true); // left as it came (werift may look at it next)
      expect(stateOf(inbound)).toEqual(state);
    }
    expect(unprotectRtp(inbound, Buffer.alloc(10, 0x80))).toBeUndefined(); // shorter than a header and tag
    expect(inbound.refusal).toBe("malformed");
    expect(unprotectRtp(inbound, werift.encrypt(payloadOf(0), header(0)))).toBeDefined();
    expect(inbound.streams.get(0x11223344)).toMatchObject({ roc: 1, highest: 0 });
  });

  test("a replayed packet, or one older than the replay window, is refused; a late one inside it is taken once", () => {
    const last = 100 + REPLAY_WINDOW + 100;
    const { receiver, sent } = protectedStream(profile, saltBytes, Array.from({ length: last - 99 }, (_, i) => 100 + i));
    const receive = (seq: number) => unprotectRtp(receiver, Buffer.from(sent.get(seq)!));
    const late = last - 10;
    for (let seq = 100; seq <= last; seq++) if (seq !== 150 && seq !== late) expect(receive(seq)).toBeDefined();
    expect(receive(last - 1)).toBeUndefined();
    expect(receiver.refusal).toBe("replay");
    expect(receive(late)).toBeDefined();
    expect(receive(late)).toBeUndefined();
    expect(receive(150)).toBeUndefined(); // never received, but further back than the window
    expect(receiver.refusal).toBe("replay");
  });
});

test("one direction carries at most MAX_STREAMS SSRCs: a client sending under ever new ones gets the rest refused", () => {
  const key = randomBytes(16);
  const salt = randomBytes(12);
  const sender = createSrtpContext(SRTP_AEAD_AES_128_GCM, key, salt);
  const receiver = createSrtpContext(SRTP_AEAD_AES_128_GCM, key, salt);
  const packet = (ssrc: number) => {
    const h = new RtpHeader({ payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc });
    return protectRtp(sender, h.serialize(h.serializeSize), Buffer.alloc(100, 7));
  };
  for (let i = 0; i < MAX_STREAMS; i++) expect(unprotectRtp(receiver, packet(1000 + i))).toBeDefined();
  expect(unprotectRtp(receiver, packet(5000))).toBeUndefined();
  expect(receiver.streams.size).toBe(MAX_STREAMS);
  // A known stream goes on.
  const h = new RtpHeader({ payloadType: 96, sequenceNumber: 2, timestamp: 2, ssrc: 1000 });
  expect(unprotectRtp(receiver, protectRtp(sender, h.serialize(h.serializeSize), Buffer.alloc(100, 8)))).toBeDefined();
});
