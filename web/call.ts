// The call client: device check, waiting room, and the call screen. Bundled into the binary by
// src/http/call-client.macro.ts and served as /assets/call.js. It talks only to this origin.
//
// One publishing connection per person (an audio and a video sender, each with a track or none: a person without a
// camera or microphone still joins, and a screen or a recovered device is swapped in with replaceTrack, without a new
// negotiation) and one receiving connection per other participant. The host's socket opens with the page, so the
// waiting list is live before their media starts.

import type { Messages } from "../src/i18n/messages.ts"; // types only: erased from the bundle
import type { CallParticipant, ServerMessage } from "../src/rooms/signaling.ts";
import { canShareScreen, permissionHelp } from "./call/devices.ts";
import { LocalMedia } from "./call/local-media.ts";
import { $, gathered } from "./call/dom.ts";
import { badge, Panel, renderFiles, uploadFile } from "./call/panel.ts";
import { participantItems, waitingItems } from "./call/host-lists.ts";
import { decoded, look } from "./call/measure.ts";
import { rateLink, VideoGuard } from "./call/quality.ts";
import { chime, meter } from "./call/sound.ts";
import { SecureCall } from "./call/secure.ts";
import { draggableToCorners, initials, markQuality, Stage, watchShownWidth } from "./call/tiles.ts";
import "./network-check.ts"; // the device-check page's network check, on its own

type BaseLabel = "waitingFor" | "admitted" | "declined" | "connecting" | "connected" | "failed"
  | "noWebRTC" | "someoneWaiting" | "admit" | "decline" | "nobodyWaiting" | "mute" | "unmute" | "cameraOff" | "cameraOn" | "left"
  | "fileEmpty" | "chat" | "files";
type Labels = Messages["rooms"]["call"] & Record<BaseLabel, string>;

interface Config {
  roomId: string;
  iceServers: RTCIceServer[];
  /** The frame-encryption worker's script (web/call/e2ee/worker.ts). */
  e2eeWorker: string;
  /** Whether the organisation lets this browser join unencrypted if it cannot encrypt. */
  unencryptedAllowed: boolean;
  role: "host" | "guest";
  selfName: string;
  labels: Labels;
}

const config = JSON.parse($("call-config").textContent ?? "{}") as Config;
const L = config.labels;
const isHost = config.role === "host";

const media = new LocalMedia((vanished) => void onMediaChanged(vanished));
let socket: WebSocket | null = null;
let me = "";
let publisher: RTCPeerConnection | null = null;
const receivers = new Map<string, { pc: RTCPeerConnection; personId: string; unwatch: () => void }>();
/** Subscriptions that arrived before this browser joined the call (the host's socket opens with the page). */
let pending: { id: string; sdp: string; name: string; personId: string }[] = [];
let people: CallParticipant[] = [];
let inCall = false;
let wantCall = false;
let waitingTimer: ReturnType<typeof setInterval> | null = null;
let lastWaitingCount = 0;

const secure = new SecureCall(config.roomId, config.e2eeWorker, L.e2ee, document.documentElement.lang === "ru" ? "ru" : "en", config.unencryptedAllowed, send);
const stage = new Stage($("remote"), $("tile-template") as HTMLTemplateElement, $("self"), L);
const panel = new Panel({ chat: L.chat, files: L.files, people: L.people });

function status(text: string): void {
  $("call-status").textContent = text;
}

// ---- devices -------------------------------------------------------------------------------------------------------

/** Gets the camera and microphone (or what of them works) and shows the preview and any help needed. */
async function startPreview(): Promise<void> {
  if (!("RTCPeerConnection" in window) || !navigator.mediaDevices?.getUserMedia) {
    status(L.noWebRTC);
    ($("join") as HTMLButtonElement).disabled = true;
    return;
  }
  // A browser that cannot encrypt end to end is told so, loudly; it joins only if the organisation allows it.
  $("e2ee-unsupported").hidden = secure.capable;
  if (!secure.capable && !config.unencryptedAllowed) ($("join") as HTMLButtonElement).disabled = true;
  await media.acquire({ mic: ($("mic") as HTMLSelectElement).value || undefined, camera: ($("camera") as HTMLSelectElement).value || undefined });
}

/** After any change to this browser's media: what it shows, what it says to the others, which devices it lists. */
async function onMediaChanged(vanished?: "switched" | "lost"): Promise<void> {
  showOwnVideo();
  meter(media.stream, $("level") as HTMLMeterElement, () => inCall);
  showDeviceProblems();
  sendState();
  if (vanished) alert(vanished === "switched" ? L.deviceSwitched : L.deviceLost);
  await listDevices();
}

