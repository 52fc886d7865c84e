// The short authentication string (SAS) two people compare aloud to know that no one sits between their browsers.
//
// Protects: the pairwise key exchange of keys.ts against a server that substitutes public keys. Each side shows six
// pictures derived from both public keys and both nonces; a man in the middle holds different keys towards each
// side, so the two sides hash different inputs and show different pictures, except with probability 2^-36.
// Invariants: the initiator commits to its nonce (SHA-256(pkI || nI)) before it sees the responder's nonce and
// reveals it only after, so neither the server nor a participant can choose a nonce that steers the code towards a
// wanted value; every variable-length field is length-prefixed so no two inputs hash alike.
// Limit: 36 bits hold against one guess per handshake, not against unlimited retries: keys.ts runs one handshake
// per pair of public keys, and a changed key is shown to people as a warning.

import { concatBytes, lengthPrefixed, sha256, textBytes } from "./key-bytes.ts";
import { SAS_EMOJI } from "./sas-emoji.ts";

export const SAS_LABEL = "KABINET-SAS-1";
export const SAS_LENGTH = 6;

export interface SasParty {
  id: string;
  /** Raw public key (65 bytes for P-256). */
  pk: Uint8Array;
}

export interface SasInput {
  roomId: string;
  initiator: SasParty;
  responder: SasParty;
  nI: Uint8Array;
  nR: Uint8Array;
}

export interface SasCode {
  emoji: string[];
  names: { en: string[]; ru: string[] };
}

/** What the initiator sends first: it binds the initiator to its nonce without showing it. */
export function commitment(pkI: Uint8Array, nI: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(concatBytes(pkI, nI));
}

/** The six 6-bit values: the first 36 bits of SHA-256 over the label and every field, each length-prefixed. */
export async function sasIndexes(input: SasInput): Promise<number[]> {
  const fields = [
    textBytes(SAS_LABEL),
    textBytes(input.roomId),
    textBytes(input.initiator.id),
    input.initiator.pk,
    textBytes(input.responder.id),
    input.responder.pk,
    input.nI,
    input.nR,
  ];
  const hash = await sha256(concatBytes(...fields.map(lengthPrefixed)));
  const indexes: number[] = [];
  for (let i = 0; i < SAS_LENGTH; i++) {
    const bit = i * 6;
    const pair = (hash[bit >> 3]! << 8) | hash[(bit >> 3) + 1]!;
    indexes.push((pair >> (10 - (bit & 7))) & 0x3f);
  }
  return indexes;
}

export function sasCode(indexes: readonly number[]): SasCode {
  const pictures = indexes.map((i) => SAS_EMOJI[i]!);
  return {
    emoji: pictures.map((p) => p.emoji),
    names: { en: pictures.map((p) => p.en), ru: pictures.map((p) => p.ru) },
  };
}

export async function computeSas(input: SasInput): Promise<SasCode> {
  return sasCode(await sasIndexes(input));
}
