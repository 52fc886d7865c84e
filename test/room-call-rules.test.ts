// The call's rules as the server enforces them, over real sockets: only the host mutes, removes and sends notices; a
// notice reaches only the waiting person it names; someone removed waits again when they come back (and keeps the
// record); a ninth person is not admitted; everyone in the call learns each other's device states.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { wasAdmittedTo } from "../src/rooms/rooms.ts";
import { MAX_IN_CALL } from "../src/rooms/signaling.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "./support/installation.ts";
import { openInvitedRoom, openRoomSocket, type RoomSocket, type ServerMessage } from "./support/room-socket.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;

beforeAll(async () => {
  served = await serveInstallation({ KABINET_MEDIA_PORTS: "45200-45250" });
  inst = served.inst;
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
});
afterAll(() => served.stop());

/** A room the specialist opened with the host's socket in it, and guests who opened its invitation. */
async function roomWith(guestCount: number): Promise<{ roomId: string; host: RoomSocket; guests: TestPerson[] }> {
  const guests = await Promise.all(Array.from({ length: guestCount }, () => addPerson(inst, admin.personId, "client")));
  const { roomId, hostBrowser } = await openInvitedRoom(inst, specialist, guests);
  const host = await openRoomSocket(hostBrowser, roomId);
  await host.hello();
  await host.next("welcome");
  return { roomId, host, guests };
}

async function enter(roomId: string, guest: TestPerson): Promise<RoomSocket> {
  const s = await openRoomSocket(signedInClient(inst, guest), roomId);
  await s.hello();
  await s.next("welcome");
  return s;
}

const send = (s: RoomSocket, m: object): void => s.ws.send(JSON.stringify(m));

/** Whether a message of this type arrives within `ms` (false: it did not). */
async function arrives(s: RoomSocket, type: string, ms = 600): Promise<ServerMessage | false> {
  return Promise.race([s.next(type), Bun.sleep(ms).then(() => false as const)]);
}

async function admitted(host: RoomSocket, guest: RoomSocket, personId: string): Promise<void> {
  send(host, { type: "admit", personId });
  await guest.next("admitted");
}

describe("host-only actions", () => {
  test("only the host mutes and removes; a guest asking for it changes nothing", async () => {
    const { roomId, host, guests } = await roomWith(2);
    const [a, b] = [await enter(roomId, guests[0]!), await enter(roomId, guests[1]!)];
    await admitted(host, a, guests[0]!.personId);
    await admitted(host, b, guests[1]!.personId);

    send(a, { type: "mute", personId: guests[1]!.personId });
    send(a, { type: "remove", personId: guests[1]!.personId });
    expect(await arrives(b, "muted")).toBe(false);
    expect(await arrives(b, "removed")).toBe(false);
    expect(b.ws.readyState).toBe(WebSocket.OPEN);

    send(host, { type: "mute", personId: guests[1]!.personId });
    expect(await b.next("muted")).toEqual({ type: "muted" });
    expect(await arrives(a, "muted", 300)).toBe(false); // only the one named
    for (const s of [host, a, b]) s.ws.close();
  });

  test("someone removed is closed out, waits again when they come back, and keeps the record", async () => {
    const { roomId, host, guests } = await roomWith(1);
    const guest = guests[0]!;
    const a = await enter(roomId, guest);
    await admitted(host, a, guest.personId);

    send(host, { type: "remove", personId: guest.personId });
    expect(await a.next("removed")).toEqual({ type: "removed" });
    expect(await a.closed).toEqual({ code: 1000, reason: "removed" });
    const people = (await host.next("participants")).people as { personId: string }[];
    expect(people.map((p) => p.personId)).not.toContain(guest.personId);

    const again = await openRoomSocket(signedInClient(inst, guest), roomId);
    await again.hello();
    expect(await again.next("welcome")).toMatchObject({ state: "waiting" });
    expect(wasAdmittedTo(inst.db, roomId, guest.personId)).toBe(true);
    const audited = inst.db.$client.query("SELECT actor, action FROM audit_log WHERE action = 'room.remove' AND target = ?").all(roomId);
    expect(audited).toEqual([{ actor: specialist.personId, action: "room.remove" }]);
    // Let in again, they are in the call.
    await admitted(host, again, guest.personId);
    for (const s of [host, again]) s.ws.close();
  });

  test("someone removed still waits after everyone has left and they come back to an empty room", async () => {
    const { roomId, host, guests } = await roomWith(1);
    const guest = guests[0]!;
    const a = await enter(roomId, guest);
    await admitted(host, a, guest.personId);
    send(host, { type: "remove", personId: guest.personId });
    await a.closed;
    // The host steps out; the room empties (its live state is dropped); the removed person comes back alone.
    host.ws.close();
    await host.closed;
    const alone = await openRoomSocket(signedInClient(inst, guest), roomId);
    await alone.hello();
    expect(await alone.next("welcome")).toMatchObject({ state: "waiting" });
    alone.ws.close();
    await alone.closed;
    const again = await openRoomSocket(signedInClient(inst, guest), roomId);
    await again.hello();
    expect(await again.next("welcome")).toMatchObject({ state: "waiting" });
    again.ws.close();
  });
});