/** Own camera in the preview and the self-view; an empty stream is not shown (it would hold back the load event). */
function showOwnVideo(): void {
  const shown = media.stream.getTracks().length > 0 ? media.stream : null;
  for (const id of ["preview", "self-video"]) ($(id) as HTMLVideoElement).srcObject = shown;
}

/** The permission help fits the device; a missing or busy device is named. */
function showDeviceProblems(): void {
  const { mic, camera } = media.problems();
  const blocked = mic === "blocked" || camera === "blocked";
  const busy = mic === "busy" || camera === "busy";
  $("perm-help").hidden = !blocked && !busy;
  $("perm-title").textContent = blocked ? L.permTitle : L.busyTitle;
  $("perm-text").textContent = blocked ? permissionHelp(L) : L.busyHelp;
  const notes = [camera === "on" ? "" : L.camera[camera], mic === "on" ? "" : L.mic[mic]].filter(Boolean);
  $("device-note").hidden = notes.length === 0;
  const said = notes.join(", ");
  $("device-note").textContent = notes.length ? `${said.charAt(0).toUpperCase()}${said.slice(1)}. ${L.joinWithout}` : "";
  $("preview").hidden = !media.track("video");
  renderOwnControls();
}

async function listDevices(): Promise<void> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [kind, id] of [["audioinput", "mic"], ["videoinput", "camera"]] as const) {
    const select = $(id) as HTMLSelectElement;
    const current = media.track(kind === "audioinput" ? "audio" : "video")?.getSettings().deviceId;
    select.replaceChildren(
      ...devices
        .filter((d) => d.kind === kind && d.deviceId)
        .map((d, i) => {
          const o = document.createElement("option");
          o.value = d.deviceId;
          o.textContent = d.label || `${id} ${i + 1}`;
          o.selected = d.deviceId === current;
          return o;
        }),
    );
  }
}

function sendState(): void {
  if (inCall) send({ type: "state", ...media.states() });
}

function renderOwnControls(): void {
  const s = media.states();
  const mute = $("mute") as HTMLButtonElement;
  mute.dataset.on = String(s.mic === "on");
  mute.disabled = !media.track("audio");
  label(mute, s.mic === "on" ? L.mute : media.track("audio") ? L.unmute : L.mic[s.mic]);
  const cam = $("video-toggle") as HTMLButtonElement;
  cam.dataset.on = String(s.camera === "on");
  cam.disabled = !media.track("video");
  label(cam, s.camera === "on" ? L.cameraOff : media.track("video") ? L.cameraOn : L.camera[s.camera]);
  const self = $("self");
  self.dataset.camera = s.camera;
  self.dataset.mic = s.mic;
  const share = $("share") as HTMLButtonElement;
  share.dataset.on = String(!s.screen);
  label(share, s.screen ? L.stopShare : L.shareScreen);
  $("share-bar").hidden = !s.screen;
}

function label(b: HTMLElement, text: string): void {
  b.querySelector(".kb-tool-label")!.textContent = text;
  b.title = text;
}

// ---- joining -------------------------------------------------------------------------------------------------------

/** The room's own title, back in the tab once nobody waits any more. */
const pageTitle = document.title;
/** Whether this tab was in this room's call: a reload (or a dropped connection) rejoins by itself. */
const REJOIN_KEY = `kabinet-call-${config.roomId}`;
const rejoinOnLoad = sessionStorage.getItem(REJOIN_KEY) !== null;

/** Join pressed: the host starts their media (their socket is open already); a guest opens the socket and waits. */
function join(): void {
  if (wantCall) return;
  wantCall = true;
  sessionStorage.setItem(REJOIN_KEY, "1");
  ($("join") as HTMLButtonElement).disabled = true;
  if (isHost && socket) return void startCall();
  connect();
}

