// Rooms and signalling through a real server and real WebSocket clients: who may enter, what closes a socket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { websocket } from "hono/bun";
import { addPerson, cookieFor, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { acceptRoomInvitation, recordAdmission } from "../src/rooms/rooms.ts";
import { turnCredential } from "../src/rooms/turn.ts";
import { freePort } from "./support/processes.ts";
import { openRoomSocket, type RoomSocket } from "./support/room-socket.ts";

let inst: TestInstallation;
let server: ReturnType<typeof Bun.serve>;
let origin: string;
let specialist: TestPerson;
let client: TestPerson;
let outsider: TestPerson;
let roomId: string;
let invite: string;

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  inst = makeInstallation({ KABINET_PUBLIC_URL: origin, KABINET_MEDIA_PORTS: "47000-47050" });
  const admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
  client = await addPerson(inst, admin.personId, "client");
  outsider = await addPerson(inst, admin.personId, "client");
  server = Bun.serve({ hostname: "127.0.0.1", port, fetch: inst.app.fetch, websocket });
  const host = browserLike(specialist);
  const created = await host.post("/rooms");
  roomId = created.headers.get("location")!.split("/").pop()!;
  invite = (await (await host.get(`/rooms/${roomId}`)).text()).match(/\/rooms\/invite\/([A-Za-z0-9_-]{43})/)![1]!;
});
afterAll(async () => {
  await server.stop(true);
  inst.close();
});

/** The client opened the invitation (as the first test does through the pages), so a test can pass alone. */
function inviteOpened(p: TestPerson): void {
  acceptRoomInvitation(inst, invite, p.personId);
}

function browserLike(p: TestPerson): TestClient {
  return signedInClient(inst, p, origin);
}

function connect(p: TestPerson, opts: { origin?: string } = {}): Promise<RoomSocket> {
  return openRoomSocket(browserLike(p), roomId, opts);
}