describe("notices to the waiting room", () => {
  test("a notice reaches only the waiting person it names, only from the host, and is shown again after a reload", async () => {
    const { roomId, host, guests } = await roomWith(3);
    const [a, b, c] = [await enter(roomId, guests[0]!), await enter(roomId, guests[1]!), await enter(roomId, guests[2]!)];
    await admitted(host, c, guests[2]!.personId);

    send(host, { type: "notice", personId: guests[0]!.personId, text: "Running 5 minutes late" });
    expect(await a.next("notice")).toMatchObject({ type: "notice", text: "Running 5 minutes late" });
    expect(await arrives(b, "notice", 300)).toBe(false);
    expect(await arrives(c, "notice", 100)).toBe(false);

    // A guest cannot send one; nobody in the call gets one.
    send(c, { type: "notice", personId: guests[1]!.personId, text: "come in, door is open" });
    send(host, { type: "notice", personId: guests[2]!.personId, text: "to someone in the call" });
    expect(await arrives(b, "notice")).toBe(false);
    expect(await arrives(c, "notice", 100)).toBe(false);

    a.ws.close();
    await a.closed;
    const reloaded = await enter(roomId, guests[0]!);
    expect(await reloaded.next("notice")).toMatchObject({ text: "Running 5 minutes late" });
    for (const s of [host, reloaded, b, c]) s.ws.close();
  });
});

describe("limits and state", () => {
  test(`at most ${MAX_IN_CALL} people are in the call: the host is told the call is full`, async () => {
    const { roomId, host, guests } = await roomWith(MAX_IN_CALL);
    const sockets: RoomSocket[] = [];
    for (const g of guests.slice(0, MAX_IN_CALL - 1)) {
      const s = await enter(roomId, g);
      await admitted(host, s, g.personId);
      sockets.push(s);
    }
    const ninth = await enter(roomId, guests[MAX_IN_CALL - 1]!);
    send(host, { type: "admit", personId: guests[MAX_IN_CALL - 1]!.personId });
    expect(await host.next("full")).toEqual({ type: "full" });
    expect(await arrives(ninth, "admitted")).toBe(false);

    // Once someone leaves, there is room.
    sockets[0]!.ws.close();
    await sockets[0]!.closed;
    await Bun.sleep(100);
    await admitted(host, ninth, guests[MAX_IN_CALL - 1]!.personId);
    for (const s of [host, ninth, ...sockets.slice(1)]) s.ws.close();
  }, 30_000);

  test("everyone in the call receives each participant's device states; a malformed state closes the socket", async () => {
    const { roomId, host, guests } = await roomWith(1);
    const a = await enter(roomId, guests[0]!);
    await admitted(host, a, guests[0]!.personId);

    send(a, { type: "state", mic: "on", camera: "blocked", screen: false });
    for (;;) {
      const people = (await host.next("participants")).people as { personId: string; camera: string; mic: string; screen: boolean; name: string; role: string }[];
      const guest = people.find((p) => p.personId === guests[0]!.personId);
      if (guest?.camera !== "blocked") continue;
      expect(guest).toMatchObject({ mic: "on", camera: "blocked", screen: false, role: "guest" });
      expect(people.find((p) => p.personId === specialist.personId)).toMatchObject({ role: "host" });
      break;
    }
    send(host, { type: "state", mic: "missing", camera: "on", screen: true });
    for (;;) {
      const people = (await a.next("participants")).people as { personId: string; mic: string; screen: boolean }[];
      if (people.find((p) => p.personId === specialist.personId)?.screen !== true) continue;
      expect(people.find((p) => p.personId === specialist.personId)).toMatchObject({ mic: "missing", screen: true });
      break;
    }
    send(a, { type: "state", mic: "loud", camera: "on", screen: false });
    expect(await a.closed).toEqual({ code: 1002, reason: "malformed message" });
    host.ws.close();
  });
});

describe("the call page", () => {
  test("its first load (HTML, Pico, htmx, our CSS and the call client) stays under 60 KB compressed", async () => {
    const host = signedInClient(inst, specialist);
    const roomId = (await host.post("/rooms")).headers.get("location")!.split("/").pop()!;
    const html = await (await host.get(`/rooms/${roomId}`)).text();
    const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+\.(?:css|js))"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.includes("/call."))).toBe(true);
    expect(assets.some((a) => a.includes("/pico."))).toBe(true);
    let total = Bun.gzipSync(new TextEncoder().encode(html)).length;
    for (const a of assets) total += Bun.gzipSync(new Uint8Array(await (await host.get(a)).arrayBuffer())).length;
    console.log(`call page first load: ${(total / 1024).toFixed(1)} KB compressed (${assets.length} assets)`);
    expect(total).toBeLessThanOrEqual(60 * 1024);
  });
});
