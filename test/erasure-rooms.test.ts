// Erasure reaches what a client wrote in rooms sealed under someone else's key (an ad-hoc room, under the
// organisation's key; another client's appointment room), which shredding their own key cannot; and an erasure whose
// WAL truncation found a reader is finished by the server's periodic checkpoint once the reader is gone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createPerson } from "../src/people/people.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { truncatePendingFor } from "../src/privacy/shredded-list.ts";
import { listChatMessages, postChatMessage } from "../src/rooms/chat.ts";
import { listRoomFiles, storeRoomFile } from "../src/rooms/files.ts";
import { acceptRoomInvitation, createRoom, roomRoleOf, getRoom } from "../src/rooms/rooms.ts";
import { checkpointWal } from "../src/server.ts";
import { addPerson, setUpOrganisation } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const CANARY = "canary-Pereplut-9032";
let inst: TestInstallation;
let adminId: string;
let specialistId: string;

const fileDeps = (i: TestInstallation) => ({ ...i, filesDir: join(i.config.dataDir, "files"), maxBytes: 1 << 20, roomQuotaBytes: 4 << 20 });
const dbPath = () => join(inst.config.dataDir, "kabinet.db");
const walBytes = () => (existsSync(`${dbPath()}-wal`) ? readFileSync(`${dbPath()}-wal`) : Buffer.alloc(0));
const diskBytes = () => Buffer.concat([readFileSync(dbPath()), walBytes()]);
const client = (email: string, name = "Client") => createPerson(inst, { role: "client", email, name }, adminId)!.id;
const wrappedKeyOf = (subject: string) => (inst.db.$client.query("SELECT wrapped FROM data_keys WHERE subject = ?").get(subject) as { wrapped: Buffer }).wrapped;
const sealedBody = (id: number) => (inst.db.$client.query("SELECT body FROM room_messages WHERE id = ?").get(id) as { body: Buffer }).body;

beforeAll(async () => {
  inst = makeInstallation();
  adminId = (await setUpOrganisation(inst)).personId;
  specialistId = (await addPerson(inst, adminId, "specialist")).personId;
}, 60_000);
afterAll(() => inst.close());

