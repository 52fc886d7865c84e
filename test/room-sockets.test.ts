// The signalling socket's ties to who opened it: a join token works only on a socket of the person and session it was
// minted for; a socket closes when that session is ended (sign-out, sign out everywhere, a revoked session,
// deactivation); a socket that never says hello is closed; a person and a room have a cap on open sockets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HELLO_WITHIN_MS, SOCKETS_PER_PERSON, SOCKETS_PER_ROOM } from "../src/rooms/live-rooms.ts";
import { validateSessionToken } from "../src/sessions/sessions.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import type { TestClient } from "./support/client.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "./support/installation.ts";
import { openInvitedRoom, openRoomSocket, type RoomSocket } from "./support/room-socket.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;

beforeAll(async () => {
  served = await serveInstallation({ KABINET_MEDIA_PORTS: "45100-45150" });
  inst = served.inst;
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
});
afterAll(() => served.stop());

const browser = (p: TestPerson): TestClient => signedInClient(inst, p);

/** A room the specialist opened, whose invitation each guest has opened. */
async function openRoom(guests: TestPerson[]): Promise<string> {
  return (await openInvitedRoom(inst, specialist, guests)).roomId;
}

/** How the socket closed, or "still open" after `ms`. */
function closing(s: RoomSocket, ms = 3000): Promise<{ code: number; reason: string } | "still open"> {
  return Promise.race([s.closed, Bun.sleep(ms).then(() => "still open" as const)]);
}

async function tokenOf(b: TestClient, roomId: string): Promise<string> {
  return ((await (await b.get(`/rooms/${roomId}/join-token`)).json()) as { token: string }).token;
}

/** Waits until the host's waiting list is exactly these people. */
async function waitingListBecomes(host: RoomSocket, ids: string[]): Promise<void> {
  for (;;) {
    const m = await host.next("waiting");
    if (JSON.stringify((m.people as { personId: string }[]).map((p) => p.personId)) === JSON.stringify(ids)) return;
  }
}

describe("join tokens", () => {
  test("a token opens a socket only for the person and the session it was minted for", async () => {
    const guest = await addPerson(inst, admin.personId, "client");
    const roomId = await openRoom([guest]);
    const hostBrowser = browser(specialist);
    const hostToken = await tokenOf(hostBrowser, roomId);

    // A guest holding the host's token does not become host.
    const stolen = await openRoomSocket(browser(guest), roomId);
    stolen.ws.send(JSON.stringify({ type: "hello", token: hostToken }));
    expect(await closing(stolen)).toEqual({ code: 1008, reason: "not allowed" });

    // The host's own token from another of the host's sessions does not open it either.
    const otherSession = await openRoomSocket(browser(specialist), roomId);
    otherSession.ws.send(JSON.stringify({ type: "hello", token: hostToken }));
    expect(await closing(otherSession)).toEqual({ code: 1008, reason: "not allowed" });

    // On the session that fetched it, it does.
    const own = await openRoomSocket(hostBrowser, roomId);
    own.ws.send(JSON.stringify({ type: "hello", token: hostToken }));
    expect(await own.next("welcome")).toMatchObject({ type: "welcome", role: "host", state: "admitted" });
    own.ws.close();
    await own.closed;
  });
});

