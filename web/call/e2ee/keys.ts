// Keys of an end-to-end encrypted call, as one browser holds them: its per-call identity, the pairwise handshake
// that gives two people the same verification code, and the media keys SFrame encrypts with.
//
// Protects: media against the server (and whoever takes it over), which relays every message here and may drop,
// repeat, reorder or replace them, but must not learn a media key or sit unnoticed between two browsers.
// Invariants:
// - The ECDH private key never leaves WebCrypto (generated non-extractable, one per page load).
// - A media key goes only to a person the server lists now, wrapped under the ECDH secret of the two browsers, so a
//   replaced public key makes the wrapped key fail to open at once ("tampered"), unless the server also runs the
//   whole exchange with each side itself; that is what the verification code (sas.ts) shows to people.
// - One handshake per pair of public keys: a server cannot retry the 2^-36 chance of matching codes without
//   changing a key, and a changed key is announced ("key-changed") and clears the "verified" mark.
// - Someone joins: every sender ratchets one one-way step, so the newcomer cannot open what was sent before.
//   Someone leaves: every sender switches to a fresh random key the leaver never got, SWITCH_DELAY_MS after sending
//   it, so receivers hold the new key before the first frame under it.
// Limit: who is in the call is the server's word; a participant the server adds gets the keys like anyone listed,
// and only the code and the list on screen reveal them.

import { fromBase64url, toBase64url } from "./key-bytes.ts";
import { e2eeBody, type E2eeBody, type Outgoing } from "./key-messages.ts";
import { deriveWrapKeys, kidOf, newMediaKey, ratchetKey, splitKid, STEPS_PER_EPOCH, unwrapMediaKey, type WrapKeys, wrapMediaKey } from "./media-keys.ts";
import { ReceivedKeys } from "./received-keys.ts";
import { acceptCommit, acceptNonce, acceptReveal, type Handshake, initiatorBody, nonceBody, openHandshake, type Pair } from "./handshake.ts";
import type { SasCode } from "./sas.ts";

export { e2eeBody, type E2eeBody, MAX_E2EE_BODY_CHARS, type Outgoing } from "./key-messages.ts";
export { kidOf, ratchetKey, splitKid } from "./media-keys.ts";

/** How long a sender keeps its old key after sending a fresh one, so receivers have the fresh one first. */
export const SWITCH_DELAY_MS = 700;
/** How long a receiver keeps a peer's previous epoch for frames still on the way. */
export const KEEP_OLD_MS = 5000;

export type KeyEvent =
  | { type: "sending-key"; kid: bigint; key: Uint8Array }
  | { type: "receiving-key"; personId: string; kid: bigint; key: Uint8Array }
  | { type: "forget"; personId: string; kids: bigint[] }
  | ({ type: "code"; personId: string } & SasCode)
  | { type: "key-changed"; personId: string }
  | { type: "tampered"; personId: string; reason: "commit" | "unwrap" | "invalid" };

export interface CallKeysOptions {
  setTimeout?: (run: () => void, ms: number) => unknown;
  clearTimeout?: (handle: never) => void;
}

interface SendingKey {
  epoch: number;
  step: number;
  key: Uint8Array;
}

interface Peer {
  id: string;
  /** I start the handshake: my id is the smaller. */
  initiator: boolean;
  pk?: Uint8Array;
  pkText?: string;
  wrap?: WrapKeys;
  hs?: Handshake;
  verified: boolean;
  /** The epochs of my sending key this peer holds (it ratchets forward within an epoch itself). */
  sentEpochs: Set<number>;
  received: ReceivedKeys;
  /** Messages that need the peer's public key and came before it (a rare reordering), replayed once it comes. */
  early: E2eeBody[];
}

const MAX_EARLY = 8;

function isPersonId(id: unknown): id is string {
  return typeof id === "string" && id.length > 0 && id.length <= 200 && !id.includes("\0");
}

async function importPublicKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey | null> {
  try {
    return await crypto.subtle.importKey("raw", raw, { name: "ECDH", namedCurve: "P-256" }, true, []);
  } catch {
    return null; // not a point on the curve
  }
}

export class CallKeys {
  onEvent: (e: KeyEvent) => void = () => {};

