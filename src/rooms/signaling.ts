// The signalling protocol: every message a browser may send, parsed by one zod discriminated union; and what the
// server sends back. A message that does not parse is a protocol error: the socket closes with the reason.
import { z } from "zod";

const sdp = z.string().min(10).max(30_000);
const id = z.string().min(1).max(64);
/**
 * What a participant's microphone or camera is doing, as their browser knows it: "on"/"off" (they chose), "blocked"
 * (permission denied), "missing" (no such device), "busy" (another program holds it), "failed" (anything else).
 */
export const deviceState = z.enum(["on", "off", "blocked", "missing", "busy", "failed"]);
export type DeviceState = z.infer<typeof deviceState>;
/** Most people in one call (a specialist with a family, an interpreter, a supervisor). */
export const MAX_IN_CALL = 8;

/** A key-exchange message as the server sees it: a small flat object, nothing more (the browsers check the rest). */
const e2eeBody = z
  .record(z.string().max(16), z.union([z.string().max(200), z.boolean()]))
  .refine((b) => Object.keys(b).length <= 8, "too many fields");

export const clientMessage = z.discriminatedUnion("type", [
  /** `e2ee`: whether this browser encrypts its media end to end (absent: it does; only a browser that cannot says no). */
  z.object({ type: z.literal("hello"), token: z.string().min(10).max(1024), e2ee: z.boolean().default(true) }),
  z.object({ type: z.literal("publish"), sdp }),
  z.object({ type: z.literal("answer"), id, sdp }),
  z.object({ type: z.literal("admit"), personId: id }),
  z.object({ type: z.literal("decline"), personId: id }),
  z.object({ type: z.literal("chat"), text: z.string().trim().min(1).max(2000) }),
  z.object({ type: z.literal("end") }),
  z.object({ type: z.literal("leave") }),
  /** The sender's own devices and whether they share their screen (in place of their camera), sent on every change. */
  z.object({ type: z.literal("state"), mic: deviceState, camera: deviceState, screen: z.boolean() }),
  /** Host only: ask a participant's browser to mute its microphone (they can unmute themselves again). */
  z.object({ type: z.literal("mute"), personId: id }),
  /** Host only: take a participant out of the call; they wait again if they come back. */
  z.object({ type: z.literal("remove"), personId: id }),
  /** Host only: a short message to someone in the waiting room ("running 5 minutes late"). */
  z.object({ type: z.literal("notice"), personId: id, text: z.string().trim().min(1).max(300) }),
  /** How wide this browser shows a received video now, in device pixels (0: not shown): small tiles get small layers. */
  z.object({ type: z.literal("view"), id, width: z.number().int().min(0).max(16384) }),
  /**
   * End-to-end key exchange, from this browser to another one in the call (web/call/e2ee/keys.ts). The server relays
   * the body without reading it, stamped with the sender's authenticated id; it holds no key that could open it.
   */
  z.object({ type: z.literal("e2ee"), to: id, body: e2eeBody }),
]);

export type ClientMessage = z.infer<typeof clientMessage>;

/** Someone in the call as the others see them. */
export interface CallParticipant {
  personId: string;
  name: string;
  role: "host" | "guest";
  mic: DeviceState;
  camera: DeviceState;
  screen: boolean;
  /** Whether their browser encrypts end to end; one that does not makes the whole call not end-to-end encrypted. */
  e2ee: boolean;
}

export type ServerMessage =
  | { type: "welcome"; role: "host" | "guest"; state: "waiting" | "admitted"; personId: string }
  | { type: "waiting"; people: { personId: string; name: string; since: number }[] }
  | { type: "admitted" }
  | { type: "declined" }
  | { type: "published"; sdp: string }
  | { type: "subscribe"; id: string; sdp: string; name: string; personId: string }
  /** Everyone admitted, sent to everyone admitted whenever someone comes, goes or changes their devices. */
  | { type: "participants"; people: CallParticipant[] }
  /** The host asked this browser to mute its microphone. */
  | { type: "muted" }
  /** The host took this person out of the call (the socket closes after this). */
  | { type: "removed" }
  /** A message from the host to someone waiting. */
  | { type: "notice"; text: string; at: number }
  /** The call already has MAX_IN_CALL people: this person cannot be admitted now. */
  | { type: "full" }
  | { type: "unsubscribe"; id: string }
  /** A key-exchange message from another browser in the call; `from` is who the server knows sent it. */
  | { type: "e2ee"; from: string; body: Record<string, string | boolean> }
  | { type: "chat"; messages: { id: number; author: string; text: string; at: number; mine: boolean }[] }
  | { type: "files"; files: { id: string; name: string; size: number; uploader: string }[] }
  | { type: "ended" }
  | { type: "error"; message: string };

/** Why a socket is closed: a protocol error (the client misbehaved) or policy (not allowed). */
export const CLOSE = { protocol: 1002, policy: 1008, tooMany: 1008, normal: 1000 } as const;