let connecting = false;
function connect(): void {
  if (connecting || socket) return;
  connecting = true;
  status(L.connecting);
  void fetch(`/rooms/${config.roomId}/join-token`, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then(({ token }: { token: string }) => {
      const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/rooms/${config.roomId}/ws`);
      socket = ws;
      connecting = false;
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token, e2ee: secure.capable }));
      ws.onmessage = (e) => void onMessage(JSON.parse(String(e.data)) as ServerMessage);
      ws.onclose = (e) => {
        if (socket !== ws) return;
        socket = null;
        // An unexpected drop (network, server restart): reconnect by ourselves in a moment.
        if (e.code !== 1000 && e.code !== 1008 && e.code !== 1002) {
          status(L.connecting);
          hangUpMedia();
          setTimeout(connect, 1500);
          return;
        }
        if (inCall || wantCall) status(L.left);
      };
    })
    .catch(() => {
      connecting = false;
      wantCall = false;
      status(L.failed);
      ($("join") as HTMLButtonElement).disabled = false;
    });
}

function send(message: object): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

async function onMessage(m: ServerMessage): Promise<void> {
  switch (m.type) {
    case "welcome":
      me = m.personId;
      await secure.start(me);
      document.body.dataset.callState = m.state === "admitted" ? "ready" : "waiting";
      if (m.state === "admitted") return void (wantCall ? await startCall() : status(""));
      $("call").hidden = true; // back in the waiting room after a reconnect (the call was full, or they were removed)
      return startWaiting();
    case "admitted":
      stopWaiting();
      return void (await startCall());
    case "declined":
      sessionStorage.removeItem(REJOIN_KEY);
      stopWaiting();
      return status(L.declined);
    case "waiting":
      return renderWaiting(m.people);
    case "notice":
      $("notice").hidden = false;
      $("notice-text").textContent = m.text;
      return;
    case "participants":
      people = m.people;
      void secure.participants(people);
      stage.update(people, me);
      $("alone").hidden = stage.tiles.size > 0;
      return renderParticipants();
    case "published":
      await publisher?.setRemoteDescription({ type: "answer", sdp: m.sdp });
      return;
    case "subscribe":
      if (!inCall) return void pending.push(m);
      return void (await receive(m.id, m.sdp, m.name, m.personId));
    case "unsubscribe":
      pending = pending.filter((p) => p.id !== m.id);
      return dropReceiver(m.id);
    case "e2ee":
      return secure.receive(m.from, m.body);
    case "chat":
      return panel.chat(m.messages);
    case "files":
      return renderFiles(config.roomId, m.files);
    case "muted":
      media.setMic(false);
      return alert(L.mutedByHost);
    case "full":
      return alert(L.full);
    case "removed":
      // Still live for the others: back to this room's check page, told why, free to ask to come in again.
      return finish(`/rooms/${config.roomId}?removed`);
    case "ended":
      return finish();
    case "error":
      return alert(m.message);
  }
}

async function startCall(): Promise<void> {
  if (inCall) return;
  inCall = true;
  document.body.dataset.callState = "admitted";
  $("call").hidden = false;
  $("devices-pop").append($("device-pickers"), $("perm-help"));
  const waiting = document.getElementById("waiting-box");
  if (waiting) document.querySelector('[data-panel="people"]')?.prepend(waiting);
  status(L.admitted);
  publisher = new RTCPeerConnection({ iceServers: config.iceServers, ...secure.connectionConfig() });
  media.attach(publisher);
  secure.protectPublisher(publisher);
  publisher.onconnectionstatechange = () => {
    const s = publisher?.connectionState;
    if (s === "connected") status(L.connected);
    if (s === "failed") status(L.failed);
  };
  await publisher.setLocalDescription(await publisher.createOffer());
  await gathered(publisher);
  send({ type: "publish", sdp: publisher.localDescription!.sdp });
  sendState();
  renderOwnControls();
  // Someone already waits when the host starts: the list to let them in is open.
  if (isHost && lastWaitingCount > 0) panel.toggle("people");
  const queued = pending;
  pending = [];
  for (const s of queued) await receive(s.id, s.sdp, s.name, s.personId);
}

async function receive(id: string, sdp: string, name: string, personId: string): Promise<void> {
  const pc = new RTCPeerConnection({ iceServers: config.iceServers, ...secure.connectionConfig() });
  const known = people.find((p) => p.personId === personId) ?? { personId, name, role: "guest", mic: "off", camera: "off", screen: false, e2ee: true };
  const tile = stage.tile(known);
  $("alone").hidden = true;
  stage.layout();
  pc.ontrack = (e) => {
    secure.protectReceiver(e.receiver, personId);
    for (const old of tile.stream.getTracks().filter((t) => t.kind === e.track.kind)) tile.stream.removeTrack(old);
    tile.stream.addTrack(e.track);
    if (tile.video.srcObject !== tile.stream) tile.video.srcObject = tile.stream;
  };
  receivers.set(id, { pc, personId, unwatch: watchShownWidth(tile.video, (width) => send({ type: "view", id, width })) });
  await pc.setRemoteDescription({ type: "offer", sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  send({ type: "answer", id, sdp: pc.localDescription!.sdp });
}

function dropReceiver(id: string): void {
  const r = receivers.get(id);
  if (!r) return;
  r.unwatch();
  r.pc.close();
  receivers.delete(id);
  const tile = stage.tiles.get(r.personId);
  if (tile) for (const t of tile.stream.getTracks()) tile.stream.removeTrack(t);
}

// ---- the host's lists ----------------------------------------------------------------------------------------------

function startWaiting(): void {
  const since = Date.now();
  const tick = () => status(L.waitingFor.replace("{minutes}", String(Math.floor((Date.now() - since) / 60000))));
  tick();
  waitingTimer = setInterval(tick, 15000);
}

function stopWaiting(): void {
  if (waitingTimer) clearInterval(waitingTimer);
  waitingTimer = null;
  $("notice").hidden = true;
}

function renderWaiting(list: { personId: string; name: string; since: number }[]): void {
  const ul = document.getElementById("waiting-list");
  if (!ul) return;
  if (list.length > lastWaitingCount) {
    chime();
    if (inCall) alert(L.someoneWaiting);
  }
  lastWaitingCount = list.length;
  if (list.length === 0 && $("call-alert-text").textContent === L.someoneWaiting) $("call-alert").hidden = true;
  badge("people-badge", list.length);
  document.title = list.length > 0 ? `(${list.length}) ${L.someoneWaiting}` : pageTitle;
  ul.replaceChildren(...waitingItems(list, L, send));
}

function renderParticipants(): void {
  document.getElementById("participant-list")?.replaceChildren(...participantItems(people, me, L, send));
}

// ---- in the call ---------------------------------------------------------------------------------------------------

/** A message over the call; before the call starts, the page's status line says it instead. */
function alert(text: string, action?: "video-back"): void {
  if (!inCall) return status(text);
  $("call-alert-text").textContent = text;
  $("video-back").hidden = action !== "video-back";
  $("call-alert").hidden = false;
}

async function startShare(): Promise<void> {
  try {
    await media.share(await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false }));
  } catch {
    // the person cancelled the browser's picker
  }
}

async function pauseVideo(): Promise<void> {
  await media.pauseVideo(true);
  alert(L.weakVideoPaused, "video-back");
}

async function resumeVideo(): Promise<void> {
  guard.reset();
  $("call-alert").hidden = true;
  await media.pauseVideo(false);
}

/** Leaving for good (left, removed, ended): every track stops (the camera light goes off) and the after page opens. */
function finish(next = `/rooms/${config.roomId}/after`): void {
  sessionStorage.removeItem(REJOIN_KEY);
  hangUpMedia();
  media.stopAll();
  ($("preview") as HTMLVideoElement).srcObject = null;
  ($("self-video") as HTMLVideoElement).srcObject = null;
  const ws = socket;
  socket = null;
  ws?.close();
  inCall = false;
  location.assign(next);
}

function hangUpMedia(): void {
  publisher?.close();
  publisher = null;
  media.detach();
  for (const id of [...receivers.keys()]) dropReceiver(id);
  inCall = false;
}

// ---- measuring: active speaker (4 Hz) and link quality (every 2 s) --------------------------------------------------

const guard = new VideoGuard();
let tick = 0;
setInterval(() => {
  if (!inCall) return;
  const full = tick++ % 8 === 0;
  void (async () => {
    let loudest: { personId: string; level: number } | null = null;
    for (const { pc, personId } of receivers.values()) {
      const state = pc.connectionState;
      if (full && (state === "disconnected" || state === "failed")) stage.quality(personId, "lost");
      if (state !== "connected") continue;
      const s = await look(pc);
      if (s.level > 0.05 && s.level > (loudest?.level ?? 0)) loudest = { personId, level: s.level };
      const p = people.find((x) => x.personId === personId);
      // Nothing arrives from someone who sends nothing: that is not a lost link.
      const silent = p && p.mic !== "on" && p.camera !== "on" && !p.screen;
      if (full) stage.quality(personId, rateLink(silent ? { ...s, received: null } : s));
    }
    stage.speaking(loudest?.personId ?? null);
    if (full && publisher) {
      const s = await look(publisher);
      markQuality($("self-q"), rateLink(s), L);
      // A shared screen is what the person chose to show: it is not paused behind their back.
      if (guard.look(s) && media.sendingCamera) {
        console.info("kabinet: the link cannot carry video; pausing it", JSON.stringify(s));
        await pauseVideo();
      }
    }
  })();
}, 250);

/** Numbers only, for the browser tests: what this page has decoded from the others. */
async function stats(): Promise<{ framesDecoded: number; audioSamples: number; receivers: number }> {
  let framesDecoded = 0;
  let audioSamples = 0;
  for (const { pc } of receivers.values()) {
    const d = await decoded(pc);
    framesDecoded += d.framesDecoded;
    audioSamples += d.audioSamples;
  }
  return { framesDecoded, audioSamples, receivers: receivers.size };
}

/** Per other participant, for the browser tests: frames decoded from them and whether their tile shows a screen. */
async function peers(): Promise<{ personId: string; name: string; framesDecoded: number; screen: boolean }[]> {
  const out = [];
  for (const { pc, personId } of receivers.values()) {
    const tile = stage.tiles.get(personId);
    out.push({ personId, name: tile?.person.name ?? "", framesDecoded: (await decoded(pc)).framesDecoded, screen: tile?.el.classList.contains("kb-main") ?? false });
  }
  return out;
}

/** The SRTP cipher of each connection (publishing first), for the browser tests. */
async function ciphers(): Promise<string[]> {
  const out: string[] = [];
  for (const pc of [publisher, ...[...receivers.values()].map((r) => r.pc)]) {
    (await pc?.getStats())?.forEach((s: { type: string; srtpCipher?: string }) => s.type === "transport" && s.srtpCipher && out.push(s.srtpCipher));
  }
  return out;
}

(window as unknown as { kabinetCall: object }).kabinetCall = { stats, peers, ciphers, deviceStates: () => media.states(), e2ee: () => secure.snapshot() };

// ---- wiring --------------------------------------------------------------------------------------------------------

$("join").addEventListener("click", join);
$("retry").addEventListener("click", () => void startPreview());
$("mic").addEventListener("change", (e) => void media.switchDevice("audio", (e.target as HTMLSelectElement).value));
$("camera").addEventListener("change", (e) => void media.switchDevice("video", (e.target as HTMLSelectElement).value));
navigator.mediaDevices?.addEventListener("devicechange", () => void listDevices());
$("mute").addEventListener("click", () => media.setMic(media.states().mic !== "on"));
$("video-toggle").addEventListener("click", () => {
  if (media.videoPaused) return void resumeVideo();
  void media.setCamera(media.states().camera !== "on");
});
$("share").hidden = !canShareScreen();
$("share").addEventListener("click", () => void (media.sharing ? media.stopSharing() : startShare()));
$("share-stop").addEventListener("click", () => void media.stopSharing());
$("video-back").addEventListener("click", () => void resumeVideo());
$("alert-close").addEventListener("click", () => ($("call-alert").hidden = true));
addEventListener("keydown", (e: KeyboardEvent) => {
  if (e.key !== "Escape") return;
  $("devices-pop").hidden = true;
  panel.close();
});
$("devices").addEventListener("click", () => {
  const pop = $("devices-pop");
  pop.hidden = !pop.hidden;
  $("devices").setAttribute("aria-expanded", String(!pop.hidden));
});
$("leave").addEventListener("click", () => {
  send({ type: "leave" });
  finish();
});
const endDialog = document.getElementById("end-dialog") as HTMLDialogElement | null;
document.getElementById("end")?.addEventListener("click", () => endDialog?.showModal());
document.getElementById("end-cancel")?.addEventListener("click", () => endDialog?.close());
document.getElementById("end-confirm")?.addEventListener("click", () => send({ type: "end" }));
$("file-form").addEventListener("submit", (e) => {
  e.preventDefault();
  void uploadFile(config.roomId, L.fileEmpty);
});
$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("chat-text") as HTMLInputElement;
  const text = input.value.trim();
  if (!text || !socket) return;
  send({ type: "chat", text });
  input.value = "";
});
$("speaker-test").addEventListener("click", () => chime());
draggableToCorners($("self"));
$("self").querySelector(".kb-initials")!.textContent = initials(config.selfName || L.you);

addEventListener("hashchange", () => location.hash === "#join" && join());
if (new URLSearchParams(location.search).has("removed")) {
  status(L.removed);
  history.replaceState(null, "", location.pathname); // a reload should not say it again
}
void startPreview().then(() => {
  // The host's waiting list is live from the moment the page opens; "#join" (from the schedule) or a reload joins.
  if (isHost) connect();
  if (rejoinOnLoad || location.hash === "#join") join();
});
