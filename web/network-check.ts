// The network check of the device-check page (src/rooms/views/network-check.tsx): connects to the media server the way
// the call will (the room's ICE servers, the server's media ports), sends numbered, timestamped probes over a data
// channel that never retransmits, and tells the person plainly whether video will work. Runs once when the page opens
// (unless the tab is rejoining its call) and again on "Check again". Bundled into call.js (imported by web/call.ts).
import type { NetworkCheckLabels } from "../src/rooms/views/network-check.tsx"; // types only: erased from the bundle
import { gathered } from "./call/dom.ts";

const PROBES = 100;
const PROBE_EVERY_MS = 20; // 50 a second, about what an audio stream sends
const CONNECT_WITHIN_MS = 8_000;
/** Under the server's 20 s life of a check, with room for the 2 s of probes. */
const SLOW_LINK_MS = 16_000;
/** An echo later than this after the last probe is lost to a call too. */
const LAST_ECHO_WITHIN_MS = 1_000;
const WEAK = { lossPercent: 5, rttMs: 400 };

export type NetworkCheckResult =
  | { state: "running" }
  | { state: "done"; verdict: "good" | "weak"; rttMs: number; lossPercent: number; connectMs: number }
  | { state: "done"; verdict: "none"; rttMs: null; lossPercent: null; connectMs: null }
  | { state: "done"; verdict: "failed"; reason: string };

const section = document.getElementById("network-check");
if (section) setUp(section);

function setUp(section: HTMLElement): void {
  const labels = JSON.parse(section.dataset.labels ?? "{}") as NetworkCheckLabels;
  const roomId = section.dataset.room ?? "";
  const config = JSON.parse(document.getElementById("call-config")?.textContent ?? "{}") as { iceServers?: RTCIceServer[] };
  const verdict = document.getElementById("network-check-verdict")!;
  const figures = document.getElementById("network-check-figures")!;
  const again = document.getElementById("network-check-again") as HTMLButtonElement;

  const show = (result: NetworkCheckResult): void => {
    (window as unknown as { kabinetNetworkCheck: NetworkCheckResult }).kabinetNetworkCheck = result;
    section.dataset.verdict = result.state === "done" ? result.verdict : "running";
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus of whoever just pressed it.
    again.setAttribute("aria-disabled", String(result.state === "running"));
    if (result.state === "running") {
      verdict.textContent = labels.running;
      figures.textContent = "";
    } else if (result.verdict === "failed") {
      verdict.textContent = `${labels.failed} ${result.reason}`.trim();
      figures.textContent = "";
    } else {
      verdict.textContent = labels[result.verdict];
      figures.textContent = result.rttMs === null ? "" : labels.figures.replace("{rtt}", String(result.rttMs)).replace("{loss}", String(result.lossPercent));
    }
  };
  let running = false;
  const run = async (): Promise<void> => {
    if (running) return;
    running = true;
    show({ state: "running" });
    show(await runNetworkCheck(`/rooms/${roomId}/network-check`, { iceServers: config.iceServers ?? [] }));
    running = false;
  };
  again.addEventListener("click", () => void run());
  if (!("RTCPeerConnection" in window)) return void (section.hidden = true); // the call client says this browser cannot call
  // A tab that was already in this room's call (web/call.ts marks it) rejoins by itself on a reload: a check now would
  // compete with that for the first seconds. "Check again" still runs it.
  if (sessionStorage.getItem(`kabinet-call-${roomId}`) !== null) return;
  void run();
}

/**
 * One check against the media server's echo at `url` (a room's, or the admin media page's), with this ICE
 * configuration: the room's servers for a client, one TURN server and relay only for each path of the admin check.
 */
export async function runNetworkCheck(url: string, rtc: RTCConfiguration): Promise<NetworkCheckResult> {
  return await check(url, rtc).catch((): NetworkCheckResult => ({ state: "done", verdict: "failed", reason: "" }));
}

async function check(url: string, rtc: RTCConfiguration): Promise<NetworkCheckResult> {
  const pc = new RTCPeerConnection(rtc);
  // Negotiated on both sides: the media server echoes on the same channel, unordered and never retransmitted, so a
  // lost probe stays lost (as a video packet would be) instead of arriving late.
  const dc = pc.createDataChannel("probe", { negotiated: true, id: 0, ordered: false, maxRetransmits: 0 });
  dc.binaryType = "arraybuffer";
  try {
    const started = performance.now();
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription!.sdp }),
      credentials: "same-origin",
    });
    const body = (await r.json().catch(() => ({}))) as { sdp?: string; error?: string };
    if (!r.ok || !body.sdp) return { state: "done", verdict: "failed", reason: body.error ?? "" };
    await pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
    if (!(await opened(pc, dc))) return { state: "done", verdict: "none", rttMs: null, lossPercent: null, connectMs: null };
    const connectMs = Math.round(performance.now() - started);

    const rtts: number[] = [];
    const answered = new Set<number>();
    dc.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      if (!(e.data instanceof ArrayBuffer) || e.data.byteLength !== 12) return;
      const probe = new DataView(e.data);
      const seq = probe.getUint32(0);
      if (answered.has(seq)) return;
      answered.add(seq);
      rtts.push(performance.now() - probe.getFloat64(4));
    };
    for (let seq = 0; seq < PROBES && dc.readyState === "open"; seq++) {
      const probe = new DataView(new ArrayBuffer(12));
      probe.setUint32(0, seq);
      probe.setFloat64(4, performance.now());
      dc.send(probe.buffer);
      await sleep(PROBE_EVERY_MS);
    }
    await sleep(LAST_ECHO_WITHIN_MS);
    dc.onmessage = null;
    for (let i = 0; i < 3 && dc.readyState === "open"; i++) dc.send("done"); // lets the server free its port now
    const lossPercent = Math.round(((PROBES - answered.size) / PROBES) * 100);
    const rttMs = Math.round(median(rtts) ?? 0);
    const weak = answered.size === 0 || lossPercent > WEAK.lossPercent || rttMs > WEAK.rttMs;
    return { state: "done", verdict: weak ? "weak" : "good", rttMs, lossPercent, connectMs };
  } finally {
    setTimeout(() => pc.close(), 200);
  }
}

/**
 * Whether the channel opened (ICE, DTLS and SCTP all came up) within CONNECT_WITHIN_MS, or within SLOW_LINK_MS when
 * ICE itself got through by then: the server is reachable, and on a lossy link the handshakes after it are only slow
 * (their retransmissions back off), so "cannot reach" would be wrong; the probes then tell how weak the link is.
 */
function opened(pc: RTCPeerConnection, dc: RTCDataChannel): Promise<boolean> {
  return new Promise((resolve) => {
    if (dc.readyState === "open") return resolve(true);
    dc.onopen = () => resolve(true);
    pc.onconnectionstatechange = () => pc.connectionState === "failed" && resolve(false);
    setTimeout(() => {
      const iceThrough = pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed";
      if (!iceThrough) return resolve(false);
      setTimeout(() => resolve(false), SLOW_LINK_MS - CONNECT_WITHIN_MS);
    }, CONNECT_WITHIN_MS);
  });
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
