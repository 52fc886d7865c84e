// The signalling protocol: every message a browser may send, parsed by one zod discriminated union; and what the
// server sends back. A message that does not parse is a protocol error: the socket closes with the reason.
import { z } from "zod";

const sdp = z.string().min(10).max(30_000);
const id = z.string().min(1).max(64);

export const clientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), token: z.string().min(10).max(1024) }),
  z.object({ type: z.literal("publish"), sdp }),
  z.object({ type: z.literal("answer"), id, sdp }),
  z.object({ type: z.literal("admit"), personId: id }),
  z.object({ type: z.literal("decline"), personId: id }),
  z.object({ type: z.literal("chat"), text: z.string().trim().min(1).max(2000) }),
  z.object({ type: z.literal("end") }),
  z.object({ type: z.literal("leave") }),
]);

export type ClientMessage = z.infer<typeof clientMessage>;

export type ServerMessage =
  | { type: "welcome"; role: "host" | "guest"; state: "waiting" | "admitted" }
  | { type: "waiting"; people: { personId: string; name: string; since: number }[] }
  | { type: "admitted" }
  | { type: "declined" }
  | { type: "published"; sdp: string }
  | { type: "subscribe"; id: string; sdp: string; name: string }
  | { type: "unsubscribe"; id: string }
  | { type: "chat"; messages: { id: number; author: string; text: string; at: number; mine: boolean }[] }
  | { type: "files"; files: { id: string; name: string; size: number; uploader: string }[] }
  | { type: "ended" }
  | { type: "error"; message: string };

/** Why a socket is closed: a protocol error (the client misbehaved) or policy (not allowed). */
export const CLOSE = { protocol: 1002, policy: 1008, tooMany: 1008, normal: 1000 } as const;
