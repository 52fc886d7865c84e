// The doctor's STUN encoding and integrity checks against the published RFC 5769 test vectors.
import { describe, expect, test } from "bun:test";
import { ATTR, decode, encodeRequest, hasValidFingerprint, hasValidIntegrity, longTermKey, parseTurnUrl } from "./doctor-stun.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

// RFC 5769 §2.1: sample request, short-term credential (password VOkJxbRl1RmTxUk/WvJxBt), with FINGERPRINT.
const SAMPLE_REQUEST = hex(`
  00010058 2112a442 b7e7a701 bc34d686 fa87dfae 80220010 5354554e 20746573 7420636c 69656e74
  00240004 6e0001ff 80290008 932ff9b1 51263b36 00060009 6576746a 3a683676 59202020
  00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2 80280004 e57a3bcf`);
// §2.2: sample IPv4 response, same password.
const SAMPLE_IPV4_RESPONSE = hex(`
  0101003c 2112a442 b7e7a701 bc34d686 fa87dfae 8022000b 74657374 20766563 746f7220
  00200008 0001a147 e112a643 00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7 80280004 c07d4c96`);
// §2.4: sample request with long-term authentication (username マトリックス, realm example.org, password TheMatrIX).
const SAMPLE_LONG_TERM = hex(`
  00010060 2112a442 78ad3433 c6ad72c0 29da412e 00060012 e3839ee3 8388e383 aae38383 e382afe3 82b90000
  0015001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341 0014000b 6578616d 706c652e 6f726700
  00080014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666`);
const SHORT_TERM_KEY = Buffer.from("VOkJxbRl1RmTxUk/WvJxBt");

describe("STUN messages (RFC 5769 vectors)", () => {
  test("the long-term request encodes byte for byte", () => {
    const key = longTermKey("マトリックス", "example.org", "TheMatrIX");
    const bytes = encodeRequest(
      0x001,
      [
        [ATTR.username, Buffer.from("マトリックス")],
        [ATTR.nonce, Buffer.from("f//499k954d6OL34oL9FSTvy64sA")],
        [ATTR.realm, Buffer.from("example.org")],
      ],
      { key, transactionId: SAMPLE_LONG_TERM.subarray(8, 20) },
    );
    expect(bytes.toString("hex")).toBe(SAMPLE_LONG_TERM.toString("hex"));
    expect(hasValidIntegrity(SAMPLE_LONG_TERM, key)).toBe(true);
    expect(hasValidIntegrity(SAMPLE_LONG_TERM, longTermKey("マトリックス", "example.org", "wrong"))).toBe(false);
  });

  test("integrity and fingerprint of the sample request and response verify, and fail when a byte changes", () => {
    for (const vector of [SAMPLE_REQUEST, SAMPLE_IPV4_RESPONSE]) {
      expect(hasValidIntegrity(vector, SHORT_TERM_KEY)).toBe(true);
      expect(hasValidFingerprint(vector)).toBe(true);
      const altered = Buffer.from(vector);
      altered[30] = altered[30]! ^ 1;
      expect(hasValidIntegrity(altered, SHORT_TERM_KEY)).toBe(false);
      expect(hasValidFingerprint(altered)).toBe(false);
    }
    expect(decode(SAMPLE_IPV4_RESPONSE)?.cls).toBe("success");
    expect(Buffer.from(decode(SAMPLE_REQUEST)!.attrs.get(ATTR.username)!).toString()).toBe("evtj:h6vY");
  });

  test("an encoded request with integrity and fingerprint verifies with its key only", () => {
    const key = longTermKey("u", "r", "p");
    const bytes = encodeRequest(0x003, [[ATTR.requestedTransport, Uint8Array.of(17, 0, 0, 0)], [ATTR.username, Buffer.from("u")]], { key, fingerprint: true });
    expect(hasValidIntegrity(bytes, key)).toBe(true);
    expect(hasValidFingerprint(bytes)).toBe(true);
    expect(hasValidIntegrity(bytes, longTermKey("u", "r", "q"))).toBe(false);
  });

  test("TURN URLs (RFC 7065)", () => {
    expect(parseTurnUrl("turn:turn.example.org")).toEqual({ transport: "udp", host: "turn.example.org", port: 3478 });
    expect(parseTurnUrl("turn:turn.example.org:3478?transport=tcp")).toEqual({ transport: "tcp", host: "turn.example.org", port: 3478 });
    expect(parseTurnUrl("turns:turn.example.org:5349?transport=tcp")).toEqual({ transport: "tls", host: "turn.example.org", port: 5349 });
    expect(parseTurnUrl("turn:[2001:db8::1]:3479")).toEqual({ transport: "udp", host: "2001:db8::1", port: 3479 });
    expect(parseTurnUrl("stun:x")).toBeNull();
  });
});
