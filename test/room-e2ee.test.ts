// The server's part in end-to-end encryption, over real WebSockets: it relays key-exchange messages only between people
// in the call, stamped with the sender it authenticated (a browser cannot pose as another), refuses anything but a
// small flat body, and turns away a browser that cannot encrypt unless the organisation allows it; then everyone is
// told whose browser does not encrypt.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { UNENCRYPTED_REFUSED } from "../src/rooms/live-room.ts";
import { KEY_MESSAGES_PER_10S } from "../src/rooms/live-rooms.ts";
import { getSettings, saveSettings } from "../src/settings/settings.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "./support/installation.ts";
import { openInvitedRoom, openRoomSocket, type RoomSocket } from "./support/room-socket.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;

beforeAll(async () => {
  served = await serveInstallation({ KABINET_MEDIA_PORTS: "45400-45450" });
  inst = served.inst;
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
});
afterAll(() => served.stop());

/** A room the specialist opened, whose invitation each guest has opened. */
async function openRoom(guests: TestPerson[]): Promise<string> {
  return (await openInvitedRoom(inst, specialist, guests)).roomId;
}

async function join(p: TestPerson, roomId: string, e2ee?: boolean): Promise<RoomSocket> {
  const s = await openRoomSocket(signedInClient(inst, p), roomId);
  const token = ((await (await s.browser.get(`/rooms/${roomId}/join-token`)).json()) as { token: string }).token;
  s.ws.send(JSON.stringify(e2ee === undefined ? { type: "hello", token } : { type: "hello", token, e2ee }));
  return s;
}

/** The specialist and a new client in a call (the client admitted), and others invited but not yet there. */
async function inCall(others: TestPerson[] = []): Promise<{ roomId: string; guest: TestPerson; host: RoomSocket; g: RoomSocket }> {
  const guest = await addPerson(inst, admin.personId, "client");
  const roomId = await openRoom([guest, ...others]);
  const host = await join(specialist, roomId);
  await host.next("welcome");
  const g = await join(guest, roomId);
  await g.next("welcome");
  host.ws.send(JSON.stringify({ type: "admit", personId: guest.personId }));
  await g.next("admitted");
  return { roomId, guest, host, g };
}

function allowUnencrypted(on: boolean): void {
  saveSettings(inst.db, { ...getSettings(inst.db)!, unencryptedCalls: on });
}

function closing(s: RoomSocket, ms = 3000): Promise<{ code: number; reason: string } | "still open"> {
  return Promise.race([s.closed, Bun.sleep(ms).then(() => "still open" as const)]);
}

test("key messages reach only people in the call, stamped with the sender the server knows; odd bodies close the socket", async () => {
  const waiter = await addPerson(inst, admin.personId, "client");
  const { roomId, guest, host, g } = await inCall([waiter]);
  const w = await join(waiter, roomId);
  await w.next("welcome");

  // In the call: relayed, with `from` set by the server (a "from" in the body changes nothing).
  g.ws.send(JSON.stringify({ type: "e2ee", to: specialist.personId, body: { kind: "key", pk: "AAAA", ack: false, from: specialist.personId } }));
  const got = await host.next("e2ee");
  host.messages.splice(0); // a message awaited before it came stays in the list: read it once
  expect(got.from).toBe(guest.personId);
  expect(got.body).toEqual({ kind: "key", pk: "AAAA", ack: false, from: specialist.personId });

  // Someone still waiting neither sends nor receives keys.
  w.ws.send(JSON.stringify({ type: "e2ee", to: specialist.personId, body: { kind: "key", pk: "BBBB", ack: false } }));
  host.ws.send(JSON.stringify({ type: "e2ee", to: waiter.personId, body: { kind: "key", pk: "CCCC", ack: false } }));
  // Nor to oneself.
  host.ws.send(JSON.stringify({ type: "e2ee", to: specialist.personId, body: { kind: "key", pk: "DDDD", ack: false } }));
  g.ws.send(JSON.stringify({ type: "e2ee", to: specialist.personId, body: { kind: "nonce", sid: "s", n: "EEEE" } }));
  const next = await host.next("e2ee");
  host.messages.splice(0);
  expect(next.body).toEqual({ kind: "nonce", sid: "s", n: "EEEE" }); // the waiter's and the self-addressed ones never came
  await Bun.sleep(200);
  expect(host.messages.filter((m) => m.type === "e2ee")).toEqual([]);
  expect(w.messages.filter((m) => m.type === "e2ee")).toEqual([]);

  // Nested objects, long strings or many fields are a protocol error: the socket closes with the reason.
  for (const body of [{ kind: "key", pk: { nested: true } }, { kind: "key", pk: "x".repeat(201) }, Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, "v"]))]) {
    const s = await join(guest, roomId);
    await s.next("welcome");
    s.ws.send(JSON.stringify({ type: "e2ee", to: specialist.personId, body }));
    expect(await closing(s)).toEqual({ code: 1002, reason: "malformed message" });
  }
}, 30_000);

test("a browser that cannot encrypt is turned away with the reason, unless the organisation allows it; then everyone sees whose", async () => {
  const guest = await addPerson(inst, admin.personId, "client");
  const roomId = await openRoom([guest]);
  allowUnencrypted(false);
  const refused = await join(guest, roomId, false);
  expect(await closing(refused)).toEqual({ code: 1008, reason: UNENCRYPTED_REFUSED });

  allowUnencrypted(true);
  try {
    const host = await join(specialist, roomId, true);
    await host.next("welcome");
    const g = await join(guest, roomId, false);
    await g.next("welcome");
    host.ws.send(JSON.stringify({ type: "admit", personId: guest.personId }));
    await g.next("admitted");
    for (;;) {
      const m = await host.next("participants");
      const people = m.people as { personId: string; e2ee: boolean }[];
      if (people.length < 2) continue;
      expect(people.find((p) => p.personId === guest.personId)!.e2ee).toBe(false);
      expect(people.find((p) => p.personId === specialist.personId)!.e2ee).toBe(true);
      break;
    }
  } finally {
    allowUnencrypted(false);
  }
}, 30_000);

test("key messages have their own allowance: a full call's key exchange leaves room for the rest, a flood still closes the socket", async () => {
  const { host, g } = await inCall();
  for (let i = 0; i < KEY_MESSAGES_PER_10S; i++) g.ws.send(JSON.stringify({ type: "e2ee", to: specialist.personId, body: { kind: "nonce", sid: "s", n: String(i) } }));
  g.ws.send(JSON.stringify({ type: "chat", text: "still here" }));
  await host.next("chat");
  expect(await closing(g, 500)).toBe("still open");
  g.ws.send(JSON.stringify({ type: "e2ee", to: specialist.personId, body: { kind: "nonce", sid: "s", n: "one too many" } }));
  expect(await closing(g)).toEqual({ code: 1008, reason: "too many messages" });
}, 30_000);
