// Just enough STUN (RFC 5389) and TURN (RFC 5766) for the doctor to ask a TURN server for a relay the way a browser
// does: Allocate, answered 401 with a realm and nonce, then Allocate again signed with MESSAGE-INTEGRITY under the
// long-term credential (MD5 of username:realm:password), then Refresh with lifetime 0 to give the relay back.
// Hand-written because werift stays inside src/rooms/sfu/ and no small maintained npm package speaks TURN's client
// side; the encoder and the integrity check are tested against the RFC 5769 vectors (doctor-stun.test.ts).
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect as connectTCP, isIP, type Socket } from "node:net";
import { connect as connectTLS, rootCertificates } from "node:tls";

const MAGIC = 0x2112a442;
export const METHOD = { allocate: 0x003, refresh: 0x004 } as const;
export const ATTR = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  lifetime: 0x000d,
  realm: 0x0014,
  nonce: 0x0015,
  requestedTransport: 0x0019,
  fingerprint: 0x8028,
} as const;

export interface StunMessage {
  type: number;
  cls: "request" | "success" | "error" | "indication";
  transactionId: Uint8Array;
  attrs: Map<number, Uint8Array>;
}

function header(type: number, length: number, transactionId: Uint8Array): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(length, 2);
  b.writeUInt32BE(MAGIC, 4);
  Buffer.from(transactionId).copy(b, 8);
  return b;
}

function attribute(type: number, value: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  Buffer.from(value).copy(b, 4);
  return b;
}

function fingerprintOf(bytes: Buffer): Buffer {
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((Bun.hash.crc32(bytes) ^ 0x5354554e) >>> 0, 0);
  return fp;
}

export interface EncodeOptions {
  /** MESSAGE-INTEGRITY key: the long-term key (`longTermKey`) or a short-term password's bytes. */
  key?: Uint8Array;
  fingerprint?: boolean;
  /** Fixed only by the RFC 5769 tests; random otherwise. */
  transactionId?: Uint8Array;
}

/** A request of `method` (class request) with the attributes in order, then MESSAGE-INTEGRITY and FINGERPRINT. */
export function encodeRequest(method: number, attrs: readonly [number, Uint8Array][], options: EncodeOptions = {}): Buffer {
  const transactionId = options.transactionId ?? randomBytes(12);
  let body = Buffer.concat(attrs.map(([t, v]) => attribute(t, v)));
  if (options.key) {
    // The header's length already counts the integrity attribute (24 bytes) when the HMAC is taken (RFC 5389 §15.4).
    const mac = createHmac("sha1", options.key).update(Buffer.concat([header(method, body.length + 24, transactionId), body])).digest();
    body = Buffer.concat([body, attribute(ATTR.messageIntegrity, mac)]);
  }
  if (options.fingerprint) body = Buffer.concat([body, attribute(ATTR.fingerprint, fingerprintOf(Buffer.concat([header(method, body.length + 8, transactionId), body])))]);
  return Buffer.concat([header(method, body.length, transactionId), body]);
}

/** The long-term credential key (RFC 5389 §15.4); the doctor's usernames and passwords are ASCII, SASLprep leaves them be. */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash("md5").update(`${username}:${realm}:${password}`).digest();
}

export function decode(b: Uint8Array): StunMessage | null {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length < 20 || buf.readUInt32BE(4) !== MAGIC || 20 + buf.readUInt16BE(2) > buf.length) return null;
  const type = buf.readUInt16BE(0);
  const bits = type & 0x0110;
  const cls = bits === 0x100 ? "success" : bits === 0x110 ? "error" : bits === 0x010 ? "indication" : "request";
  const attrs = new Map<number, Uint8Array>();
  const end = 20 + buf.readUInt16BE(2);
  for (let at = 20; at + 4 <= end; ) {
    const t = buf.readUInt16BE(at);
    const len = buf.readUInt16BE(at + 2);
    if (!attrs.has(t)) attrs.set(t, buf.subarray(at + 4, at + 4 + len));
    at += 4 + Math.ceil(len / 4) * 4;
  }
  return { type, cls, transactionId: buf.subarray(8, 20), attrs };
}