  private readonly peers = new Map<string, Peer>();
  private listed = new Set<string>();
  private started = false;
  private current: SendingKey = { epoch: 0, step: 0, key: newMediaKey() };
  private pending: SendingKey | undefined;
  private nextEpoch = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timers = new Set<unknown>();
  private switchTimer: unknown;
  private closed = false;
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: never) => void;

  private constructor(
    private readonly roomId: string,
    private readonly me: string,
    readonly publicKey: string,
    private readonly pk: Uint8Array,
    private readonly privateKey: CryptoKey,
    opts: CallKeysOptions,
  ) {
    this.setTimer = opts.setTimeout ?? ((run, ms) => setTimeout(run, ms));
    this.clearTimer = opts.clearTimeout ?? ((handle) => clearTimeout(handle));
  }

  static async create(roomId: string, me: string, opts: CallKeysOptions = {}): Promise<CallKeys> {
    const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return new CallKeys(roomId, me, toBase64url(raw), raw, pair.privateKey, opts);
  }

  /** The server's current list of admitted person ids (including me). Returns what to send. */
  setParticipants(ids: readonly string[]): Promise<Outgoing[]> {
    return this.serial(() => this.applyParticipants(ids));
  }

  /** A relayed message; `from` as stamped by the server. Never throws on bad input. */
  receive(from: string, body: unknown): Promise<Outgoing[]> {
    return this.serial(async () => {
      try {
        return await this.handle(from, body);
      } catch {
        return this.invalid(from);
      }
    });
  }

  /** The key for a peer's KID, ratcheting forward from a known step of its epoch; undefined if unknown. */
  receivingKey(personId: string, kid: bigint): Promise<Uint8Array | undefined> {
    const peer = this.peers.get(personId);
    if (!peer || kid < 0n) return Promise.resolve(undefined);
    const { epoch, step } = splitKid(kid);
    return peer.received.get(epoch, step);
  }

  /** The person said the codes match. Holds until their key changes. */
  markVerified(personId: string): void {
    const peer = this.peers.get(personId);
    if (peer?.hs?.theirs) peer.verified = true;
  }

  verified(personId: string): boolean {
    return this.peers.get(personId)?.verified ?? false;
  }

  /** The page leaves: no timer fires any more. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) this.clearTimer(t as never);
    this.timers.clear();
  }

  // Calls run one at a time: each awaits WebCrypto midway, and two interleaved would tear the state.
  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private later(ms: number, run: () => void): unknown {
    const handle = this.setTimer(() => {
      this.timers.delete(handle);
      void this.serial(async () => {
        if (!this.closed) run();
      }).catch(() => undefined); // a throwing onEvent must not become an unhandled rejection
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  private emit(e: KeyEvent): void {
    this.onEvent(e);
  }

  private emitSending(): void {
    this.emit({ type: "sending-key", kid: kidOf(this.current.epoch, this.current.step), key: this.current.key });
  }

  private invalid(personId: string): Outgoing[] {
    this.emit({ type: "tampered", personId, reason: "invalid" });
    return [];
  }

  private peer(id: string): Peer {
    let peer = this.peers.get(id);
    if (!peer) {
      peer = { id, initiator: this.me < id, verified: false, sentEpochs: new Set(), received: new ReceivedKeys(), early: [] };
      this.peers.set(id, peer);
    }
    return peer;
  }

  private dropReceived(peer: Peer): void {
    const kids = peer.received.dropAll();
    peer.received = new ReceivedKeys();
    if (kids.length > 0) this.emit({ type: "forget", personId: peer.id, kids });
  }

  private async applyParticipants(ids: readonly string[]): Promise<Outgoing[]> {
    if (this.closed) return [];
    const next = new Set(ids.filter((id) => id !== this.me && isPersonId(id)));
    const joined = [...next].filter((id) => !this.listed.has(id));
    const left = [...this.listed].filter((id) => !next.has(id));
    const stayed = [...next].filter((id) => this.listed.has(id));
    this.listed = next;
    if (!this.started) {
      this.started = true; // nothing was sent under the first key yet: no one to protect it from
      this.emitSending();
    } else {
      if (joined.length > 0) await this.ratchetOwn(); // before a newcomer can be sent anything
      if (left.length > 0) this.rotateOwn();
      if (joined.length > 0) await this.ratchetPeers(stayed);
    }
    const out: Outgoing[] = [];
    for (const id of left) {
      const peer = this.peer(id);
      this.dropReceived(peer);
      peer.sentEpochs.clear();
    }
    for (const id of joined) {
      this.peer(id).sentEpochs.clear();
      out.push({ to: id, body: { kind: "key", pk: this.publicKey, ack: false } });
    }
    for (const id of next) out.push(...(await this.sendMediaKeys(this.peer(id))));
    return out;
  }

  private async ratchetOwn(): Promise<void> {
    this.current = await this.stepOn(this.current);
    if (this.pending) this.pending = await this.stepOn(this.pending);
    this.emitSending();
  }

  private async stepOn(k: SendingKey): Promise<SendingKey> {
    if (k.step + 1 >= STEPS_PER_EPOCH) return this.freshKey();
    return { epoch: k.epoch, step: k.step + 1, key: await ratchetKey(k.key) };
  }

  private freshKey(): SendingKey {
    return { epoch: this.nextEpoch++, step: 0, key: newMediaKey() };
  }

  private rotateOwn(): void {
    this.pending = this.freshKey();
    if (this.switchTimer !== undefined) {
      this.clearTimer(this.switchTimer as never);
      this.timers.delete(this.switchTimer);
    }
    this.switchTimer = this.later(SWITCH_DELAY_MS, () => {
      this.switchTimer = undefined;
      if (!this.pending) return;
      this.current = this.pending;
      this.pending = undefined;
      this.emitSending();
    });
  }

  /** Someone joined, so every peer who stayed moved its key one step on: derive it now, before its frames come. */
  private async ratchetPeers(stayed: readonly string[]): Promise<void> {
    for (const id of stayed) {
      for (const { kid, key } of await this.peer(id).received.advance()) {
        this.emit({ type: "receiving-key", personId: id, kid, key });
      }
    }
  }

  /** Wraps for this peer whichever of my keys it lacks; it needs my public key and a place on the list. */
  private async sendMediaKeys(peer: Peer): Promise<Outgoing[]> {
    if (!peer.wrap || !this.listed.has(peer.id)) return [];
    const out: Outgoing[] = [];
    for (const k of [this.current, this.pending]) {
      if (!k || peer.sentEpochs.has(k.epoch)) continue;
      const kid = kidOf(k.epoch, k.step);
      const { iv, ct } = await wrapMediaKey(peer.wrap.send, kid, k.key);
      peer.sentEpochs.add(k.epoch);
      out.push({ to: peer.id, body: { kind: "media", kid: kid.toString(), iv, ct } });
    }
    return out;
  }

  private async handle(from: string, body: unknown): Promise<Outgoing[]> {
    // Only the server's list says who is in the call; a message from anyone else is dropped unread.
    if (this.closed || !this.listed.has(from)) return [];
    const parsed = e2eeBody.safeParse(body);
    if (!parsed.success) return this.invalid(from);
    return this.dispatch(this.peer(from), parsed.data);
  }

  private async dispatch(peer: Peer, m: E2eeBody): Promise<Outgoing[]> {
    if (!peer.pk && (m.kind === "reveal" || m.kind === "media")) {
      if (peer.early.length < MAX_EARLY) peer.early.push(m);
      return [];
    }
    switch (m.kind) {
      case "key":
        return this.onKey(peer, m.pk, m.ack);
      case "commit":
        return this.onCommit(peer, m.sid, m.c);
      case "nonce":
        return this.onNonce(peer, m.sid, m.n);
      case "reveal":
        return this.onReveal(peer, m.sid, m.n);
      case "media":
        return this.onMedia(peer, m.kid, m.iv, m.ct);
    }
  }

  private async onKey(peer: Peer, pkText: string, ack: boolean): Promise<Outgoing[]> {
    const out: Outgoing[] = [];
    const isNew = pkText !== peer.pkText;
    if (isNew) {
      const raw = fromBase64url(pkText);
      const pub = raw?.length === 65 ? await importPublicKey(raw) : null;
      if (!raw || !pub) return this.invalid(peer.id);
      const changed = peer.pkText !== undefined;
      peer.wrap = await deriveWrapKeys(this.privateKey, pub, this.roomId, this.me, peer.id);
      peer.pk = raw;
      peer.pkText = pkText;
      peer.verified = false;
      peer.sentEpochs.clear();
      if (changed) {
        peer.hs = undefined; // a commitment that came before the first key stays: it is checked against that key
        this.dropReceived(peer);
        this.emit({ type: "key-changed", personId: peer.id });
      }
      for (const early of peer.early.splice(0)) out.push(...(await this.dispatch(peer, early)));
    }
    if (!ack) {
      // A responder still waiting for the reveal answers "I (re)started" in turn, so the initiator sends it again.
      // The initiator always answers ack: true, so this cannot ping-pong.
      const waiting = !isNew && !peer.initiator && !peer.hs?.theirs;
      out.push({ to: peer.id, body: { kind: "key", pk: this.publicKey, ack: !waiting } });
      peer.sentEpochs.clear(); // it (re)started with me: it may hold none of my keys
    }
    // A new key starts the handshake; "I (re)started" gets the last handshake message again, in case it was lost.
    if (peer.initiator && (isNew || !ack)) out.push(await this.initiatorMessage(peer));
    out.push(...(await this.sendMediaKeys(peer)));
    return out;
  }

  private async initiatorMessage(peer: Peer): Promise<Outgoing> {
    peer.hs ??= await openHandshake(this.pk);
    return { to: peer.id, body: initiatorBody(peer.hs) };
  }

  private pair(peer: Peer & { pk: Uint8Array }): Pair {
    const me = { id: this.me, pk: this.pk };
    const them = { id: peer.id, pk: peer.pk };
    return peer.initiator ? { roomId: this.roomId, initiator: me, responder: them } : { roomId: this.roomId, initiator: them, responder: me };
  }

  private async onCommit(peer: Peer, sid: string, cText: string): Promise<Outgoing[]> {
    const c = fromBase64url(cText);
    if (peer.initiator || !c) return this.invalid(peer.id);
    const hs = acceptCommit(peer.hs, sid, c);
    if (!hs) return [];
    peer.hs = hs;
    return [{ to: peer.id, body: nonceBody(hs) }];
  }

  private async onNonce(peer: Peer, sid: string, nText: string): Promise<Outgoing[]> {
    const nR = fromBase64url(nText);
    if (!peer.initiator || !nR) return this.invalid(peer.id);
    if (!peer.pk) return [];
    const result = await acceptNonce(peer.hs, sid, nR, this.pair({ ...peer, pk: peer.pk }));
    if (!result) return [];
    if (result !== "repeat") this.emit({ type: "code", personId: peer.id, ...result });
    return [await this.initiatorMessage(peer)];
  }

  private async onReveal(peer: Peer, sid: string, nText: string): Promise<Outgoing[]> {
    const nI = fromBase64url(nText);
    if (peer.initiator || !nI) return this.invalid(peer.id);
    if (!peer.pk) return [];
    const result = await acceptReveal(peer.hs, sid, nI, this.pair({ ...peer, pk: peer.pk }));
    if (result === "tampered") this.emit({ type: "tampered", personId: peer.id, reason: "commit" });
    else if (result) this.emit({ type: "code", personId: peer.id, ...result });
    return [];
  }

  private async onMedia(peer: Peer, kidText: string, iv: string, ct: string): Promise<Outgoing[]> {
    if (!peer.wrap) return [];
    const key = await unwrapMediaKey(peer.wrap.receive, kidText, iv, ct);
    if (!key) {
      this.emit({ type: "tampered", personId: peer.id, reason: "unwrap" });
      return [];
    }
    const kid = BigInt(kidText);
    const { epoch, step } = splitKid(kid);
    const received = peer.received;
    const newest = received.newestEpoch;
    if (!received.add(epoch, step, key)) return [];
    this.emit({ type: "receiving-key", personId: peer.id, kid, key });
    if (epoch > newest && newest >= 0) {
      this.later(KEEP_OLD_MS, () => {
        const kids = received.dropBefore(epoch);
        if (kids.length > 0) this.emit({ type: "forget", personId: peer.id, kids });
      });
    }
    return [];
  }
}