describe("rooms", () => {
  test("only the owner and people who opened the invitation may enter; others see 404", async () => {
    expect((await browserLike(outsider).get(`/rooms/${roomId}`)).status).toBe(404);
    expect((await browserLike(outsider).get(`/rooms/${roomId}/join-token`)).status).toBe(404);
    const c = browserLike(client);
    const opened = await c.get(`/rooms/invite/${invite}`);
    expect(opened.headers.get("location")).toBe("/rooms/join");
    expect((await c.get("/rooms/join")).headers.get("location")).toBe(`/rooms/${roomId}`);
    const page = await c.get(`/rooms/${roomId}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('"iceServers":[]'); // no STUN/TURN unless the admin configures one
    // a client cannot open rooms
    expect((await c.post("/rooms")).status).toBe(403);
    // an anonymous visitor with the link signs in first, then lands in the room
    const anon = new TestClient(inst.app, origin);
    await anon.get(`/rooms/invite/${invite}`);
    expect((await anon.get("/rooms/join")).headers.get("location")).toBe("/signin");
    expect(anon.cookies.get("kabinet_room_invite")).toBe(invite);
  });

  test("a bad invitation link is a clear 410", async () => {
    const c = browserLike(outsider);
    await c.get("/rooms/invite/not-a-real-token");
    const r = await c.get("/rooms/join");
    expect(r.status).toBe(410);
    expect(await r.text()).toContain("no longer works");
  });
});

describe("signalling socket", () => {
  test("a foreign Origin is refused before the upgrade", async () => {
    await expect(connect(specialist, { origin: "https://evil.example" })).rejects.toThrow();
  });

  test("the first message must be hello with a valid token; malformed messages close with a reason", async () => {
    const a = await connect(specialist);
    a.ws.send(JSON.stringify({ type: "publish", sdp: "v=0 something long enough" }));
    expect(await a.closed).toEqual({ code: 1008, reason: "hello first" });

    const b = await connect(specialist);
    b.ws.send(JSON.stringify({ type: "hello", token: "forged.token-value" }));
    expect(await b.closed).toEqual({ code: 1008, reason: "not allowed" });

    const c = await connect(specialist);
    c.ws.send("{not json");
    expect(await c.closed).toEqual({ code: 1002, reason: "not JSON" });

    const d = await connect(specialist);
    d.ws.send(JSON.stringify({ type: "teleport" }));
    expect(await d.closed).toEqual({ code: 1002, reason: "malformed message" });
  });

  test("a token for someone not allowed in the room does not open it", async () => {
    const r = await browserLike(outsider).get(`/rooms/${roomId}/join-token`);
    expect(r.status).toBe(404);
  });

  test("waiting room: the host sees the guest; the guest cannot chat or admit; the host admits; too many messages close", async () => {
    inviteOpened(client);
    const host = await connect(specialist);
    await host.hello();
    expect(await host.next("welcome")).toMatchObject({ type: "welcome", role: "host", state: "admitted" });

    const guest = await connect(client);
    await guest.hello();
    expect(await guest.next("welcome")).toMatchObject({ type: "welcome", role: "guest", state: "waiting" });
    let waiting = await host.next("waiting"); // the first tells the host nobody waits yet
    while ((waiting.people as unknown[]).length === 0) waiting = await host.next("waiting");
    expect((waiting.people as { personId: string }[]).map((p) => p.personId)).toEqual([client.personId]);

    guest.ws.send(JSON.stringify({ type: "chat", text: "let me in" }));
    expect(await guest.next("error")).toEqual({ type: "error", message: "not admitted yet" });
    guest.ws.send(JSON.stringify({ type: "admit", personId: client.personId })); // only the host admits: ignored
    host.ws.send(JSON.stringify({ type: "admit", personId: client.personId }));
    expect(await guest.next("admitted")).toEqual({ type: "admitted" });

    guest.ws.send(JSON.stringify({ type: "chat", text: "thank you" }));
    const got = await host.next("chat");
    expect((got.messages as { text: string; mine: boolean }[])[0]).toMatchObject({ text: "thank you", mine: false });

    for (let i = 0; i < 70; i++) guest.ws.send(JSON.stringify({ type: "end" }));
    expect(await guest.closed).toEqual({ code: 1008, reason: "too many messages" });
    host.ws.close();
    await host.closed;
    const actions = (inst.db.$client.query("SELECT action FROM audit_log").all() as { action: string }[]).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["room.join", "room.admit", "room.leave"]));
  });
});

describe("files", () => {
  const upload = (p: TestPerson, name: string, bytes: Uint8Array<ArrayBuffer>) => {
    const form = new FormData();
    form.append("file", new File([bytes], name));
    return inst.app.request(`${origin}/rooms/${roomId}/files`, { method: "POST", body: form, headers: { origin, cookie: cookieFor(inst, p.personId) } });
  };

  test("only the owner and admitted people share and read files; types and size are checked", async () => {
    // the client opened the link and was admitted (as in the signalling test above); the outsider never was
    inviteOpened(client);
    recordAdmission(inst, roomId, client.personId);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    expect((await upload(outsider, "x.png", png)).status).toBe(404);
    const ok = await upload(client, "scan.png", png);
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: string };

    const fake = await upload(specialist, "report.pdf", new TextEncoder().encode("<html>not a pdf</html>"));
    expect(fake.status).toBe(422);
    expect(((await fake.json()) as { error: string }).error).toContain("This kind of file cannot be shared");
    expect((await upload(specialist, "virus.exe", png)).status).toBe(422);
    expect((await upload(specialist, "empty.txt", new Uint8Array(0))).status).toBe(422);
    const big = new Uint8Array(21 * 1024 * 1024);
    big.set([0x25, 0x50, 0x44, 0x46, 0x2d]);
    const tooBig = await upload(specialist, "big.pdf", big);
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: string }).error).toBe("This file is larger than 20 MB.");

    const get = (p: TestPerson) => inst.app.request(`${origin}/rooms/${roomId}/files/${id}`, { headers: { cookie: cookieFor(inst, p.personId) } });
    const mine = await get(specialist);
    expect(mine.status).toBe(200);
    expect(mine.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''scan.png");
    expect(mine.headers.get("content-security-policy")).toContain("sandbox");
    expect(new Uint8Array(await mine.arrayBuffer())).toEqual(png);
    expect((await get(outsider)).status).toBe(404);
    const actions = (inst.db.$client.query("SELECT action FROM audit_log").all() as { action: string }[]).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["file.upload", "file.download"]));
  });
});

describe("TURN credentials", () => {
  test("with a shared secret the room page carries credentials minted for this call, never the secret", async () => {
    const other = makeInstallation({ KABINET_ICE_SERVERS: "turn:turn.example.org:3478?transport=udp", KABINET_TURN_SECRET: "turn-shared-secret-42" });
    try {
      const a = await setUpOrganisation(other);
      const host = await addPerson(other, a.personId, "specialist");
      const c = signedInClient(other, host);
      const opened = await c.post("/rooms");
      const html = await (await c.get(opened.headers.get("location")!)).text();
      expect(html).not.toContain("turn-shared-secret-42");
      const config = JSON.parse(html.match(/<script type="application\/json" id="call-config">(.*?)<\/script>/s)![1]!.replaceAll("\\u003c", "<"));
      const [server] = config.iceServers;
      expect(server.urls).toBe("turn:turn.example.org:3478?transport=udp");
      const expiry = Number(server.username.split(":")[0]);
      expect(expiry * 1000 - Date.now()).toBeGreaterThan(11 * 3600_000);
      expect(server.credential).toBe(turnCredential("turn-shared-secret-42", server.username));
    } finally {
      other.close();
    }
  });
});
