// The frame-encryption worker: every encoded audio and video frame this browser sends is SFrame-encrypted here
// (web/call/e2ee/frames.ts says which leading bytes stay in clear and why), and every frame it receives is decrypted
// here, with keys the call page hands over (web/call/e2ee/keys.ts makes and exchanges them; the server never has them).
//
// Frames reach this worker through RTCRtpScriptTransform where the browser has it, otherwise through Chromium's
// encoded streams, transferred here by the page. One worker serves every sender and receiver of the page, so the
// audio and the video sender share one counter per key: an AES-GCM nonce is never used twice with the same key.
//
// Never in clear by mistake: while encryption is on, a frame goes out only encrypted (none at all before the first
// key), and a frame from someone who encrypts is passed on only if it decrypts; nothing falls back to clear.
import type { MediaKind } from "./frames.ts";
import { clearBytes, protectFrame, unprotectFrame } from "./frames.ts";
import { ReplayWindow } from "./replay.ts";
import { deriveSFrameKey, parseHeader, SFrameError, type SFrameKey } from "./sframe.ts";
import type { FromWorker, TransformOptions, ToWorker } from "./transforms.ts";

interface EncodedFrame {
  data: ArrayBuffer;
}
interface ScriptTransformer {
  readonly readable: ReadableStream<EncodedFrame>;
  readonly writable: WritableStream<EncodedFrame>;
  readonly options: TransformOptions;
  generateKeyFrame?(): Promise<unknown>;
  sendKeyFrameRequest?(): Promise<unknown>;
}

const scope = self as unknown as {
  postMessage(m: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  onrtctransform: ((e: { transformer: ScriptTransformer }) => void) | null;
};

let sending: { key: SFrameKey; ctr: bigint } | null = null;
let encrypting = true;
/** The keys of each person this page receives from, by KID. */
const receiving = new Map<string, Map<bigint, SFrameKey>>();
/** People whose frames arrive in clear (their browser cannot encrypt and the organisation allowed it). */
const clearFrom = new Set<string>();
/** KIDs asked for and when, so an unknown KID is asked for once a second at most, not once per frame. */
const asked = new Map<string, number>();
const ASK_AGAIN_MS = 1000;
const MAX_ASKED = 256;
/** Senders that want a keyframe as soon as frames can go out encrypted (the first ones were dropped). */
const wantKeyframe = new Set<ScriptTransformer>();
/** Receivers that dropped frames: they ask for a keyframe once frames decrypt again. */
const starved = new Set<ScriptTransformer>();
/**
 * Per sender: the (KID, counter) pairs already taken, so a replayed frame is dropped. Per person, not per receiving
 * connection: a server that opens a new subscription for the same person cannot replay old frames into it.
 */
const replays = new Map<string, ReplayWindow>();

const counts = { encrypted: 0, dropped: 0, replayed: 0, decrypted: new Map<string, number>(), failed: new Map<string, number>() };

// One message at a time, in order: a key takes a derivation (async) to install, and a later message (the next key, a
// "forget") must not overtake it. Otherwise a sender could end up on an older key than the page chose.
let inOrder: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  inOrder = inOrder.then(() => onMessage(e.data)).catch(() => {});
};
scope.onrtctransform = (e) => pipe(e.transformer);

async function onMessage(m: ToWorker): Promise<void> {
  switch (m.type) {
    case "send-key":
      sending = { key: await deriveSFrameKey(m.key, m.kid), ctr: 0n };
      for (const t of wantKeyframe) void t.generateKeyFrame?.().catch(() => {});
      wantKeyframe.clear();
      return;
    case "receive-key": {
      let keys = receiving.get(m.personId);
      if (!keys) receiving.set(m.personId, (keys = new Map()));
      keys.set(m.kid, await deriveSFrameKey(m.key, m.kid));
      // Frames from this person were dropped while the key was on its way (a joining browser's first keyframe, often):
      // ask for a keyframe now rather than after the next delta frame decrypts and fails to decode.
      for (const t of starved) {
        if (t.options.personId !== m.personId) continue;
        starved.delete(t);
        void t.sendKeyFrameRequest?.().catch(() => {});
      }
      return;
    }
    case "forget":
      if (m.kids === "all") {
        receiving.delete(m.personId);
        replays.delete(m.personId);
      } else {
        for (const kid of m.kids) {
          receiving.get(m.personId)?.delete(kid);
          replays.get(m.personId)?.forget(kid);
        }
      }
      return;
    case "encrypt":
      encrypting = m.on;
      return;
    case "expect":
      if (m.encrypted) clearFrom.delete(m.personId);
      else clearFrom.add(m.personId);
      return;
    case "streams":
      return pipe({ readable: m.readable, writable: m.writable, options: m.options });
    case "stats":
      return scope.postMessage({ type: "stats", id: m.id, ...snapshot() });
  }
}

