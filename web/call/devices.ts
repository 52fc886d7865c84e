// Getting the camera and microphone, and saying plainly what went wrong when we cannot. A person without a working
// camera or microphone still joins: with whatever tracks there are, or none.
import type { DeviceState } from "../../src/rooms/signaling.ts"; // types only

export type Kind = "audio" | "video";

// 960×540: sharp on a laptop screen, and the smallest size Chrome sends three simulcast layers of (local-media.ts).
const VIDEO: MediaTrackConstraints = { width: { ideal: 960 }, height: { ideal: 540 } };

/** What a getUserMedia failure means for the person: blocked by permission, no such device, or held by another app. */
export function classify(error: unknown): DeviceState {
  switch ((error as { name?: string } | null)?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "blocked";
    case "NotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "AbortError":
      return "busy";
    default:
      return "failed";
  }
}

function constraints(kind: Kind, deviceId?: string): MediaTrackConstraints {
  // `ideal`, not `exact`: a device unplugged since it was chosen falls back to another instead of failing.
  return { ...(kind === "video" ? VIDEO : {}), ...(deviceId ? { deviceId: { ideal: deviceId } } : {}) };
}

/** One device of a kind: its track, or why there is none. */
export async function acquireOne(kind: Kind, deviceId?: string): Promise<{ track: MediaStreamTrack | null; state: DeviceState }> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind, deviceId) });
    return { track: stream.getTracks()[0] ?? null, state: "on" };
  } catch (error) {
    return { track: null, state: classify(error) };
  }
}

/** Camera and microphone together (one prompt); failing that, each on its own, so one missing does not cost both. */
export async function acquireBoth(ids: { mic?: string; camera?: string }): Promise<{ tracks: MediaStreamTrack[]; mic: DeviceState; camera: DeviceState }> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: constraints("audio", ids.mic), video: constraints("video", ids.camera) });
    return { tracks: stream.getTracks(), mic: "on", camera: "on" };
  } catch {
    const audio = await acquireOne("audio", ids.mic);
    const video = await acquireOne("video", ids.camera);
    return { tracks: [audio.track, video.track].filter((t) => t !== null), mic: audio.state, camera: video.state };
  }
}

/** Where this person's browser keeps the camera permission, in words for their device. */
export function permissionHelp(L: { permIOS: string; permAndroid: string; permFirefox: string; permSafari: string; permChrome: string }): string {
  const ua = navigator.userAgent;
  if (/iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1)) return L.permIOS;
  if (/Android/.test(ua)) return L.permAndroid;
  if (/Firefox\//.test(ua)) return L.permFirefox;
  if (/Safari\//.test(ua) && !/Chrome|Chromium|Edg\//.test(ua)) return L.permSafari;
  return L.permChrome;
}

/** Screen sharing where it works: desktop browsers with getDisplayMedia (phones have it half or not at all). */
export function canShareScreen(): boolean {
  return typeof navigator.mediaDevices?.getDisplayMedia === "function" && !/Android|iPhone|iPad|iPod|Mobile/.test(navigator.userAgent);
}