describe("sessions ending", () => {
  test("sign-out, sign out everywhere, a revoked session and deactivation each close the person's socket and take them out of the room", async () => {
    const guest = await addPerson(inst, admin.personId, "client");
    const roomId = await openRoom([guest]);
    const host = await openRoomSocket(browser(specialist), roomId);
    await host.hello();
    await host.next("welcome");

    /** The guest joins the waiting room from a fresh session; the host sees them. */
    const join = async (b: TestClient = browser(guest)): Promise<RoomSocket> => {
      const s = await openRoomSocket(b, roomId);
      await s.hello();
      expect(await s.next("welcome")).toMatchObject({ role: "guest", state: "waiting" });
      await waitingListBecomes(host, [guest.personId]);
      return s;
    };
    const signedOut = { code: 1008, reason: "signed out" };

    // Sign-out on the same browser.
    const a = await join();
    expect((await a.browser.post("/signout")).status).toBe(303);
    expect(await closing(a)).toEqual(signedOut);
    await waitingListBecomes(host, []); // out of the room, not only off the socket

    // Sign out everywhere, from another device.
    const b = await join();
    await browser(guest).post("/account/sessions/revoke-all");
    expect(await closing(b)).toEqual(signedOut);
    await waitingListBecomes(host, []);

    // One session revoked from My account on another device: that socket closes, the other device's stays open.
    const c = await join();
    const laptop = browser(guest);
    const laptopSocket = await openRoomSocket(laptop, roomId);
    const cToken = [...c.browser.cookies.values()][0]!;
    const handle = validateSessionToken(inst.db, cToken, inst.config.sessionIdleMinutes)!.handle;
    expect((await laptop.post(`/account/sessions/${handle}/revoke`)).status).toBe(303);
    expect(await closing(c)).toEqual(signedOut);
    await waitingListBecomes(host, []);
    expect(laptopSocket.ws.readyState).toBe(WebSocket.OPEN);
    laptopSocket.ws.close();

    // Deactivation by an admin.
    const d = await join();
    expect((await browser(admin).post(`/admin/people/${guest.personId}/deactivate`)).status).toBe(200);
    expect(await closing(d)).toEqual(signedOut);
    await waitingListBecomes(host, []);

    expect(host.ws.readyState).toBe(WebSocket.OPEN); // the host's session never ended
    host.ws.close();
    await host.closed;
  });
});

describe("idle and surplus sockets", () => {
  test(`a socket that sends no hello within ${HELLO_WITHIN_MS / 1000} seconds is closed`, async () => {
    const roomId = await openRoom([]);
    const silent = await openRoomSocket(browser(specialist), roomId);
    const opened = Date.now();
    expect(await closing(silent, HELLO_WITHIN_MS + 3000)).toEqual({ code: 1008, reason: "hello first" });
    expect(Date.now() - opened).toBeGreaterThanOrEqual(HELLO_WITHIN_MS - 100);
  }, 15_000);

  test(`at most ${SOCKETS_PER_PERSON} open sockets per person and ${SOCKETS_PER_ROOM} per room`, async () => {
    const guests = await Promise.all(Array.from({ length: SOCKETS_PER_ROOM / SOCKETS_PER_PERSON }, () => addPerson(inst, admin.personId, "client")));
    const roomId = await openRoom(guests);
    const tooMany = { code: 1008, reason: "too many connections" };

    const mine = await Promise.all(Array.from({ length: SOCKETS_PER_PERSON }, () => openRoomSocket(browser(specialist), roomId)));
    const extra = await openRoomSocket(browser(specialist), roomId);
    expect(await closing(extra)).toEqual(tooMany);
    expect(mine.map((s) => s.ws.readyState)).toEqual(mine.map(() => WebSocket.OPEN));
    // A closed one frees its place.
    mine[0]!.ws.close();
    await mine[0]!.closed;
    await Bun.sleep(50);
    const again = await openRoomSocket(browser(specialist), roomId);
    expect(await closing(again, 300)).toBe("still open");

    // The room fills up: the specialist's four and four for each guest but the last; the last guest's is refused.
    const theirs = [];
    for (const g of guests.slice(0, -1)) for (let i = 0; i < SOCKETS_PER_PERSON; i++) theirs.push(await openRoomSocket(browser(g), roomId));
    const late = await openRoomSocket(browser(guests.at(-1)!), roomId);
    expect(await closing(late)).toEqual(tooMany);
    for (const s of [...mine.slice(1), again, ...theirs]) s.ws.close();
  }, 15_000);
});
