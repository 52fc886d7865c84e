// The call client: device check, waiting room, and the consultation itself. Bundled into the binary by
// src/rooms/call-client.macro.ts and served as /assets/call.js. It talks only to this origin.

import type { ServerMessage } from "../src/rooms/signaling.ts"; // types only: erased from the bundle
import "./network-check.ts"; // the device-check page's network check, on its own

interface Labels {
  waiting: string;
  waitingFor: string;
  admitted: string;
  declined: string;
  ended: string;
  connecting: string;
  connected: string;
  failed: string;
  noMedia: string;
  noWebRTC: string;
  someoneWaiting: string;
  admit: string;
  decline: string;
  nobodyWaiting: string;
  mute: string;
  unmute: string;
  cameraOff: string;
  cameraOn: string;
  left: string;
  fileEmpty: string;
}

interface Config {
  roomId: string;
  iceServers: RTCIceServer[];
  role: "host" | "guest";
  labels: Labels;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const config = JSON.parse($("call-config").textContent ?? "{}") as Config;
const L = config.labels;

let local: MediaStream | null = null;
let socket: WebSocket | null = null;
let publisher: RTCPeerConnection | null = null;
const receivers = new Map<string, { pc: RTCPeerConnection; tile: HTMLElement }>();
let waitingTimer: ReturnType<typeof setInterval> | null = null;
let lastWaitingCount = 0;

function status(text: string): void {
  $("call-status").textContent = text;
}

async function startPreview(): Promise<void> {
  if (!("RTCPeerConnection" in window) || !navigator.mediaDevices?.getUserMedia) {
    status(L.noWebRTC);
    ($("join") as HTMLButtonElement).disabled = true;
    return;
  }
  const audioId = ($("mic") as HTMLSelectElement).value || undefined;
  const videoId = ($("camera") as HTMLSelectElement).value || undefined;
  try {
    local?.getTracks().forEach((t) => t.stop());
    local = await navigator.mediaDevices.getUserMedia({
      audio: audioId ? { deviceId: { exact: audioId } } : true,
      video: videoId ? { deviceId: { exact: videoId }, width: { ideal: 640 }, height: { ideal: 480 } } : { width: { ideal: 640 }, height: { ideal: 480 } },
    });
  } catch {
    status(L.noMedia);
    return;
  }
  ($("preview") as HTMLVideoElement).srcObject = local;
  await listDevices();
  meter(local);
  if (publisher) await replaceTracks();
}

async function listDevices(): Promise<void> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [kind, id] of [["audioinput", "mic"], ["videoinput", "camera"]] as const) {
    const select = $(id) as HTMLSelectElement;
    const current = local?.getTracks().find((t) => (kind === "audioinput" ? t.kind === "audio" : t.kind === "video"))?.getSettings().deviceId;
    select.replaceChildren(
      ...devices
        .filter((d) => d.kind === kind)
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

let meterContext: AudioContext | null = null;
function meter(stream: MediaStream): void {
  if (stream.getAudioTracks().length === 0) return;
  meterContext ??= new AudioContext();
  const analyser = meterContext.createAnalyser();
  meterContext.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  const el = $("level") as HTMLMeterElement;
  const tick = () => {
    analyser.getByteTimeDomainData(data);
    let peak = 0;
    for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
    el.value = peak / 128;
    requestAnimationFrame(tick);
  };
  tick();
}

/** Whether this tab was in this room's call: a reload (or a dropped connection) rejoins by itself. */
const REJOIN_KEY = `kabinet-call-${config.roomId}`;

const rejoinOnLoad = sessionStorage.getItem(REJOIN_KEY) !== null;

let joining = false;

function join(): void {
  if (joining || socket) return; // already joining or in the call
  joining = true;
  sessionStorage.setItem(REJOIN_KEY, "1");
  ($("join") as HTMLButtonElement).disabled = true;
  status(L.connecting);
  void fetch(`/rooms/${config.roomId}/join-token`, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then(({ token }: { token: string }) => {
      const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/rooms/${config.roomId}/ws`);
      socket = ws;
      joining = false;
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token }));
      ws.onmessage = (e) => void onMessage(JSON.parse(String(e.data)) as ServerMessage);
      ws.onclose = (e) => {
        if (socket !== ws) return;
        // An unexpected drop (network, server restart): rejoin by ourselves in a moment.
        if (e.code !== 1000 && e.code !== 1008 && e.code !== 1002 && sessionStorage.getItem(REJOIN_KEY)) {
          status(L.connecting);
          hangUpMedia();
          socket = null;
          setTimeout(join, 1500);
          return;
        }
        status(L.left);
      };
    })
    .catch(() => {
      joining = false;
      status(L.failed);
      ($("join") as HTMLButtonElement).disabled = false;
    });
}

function send(message: object): void {
  socket?.send(JSON.stringify(message));
}

async function onMessage(m: ServerMessage): Promise<void> {
  switch (m.type) {
    case "welcome":
      document.body.dataset.callState = m.state;
      if (m.state === "admitted") return void (await startCall());
      startWaiting();
      return;
    case "admitted":
      document.body.dataset.callState = "admitted";
      stopWaiting();
      return void (await startCall());
    case "declined":
      sessionStorage.removeItem(REJOIN_KEY);
      stopWaiting();
      return status(L.declined);
    case "waiting":
      return renderWaiting(m.people);
    case "published":
      await publisher?.setRemoteDescription({ type: "answer", sdp: m.sdp });
      return;
    case "subscribe":
      return void (await receive(m.id, m.sdp, m.name));
    case "unsubscribe": {
      const r = receivers.get(m.id);
      r?.pc.close();
      r?.tile.remove();
      receivers.delete(m.id);
      return;
    }
    case "chat":
      return renderChat(m.messages);
    case "files":
      return renderFiles(m.files);
    case "ended":
      hangUp();
      return status(L.ended);
    case "error":
      return status(m.message);
  }
}

function renderFiles(files: { id: string; name: string; size: number; uploader: string }[]): void {
  $("file-list").replaceChildren(
    ...files.map((f) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `/rooms/${config.roomId}/files/${f.id}`;
      a.download = f.name;
      a.textContent = f.name;
      const meta = document.createElement("span");
      meta.className = "kb-muted";
      meta.textContent = ` ${f.size < 1024 * 1024 ? `${Math.ceil(f.size / 1024)} KB` : `${(f.size / 1048576).toFixed(1)} MB`} · ${f.uploader}`;
      li.append(a, meta);
      return li;
    }),
  );
}

async function uploadFile(e: Event): Promise<void> {
  e.preventDefault();
  const input = $("file-input") as HTMLInputElement;
  const error = $("file-error");
  error.hidden = true;
  const file = input.files?.[0];
  if (!file) {
    error.textContent = L.fileEmpty;
    error.hidden = false;
    return;
  }
  const form = new FormData();
  form.append("file", file);
  const r = await fetch(`/rooms/${config.roomId}/files`, { method: "POST", body: form, credentials: "same-origin" });
  if (!r.ok) {
    error.textContent = ((await r.json().catch(() => ({}))) as { error?: string }).error ?? String(r.status);
    error.hidden = false;
    return;
  }
  input.value = "";
}

const seenMessages = new Set<number>();
function renderChat(messages: { id: number; author: string; text: string; at: number; mine: boolean }[]): void {
  const log = $("chat-log");
  for (const m of messages) {
    if (seenMessages.has(m.id)) continue;
    seenMessages.add(m.id);
    const li = document.createElement("li");
    li.className = m.mine ? "kb-mine" : "";
    const who = document.createElement("strong");
    who.textContent = m.author;
    const when = document.createElement("time");
    when.dateTime = new Date(m.at).toISOString();
    when.textContent = new Date(m.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const text = document.createElement("p");
    text.textContent = m.text;
    li.append(who, " ", when, text);
    log.append(li);
  }
  log.scrollTop = log.scrollHeight;
}

function startWaiting(): void {
  const since = Date.now();
  const tick = () => status(L.waitingFor.replace("{minutes}", String(Math.floor((Date.now() - since) / 60000))));
  tick();
  waitingTimer = setInterval(tick, 15000);
}

function stopWaiting(): void {
  if (waitingTimer) clearInterval(waitingTimer);
  waitingTimer = null;
  status(L.admitted);
}

function renderWaiting(people: { personId: string; name: string; since: number }[]): void {
  const list = $("waiting-list");
  if (!list) return;
  if (people.length > lastWaitingCount) chime();
  lastWaitingCount = people.length;
  document.title = people.length > 0 ? `(${people.length}) ${L.someoneWaiting}` : document.title.replace(/^\(\d+\) .*/, L.nobodyWaiting);
  if (people.length === 0) {
    const p = document.createElement("li");
    p.textContent = L.nobodyWaiting;
    list.replaceChildren(p);
    return;
  }
  list.replaceChildren(
    ...people.map((person) => {
      const li = document.createElement("li");
      li.className = "kb-waiting";
      const name = document.createElement("strong");
      name.textContent = person.name;
      const admit = document.createElement("button");
      admit.textContent = L.admit;
      admit.onclick = () => send({ type: "admit", personId: person.personId });
      const decline = document.createElement("button");
      decline.textContent = L.decline;
      decline.className = "secondary";
      decline.onclick = () => send({ type: "decline", personId: person.personId });
      li.append(name, " ", admit, " ", decline);
      return li;
    }),
  );
}

function chime(): void {
  try {
    meterContext ??= new AudioContext();
    const o = meterContext.createOscillator();
    const g = meterContext.createGain();
    o.frequency.value = 880;
    g.gain.value = 0.05;
    o.connect(g).connect(meterContext.destination);
    o.start();
    o.stop(meterContext.currentTime + 0.2);
  } catch {
    // sound is a courtesy; the list itself is the cue
  }
}

async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
    setTimeout(resolve, 3000);
  });
}

async function startCall(): Promise<void> {
  if (!local) await startPreview();
  if (!local) return;
  $("call").hidden = false;
  publisher = new RTCPeerConnection({ iceServers: config.iceServers });
  for (const track of local.getTracks()) publisher.addTransceiver(track, { direction: "sendonly", streams: [local] });
  publisher.onconnectionstatechange = () => {
    const s = publisher?.connectionState;
    if (s === "connected") status(L.connected);
    if (s === "failed") status(L.failed);
  };
  await publisher.setLocalDescription(await publisher.createOffer());
  await gathered(publisher);
  send({ type: "publish", sdp: publisher.localDescription!.sdp });
}

async function receive(id: string, sdp: string, name: string): Promise<void> {
  const pc = new RTCPeerConnection({ iceServers: config.iceServers });
  const tile = document.createElement("figure");
  tile.className = "kb-tile";
  const video = document.createElement("video");
  video.autoplay = true;
  video.playsInline = true;
  const caption = document.createElement("figcaption");
  caption.textContent = name;
  tile.append(video, caption);
  $("remote").append(tile);
  const stream = new MediaStream();
  video.srcObject = stream;
  pc.ontrack = (e) => stream.addTrack(e.track);
  receivers.set(id, { pc, tile });
  await pc.setRemoteDescription({ type: "offer", sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  send({ type: "answer", id, sdp: pc.localDescription!.sdp });
}

async function replaceTracks(): Promise<void> {
  for (const sender of publisher?.getSenders() ?? []) {
    const next = local?.getTracks().find((t) => t.kind === sender.track?.kind);
    if (next) await sender.replaceTrack(next);
  }
}

function toggle(kind: "audio" | "video", button: HTMLButtonElement, on: string, off: string): void {
  const track = local?.getTracks().find((t) => t.kind === kind);
  if (!track) return;
  track.enabled = !track.enabled;
  button.textContent = track.enabled ? off : on;
  button.setAttribute("aria-pressed", String(!track.enabled));
}

function hangUp(): void {
  sessionStorage.removeItem(REJOIN_KEY);
  hangUpMedia();
  local?.getTracks().forEach((t) => t.stop());
  const ws = socket;
  socket = null;
  ws?.close();
  $("call").hidden = true;
}

function hangUpMedia(): void {
  publisher?.close();
  publisher = null;
  for (const r of receivers.values()) {
    r.pc.close();
    r.tile.remove();
  }
  receivers.clear();
}

/** Numbers only, for the browser tests: what this page has decoded from the others. */
async function stats(): Promise<{ framesDecoded: number; audioSamples: number; receivers: number }> {
  let framesDecoded = 0;
  let audioSamples = 0;
  for (const { pc } of receivers.values()) {
    (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number; totalSamplesReceived?: number }) => {
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "video") framesDecoded += s.framesDecoded ?? 0;
      if (s.kind === "audio") audioSamples += s.totalSamplesReceived ?? 0;
    });
  }
  return { framesDecoded, audioSamples, receivers: receivers.size };
}

(window as unknown as { kabinetCall: object }).kabinetCall = { stats };

$("join").addEventListener("click", join);
$("mic").addEventListener("change", () => void startPreview());
$("camera").addEventListener("change", () => void startPreview());
$("mute").addEventListener("click", (e) => toggle("audio", e.currentTarget as HTMLButtonElement, L.unmute, L.mute));
$("video-toggle").addEventListener("click", (e) => toggle("video", e.currentTarget as HTMLButtonElement, L.cameraOn, L.cameraOff));
$("leave").addEventListener("click", () => {
  send({ type: "leave" });
  hangUp();
  status(L.left);
});
$("end")?.addEventListener("click", () => send({ type: "end" }));
$("file-form").addEventListener("submit", (e) => void uploadFile(e));
$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("chat-text") as HTMLInputElement;
  const text = input.value.trim();
  if (!text || !socket) return;
  send({ type: "chat", text });
  input.value = "";
});
$("speaker-test").addEventListener("click", () => chime());
void startPreview().then(() => {
  if (rejoinOnLoad) join();
});
