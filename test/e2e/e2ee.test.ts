// End-to-end encrypted consultations in real Chromium through Kabinet's own SFU. Each browser encrypts its frames
// (SFrame) with keys only the browsers hold: the SFU forwards ciphertext beyond a few clear bytes, both sides show the
// same verification code, a server that swaps someone's key is caught (different codes, a warning, nothing decoded),
// and someone who leaves is cut off by fresh keys.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { LiveRoom } from "../../src/rooms/live-room.ts";
import { egressTap } from "../../src/rooms/sfu/fast-egress.ts";
import { dtlsPeersVerified, foreignDatagramsDropped } from "../../src/rooms/sfu/media-server.ts";
import { readVp8 } from "../../src/rooms/sfu/vp8.ts";
import { getSettings, saveSettings } from "../../src/settings/settings.ts";
import { parseHeader } from "../../web/call/e2ee/sframe.ts";
import { splitKid } from "../../web/call/e2ee/keys.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "../support/accounts.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "../support/browser.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "../support/installation.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let origin: string;
const browsers: Browser[] = [];
let specialist: TestPerson;
let client: TestPerson;
let relative: TestPerson;

beforeAll(async () => {
  const media = 20000 + Math.floor(Math.random() * 20000);
  served = await serveInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 60}`, KABINET_PUBLIC_IP: "127.0.0.1" });
  ({ inst, origin } = served);
  const admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist", { name: "Dr. Sergey Ivanov" });
  client = await addPerson(inst, admin.personId, "client", { name: "Мария Клиентова" });
  // The third's id sorts after the others': in each pair's handshake they answer rather than open it, so a key the
  // server swaps shows as different codes (the other way round, the opener's commitment catches it at once, and the
  // unit tests of web/call/e2ee/keys.ts cover that).
  do relative = await addPerson(inst, admin.personId, "client", { name: "Third Thea" });
  while (relative.personId < specialist.personId || relative.personId < client.personId);
}, 60_000);

// Each test's browsers close with it: four or five Chromiums at once would starve the next test on a small machine.
afterEach(async () => {
  egressTap.listener = null;
  for (const b of browsers.splice(0)) await b.close();
});

afterAll(async () => {
  await served?.stop();
});

/** How a page reaches encoded frames: RTCRtpScriptTransform, Chromium's encoded streams, or neither. */
type Access = "script" | "streams" | "none";

async function pageAs(person: TestPerson, access: Access = "script", viewport = PHONE): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const context = await browser.newContext({ viewport, locale: "en-US", permissions: ["camera", "microphone"] });
  const [name, value] = cookieFor(inst, person.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, url: origin }]);
  if (access !== "script") {
    await context.addInitScript((a: Access) => {
      const w = window as unknown as Record<string, unknown>;
      delete w.RTCRtpScriptTransform;
      if (a === "none") delete (RTCRtpSender.prototype as unknown as Record<string, unknown>).createEncodedStreams;
    }, access);
  }
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${person.name}] ${e}`));
  return page;
}

interface E2ee {
  state: string;
  sendingKid: string | null;
  codes: Record<string, string>;
  warnings: string[];
  frames: { encrypted: number; dropped: number; replayed: number; decrypted: Record<string, number>; failed: Record<string, number> } | null;
}
type Stats = { framesDecoded: number; audioSamples: number; receivers: number };
const e2ee = (page: Page): Promise<E2ee> => page.evaluate(() => (window as unknown as { kabinetCall: { e2ee(): Promise<E2ee> } }).kabinetCall.e2ee());
const stats = (page: Page): Promise<Stats> => page.evaluate(() => (window as unknown as { kabinetCall: { stats(): Promise<Stats> } }).kabinetCall.stats());

