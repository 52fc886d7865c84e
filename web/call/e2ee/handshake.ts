// One pair's handshake, ZRTP/Matrix-style: the initiator (smaller person id) commits to its nonce, the responder
// answers with its own, the initiator reveals; both then derive the same code (sas.ts) from both keys and nonces.
// Pure steps over one side's state; keys.ts decides who is initiator and carries the messages.
//
// Invariant: one handshake per pair of public keys. A responder that already holds a commitment refuses another
// sid, and an initiator opens a new one only for a new key, so no one can draw fresh nonces until the codes match.

import { equalBytes, randomBytes, toBase64url } from "./key-bytes.ts";
import type { E2eeBody } from "./key-messages.ts";
import { commitment, computeSas, type SasCode, type SasParty } from "./sas.ts";

const NONCE_BYTES = 32;

/** A handshake with one peer, from my side. */
export interface Handshake {
  sid: string;
  /** My nonce: nI when I initiate, nR when I respond. */
  mine: Uint8Array;
  /** The commitment: mine when I initiate, the one received when I respond. */
  c: Uint8Array;
  /** Their nonce once it came (nR, or the revealed nI); the code exists from then on. */
  theirs?: Uint8Array;
}

/** Who is who in the pair, with the keys as this side holds them. */
export interface Pair {
  roomId: string;
  initiator: SasParty;
  responder: SasParty;
}

export async function openHandshake(myPk: Uint8Array): Promise<Handshake> {
  const nI = randomBytes(NONCE_BYTES);
  return { sid: toBase64url(randomBytes(16)), mine: nI, c: await commitment(myPk, nI) };
}

/** What the initiator (re)sends: the commitment until the responder's nonce came, the reveal after. */
export function initiatorBody(hs: Handshake): E2eeBody {
  return hs.theirs ? { kind: "reveal", sid: hs.sid, n: toBase64url(hs.mine) } : { kind: "commit", sid: hs.sid, c: toBase64url(hs.c) };
}

/** Responder: the handshake to keep after a commitment, or null when it is refused (another sid for these keys). */
export function acceptCommit(hs: Handshake | undefined, sid: string, c: Uint8Array): Handshake | null {
  if (!hs) return { sid, mine: randomBytes(NONCE_BYTES), c };
  return hs.sid === sid && equalBytes(hs.c, c) ? hs : null;
}

export function nonceBody(hs: Handshake): E2eeBody {
  return { kind: "nonce", sid: hs.sid, n: toBase64url(hs.mine) };
}

/** Initiator: the code when the nonce completes the handshake, "repeat" for the same nonce again, null if stale. */
export async function acceptNonce(hs: Handshake | undefined, sid: string, nR: Uint8Array, pair: Pair): Promise<SasCode | "repeat" | null> {
  if (!hs || hs.sid !== sid) return null;
  if (hs.theirs) return equalBytes(hs.theirs, nR) ? "repeat" : null;
  hs.theirs = nR;
  return computeSas({ ...pair, nI: hs.mine, nR });
}

/** Responder: the code, "tampered" when nI does not match the commitment to the initiator's key, null if stale. */
export async function acceptReveal(hs: Handshake | undefined, sid: string, nI: Uint8Array, pair: Pair): Promise<SasCode | "tampered" | null> {
  if (!hs || hs.sid !== sid || hs.theirs) return null;
  if (!equalBytes(await commitment(pair.initiator.pk, nI), hs.c)) return "tampered";
  hs.theirs = nI;
  return computeSas({ ...pair, nI, nR: hs.mine });
}
