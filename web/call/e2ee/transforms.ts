// The page's side of frame encryption: puts the worker (web/call/e2ee/worker.ts) between each sender and the network
// and between the network and each receiver, and hands it the keys. RTCRtpScriptTransform where the browser has it;
// otherwise Chromium's encoded streams (which need `encodedInsertableStreams` on the connection). A browser with
// neither cannot encrypt: the call page says so before joining, and the organisation decides whether it may.
import type { MediaKind } from "./frames.ts";

export interface TransformOptions {
  side: "send" | "receive";
  kind: MediaKind;
  /** On a receiver: whose frames these are. */
  personId?: string;
}

export type ToWorker =
  | { type: "send-key"; kid: bigint; key: Uint8Array }
  | { type: "receive-key"; personId: string; kid: bigint; key: Uint8Array }
  | { type: "forget"; personId: string; kids: bigint[] | "all" }
  | { type: "encrypt"; on: boolean }
  | { type: "expect"; personId: string; encrypted: boolean }
  | { type: "streams"; options: TransformOptions; readable: ReadableStream; writable: WritableStream }
  | { type: "stats"; id: number };

export type FromWorker =
  | { type: "need-key"; personId: string; kid: bigint }
  | {
      type: "stats";
      id: number;
      encrypted: number;
      /** Frames not sent because no key was there yet (or not VP8 at all). */
      dropped: number;
      /** Frames received again under a (KID, counter) already taken, dropped. */
      replayed: number;
      decrypted: Record<string, number>;
      failed: Record<string, number>;
    };

export type FrameStats = Omit<Extract<FromWorker, { type: "stats" }>, "type" | "id">;

type Mode = "script" | "streams";

declare const RTCRtpScriptTransform: { new (worker: Worker, options: TransformOptions): object } | undefined;
type WithTransform = { transform: object | null };
type WithStreams = { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } };

/** How this browser can reach encoded frames, or null when it cannot encrypt end to end. */
export function frameAccess(): Mode | null {
  if (typeof RTCRtpScriptTransform === "function") return "script";
  if (typeof RTCRtpSender !== "undefined" && "createEncodedStreams" in RTCRtpSender.prototype) return "streams";
  return null;
}

export class FrameCrypto {
  private readonly worker: Worker;
  private nextStats = 1;
  private readonly waiting = new Map<number, (s: FrameStats) => void>();

  constructor(
    workerUrl: string,
    private readonly mode: Mode,
    /** The worker met a frame under a key it does not have (once per key). */
    private readonly needKey: (personId: string, kid: bigint) => void,
  ) {
    this.worker = new Worker(workerUrl, { type: "module", name: "kabinet-e2ee" });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === "need-key") return this.needKey(m.personId, m.kid);
      const { type: _t, id, ...stats } = m;
      this.waiting.get(id)?.(stats);
      this.waiting.delete(id);
    };
  }

  /** What a new connection needs for encoded streams (nothing with RTCRtpScriptTransform). */
  connectionConfig(): Record<string, unknown> {
    return this.mode === "streams" ? { encodedInsertableStreams: true } : {};
  }

  protectSender(sender: RTCRtpSender, kind: MediaKind): void {
    this.attach(sender, { side: "send", kind });
  }

  protectReceiver(receiver: RTCRtpReceiver, personId: string): void {
    this.attach(receiver, { side: "receive", kind: receiver.track.kind as MediaKind, personId });
  }

  sendKey(kid: bigint, key: Uint8Array): void {
    this.post({ type: "send-key", kid, key });
  }

  receiveKey(personId: string, kid: bigint, key: Uint8Array): void {
    this.post({ type: "receive-key", personId, kid, key });
  }

  forget(personId: string, kids: bigint[] | "all"): void {
    this.post({ type: "forget", personId, kids });
  }

  /** Off only in a call the organisation allowed to be unencrypted and that has someone who cannot encrypt. */
  encrypt(on: boolean): void {
    this.post({ type: "encrypt", on });
  }

  /** Whether this person's frames arrive encrypted (they must then decrypt, or they are dropped). */
  expect(personId: string, encrypted: boolean): void {
    this.post({ type: "expect", personId, encrypted });
  }

  stats(): Promise<FrameStats> {
    const id = this.nextStats++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.post({ type: "stats", id });
    });
  }

  close(): void {
    this.worker.terminate();
  }

  private attach(end: RTCRtpSender | RTCRtpReceiver, options: TransformOptions): void {
    if (this.mode === "script") {
      (end as unknown as WithTransform).transform = new RTCRtpScriptTransform!(this.worker, options);
      return;
    }
    const { readable, writable } = (end as unknown as WithStreams).createEncodedStreams();
    this.worker.postMessage({ type: "streams", options, readable, writable } satisfies ToWorker, [readable as unknown as Transferable, writable as unknown as Transferable]);
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }
}
