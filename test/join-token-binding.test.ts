// A join token is bound to one room as well as to one person and session (those two: test/room-sockets.test.ts,
// "a token opens a socket only for the person and the session it was minted for"). Here, over real WebSockets: the
// same person in the same session, allowed into two rooms, cannot open one room's socket with the other room's
// token, nor with a token whose room was edited, nor with one past its minute.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import type { TestClient } from "./support/client.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "./support/installation.ts";
import { openRoomSocket, type RoomSocket } from "./support/room-socket.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let specialist: TestPerson;
let host: TestClient;
let roomA: string;
let roomB: string;

beforeAll(async () => {
  served = await serveInstallation({ KABINET_MEDIA_PORTS: "45600-45650" });
  inst = served.inst;
  const admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
  // One browser session throughout: only the room differs between a token and the socket it is tried on.
  host = signedInClient(inst, specialist);
  roomA = (await host.post("/rooms")).headers.get("location")!.split("/").pop()!;
  roomB = (await host.post("/rooms")).headers.get("location")!.split("/").pop()!;
});
afterAll(() => served.stop());

async function tokenFor(roomId: string): Promise<string> {
  const r = await host.get(`/rooms/${roomId}/join-token`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { token: string }).token;
}

/** Opens `roomId`'s socket in the host's session and says hello with `token`: the welcome, or how it closed. */
async function helloWith(roomId: string, token: string): Promise<unknown> {
  const s: RoomSocket = await openRoomSocket(host, roomId);
  s.ws.send(JSON.stringify({ type: "hello", token }));
  const outcome = await Promise.race([s.next("welcome").then((m) => ({ welcome: m.role })), s.closed, Bun.sleep(3000).then(() => "neither")]);
  s.ws.close();
  await s.closed;
  return outcome;
}

describe("join tokens and rooms", () => {
  test("a token for room A does not open room B's socket, though its holder may enter both; on room A it does", async () => {
    expect(roomA).not.toBe(roomB);
    const tokenA = await tokenFor(roomA);
    expect(await helloWith(roomB, tokenA)).toEqual({ code: 1008, reason: "not allowed" });
    expect(await helloWith(roomB, await tokenFor(roomB))).toEqual({ welcome: "host" });
    expect(await helloWith(roomA, tokenA)).toEqual({ welcome: "host" });
  });

  test("a token whose room was rewritten to B (its MAC kept) opens nothing", async () => {
    const [body, mac] = (await tokenFor(roomA)).split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(body, "base64url").toString()) as { roomId: string };
    expect(claims.roomId).toBe(roomA);
    const edited = Buffer.from(JSON.stringify({ ...claims, roomId: roomB })).toString("base64url");
    expect(await helloWith(roomB, `${edited}.${mac}`)).toEqual({ code: 1008, reason: "not allowed" });
  });

  test("a token is good for a minute: after that it opens nothing, even in its own room and session", async () => {
    const token = await tokenFor(roomA);
    inst.clock.advance(61_000);
    try {
      expect(await helloWith(roomA, token)).toEqual({ code: 1008, reason: "not allowed" });
      expect(await helloWith(roomA, await tokenFor(roomA))).toEqual({ welcome: "host" });
    } finally {
      inst.clock.advance(-61_000);
    }
  });
});
