// This browser's own media: the camera and microphone it has (or why not), the person's choices (mute, camera off),
// a shared screen, and video paused for a weak link; and what each of the two senders carries because of them.
//
// A sender exists for each kind even without a device, so a screen or a device found later goes out through
// replaceTrack, without a new negotiation with the server.
import type { DeviceState } from "../../src/rooms/signaling.ts"; // types only
import { acquireBoth, acquireOne, type Kind } from "./devices.ts";

export interface OwnStates {
  mic: DeviceState;
  camera: DeviceState;
  screen: boolean;
}

/**
 * The camera goes out in up to three sizes (simulcast, lowest first); the server gives each receiver the one their link
 * carries and their screen shows. Chrome sends at most as many layers as the picture's size allows (2 below 960×540,
 * 1 below 480×270) and drops the largest ones beyond that, so the layers are chosen from the camera's real height.
 */
export function simulcastFor(height: number): RTCRtpEncodingParameters[] | undefined {
  if (height >= 540) {
    return [
      { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { rid: "f", maxBitrate: 1_500_000 },
    ];
  }
  if (height >= 270) {
    return [
      { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 250_000 },
      { rid: "f", maxBitrate: 900_000 },
    ];
  }
  return undefined;
}

export class LocalMedia {
  stream = new MediaStream();
  /** Why a kind has no track ("on" while it has one). */
  private why: Record<Kind, DeviceState> = { audio: "off", video: "off" };
  private readonly choice = { mic: true, camera: true, videoPaused: false };
  private screen: MediaStream | null = null;
  private senders: Partial<Record<Kind, RTCRtpSender>> = {};

  /** `changed` runs after every change; `vanished` says what happened when a device went away by itself. */
  constructor(private readonly changed: (vanished?: "switched" | "lost") => void) {}

  track(kind: Kind): MediaStreamTrack | undefined {
    return this.stream.getTracks().find((t) => t.kind === kind);
  }

  get videoPaused(): boolean {
    return this.choice.videoPaused;
  }

  get sharing(): boolean {
    return this.screen !== null;
  }

  /** Whether the person's camera is going out now (not a screen, not paused, not switched off). */
  get sendingCamera(): boolean {
    return !this.screen && Boolean(this.track("video")) && this.choice.camera && !this.choice.videoPaused;
  }

  /** What this browser tells the others: "on"/"off" for a device it has, otherwise why it has none. */
  states(): OwnStates {
    const has = (kind: Kind): DeviceState => (this.why[kind] === "on" ? "failed" : this.why[kind]);
    const mic = this.track("audio") ? (this.choice.mic ? "on" : "off") : has("audio");
    const camera = this.track("video") ? (this.choice.camera && !this.choice.videoPaused ? "on" : "off") : has("video");
    return { mic, camera, screen: this.sharing };
  }

  /** The problems as found when asking for the devices (for the help shown before and in the call). */
  problems(): { mic: DeviceState; camera: DeviceState } {
    return { mic: this.why.audio, camera: this.why.video };
  }

  /** Camera and microphone afresh (the first time, or "Try again"): whatever of them works. */
  async acquire(ids: { mic?: string; camera?: string }): Promise<void> {
    const got = await acquireBoth(ids);
    for (const t of this.stream.getTracks()) this.forget(t);
    this.stream = new MediaStream(got.tracks);
    this.why = { audio: got.mic, video: got.camera };
    for (const t of got.tracks) this.adopt(t);
    await this.resend();
    this.changed();
  }

  /** Another device of a kind (chosen, or any when one vanished); without one the call goes on without it. */
  async switchDevice(kind: Kind, deviceId?: string, vanished = false): Promise<void> {
    const got = await acquireOne(kind, deviceId);
    const old = this.track(kind);
    if (old) this.forget(old);
    if (got.track) this.adopt(got.track);
    this.why[kind] = got.state;
    await this.resend();
    this.changed(vanished ? (got.track ? "switched" : "lost") : undefined);
  }

  /** Sends from this connection; each kind gets a sender with its track or none. */
  attach(pc: RTCPeerConnection): void {
    for (const kind of ["audio", "video"] as const) {
      const init: RTCRtpTransceiverInit = { direction: "sendonly", streams: [this.stream] };
      let transceiver: RTCRtpTransceiver;
      try {
        const layers = kind === "video" ? simulcastFor(this.track("video")?.getSettings().height ?? 540) : undefined;
        transceiver = pc.addTransceiver(this.outgoing(kind) ?? kind, layers ? { ...init, sendEncodings: layers } : init);
      } catch {
        transceiver = pc.addTransceiver(this.outgoing(kind) ?? kind, init); // a browser that cannot send simulcast: one layer
      }
      this.senders[kind] = transceiver.sender;
    }
  }

  detach(): void {
    this.senders = {};
  }

  setMic(on: boolean): void {
    this.choice.mic = on;
    this.enable();
    this.changed();
  }

  async setCamera(on: boolean): Promise<void> {
    this.choice.camera = on;
    if (on) this.choice.videoPaused = false;
    this.enable();
    await this.resend();
    this.changed();
  }

  async share(display: MediaStream): Promise<void> {
    const t = display.getVideoTracks()[0];
    if (!t) return;
    t.contentHint = "detail";
    t.onended = () => void this.stopSharing(); // the browser's own "Stop sharing"
    this.screen = display;
    await this.resend();
    this.changed();
  }

  async stopSharing(): Promise<void> {
    if (!this.screen) return;
    for (const t of this.screen.getTracks()) t.stop();
    this.screen = null;
    await this.resend();
    this.changed();
  }

  async pauseVideo(paused: boolean): Promise<void> {
    this.choice.videoPaused = paused;
    this.enable();
    await this.resend();
    this.changed();
  }

  /** Every track stops: the camera light goes off. */
  stopAll(): void {
    for (const t of [...this.stream.getTracks(), ...(this.screen?.getTracks() ?? [])]) this.forget(t);
    this.stream = new MediaStream();
    this.screen = null;
  }

  /** What a kind's sender should carry now. */
  private outgoing(kind: Kind): MediaStreamTrack | null {
    if (kind === "audio") return this.track("audio") ?? null;
    if (this.screen) return this.screen.getVideoTracks()[0] ?? null;
    return this.choice.videoPaused ? null : (this.track("video") ?? null);
  }

  private async resend(): Promise<void> {
    for (const kind of ["audio", "video"] as const) {
      const sender = this.senders[kind];
      const next = this.outgoing(kind);
      if (sender && sender.track !== next) await sender.replaceTrack(next);
    }
  }

  private enable(): void {
    const mic = this.track("audio");
    if (mic) mic.enabled = this.choice.mic;
    const cam = this.track("video");
    if (cam) cam.enabled = this.choice.camera && !this.choice.videoPaused;
  }

  private adopt(t: MediaStreamTrack): void {
    if (!this.stream.getTracks().includes(t)) this.stream.addTrack(t);
    this.enable();
    // The device went away (unplugged, taken by the system): try another one of the same kind.
    t.onended = () => void this.switchDevice(t.kind as Kind, undefined, true);
  }

  private forget(t: MediaStreamTrack): void {
    t.onended = null;
    t.stop();
    this.stream.removeTrack(t);
  }
}
