// The network check's route through the in-process app, with a werift peer standing in for the browser: who may run a
// check, what a bad offer gets, the rate limit, and that the media server really echoes probes over the check.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RTCDataChannel, RTCPeerConnection } from "werift";
import { acceptRoomInvitation, createRoom } from "../src/rooms/rooms.ts";
import { CHECK_LIFETIME_MS, CHECK_RATE, CHECKS_AT_ONCE } from "../src/rooms/sfu/network-check.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { gathered, PEER_CONFIG } from "./support/werift-peers.ts";

let inst: TestInstallation;
let specialist: TestPerson;
let admin: TestPerson;
let roomId: string;
let invite: string;

beforeAll(async () => {
  const media = 41000 + Math.floor(Math.random() * 8000);
  inst = makeInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 40}`, KABINET_PUBLIC_IP: "127.0.0.1" });
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
  ({ room: { id: roomId }, inviteToken: invite } = createRoom(inst, specialist.personId));
});
afterAll(() => inst.close());

/** A client who opened the room's invitation: allowed in, with a rate limit of their own. */
async function guest(): Promise<TestPerson> {
  const p = await addPerson(inst, admin.personId, "client");
  acceptRoomInvitation(inst, invite, p.personId);
  return p;
}

async function postOffer(p: TestPerson, body: string, contentType = "application/json", room = roomId): Promise<Response> {
  const c = signedInClient(inst, p);
  return await inst.app.request(`${inst.config.publicUrl.origin}/rooms/${room}/network-check`, {
    method: "POST",
    body,
    headers: { "content-type": contentType, origin: inst.config.publicUrl.origin, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
  });
}

/** What a browser offers for the check: one unordered data channel that never retransmits. */
async function browserOffer(): Promise<{ pc: RTCPeerConnection; dc: RTCDataChannel; sdp: string }> {
  const pc = new RTCPeerConnection(PEER_CONFIG);
  const dc = pc.createDataChannel("probe", { negotiated: true, id: 0, ordered: false, maxRetransmits: 0 });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  return { pc, dc, sdp: pc.localDescription!.sdp };
}

test("someone allowed in the room gets an answer, and the media server echoes each probe unchanged", async () => {
  const client = await guest();
  const { pc, dc, sdp } = await browserOffer();
  try {
    const r = await postOffer(client, JSON.stringify({ sdp }));
    expect(r.status).toBe(200);
    const answer = (await r.json()) as { sdp: string };
    expect(answer.sdp).toContain("m=application");
    expect(answer.sdp).toContain("127.0.0.1"); // the advertised address, as for calls
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    await new Promise<void>((resolve) => (dc.readyState === "open" ? resolve() : dc.stateChanged.subscribe((s) => s === "open" && resolve())));
    const echoed: string[] = [];
    dc.onMessage.subscribe((m) => echoed.push(Buffer.from(m as Buffer).toString("hex")));
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const probe = Buffer.alloc(12);
      probe.writeUInt32BE(i, 0);
      probe.writeDoubleBE(performance.now(), 4);
      sent.push(probe.toString("hex"));
      dc.send(probe);
      await Bun.sleep(10);
    }
    for (let i = 0; i < 50 && echoed.length < sent.length; i++) await Bun.sleep(20);
    expect(echoed.sort()).toEqual(sent.sort());
  } finally {
    await pc.close();
  }
}, 30_000);

test("someone not allowed in the room, or a room that does not exist, gets 404", async () => {
  const outsider = await addPerson(inst, admin.personId, "client");
  const { pc, sdp } = await browserOffer();
  await pc.close();
  const body = JSON.stringify({ sdp });
  expect((await postOffer(outsider, body)).status).toBe(404);
  expect((await postOffer(await guest(), body, "application/json", "A".repeat(16))).status).toBe(404);
  // A 404 even for a bad body: nothing about the room is told before the person is known to belong in it.
  expect((await postOffer(outsider, "not json")).status).toBe(404);
});

test("a bad offer gets 400 (or 415 for another type) with a reason, never a 500", async () => {
  const client = await guest();
  const { pc, sdp } = await browserOffer();
  await pc.close();
  const cases: { name: string; body: string; type?: string; status: number }[] = [
    { name: "a form instead of JSON", body: `sdp=${encodeURIComponent(sdp)}`, type: "application/x-www-form-urlencoded", status: 415 },
    { name: "not JSON", body: "{sdp:", status: 400 },
    { name: "no sdp", body: "{}", status: 400 },
    { name: "sdp not a string", body: JSON.stringify({ sdp: 5 }), status: 400 },
    { name: "a JSON array", body: "[1,2]", status: 400 },
    { name: "words", body: JSON.stringify({ sdp: "hello" }), status: 400 },
    { name: "no data channel", body: JSON.stringify({ sdp: sdp.replace(/m=application[^\r\n]*/, "m=audio 9 UDP/TLS/RTP/SAVPF 111") }), status: 400 },
    { name: "no fingerprint", body: JSON.stringify({ sdp: sdp.replace(/a=fingerprint:[^\r\n]*\r\n/, "") }), status: 400 },
    { name: "a broken media line", body: JSON.stringify({ sdp: sdp.replace(/m=application \d+/, "m=application x") }), status: 400 },
    { name: "a broken SCTP port", body: JSON.stringify({ sdp: sdp.replace(/a=sctp-port:\d+/, "a=sctp-port:abc") }), status: 400 },
    { name: "huge", body: JSON.stringify({ sdp: sdp + "a=x\r\n".repeat(10_000) }), status: 400 },
  ];
  for (const c of cases) {
    const r = await postOffer(client, c.body, c.type);
    const body = (await r.json()) as { error?: string };
    expect({ name: c.name, status: r.status }).toEqual({ name: c.name, status: c.status });
    expect(body.error).toBeString();
    expect(body.error!.length).toBeGreaterThan(10);
  }
});

test("a person may start a few checks in ten minutes: then 429 with Retry-After and the reason, until the window passes", async () => {
  const client = await guest();
  const { pc, sdp } = await browserOffer();
  await pc.close();
  // An offer that looks like a browser's but that werift refuses: it counts (it reached the media server) and holds
  // nothing open, so the rate limit is met before the limit of checks at once.
  const refused = JSON.stringify({ sdp: sdp.replace(/a=sctp-port:\d+/, "a=sctp-port:abc") });
  inst.clock.set(Date.UTC(2026, 11, 3, 9, 0));
  try {
    for (let i = 0; i < CHECK_RATE.checks; i++) expect((await postOffer(client, refused)).status).toBe(400);
    const limited = await postOffer(client, refused);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBe(CHECK_RATE.windowMs / 1000);
    expect(((await limited.json()) as { error: string }).error).toContain("10 min");
    // Someone else in the same room is not held back by it.
    expect((await postOffer(await guest(), refused)).status).toBe(400);
    inst.clock.advance(CHECK_RATE.windowMs);
    expect((await postOffer(client, refused)).status).toBe(400);
  } finally {
    inst.clock.release();
  }
});

test("a person holds at most two checks at once; a third is refused (429) while they last", async () => {
  const client = await guest();
  const offers = [await browserOffer(), await browserOffer(), await browserOffer()];
  try {
    expect((await postOffer(client, JSON.stringify({ sdp: offers[0]!.sdp }))).status).toBe(200);
    expect((await postOffer(client, JSON.stringify({ sdp: offers[1]!.sdp }))).status).toBe(200);
    const third = await postOffer(client, JSON.stringify({ sdp: offers[2]!.sdp }));
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await third.json()) as { error: string }).error).toContain("still running");
  } finally {
    for (const o of offers) await o.pc.close();
  }
});

test("a check ends when the browser says it is done, or after 20 s at the latest, and frees its place", async () => {
  const client = await guest();
  const connected = await browserOffer();
  const abandoned = await browserOffer();
  const offers = [connected, abandoned, await browserOffer(), await browserOffer()];
  try {
    const answer = (await (await postOffer(client, JSON.stringify({ sdp: connected.sdp }))).json()) as { sdp: string };
    expect((await postOffer(client, JSON.stringify({ sdp: abandoned.sdp }))).status).toBe(200); // never connected
    expect((await postOffer(client, JSON.stringify({ sdp: offers[2]!.sdp }))).status).toBe(429);
    await connected.pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    const dc = connected.dc;
    await new Promise<void>((resolve) => (dc.readyState === "open" ? resolve() : dc.stateChanged.subscribe((s) => s === "open" && resolve())));
    dc.send("done");
    await Bun.sleep(300);
    expect((await postOffer(client, JSON.stringify({ sdp: offers[2]!.sdp }))).status).toBe(200);
    expect((await postOffer(client, JSON.stringify({ sdp: offers[3]!.sdp }))).status).toBe(429);
    await Bun.sleep(CHECK_LIFETIME_MS + 500); // both open checks have run out
    expect((await postOffer(client, JSON.stringify({ sdp: offers[3]!.sdp }))).status).toBe(200);
  } finally {
    for (const o of offers) await o.pc.close();
  }
}, 60_000);

test("the room page carries the check, announced as a status, in the person's language", async () => {
  const client = await guest();
  for (const [lang, title, weak] of [
    ["en", "Your connection", "Your connection is weak: video may freeze; audio will work."],
    ["ru", "Ваше подключение", "Связь слабая: видео может зависать, звук будет работать."],
  ] as const) {
    const html = await (await signedInClient(inst, client).get(`/rooms/${roomId}`, { "accept-language": lang })).text();
    expect(html).toContain(`<h3 id="network-check-title">${title}</h3>`);
    expect(html).toMatch(/<div role="status" aria-live="polite"><p id="network-check-verdict">/);
    const labels = JSON.parse(html.match(/data-labels="([^"]+)"/)![1]!.replaceAll("&quot;", '"')) as Record<string, string>;
    expect(labels.weak).toBe(weak);
  }
});

// Last in the file: it fills the server's places for 20 s.
test("the server holds at most ten checks at once, whoever asks", async () => {
  const people = await Promise.all(Array.from({ length: CHECKS_AT_ONCE / 2 + 1 }, () => guest()));
  const offers: { pc: RTCPeerConnection }[] = [];
  try {
    const statuses: number[] = [];
    for (const p of people) {
      for (let i = 0; i < 2; i++) {
        const offer = await browserOffer();
        offers.push(offer);
        statuses.push((await postOffer(p, JSON.stringify({ sdp: offer.sdp }))).status);
      }
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(CHECKS_AT_ONCE);
    // The last person has no check of their own open, and is still refused: the server is full.
    expect(statuses.at(-2)).toBe(429);
  } finally {
    for (const o of offers) await o.pc.close();
  }
}, 60_000);
