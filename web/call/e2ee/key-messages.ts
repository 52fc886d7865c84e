// The messages browsers send each other, through the server, to agree on keys (keys.ts). The server relays them and
// may drop, repeat or replace them, so every field is checked and bounded here before any of it is used; a body that
// does not fit is ignored (keys.ts reports it), never thrown on.

// zod/mini: the same checks as zod at a few kilobytes, because this travels in the call client to phones.
import * as z from "zod/mini";

/** The longest JSON body a browser sends (a `key` message is about 120 characters); the server may refuse longer. */
export const MAX_E2EE_BODY_CHARS = 600;

const base64url = (min: number, max: number) =>
  z.string().check(z.minLength(min), z.maxLength(max), z.regex(/^[A-Za-z0-9_-]+$/));
/** A handshake id: 16 random bytes (22 characters). */
const sid = base64url(8, 32);
/** A 32-byte hash or nonce. */
const digest = base64url(43, 43);

export const e2eeBody = z.discriminatedUnion("kind", [
  /** My public key (raw P-256, 87 characters). ack: false = I (re)started with you, answer with yours. */
  z.strictObject({ kind: z.literal("key"), pk: base64url(80, 100), ack: z.boolean() }),
  /** Initiator → responder: SHA-256(pkI || nI). */
  z.strictObject({ kind: z.literal("commit"), sid, c: digest }),
  /** Responder → initiator: nR. */
  z.strictObject({ kind: z.literal("nonce"), sid, n: digest }),
  /** Initiator → responder: nI, checked against the commitment. */
  z.strictObject({ kind: z.literal("reveal"), sid, n: digest }),
  /** A media key wrapped for the receiver; kid in decimal, it is the AES-GCM additional data. */
  z.strictObject({
    kind: z.literal("media"),
    kid: z.string().check(z.regex(/^(0|[1-9][0-9]{0,14})$/)),
    iv: base64url(16, 16),
    ct: base64url(43, 43),
  }),
]);

export type E2eeBody = z.infer<typeof e2eeBody>;

/** Where a message goes; the server stamps the sender on the way. */
export interface Outgoing {
  to: string;
  body: E2eeBody;
}