/**
 * Whether the message's MESSAGE-INTEGRITY was made with `key`: proves the server knows the same secret, not only that
 * something answered. False when it carries none.
 */
export function hasValidIntegrity(message: Uint8Array, key: Uint8Array): boolean {
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const end = 20 + buf.readUInt16BE(2);
  for (let at = 20; at + 4 <= end; ) {
    const t = buf.readUInt16BE(at);
    const len = buf.readUInt16BE(at + 2);
    if (t === ATTR.messageIntegrity && len === 20) {
      const covered = Buffer.concat([buf.subarray(0, 2), Buffer.from([((at + 24 - 20) >> 8) & 0xff, (at + 24 - 20) & 0xff]), buf.subarray(4, at)]);
      const mac = createHmac("sha1", key).update(covered).digest();
      return timingSafeEqual(mac, buf.subarray(at + 4, at + 24));
    }
    at += 4 + Math.ceil(len / 4) * 4;
  }
  return false;
}

/** Whether the message ends with a FINGERPRINT that matches it (CRC-32 of what precedes, RFC 5389 §15.5). */
export function hasValidFingerprint(message: Uint8Array): boolean {
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const end = 20 + buf.readUInt16BE(2);
  if (end < 28 || buf.readUInt16BE(end - 8) !== ATTR.fingerprint) return false;
  return fingerprintOf(buf.subarray(0, end - 8)).equals(buf.subarray(end - 4, end));
}

export function errorCode(m: StunMessage): number | null {
  const v = m.attrs.get(ATTR.errorCode);
  return v && v.length >= 4 ? v[2]! * 100 + v[3]! : null;
}

export interface TurnTarget {
  transport: "udp" | "tcp" | "tls";
  host: string;
  port: number;
}

/** A `turn:`/`turns:` URL (RFC 7065) as host, port and transport. */
export function parseTurnUrl(url: string): TurnTarget | null {
  const m = /^(turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/i.exec(url);
  if (!m) return null;
  const secure = m[1]!.toLowerCase() === "turns";
  return {
    transport: secure ? "tls" : m[4]?.toLowerCase() === "tcp" ? "tcp" : "udp",
    host: m[2]!.replace(/^\[|\]$/g, ""),
    port: m[3] ? Number(m[3]) : secure ? 5349 : 3478,
  };
}

/** One control connection: a request at a time, answers matched by transaction id; UDP requests are resent. */
class Channel {
  private waiting: { id: Buffer; resolve: (b: Buffer) => void } | null = null;
  private stream = Buffer.alloc(0);
  constructor(
    private readonly send: (b: Buffer) => void,
    readonly close: () => void,
    private readonly datagrams: boolean,
  ) {}

  received(chunk: Buffer): void {
    if (this.datagrams) return this.deliver(chunk);
    // TCP and TLS carry messages back to back: each is its 20-byte header plus the length in it.
    this.stream = Buffer.concat([this.stream, chunk]);
    while (this.stream.length >= 20 && this.stream.length >= 20 + this.stream.readUInt16BE(2)) {
      const size = 20 + this.stream.readUInt16BE(2);
      this.deliver(this.stream.subarray(0, size));
      this.stream = this.stream.subarray(size);
    }
  }

  private deliver(b: Buffer): void {
    if (this.waiting && b.length >= 20 && b.subarray(8, 20).equals(this.waiting.id)) this.waiting.resolve(Buffer.from(b));
  }

  /** The raw answer, or null after `timeoutMs` without one. */
  async request(bytes: Buffer, timeoutMs: number): Promise<Buffer | null> {
    return await new Promise((resolve) => {
      let resend: ReturnType<typeof setInterval> | null = null;
      const timer = setTimeout(() => finish(null), timeoutMs);
      const finish = (b: Buffer | null) => {
        clearTimeout(timer);
        if (resend) clearInterval(resend);
        this.waiting = null;
        resolve(b);
      };
      this.waiting = { id: bytes.subarray(8, 20), resolve: finish };
      this.send(bytes);
      if (this.datagrams) resend = setInterval(() => this.send(bytes), 500);
    });
  }
}

async function openChannel(target: TurnTarget, tls: { ca: string | null }, timeoutMs: number): Promise<Channel> {
  if (target.transport === "udp") {
    const socket = createSocket(target.host.includes(":") ? "udp6" : "udp4");
    const channel = new Channel((b) => socket.send(b, target.port, target.host), () => socket.close(), true);
    socket.on("message", (b) => channel.received(b));
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    return channel;
  }
  const socket: Socket = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })), timeoutMs);
    const done = (s: Socket) => {
      clearTimeout(timer);
      resolve(s);
    };
    const s: Socket =
      target.transport === "tls"
        ? connectTLS({ host: target.host, port: target.port, ...(isIP(target.host) ? {} : { servername: target.host }), ...(tls.ca ? { ca: [...rootCertificates, tls.ca] } : {}) }, () => done(s))
        : connectTCP({ host: target.host, port: target.port }, () => done(s));
    s.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  socket.on("error", () => {});
  const channel = new Channel((b) => socket.write(b), () => socket.destroy(), false);
  socket.on("data", (chunk: Buffer) => channel.received(chunk));
  return channel;
}