function pipe(t: ScriptTransformer): void {
  const { side, kind } = t.options;
  const transform = side === "send" ? (f: EncodedFrame) => encrypt(t, kind, f) : (f: EncodedFrame) => decrypt(t, kind, t.options.personId ?? "", f);
  void t.readable
    .pipeThrough(new TransformStream<EncodedFrame, EncodedFrame>({ transform: async (frame, out) => {
      if (await transform(frame)) out.enqueue(frame);
    } }))
    .pipeTo(t.writable)
    .catch(() => {}) // the connection closed
    .finally(() => {
      wantKeyframe.delete(t);
      starved.delete(t);
    });
}

async function encrypt(t: ScriptTransformer, kind: MediaKind, frame: EncodedFrame): Promise<boolean> {
  if (!encrypting) return true;
  const s = sending;
  if (!s) {
    counts.dropped++;
    wantKeyframe.add(t);
    return false;
  }
  try {
    frame.data = toBuffer(await protectFrame(s.key, s.ctr++, kind, new Uint8Array(frame.data)));
  } catch {
    counts.dropped++; // a video frame too short to be VP8: never sent in clear
    return false;
  }
  counts.encrypted++;
  return true;
}

async function decrypt(t: ScriptTransformer, kind: MediaKind, personId: string, frame: EncodedFrame): Promise<boolean> {
  if (clearFrom.has(personId)) return true;
  const keys = receiving.get(personId);
  try {
    const { kid, ctr, frame: plain } = await unprotectFrame((k) => keys?.get(k), kind, new Uint8Array(frame.data));
    let replay = replays.get(personId);
    if (!replay) replays.set(personId, (replay = new ReplayWindow()));
    if (!replay.accept(kid, ctr)) {
      counts.replayed++;
      return false;
    }
    frame.data = toBuffer(plain);
    counts.decrypted.set(personId, (counts.decrypted.get(personId) ?? 0) + 1);
    if (starved.delete(t)) void t.sendKeyFrameRequest?.().catch(() => {});
    return true;
  } catch (err) {
    if (err instanceof SFrameError && err.reason === "unknown-key") askForKey(personId, frame.data, kind);
    counts.failed.set(personId, (counts.failed.get(personId) ?? 0) + 1);
    if (kind === "video") starved.add(t);
    return false;
  }
}

/** A frame under a KID this page has no key for: the page may derive it (a ratchet step) or it is on its way. */
function askForKey(personId: string, data: ArrayBuffer, kind: MediaKind): void {
  try {
    const bytes = new Uint8Array(data);
    const { kid } = parseHeader(bytes, clearBytes(kind, bytes)); // the SFrame header follows the clear bytes
    const id = `${personId}/${kid}`;
    const now = Date.now();
    if (now - (asked.get(id) ?? -Infinity) < ASK_AGAIN_MS) return;
    // Asked again a second later: the key may have been derivable only once another key arrived.
    if (asked.size >= MAX_ASKED) asked.clear();
    asked.set(id, now);
    scope.postMessage({ type: "need-key", personId, kid });
  } catch {
    // not an SFrame at all: counted as failed, nothing to ask for
  }
}

function snapshot(): Omit<Extract<FromWorker, { type: "stats" }>, "type" | "id"> {
  return { encrypted: counts.encrypted, dropped: counts.dropped, replayed: counts.replayed, decrypted: Object.fromEntries(counts.decrypted), failed: Object.fromEntries(counts.failed) };
}

function toBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}