async function until<T>(look: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const started = Date.now();
  let last = await look();
  while (!ok(last)) {
    if (Date.now() - started > ms) throw new Error(`${what}: not reached within ${ms} ms: ${JSON.stringify(last, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
    await Bun.sleep(200);
    last = await look();
  }
  return last;
}

/** The specialist opens a room and joins; returns their page and the invitation link. */
async function openRoom(): Promise<{ host: Page; invite: string }> {
  const host = await pageAs(specialist, "script", DESKTOP);
  await host.goto(`${origin}/rooms`);
  await host.getByRole("button", { name: "Open a consultation room" }).click();
  await host.waitForURL(/\/rooms\/[A-Za-z0-9_-]{16}$/);
  const invite = (await host.getByTestId("room-invite").textContent())!.trim();
  await host.getByRole("button", { name: "Start the consultation" }).click();
  return { host, invite };
}

/** A client opens the link, asks to join, and the host lets them in. */
async function letIn(host: Page, invite: string, person: TestPerson, access: Access = "script"): Promise<Page> {
  const page = await pageAs(person, access);
  await page.goto(invite);
  await page.getByRole("button", { name: "Join your consultation" }).click();
  await page.getByText("You are in the waiting room").waitFor();
  if (!(await host.locator("#waiting-list").isVisible())) await host.locator("#people-open").click();
  await host.locator("#waiting-list li", { hasText: person.name }).getByRole("button", { name: "Let in" }).click();
  return page;
}

/** Key-exchange messages as the server relays them (observed, or changed by a test playing a malicious server). */
function onRelay(change: (from: string, to: string, body: Record<string, string | boolean>) => Record<string, string | boolean>): () => void {
  const original = LiveRoom.prototype.relayKeys;
  LiveRoom.prototype.relayKeys = function (this: LiveRoom, from, to, body) {
    return original.call(this, from, to, change(from, to, body));
  };
  return () => {
    LiveRoom.prototype.relayKeys = original;
  };
}

test("an encrypted call: both browsers decode each other, the SFU forwards only ciphertext beyond the clear bytes, both show the same code", async () => {
  const verifiedBefore = dtlsPeersVerified();
  const handshakesBefore = foreignDatagramsDropped().strangerHandshakes;
  const { host, invite } = await openRoom();
  // The client's browser has no RTCRtpScriptTransform: it encrypts through Chromium's encoded streams instead.
  const guest = await letIn(host, invite, client, "streams");
  await until(() => stats(guest), (s) => s.framesDecoded > 30 && s.audioSamples > 0, 30_000, "client decodes");
  await until(() => stats(host), (s) => s.framesDecoded > 30 && s.audioSamples > 0, 30_000, "specialist decodes");
  // Each browser's four connections (publishing, and receiving the other) proved they hold their DTLS key.
  expect(dtlsPeersVerified() - verifiedBefore).toBeGreaterThanOrEqual(4);
  // ...and the SFU's filter for strangers dropped none of their DTLS handshakes (a dropped first ClientHello would cost a
  // DTLS retransmission: a slower join). Late packets to the port of a connection already closed (a page's network
  // check's) may be dropped, and are.
  expect(foreignDatagramsDropped().strangerHandshakes - handshakesBefore).toBe(0);

  // What the SFU forwards, for two seconds, per outgoing stream (each stream carries one person's audio or video).
  const kids = new Set([(await e2ee(host)).sendingKid, (await e2ee(guest)).sendingKid].map((k) => BigInt(k!)));
  const video = new Map<number, Uint8Array[]>();
  const audio = new Map<number, Uint8Array[]>();
  egressTap.listener = (ssrc, pt, payload) => {
    const into = pt === 96 ? video : pt === 111 ? audio : null;
    if (into) (into.get(ssrc) ?? into.set(ssrc, []).get(ssrc)!).push(Uint8Array.from(payload));
  };
  await Bun.sleep(2000);
  egressTap.listener = null;
  expect(video.size).toBe(2);
  expect(audio.size).toBe(2);

  // Video: each frame's first packet carries the VP8 frame tag in clear (and, on a keyframe, the start code and the
  // size, which the SFU reads to switch layers), then an SFrame header under one of the two senders' keys, whose
  // counter grows frame by frame. Plain VP8 after the clear bytes would not read as that: its first bytes are not a
  // header naming a sender's key with a growing counter.
  let keyframes = 0;
  let frames = 0;
  for (const packets of video.values()) {
    // A counter is used once per key: a frame seen again under its counter (the publisher's retransmission of a lost
    // packet, forwarded late and so out of order) must be the same bytes, never another frame.
    const byCounter = new Map<bigint, string>();
    for (const payload of packets) {
      const d = readVp8(payload);
      if (!d?.frameStart) continue;
      frames++;
      const frame = payload.subarray(d.payloadAt);
      if (d.keyframe) {
        keyframes++;
        expect([...frame.subarray(3, 6)]).toEqual([0x9d, 0x01, 0x2a]);
        expect(d.width).toBeGreaterThan(0);
      }
      const h = parseHeader(frame, d.keyframe ? 10 : 3);
      expect(kids.has(h.kid)).toBe(true);
      const bytes = Buffer.from(frame).toString("hex");
      expect(byCounter.get(h.ctr) ?? bytes).toBe(bytes); // never two frames under one counter: no nonce reuse
      byCounter.set(h.ctr, bytes);
    }
    // And the counter grows with the frames: far more distinct counters than a handful.
    expect(byCounter.size).toBeGreaterThan(10);
  }
  expect(frames).toBeGreaterThan(40);
  // Audio: nothing in clear; every packet is an SFrame (header, ciphertext, 16-byte tag) under a sender's key with a
  // growing counter, never an Opus packet (whose first byte, read as a header, would not name a sender's key and count).
  let audioPackets = 0;
  for (const packets of audio.values()) {
    let last = -1n;
    for (const payload of packets) {
      const h = parseHeader(payload, 0);
      expect(kids.has(h.kid)).toBe(true);
      expect(h.ctr).toBeGreaterThan(last);
      expect(payload.length).toBeGreaterThanOrEqual(h.length + 16 + 1);
      last = h.ctr;
      audioPackets++;
    }
  }
  expect(audioPackets).toBeGreaterThan(100);
  console.log(`SFU forwarded ${frames} video frame starts (${keyframes} keyframes) and ${audioPackets} audio packets, all SFrame`);

  // Both pages: end-to-end encrypted, and the same code for each other.
  const h = await until(() => e2ee(host), (s) => s.state === "on" && Object.keys(s.codes).length === 1, 10_000, "specialist's code");
  const g = await until(() => e2ee(guest), (s) => s.state === "on" && Object.keys(s.codes).length === 1, 10_000, "client's code");
  expect(h.codes[client.personId]).toBe(g.codes[specialist.personId]!);
  expect([...h.codes[client.personId]!].length).toBeGreaterThanOrEqual(6);
  expect(h.frames!.encrypted).toBeGreaterThan(100);
  expect(h.frames!.replayed + g.frames!.replayed).toBe(0); // nothing good was taken for a replay
  expect(h.frames!.decrypted[client.personId]).toBeGreaterThan(100);
  expect(g.frames!.decrypted[specialist.personId]).toBeGreaterThan(100);
  await host.getByRole("button", { name: "End-to-end encrypted" }).waitFor();

  // The specialist opens the code, they compare it aloud and confirm; the state says so.
  await host.locator("#e2ee-state").click();
  const shown = host.locator(`#verify-list li[data-person-id="${client.personId}"] [data-testid="verify-code"]`);
  await shown.waitFor();
  await host.screenshot({ path: screenshotPath("call-verify-desktop") });
  await host.getByRole("button", { name: "They match" }).click();
  await host.locator("#verify-close").click();
  await until(() => e2ee(host), (s) => s.state === "verified", 5_000, "verified");
  // Chat and files say they are kept by the server, not end-to-end encrypted.
  await guest.locator("#chat-open").click();
  await guest.getByText("they are not end-to-end encrypted").first().waitFor();
  await guest.screenshot({ path: screenshotPath("call-e2ee-phone") });

  // The client reloads: a new key pair. The specialist is warned that the key changed and gets a new code, the same
  // as the client's; compared and confirmed, the warning goes.
  const before = h.codes[client.personId]!;
  await guest.reload();
  const changed = await until(() => e2ee(host), (s) => s.state === "warning" && s.codes[client.personId] !== undefined && s.codes[client.personId] !== before, 20_000, "key changed");
  expect(changed.warnings.join(" ")).toContain("security key changed");
  const fresh = await until(() => e2ee(guest), (s) => s.codes[specialist.personId] !== undefined, 20_000, "client's new code");
  expect(fresh.codes[specialist.personId]).toBe(changed.codes[client.personId]!);
  await host.locator("#e2ee-state").click();
  await host.locator("#e2ee-warning", { hasText: "security key changed" }).waitFor();
  await host.getByRole("button", { name: "They match" }).click();
  await host.locator("#verify-close").click();
  await until(() => e2ee(host), (s) => s.state === "verified" && s.warnings.length === 0, 5_000, "settled");
}, 120_000);

test("a server that swaps a participant's key is caught: that participant decodes nothing, the codes differ, everyone is warned", async () => {
  // The attacker's own key pair, offered to the others as the third participant's.
  const attacker = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const fakePk = Buffer.from(await crypto.subtle.exportKey("raw", attacker.publicKey)).toString("base64url");
  const restore = onRelay((from, _to, body) => (from === relative.personId && body.kind === "key" ? { ...body, pk: fakePk } : body));
  try {
    const { host, invite } = await openRoom();
    const guest = await letIn(host, invite, client);
    await until(() => e2ee(guest), (s) => s.state === "on", 20_000, "client encrypted");
    const third = await letIn(host, invite, relative);
    // Frames reach the third browser but none decrypts: the media keys were wrapped for the attacker's key.
    const t = await until(() => e2ee(third), (s) => Object.values(s.frames?.failed ?? {}).reduce((a, b) => a + b, 0) > 50, 30_000, "frames reach the third");
    expect(Object.values(t.frames!.decrypted).reduce((a, b) => a + b, 0)).toBe(0);
    expect((await stats(third)).framesDecoded).toBe(0);
    // The specialist and the client go on seeing each other.
    const before = (await stats(guest)).framesDecoded;
    await until(() => stats(guest), (s) => s.framesDecoded > before + 20, 10_000, "client still decodes");
    // Everyone is warned, and the codes for the pair with the third differ.
    const h = await until(() => e2ee(host), (s) => s.state === "warning" && s.codes[relative.personId] !== undefined, 15_000, "specialist warned");
    const th = await until(() => e2ee(third), (s) => s.state === "warning" && s.codes[specialist.personId] !== undefined, 15_000, "third warned");
    expect(h.codes[relative.personId]).not.toBe(th.codes[specialist.personId]!);
    expect(h.warnings.join(" ")).toContain("Third Thea");
    await host.getByRole("button", { name: "Check the security code" }).click();
    await host.locator("#e2ee-warning", { hasText: "could not be verified" }).waitFor();
    await host.screenshot({ path: screenshotPath("call-e2ee-warning-desktop") });
  } finally {
    restore();
  }
}, 150_000);

test("someone who leaves is cut off: the others move to fresh keys they never receive, and go on decoding", async () => {
  const sent: { from: string; to: string; kid: bigint }[] = [];
  const restore = onRelay((from, to, body) => {
    if (body.kind === "media" && typeof body.kid === "string") sent.push({ from, to, kid: BigInt(body.kid) });
    return body;
  });
  try {
    const { host, invite } = await openRoom();
    const guest = await letIn(host, invite, client);
    const third = await letIn(host, invite, relative);
    for (const p of [host, guest, third]) await until(() => stats(p), (s) => s.receivers === 2 && s.framesDecoded > 20, 30_000, "three-way call");
    const kidBefore = BigInt((await e2ee(host)).sendingKid!);
    const guestFromHost = (await e2ee(guest)).frames!.decrypted[specialist.personId]!;
    const leftAt = sent.length;
    await third.locator("#leave").click();
    // Left while the call goes on: back on the room's check page, out of the call.
    await until(() => stats(host), (s) => s.receivers === 1, 10_000, "the third is out of the call");
    // The specialist moves to a fresh key (a new epoch) within a few seconds, and the SFU forwards frames under it.
    const h = await until(() => e2ee(host), (s) => splitKid(BigInt(s.sendingKid!)).epoch > splitKid(kidBefore).epoch, 10_000, "a fresh key");
    const kidAfter = BigInt(h.sendingKid!);
    const kids = new Set<bigint>();
    egressTap.listener = (_ssrc, pt, payload) => {
      if (pt === 111) kids.add(parseHeader(payload, 0).kid);
    };
    await until(async () => kids.has(kidAfter), (x) => x, 5_000, "frames under the fresh key at the SFU");
    egressTap.listener = null;
    const after = sent.slice(leftAt);
    // The fresh key went to the one still in the call, never to the one who left.
    expect(after.some((m) => m.from === specialist.personId && m.to === client.personId && m.kid === kidAfter)).toBe(true);
    expect(after.filter((m) => m.to === relative.personId)).toEqual([]);
    // Every key the third ever received from the specialist is of an older epoch: the fresh key is random, not derived.
    const heldByThird = sent.filter((m) => m.to === relative.personId && m.from === specialist.personId);
    expect(heldByThird.length).toBeGreaterThan(0);
    expect(heldByThird.every((m) => splitKid(m.kid).epoch < splitKid(kidAfter).epoch)).toBe(true);
    // The client decrypts the specialist's frames under the fresh key.
    await until(() => e2ee(guest), (s) => s.frames!.decrypted[specialist.personId]! > guestFromHost + 100, 10_000, "client decrypts after the switch");
    // The two who stayed go on seeing each other, without a warning.
    const before = (await stats(guest)).framesDecoded;
    await until(() => stats(guest), (s) => s.framesDecoded > before + 30, 10_000, "client still decodes after the switch");
    expect((await e2ee(guest)).warnings).toEqual([]);
    expect((await e2ee(host)).state).toBe("on");
  } finally {
    restore();
  }
}, 150_000);

test("a browser that cannot encrypt is told so and cannot join while the organisation does not allow it", async () => {
  const { host, invite } = await openRoom();
  void host;
  const page = await pageAs(client, "none");
  await page.goto(invite);
  await page.getByRole("heading", { name: "This browser cannot encrypt the consultation end to end" }).waitFor();
  await page.getByText("Open this link in a current Chrome").waitFor();
  expect(await page.getByRole("button", { name: "Join your consultation" }).isDisabled()).toBe(true);
  await page.screenshot({ path: screenshotPath("call-e2ee-unsupported-phone"), fullPage: true });
}, 60_000);

test("where the organisation allows it, a browser that cannot encrypt joins, and the whole call says it is not end-to-end encrypted, naming whose browser", async () => {
  saveSettings(inst.db, { ...getSettings(inst.db)!, unencryptedCalls: true });
  try {
    const { host, invite } = await openRoom();
    const page = await pageAs(client, "none");
    await page.goto(invite);
    await page.getByText("You can still join, but then the consultation is not end-to-end encrypted").waitFor();
    await page.getByRole("button", { name: "Join your consultation" }).click();
    await page.getByText("You are in the waiting room").waitFor();
    await host.locator("#people-open").click();
    await host.locator("#waiting-list li", { hasText: client.name }).getByRole("button", { name: "Let in" }).click();
    // Nobody encrypts, so everyone sees everyone; every screen says so, with the name.
    await until(() => stats(page), (s) => s.framesDecoded > 20, 30_000, "the client decodes");
    await until(() => stats(host), (s) => s.framesDecoded > 20, 30_000, "the specialist decodes");
    const h = await until(() => e2ee(host), (s) => s.state === "off", 10_000, "specialist told");
    // (The specialist's frames were encrypted while they were alone; since the client came in, none is.)
    await Bun.sleep(1000);
    expect((await e2ee(host)).frames!.encrypted).toBe(h.frames!.encrypted);
    expect(await host.locator("#e2ee-text").textContent()).toContain(client.name);
    expect((await e2ee(page)).state).toBe("off");
    await page.locator("#e2ee-text", { hasText: "not end-to-end encrypted" }).waitFor();
  } finally {
    saveSettings(inst.db, { ...getSettings(inst.db)!, unencryptedCalls: false });
  }
}, 90_000);

test("a server that claims someone cannot encrypt does not turn encryption off where the organisation does not allow it", async () => {
  const original = LiveRoom.prototype.broadcastToAdmitted;
  LiveRoom.prototype.broadcastToAdmitted = function (this: LiveRoom, m) {
    const lie = m.type === "participants" ? { ...m, people: m.people.map((p) => (p.personId === client.personId ? { ...p, e2ee: false } : p)) } : m;
    return original.call(this, lie);
  };
  try {
    const { host, invite } = await openRoom();
    const guest = await letIn(host, invite, client);
    await until(() => stats(guest), (s) => s.receivers === 1, 20_000, "the client receives");
    const h = await until(() => e2ee(host), (s) => s.state === "warning", 15_000, "the specialist is warned");
    expect(h.warnings.join(" ")).toContain(client.name);
    // The specialist's browser goes on encrypting every frame.
    await Bun.sleep(1000);
    const later = await e2ee(host);
    expect(later.frames!.encrypted).toBeGreaterThan(h.frames!.encrypted);
    // And takes nothing from the client in clear: their frames (really encrypted) still decrypt.
    expect(later.frames!.decrypted[client.personId]).toBeGreaterThan(0);
  } finally {
    LiveRoom.prototype.broadcastToAdmitted = original;
  }
}, 90_000);
