// Limits on what a consultation's file sharing may store: the room's files together stay within KABINET_ROOM_FILES_MB,
// and one person shares at most UPLOAD_RATE.files files in UPLOAD_RATE.windowMs, told clearly when to try again.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, rmSync } from "node:fs";
import { UPLOAD_RATE } from "../src/rooms/files.ts";
import { liftRestriction, restrictProcessing } from "../src/retention/holds.ts";
import { recordAdmission } from "../src/rooms/rooms.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let specialist: TestPerson;
let client: TestPerson;

beforeAll(async () => {
  inst = makeInstallation({ KABINET_ROOM_FILES_MB: "1" });
  const admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
  client = await addPerson(inst, admin.personId, "client");
});
afterAll(() => inst.close());

async function openRoom(): Promise<string> {
  return (await signedInClient(inst, specialist).post("/rooms")).headers.get("location")!.split("/").pop()!;
}

/** The client opens the room's invitation and the specialist lets them in. */
async function letClientIn(roomId: string): Promise<void> {
  const page = await (await signedInClient(inst, specialist).get(`/rooms/${roomId}`)).text();
  const guest = signedInClient(inst, client);
  await guest.get(`/rooms/invite/${page.match(/\/rooms\/invite\/([A-Za-z0-9_-]{43})/)![1]!}`);
  await guest.get("/rooms/join");
  recordAdmission(inst, roomId, client.personId);
}

async function upload(p: TestPerson, roomId: string, size: number): Promise<Response> {
  const bytes = new Uint8Array(size).fill(0x61); // plain text
  const form = new FormData();
  form.append("file", new File([bytes], "notes.txt"));
  const browser = signedInClient(inst, p);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return await inst.app.request(`${browser.origin}/rooms/${roomId}/files`, { method: "POST", body: form, headers: { origin: browser.origin, cookie } });
}

const filesOnDisk = (): number => readdirSync(`${inst.config.dataDir}/files`).length;

test("a room's files together stay within KABINET_ROOM_FILES_MB; a refused file leaves nothing on disk", async () => {
  const roomId = await openRoom();
  expect((await upload(specialist, roomId, 600_000)).status).toBe(201);
  const before = filesOnDisk();
  const full = await upload(specialist, roomId, 600_000);
  expect(full.status).toBe(413);
  expect(((await full.json()) as { error: string }).error).toBe("The files shared in this consultation have reached their limit of 1 MB together.");
  expect(filesOnDisk()).toBe(before);
  expect((await upload(specialist, roomId, 400_000)).status).toBe(201); // what still fits
  expect((await upload(specialist, await openRoom(), 600_000)).status).toBe(201); // another room has its own
});

test(`one person shares at most ${UPLOAD_RATE.files} files in ${UPLOAD_RATE.windowMs / 60_000} minutes, and is told when to try again`, async () => {
  inst.clock.set(Date.now()); // pinned: the uploads below are a second apart
  const roomId = await openRoom();
  await letClientIn(roomId);
  for (let i = 0; i < UPLOAD_RATE.files; i++) {
    expect((await upload(client, roomId, 10)).status).toBe(201);
    inst.clock.advance(1000);
  }
  const refused = await upload(client, roomId, 10);
  expect(refused.status).toBe(429);
  const wait = UPLOAD_RATE.windowMs / 1000 - UPLOAD_RATE.files; // until the first of them is out of the window
  expect(refused.headers.get("retry-after")).toBe(String(wait));
  expect(((await refused.json()) as { error: string }).error).toBe(`You have shared many files in a short time. Please try again in ${Math.ceil(wait / 60)} min.`);
  expect((await upload(specialist, roomId, 10)).status).toBe(201); // someone else in the same room is not held back
  inst.clock.advance(wait * 1000);
  expect((await upload(client, roomId, 10)).status).toBe(201);
});

test("a file whose sealed bytes are gone from disk (a partial restore) is not found, never a 500", async () => {
  const roomId = await openRoom();
  const created = await upload(specialist, roomId, 10);
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const browser = signedInClient(inst, specialist);
  expect((await browser.get(`/rooms/${roomId}/files/${id}`)).status).toBe(200);
  rmSync(`${inst.config.dataDir}/files/${id}`);
  expect((await browser.get(`/rooms/${roomId}/files/${id}`)).status).toBe(404);
});

test("a client whose processing is restricted shares no new file; the others in the room still can", async () => {
  inst.clock.set(Date.now() + 2 * UPLOAD_RATE.windowMs); // past the upload window of the test before, if it ran
  const roomId = await openRoom();
  await letClientIn(roomId);
  expect((await upload(client, roomId, 10)).status).toBe(201);
  expect(restrictProcessing(inst, client.personId, "request", "test")).toBe(true);
  try {
    const refused = await upload(client, roomId, 10);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe("Files cannot be shared: the processing of your data is restricted. Please contact the organisation.");
    expect((await upload(specialist, roomId, 10)).status).toBe(201);
  } finally {
    expect(liftRestriction(inst, client.personId, "test")).toBe(true);
  }
});