describe("erasure and rooms sealed under another key", () => {
  test("the erased client's messages, files and participation go from ad-hoc and other clients' rooms; others' stay", async () => {
    const erased = client("rooms-erased@example.org");
    const other = client("rooms-other@example.org");
    // An ad-hoc room (organisation's key) the client joined through its invitation, and another client's room.
    const { room: adHoc, inviteToken } = createRoom(inst, specialistId, Date.now());
    expect(acceptRoomInvitation(inst, inviteToken, erased)).not.toBeNull();
    const othersRoom = createRoom(inst, specialistId, Date.now(), { subject: other, guests: [other, erased] }).room;
    const ownRoom = createRoom(inst, specialistId, Date.now(), { subject: erased, guests: [erased] }).room;

    const mine = postChatMessage(inst, adHoc.id, erased, `mine ${CANARY}`);
    const inOthers = postChatMessage(inst, othersRoom.id, erased, `theirs ${CANARY}`);
    postChatMessage(inst, ownRoom.id, erased, `own ${CANARY}`);
    postChatMessage(inst, adHoc.id, specialistId, "the specialist's reply");
    const upload = async (roomId: string, who: string, text: string) => {
      const r = await storeRoomFile(fileDeps(inst), roomId, who, "n.txt", new TextEncoder().encode(text));
      if (!r.ok) throw new Error(r.problem);
      return r.file.id;
    };
    const file = await upload(adHoc.id, erased, `file ${CANARY}`);
    const fileInOthers = await upload(othersRoom.id, erased, `file ${CANARY}`);
    const kept = await upload(adHoc.id, specialistId, "the specialist's file");
    const sealed = [sealedBody(mine.id), sealedBody(inOthers.id)];
    const sealedFile = readFileSync(join(inst.config.dataDir, "files", file));
    expect(sealed.every((s) => diskBytes().includes(s))).toBe(true); // the search can find them

    const result = eraseClient({ ...inst, dataDir: inst.config.dataDir }, erased, adminId);
    if (!result.ok) throw new Error(result.reason);
    expect(result.walEmptied).toBe(true);

    expect(listChatMessages(inst, adHoc.id).map((m) => m.text)).toEqual(["the specialist's reply"]);
    expect(listChatMessages(inst, othersRoom.id)).toEqual([]);
    expect(listRoomFiles(inst, adHoc.id).map((f) => f.id)).toEqual([kept]);
    expect(listRoomFiles(inst, othersRoom.id)).toEqual([]);
    expect(existsSync(join(inst.config.dataDir, "files", file))).toBe(false);
    expect(existsSync(join(inst.config.dataDir, "files", fileInOthers))).toBe(false);
    expect(existsSync(join(inst.config.dataDir, "files", kept))).toBe(true);
    // Their sealed bytes are nowhere in the database, its WAL or the files (secure_delete zeroes the freed pages).
    const everything = Buffer.concat([diskBytes(), ...listRoomFiles(inst, adHoc.id).map((f) => readFileSync(join(inst.config.dataDir, "files", f.id)))]);
    for (const s of sealed) expect(everything.includes(s)).toBe(false);
    expect(everything.includes(sealedFile.subarray(0, 64))).toBe(false);
    expect(inst.db.$client.query("SELECT count(*) AS n FROM room_participants WHERE person_id = ?").get(erased)).toEqual({ n: 0 });
    expect(roomRoleOf(inst.db, getRoom(inst.db, adHoc.id)!, erased)).toBeNull();
    // The other client keeps their place in their own room.
    expect(roomRoleOf(inst.db, getRoom(inst.db, othersRoom.id)!, other)).toBe("guest");
    // Their own appointment room's rows stay: shredding their key already closed them.
    expect(inst.db.$client.query("SELECT count(*) AS n FROM room_messages WHERE room_id = ?").get(ownRoom.id)).toEqual({ n: 1 });
  });
});

describe("a WAL truncation that found a reader", () => {
  test("is retried by the periodic checkpoint once the reader is gone, and the old wrapped key leaves the WAL", () => {
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const erased = client("wal-erased@example.org", CANARY); // its key is written into the (empty) WAL
    const wrapped = Buffer.from(wrappedKeyOf(erased));
    expect(walBytes().includes(wrapped)).toBe(true);

    // Another connection in a read transaction, as Litestream holds one: the erasure's TRUNCATE is busy.
    const reader = new Database(dbPath(), { readonly: true });
    reader.run("BEGIN");
    reader.query("SELECT count(*) FROM people").get();
    const result = eraseClient({ ...inst, dataDir: inst.config.dataDir }, erased, adminId);
    if (!result.ok) throw new Error(result.reason);
    expect(result.walEmptied).toBe(false);
    expect(truncatePendingFor(inst.db)).toBe(true);
    expect(walBytes().includes(wrapped)).toBe(true);
    checkpointWal(inst); // still busy: still waiting
    expect(truncatePendingFor(inst.db)).toBe(true);

    reader.run("COMMIT");
    reader.close();
    const before = inst.logs.length;
    checkpointWal(inst);
    expect(truncatePendingFor(inst.db)).toBe(false);
    expect(statSync(`${dbPath()}-wal`).size).toBe(0);
    expect(diskBytes().includes(wrapped)).toBe(false);
    checkpointWal(inst); // nothing waits any more: a plain PASSIVE checkpoint, no second line
    const lines = inst.logs.slice(before).filter((l) => l.includes("WAL emptied after an erasure"));
    expect(lines.length).toBe(1);
    expect(lines[0]).not.toContain(CANARY);
  });
});