export type AllocateOutcome =
  | { kind: "allocated"; integrityVerified: boolean }
  | { kind: "refused"; code: number | null }
  | { kind: "no-answer" }
  | { kind: "unreachable"; code: string };

/** Asks the TURN server for a UDP relay with these credentials, then releases it. */
export async function tryAllocate(target: TurnTarget, credentials: { username: string; password: string }, options: { ca?: string | null; timeoutMs?: number } = {}): Promise<AllocateOutcome> {
  const timeoutMs = options.timeoutMs ?? 3000;
  let channel: Channel;
  try {
    channel = await openChannel(target, { ca: options.ca ?? null }, timeoutMs);
  } catch (err) {
    return { kind: "unreachable", code: (err as NodeJS.ErrnoException).code ?? "error" };
  }
  try {
    const udp: [number, Uint8Array] = [ATTR.requestedTransport, Uint8Array.of(17, 0, 0, 0)];
    const firstBytes = await channel.request(encodeRequest(METHOD.allocate, [udp], { fingerprint: true }), timeoutMs);
    const first = firstBytes && decode(firstBytes);
    if (!first) return { kind: "no-answer" };
    const realm = first.attrs.get(ATTR.realm);
    let nonce = first.attrs.get(ATTR.nonce);
    if (first.cls !== "error" || errorCode(first) !== 401 || !realm || !nonce) return { kind: "refused", code: errorCode(first) };
    const key = longTermKey(credentials.username, Buffer.from(realm).toString(), credentials.password);
    const signed = (method: number, extra: [number, Uint8Array][]) =>
      encodeRequest(method, [...extra, [ATTR.username, Buffer.from(credentials.username)], [ATTR.realm, realm], [ATTR.nonce, nonce!]], { key, fingerprint: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      const answerBytes = await channel.request(signed(METHOD.allocate, [udp]), timeoutMs);
      const answer = answerBytes && decode(answerBytes);
      if (!answer) return { kind: "no-answer" };
      // 438 Stale Nonce: the server wants the request again with the fresh nonce it sent.
      if (answer.cls === "error" && errorCode(answer) === 438 && answer.attrs.get(ATTR.nonce)) {
        nonce = answer.attrs.get(ATTR.nonce)!;
        continue;
      }
      if (answer.cls !== "success") return { kind: "refused", code: errorCode(answer) };
      await channel.request(signed(METHOD.refresh, [[ATTR.lifetime, Uint8Array.of(0, 0, 0, 0)]]), 1000);
      return { kind: "allocated", integrityVerified: hasValidIntegrity(answerBytes!, key) };
    }
    return { kind: "refused", code: 438 };
  } finally {
    channel.close();
  }
}
