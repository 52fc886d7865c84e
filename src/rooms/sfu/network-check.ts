// Network checks before a call: the browser connects to the media server the way a call would (same ports, same
// advertised address, same STUN/TURN servers, see `iceConfiguration`) and sends numbered probes over an unordered data
// channel that never retransmits; this side echoes each probe unchanged, so the browser can count what was lost and
// time the round trip. A check carries no media and no personal data.
//
// What it costs and its bounds: each check is one peer connection holding one port of the media range, so a check
// lives at most CHECK_LIFETIME_MS, a person may hold CHECKS_PER_PERSON at once and start CHECK_RATE.checks per window,
// and the whole server holds at most CHECKS_AT_ONCE. A probe is echoed only to the browser that completed the DTLS
// handshake with us, never to an address named in a message, and no larger than it came: no amplification. The
// browser's candidates are bounded (see `browserCandidatesOnly`; its `.local` names are dropped: a page not yet
// allowed the camera hides its addresses so, and werift learns the browser's address from its first check instead).
import { type RTCDataChannel, RTCPeerConnection } from "werift";
import { gathered, iceConfiguration, type MediaServerOptions, browserCandidatesOnly } from "./media-server.ts";

export const CHECK_LIFETIME_MS = 20_000;
export const CHECKS_PER_PERSON = 2;
export const CHECKS_AT_ONCE = 10;
export const CHECK_RATE = { checks: 6, windowMs: 10 * 60_000 } as const;
/** A browser's offer is a few kilobytes; anything much larger is not one. */
const MAX_OFFER_CHARS = 16_000;
/** The browser sends about 100 probes; a few hundred echoes is the most one check answers. */
const MAX_ECHOES = 400;
const MAX_PROBE_BYTES = 64;

export type CheckStart =
  | { ok: true; answerSdp: string }
  | { ok: false; problem: "bad-offer" }
  | { ok: false; problem: "too-often" | "busy"; retryAfterMs: number };

export class NetworkChecks {
  private readonly open = new Map<string, Set<() => Promise<void>>>();
  private readonly started = new Map<string, number[]>();
  private total = 0;

  /** `rate`: the admin media page checks several paths in a row, so it gets a larger allowance than a client. */
  constructor(
    private readonly options: MediaServerOptions,
    private readonly rate: { checks: number; windowMs: number } = CHECK_RATE,
  ) {}

  /** Answers a browser's offer with an echoing peer connection, or says why not. `now` counts the rate. */
  async start(personId: string, offerSdp: string, now: number): Promise<CheckStart> {
    if (!looksLikeOffer(offerSdp)) return { ok: false, problem: "bad-offer" };
    const { checks, windowMs } = this.rate;
    for (const [id, times] of this.started) if (times.at(-1)! <= now - windowMs) this.started.delete(id); // forget who stopped
    const recent = (this.started.get(personId) ?? []).filter((t) => t > now - windowMs);
    if (recent.length >= checks) return { ok: false, problem: "too-often", retryAfterMs: recent[0]! + windowMs - now };
    const mine = this.open.get(personId) ?? new Set();
    if (mine.size >= CHECKS_PER_PERSON || this.total >= CHECKS_AT_ONCE) return { ok: false, problem: "busy", retryAfterMs: CHECK_LIFETIME_MS };
    this.started.set(personId, [...recent, now]);

    const pc = new RTCPeerConnection(iceConfiguration(this.options));
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      mine.delete(close);
      if (mine.size === 0) this.open.delete(personId);
      this.total--;
      await pc.close().catch(() => {});
    };
    const timer = setTimeout(() => void close(), CHECK_LIFETIME_MS);
    mine.add(close);
    this.open.set(personId, mine);
    this.total++;
    pc.connectionStateChange.subscribe((state) => {
      if (state === "failed" || state === "closed") void close();
    });
    try {
      await pc.setRemoteDescription({ type: "offer", sdp: browserCandidatesOnly(offerSdp, { mdns: false }) });
      if (!pc.sctpTransport) throw new Error("no data channel offered");
      echo(pc.createDataChannel("probe", { negotiated: true, id: 0, ordered: false, maxRetransmits: 0 }), close);
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      return { ok: true, answerSdp: pc.localDescription!.sdp };
    } catch {
      // werift refused the offer: the browser sent something no browser would.
      await close();
      return { ok: false, problem: "bad-offer" };
    }
  }
}

function looksLikeOffer(sdp: string): boolean {
  return (
    sdp.length <= MAX_OFFER_CHARS &&
    sdp.startsWith("v=0") &&
    /^m=application \d+ [A-Z/]*SCTP/m.test(sdp) &&
    ["a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:"].every((line) => sdp.includes(line))
  );
}

function echo(dc: RTCDataChannel, close: () => Promise<void>): void {
  let echoes = 0;
  dc.stateChanged.subscribe((state) => {
    if (state === "open") neverRetransmit(dc);
  });
  dc.onMessage.subscribe((data) => {
    // The browser says "done" as text; probes are binary.
    if (typeof data === "string") return void close();
    if (data.length > MAX_PROBE_BYTES || ++echoes > MAX_ECHOES) return;
    dc.send(data);
  });
}

// werift 0.25 retransmits a message of a channel with `maxRetransmits: 0` for ever (its test is
// `!!chunk.maxRetransmits && ...`, false for 0), so an echo lost on the way back would arrive late instead of being
// counted as lost. For this channel's association only, a chunk sent with maxRetransmits 0 is given an expiry long
// past, which werift's own abandon test honours (RFC 8831: 0 retransmissions means none).
type Chunk = { maxRetransmits?: number; expiry?: number };
type Association = { maybeAbandon(chunk: Chunk): boolean };
function neverRetransmit(dc: RTCDataChannel): void {
  const association = (dc as unknown as { sctp?: { sctp?: Association } }).sctp?.sctp;
  const abandon = association?.maybeAbandon;
  // Gone in a later werift: lost echoes would arrive late instead, and 25 % loss read as about 5 % (measured). The
  // browser test with a lossy network (test/e2e/network-check.test.ts) then fails.
  if (!association || typeof abandon !== "function") return;
  association.maybeAbandon = function (this: Association, chunk: Chunk): boolean {
    if (chunk.maxRetransmits === 0) chunk.expiry = 1;
    return abandon.call(this, chunk);
  };
}
