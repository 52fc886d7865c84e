// A minimal TURN client (RFC 5389 STUN messages, RFC 5766 Allocate and CreatePermission, the long-term credential
// mechanism) over UDP or TCP: enough to ask a real coturn what it allows, without a browser in between.
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { encodeRequest as encodeStunRequest } from "../../src/ops/doctor-stun.ts";

const MAGIC = 0x2112a442;
export const METHOD = { allocate: 0x003, createPermission: 0x008 } as const;
const CLASS = { request: 0x000, success: 0x100, error: 0x110 } as const;
export const ATTR = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  xorPeerAddress: 0x0012,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedTransport: 0x0019,
  software: 0x8022,
  fingerprint: 0x8028,
} as const;

export interface StunMessage {
  method: number;
  cls: "request" | "success" | "error";
  transactionId: Uint8Array;
  attrs: Map<number, Uint8Array>;
}

/** Encodes a request; with `key` it carries MESSAGE-INTEGRITY (HMAC-SHA1 over the message up to it), then FINGERPRINT. */
export function encodeRequest(method: number, attrs: [number, Uint8Array][], key?: Uint8Array): Buffer {
  return encodeStunRequest(method, attrs, { ...(key ? { key } : {}), fingerprint: true });
}

export function decode(b: Buffer): StunMessage | null {
  if (b.length < 20 || b.readUInt32BE(4) !== MAGIC) return null;
  const type = b.readUInt16BE(0);
  const bits = type & 0x0110;
  const cls = bits === CLASS.success ? "success" : bits === CLASS.error ? "error" : "request";
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const attrs = new Map<number, Uint8Array>();
  let at = 20;
  const end = 20 + b.readUInt16BE(2);
  while (at + 4 <= end) {
    const t = b.readUInt16BE(at);
    const len = b.readUInt16BE(at + 2);
    if (!attrs.has(t)) attrs.set(t, b.subarray(at + 4, at + 4 + len));
    at += 4 + Math.ceil(len / 4) * 4;
  }
  return { method, cls, transactionId: b.subarray(8, 20), attrs };
}

function xorAddress(ip: string, port: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(0x01, 1); // IPv4
  b.writeUInt16BE(port ^ (MAGIC >>> 16), 2);
  const n = ip.split(".").reduce((acc, part) => (acc << 8) | Number(part), 0) >>> 0;
  b.writeUInt32BE((n ^ MAGIC) >>> 0, 4);
  return b;
}

function readXorAddress(v: Uint8Array): { ip: string; port: number } {
  const b = Buffer.from(v);
  const port = b.readUInt16BE(2) ^ (MAGIC >>> 16);
  const n = (b.readUInt32BE(4) ^ MAGIC) >>> 0;
  return { ip: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."), port };
}

export function errorCode(m: StunMessage): number | null {
  const v = m.attrs.get(ATTR.errorCode);
  return v ? v[2]! * 100 + v[3]! : null;
}

/** One TURN control connection: requests and their answers, in order, over UDP datagrams or a TCP stream. */
export class TurnConnection {
  private waiting: ((m: StunMessage) => void) | null = null;
  private buffered = Buffer.alloc(0);

  private constructor(private readonly sendBytes: (b: Buffer) => void, private readonly closeSocket: () => void) {}

  static async open(transport: "udp" | "tcp", host: string, port: number): Promise<TurnConnection> {
    if (transport === "udp") {
      const socket = createSocket("udp4");
      const c = new TurnConnection((b) => socket.send(b, port, host), () => socket.close());
      socket.on("message", (b) => c.received(b));
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      return c;
    }
    const socket: Socket = await new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(s));
      s.once("error", reject);
    });
    const c = new TurnConnection((b) => socket.write(b), () => socket.destroy());
    socket.on("data", (chunk: Buffer) => c.streamed(chunk));
    return c;
  }

  /** TCP carries STUN messages back to back: each is its 20-byte header plus the length in it. */
  private streamed(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 20) {
      const size = 20 + this.buffered.readUInt16BE(2);
      if (this.buffered.length < size) return;
      this.received(this.buffered.subarray(0, size));
      this.buffered = this.buffered.subarray(size);
    }
  }

  private received(b: Buffer): void {
    const m = decode(Buffer.from(b));
    if (m && m.cls !== "request") this.waiting?.(m);
  }

  async request(method: number, attrs: [number, Uint8Array][], key?: Uint8Array): Promise<StunMessage> {
    const bytes = encodeRequest(method, attrs, key);
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the TURN server did not answer within 3 s")), 3000);
      this.waiting = (m) => {
        if (!Buffer.from(m.transactionId).equals(bytes.subarray(8, 20))) return;
        clearTimeout(timer);
        this.waiting = null;
        resolve(m);
      };
      this.sendBytes(bytes);
    });
  }

  close(): void {
    this.closeSocket();
  }
}

export type AllocateResult =
  | { ok: true; relayed: { ip: string; port: number }; createPermission(peerIp: string): Promise<number | "ok"> }
  | { ok: false; code: number | null; challenged: boolean };

/**
 * Allocate as a browser would: the first request without credentials earns a 401 with realm and nonce, the second
 * carries USERNAME, REALM, NONCE and MESSAGE-INTEGRITY keyed by MD5(username:realm:password).
 */
export async function allocate(c: TurnConnection, credentials: { username: string; password: string }): Promise<AllocateResult> {
  const udp: [number, Uint8Array] = [ATTR.requestedTransport, Uint8Array.of(17, 0, 0, 0)];
  const first = await c.request(METHOD.allocate, [udp]);
  const realm = first.attrs.get(ATTR.realm);
  const nonce = first.attrs.get(ATTR.nonce);
  if (first.cls !== "error" || errorCode(first) !== 401 || !realm || !nonce) return { ok: false, code: errorCode(first), challenged: false };
  const key = createHash("md5").update(`${credentials.username}:${Buffer.from(realm).toString()}:${credentials.password}`).digest();
  const auth: [number, Uint8Array][] = [
    [ATTR.username, Buffer.from(credentials.username)],
    [ATTR.realm, realm],
    [ATTR.nonce, nonce],
  ];
  const second = await c.request(METHOD.allocate, [udp, ...auth], key);
  const relayed = second.attrs.get(ATTR.xorRelayedAddress);
  if (second.cls !== "success" || !relayed) return { ok: false, code: errorCode(second), challenged: true };
  return {
    ok: true,
    relayed: readXorAddress(relayed),
    async createPermission(peerIp: string): Promise<number | "ok"> {
      const r = await c.request(METHOD.createPermission, [[ATTR.xorPeerAddress, xorAddress(peerIp, 0)], ...auth], key);
      return r.cls === "success" ? "ok" : (errorCode(r) ?? 0);
    },
  };
}
