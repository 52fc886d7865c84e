// The API's people, rooms and consultation records through the real app, with real tokens: whom each role's token
// sees, every read audited with the token's name, pagination, adding a client (and what a 409 gives away), rooms and
// their links, record content refused without records:read (403) and outside the owner's care (404), a client's
// withdrawal of file sharing honoured, and an erased client read as erased, never a 500.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createToken } from "../src/api/tokens.ts";
import { scopesFor, type Scope } from "../src/api/scopes.ts";
import { appointmentRoom, book } from "../src/booking/appointments.ts";
import { saveConsentText } from "../src/consent/consent.ts";
import { giveConsent, withdrawConsent } from "../src/consent/ledger.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { addSupervision } from "../src/records/care.ts";
import { postChatMessage } from "../src/rooms/chat.ts";
import { storeRoomFile } from "../src/rooms/files.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;
let other: TestPerson;
let supervisor: TestPerson;
let staff: TestPerson;
let mine: TestPerson; // a client of `specialist`
let theirs: TestPerson; // a client of `other`
let serviceId: string;
let slot = 0;
const tokens: Record<string, string> = {};

function token(who: TestPerson, name: string, scopes: readonly Scope[] = scopesFor(who.role)): string {
  const made = createToken(inst, { personId: who.personId, name, scopes, expiresAt: inst.clock.now() + 30 * 86_400_000 }, who.personId);
  if (!made.ok) throw new Error(made.reason);
  return made.secret;
}

function call(secret: string, path: string, init: { method?: string; json?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
  if (init.json !== undefined) headers["content-type"] = "application/json";
  return Promise.resolve(inst.app.request(new URL(`/api/v1${path}`, inst.config.publicUrl).toString(), { method: init.method ?? "GET", headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) }));
}

const auditOf = (action: string) =>
  (inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[]).map((e) => ({ ...e, details: JSON.parse(e.details) as Record<string, unknown> }));

/** A held consultation of `client` with `host`: its room, a message from each, and a file the client shared. */
async function consultation(client: TestPerson, host: TestPerson): Promise<{ appointmentId: string; roomId: string; fileId: string }> {
  const start = at(dayAhead(2 + Math.floor(slot / 8)), `${String(9 + (slot++ % 8)).padStart(2, "0")}:00`);
  const booked = book(inst, { serviceId, specialistId: host.personId, start, clientId: client.personId, actor: { personId: host.personId, role: "specialist" } }, inst.clock.now());
  if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
  const appointmentId = booked.appointments[0]!.id;
  const opened = appointmentRoom(inst, appointmentId, { personId: host.personId, role: "specialist" }, start);
  if (!opened.ok) throw new Error(`room failed: ${opened.reason}`);
  postChatMessage(inst, opened.roomId, host.personId, "Here is the exercise we talked about.");
  postChatMessage(inst, opened.roomId, client.personId, "Thank you, I will try it.");
  const files = { ...inst, filesDir: join(inst.config.dataDir, "files"), maxBytes: 1 << 20, roomQuotaBytes: 1 << 22 };
  const stored = await storeRoomFile(files, opened.roomId, client.personId, "my-diary.txt", new TextEncoder().encode("diary: slept badly"));
  if (!stored.ok) throw new Error(`upload failed: ${stored.problem}`);
  return { appointmentId, roomId: opened.roomId, fileId: stored.file.id };
}

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist", { name: "Anna Berg" });
  other = await addPerson(inst, admin.personId, "specialist", { name: "Boris Other" });
  supervisor = await addPerson(inst, admin.personId, "specialist", { name: "Vera Supervisor" });
  staff = await addPerson(inst, admin.personId, "staff", { name: "Rita Reception" });
  mine = await addPerson(inst, admin.personId, "client", { name: "Olga Mine" });
  theirs = await addPerson(inst, admin.personId, "client", { name: "Oleg Theirs" });
  serviceId = makeService(inst, admin.personId, [specialist.personId, other.personId], { cancelHours: 0 }).id;
  setHours(inst, specialist.personId, everyDay("UTC"));
  setHours(inst, other.personId, everyDay("UTC"));
  expect(addSupervision(inst, admin.personId, supervisor.personId, specialist.personId, inst.clock.now())).toBe("ok");
  await consultation(mine, specialist); // puts each client in their specialist's care
  await consultation(theirs, other);
  tokens.admin = token(admin, "Admin CRM");
  tokens.staff = token(staff, "Reception CRM");
  tokens.specialist = token(specialist, "Berg's practice app");
  tokens.other = token(other, "Other's app");
  tokens.supervisor = token(supervisor, "Supervision app");
  tokens.noRecords = token(specialist, "Berg without records", ["people:read", "appointments:read", "rooms:write"]);
  tokens.writeOnly = token(staff, "Reception write-only", ["people:write"]);
}, 60_000);
afterAll(() => inst.close());

async function allClientIds(secret: string): Promise<string[]> {
  const r = await call(secret, "/clients?limit=200");
  expect(r.status).toBe(200);
  return ((await r.json()) as { items: { id: string }[] }).items.map((c) => c.id);
}

describe("clients", () => {
  test("admins and staff see every client, a specialist only those in their care (and their supervisor too)", async () => {
    for (const who of ["admin", "staff"]) expect(await allClientIds(tokens[who]!)).toEqual(expect.arrayContaining([mine.personId, theirs.personId]));
    const own = await allClientIds(tokens.specialist!);
    expect(own).toContain(mine.personId);
    expect(own).not.toContain(theirs.personId);
    expect(await allClientIds(tokens.supervisor!)).toContain(mine.personId);
    expect(await allClientIds(tokens.other!)).not.toContain(mine.personId);

    const one = await call(tokens.specialist!, `/clients/${mine.personId}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: mine.personId, name: "Olga Mine", email: mine.email, erased: false, restricted: false, account: "active" });
    // Someone else's client, a colleague, and nobody at all look alike: not found, as problem details.
    for (const id of [theirs.personId, other.personId, "no-such-id"]) {
      const r = await call(tokens.specialist!, `/clients/${id}`);
      expect(r.status).toBe(404);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  test("every read is audited as the page's read, with the token's name", async () => {
    await call(tokens.staff!, `/clients/${mine.personId}`);
    expect(auditOf("person.view").at(-1)).toEqual({ actor: staff.personId, target: mine.personId, details: { token: "Reception CRM" } });
    await call(tokens.admin!, "/clients?limit=1");
    expect(auditOf("clients.list").at(-1)).toEqual({ actor: admin.personId, target: null, details: { count: 1, token: "Admin CRM" } });
    await call(tokens.staff!, "/specialists");
    expect(auditOf("specialists.list").at(-1)).toMatchObject({ actor: staff.personId, details: { token: "Reception CRM" } });
  });

  test("pages follow the cursor to the end without repeating or skipping, and a made-up cursor is a 400", async () => {
    const all = await allClientIds(tokens.admin!);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const walked: string[] = [];
    let next: string | null = null;
    do {
      const r = await call(tokens.admin!, `/clients?limit=1${next ? `&cursor=${next}` : ""}`);
      const page = (await r.json()) as { items: { id: string }[]; next: string | null };
      expect(page.items.length).toBe(1);
      walked.push(page.items[0]!.id);
      next = page.next;
    } while (next);
    expect(walked).toEqual(all);
    const bad = await call(tokens.admin!, "/clients?cursor=bm90LWEtY3Vyc29y");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain("cursor");
    expect((await call(tokens.admin!, "/clients?limit=0")).status).toBe(400);
  });

  test("a client is looked up by email in the body, case-insensitively, only within what the token sees", async () => {
    const found = await call(tokens.specialist!, "/clients/lookup", { method: "POST", json: { email: mine.email.toUpperCase() } });
    expect(found.status).toBe(200);
    expect(((await found.json()) as { id: string }).id).toBe(mine.personId);
    expect(auditOf("person.view").at(-1)).toMatchObject({ target: mine.personId, details: { by: "email", token: "Berg's practice app" } });
    expect((await call(tokens.specialist!, "/clients/lookup", { method: "POST", json: { email: theirs.email } })).status).toBe(404);
    expect((await call(tokens.specialist!, "/clients/lookup", { method: "POST", json: { email: "nobody@example.org" } })).status).toBe(404);
    expect((await call(tokens.staff!, "/clients/lookup", { method: "POST", json: { email: theirs.email } })).status).toBe(200);
  });

  test("adding a client invites them by mail; a known email is a 409 that names only a client the token could read", async () => {
    const made = await call(tokens.staff!, "/clients", { method: "POST", json: { name: "Nina New", email: "Nina.New@example.org", phone: "+7 900 000-00-01", locale: "ru", timeZone: "Asia/Yekaterinburg" } });
    expect(made.status).toBe(201);
    const client = (await made.json()) as { id: string; email: string; locale: string; timeZone: string; account: string; phone: string; invitationMailed: boolean };
    expect(client).toMatchObject({ email: "nina.new@example.org", phone: "+7 900 000-00-01", locale: "ru", timeZone: "Asia/Yekaterinburg", account: "invited" });
    expect(made.headers.get("location")).toBe(`/api/v1/clients/${client.id}`);
    // This installation has no mail server: nothing went out, the invitation waits in the queue (as the answer says).
    expect(client.invitationMailed).toBe(false);
    const mails = inst.db.$client.query("SELECT status FROM jobs WHERE subject = ? AND dedupe_key LIKE 'link:%'").all(client.id) as { status: string }[];
    expect(mails).toEqual([{ status: "pending" }]);

    const again = await call(tokens.staff!, "/clients", { method: "POST", json: { name: "Nina Again", email: "nina.new@example.org" } });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ status: 409, existingId: client.id });
    const blind = await call(tokens.writeOnly!, "/clients", { method: "POST", json: { name: "Nina Again", email: "nina.new@example.org" } });
    expect(blind.status).toBe(409);
    expect(await blind.json()).not.toHaveProperty("existingId");
    const colleague = await call(tokens.staff!, "/clients", { method: "POST", json: { name: "Not Anna", email: specialist.email } });
    expect(colleague.status).toBe(409);
    expect(await colleague.json()).not.toHaveProperty("existingId");

    const invalid = await call(tokens.staff!, "/clients", { method: "POST", json: { name: "", email: "not-an-email", timeZone: "Mars/Olympus" } });
    expect(invalid.status).toBe(400);
    const problem = (await invalid.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path).sort()).toEqual(["email", "name", "timeZone"]);
  });

  test("with a mail server set up, invitationMailed is true: the invitation is queued for it", async () => {
    const mailing = makeInstallation({ KABINET_SMTP_URL: "smtp://127.0.0.1:9" });
    try {
      const boss = await setUpOrganisation(mailing);
      const made = createToken(mailing, { personId: boss.personId, name: "CRM", scopes: ["people:write"], expiresAt: mailing.clock.now() + 86_400_000 }, boss.personId);
      if (!made.ok) throw new Error(made.reason);
      const r = await mailing.app.request(`${mailing.config.publicUrl.origin}/api/v1/clients`, {
        method: "POST",
        headers: { authorization: `Bearer ${made.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Mila Mailed", email: "mila@example.org" }),
      });
      expect(r.status).toBe(201);
      const client = (await r.json()) as { id: string; invitationMailed: boolean };
      expect(client.invitationMailed).toBe(true);
      expect(mailing.db.$client.query("SELECT count(*) AS n FROM jobs WHERE subject = ? AND dedupe_key LIKE 'link:%'").get(client.id)).toEqual({ n: 1 });
    } finally {
      mailing.close();
    }
  });

  test("specialists are listed with the services they offer", async () => {
    const r = await call(tokens.staff!, "/specialists");
    const items = ((await r.json()) as { items: { id: string; name: string; serviceIds: string[]; active: boolean }[] }).items;
    expect(items.find((s) => s.id === specialist.personId)).toMatchObject({ name: "Anna Berg", serviceIds: [serviceId], active: true });
    expect(items.some((s) => s.id === staff.personId || s.id === mine.personId)).toBe(false);
    expect((await call(tokens.staff!, `/specialists/${specialist.personId}`)).status).toBe(200);
    expect(auditOf("specialist.view").at(-1)).toMatchObject({ actor: staff.personId, target: specialist.personId, details: { token: "Reception CRM" } });
    expect((await call(tokens.staff!, `/specialists/${mine.personId}`)).status).toBe(404);
  });
});

describe("rooms", () => {
  test("a specialist opens a room and gets its link on the public origin; only they see its label and link", async () => {
    const r = await call(tokens.specialist!, "/rooms", { method: "POST", json: { label: "Second opinion" } });
    expect(r.status).toBe(201);
    const room = (await r.json()) as { id: string; label: string; live: boolean; appointmentId: null; invitation: { url: string } };
    expect(room).toMatchObject({ label: "Second opinion", live: true, appointmentId: null });
    expect(room.invitation.url).toMatch(new RegExp(`^${inst.config.publicUrl.origin}/rooms/invite/[A-Za-z0-9_-]{43}$`));
    expect((await call(tokens.specialist!, "/rooms", { method: "POST" })).status).toBe(201); // no body: no label

    expect(await (await call(tokens.specialist!, `/rooms/${room.id}`)).json()).toMatchObject({ id: room.id, ownerId: specialist.personId, label: "Second opinion" });
    expect(await (await call(tokens.specialist!, `/rooms/${room.id}/invitation`)).json()).toMatchObject({ url: room.invitation.url });
    // Another specialist, an admin and staff: an ad-hoc room of someone else does not exist for them.
    for (const who of ["other", "admin", "staff"]) expect((await call(tokens[who]!, `/rooms/${room.id}`)).status).toBe(404);
    expect((await call(tokens.admin!, `/rooms/${room.id}/invitation`)).status).toBe(404);
    // Once it expired, the link admits nobody: 409, not a dead link. (A token of its own: its rate bucket is spent
    // when the clock steps back, see the report on rate-limit.ts.)
    const traveller = token(specialist, "Berg's time travel");
    inst.clock.set(inst.clock.now() + 5 * 3600_000);
    try {
      expect((await call(traveller, `/rooms/${room.id}/invitation`)).status).toBe(409);
    } finally {
      inst.clock.release();
    }
    expect((await call(tokens.specialist!, "/rooms", { method: "POST", json: { label: "x".repeat(500) } })).status).toBe(400);
  });

  test("an appointment's room is seen by whoever sees the appointment, its record summary without any content", async () => {
    const { appointmentId, roomId, fileId } = await consultation(mine, specialist);
    const seen = await call(tokens.staff!, `/rooms/${roomId}`);
    expect(await seen.json()).toMatchObject({ id: roomId, appointmentId, label: null });
    const summary = await call(tokens.staff!, `/rooms/${roomId}/record`);
    expect(summary.status).toBe(200);
    const text = await summary.text();
    expect(JSON.parse(text)).toMatchObject({ roomId, appointmentId, messageCount: 2, files: [{ id: fileId, mime: "text/plain; charset=utf-8", size: 18 }], erased: false });
    expect(text).not.toContain("diary");
    expect(text).not.toContain("exercise");
    expect((await call(tokens.other!, `/rooms/${roomId}/record`)).status).toBe(404);
  });

  test("a room or its record summary read by anyone but its host or specialist is audited with the token", async () => {
    const { roomId } = await consultation(mine, specialist);
    const reads = () => auditOf("room-summary.view").filter((e) => e.target === roomId);
    expect((await call(tokens.specialist!, `/rooms/${roomId}`)).status).toBe(200);
    expect((await call(tokens.specialist!, `/rooms/${roomId}/record`)).status).toBe(200);
    expect(reads()).toEqual([]);
    expect((await call(tokens.staff!, `/rooms/${roomId}`)).status).toBe(200);
    expect((await call(tokens.admin!, `/rooms/${roomId}/record`)).status).toBe(200);
    expect((await call(tokens.supervisor!, `/rooms/${roomId}/record`)).status).toBe(200);
    expect(reads()).toEqual([
      { actor: staff.personId, target: roomId, details: { part: "room", token: "Reception CRM" } },
      { actor: admin.personId, target: roomId, details: { part: "record", token: "Admin CRM" } },
      { actor: supervisor.personId, target: roomId, details: { part: "record", token: "Supervision app" } },
    ]);
    // A refused read is no read.
    expect((await call(tokens.other!, `/rooms/${roomId}`)).status).toBe(404);
    expect(reads()).toHaveLength(3);
  });
});

describe("consultation records", () => {
  test("the chat and files need records:read (403) and the client's care (404); reads are audited with the token", async () => {
    const { roomId, fileId } = await consultation(mine, specialist);
    const refused = await call(tokens.noRecords!, `/rooms/${roomId}/messages`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain("records:read");
    for (const who of ["other", "admin"]) {
      expect((await call(tokens[who]!, `/rooms/${roomId}/messages`)).status).toBe(404);
      expect((await call(tokens[who]!, `/rooms/${roomId}/files/${fileId}`)).status).toBe(404);
    }

    const chat = await call(tokens.specialist!, `/rooms/${roomId}/messages?limit=1`);
    const first = (await chat.json()) as { items: { text: string; author: string }[]; next: string };
    expect(first.items).toEqual([expect.objectContaining({ text: "Here is the exercise we talked about.", author: "Anna Berg" })]);
    const second = (await (await call(tokens.specialist!, `/rooms/${roomId}/messages?limit=1&cursor=${first.next}`)).json()) as { items: { text: string }[]; next: null };
    expect(second).toMatchObject({ items: [{ text: "Thank you, I will try it." }], next: null });
    expect(auditOf("room.view").at(-1)).toEqual({ actor: specialist.personId, target: roomId, details: { messages: 1, token: "Berg's practice app" } });

    const list = await call(tokens.supervisor!, `/rooms/${roomId}/files`);
    expect(((await list.json()) as { items: { name: string }[] }).items).toEqual([expect.objectContaining({ id: fileId, name: "my-diary.txt" })]);
    const file = await call(tokens.supervisor!, `/rooms/${roomId}/files/${fileId}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''my-diary.txt");
    expect(await file.text()).toBe("diary: slept badly");
    expect(auditOf("file.download").at(-1)).toEqual({ actor: supervisor.personId, target: roomId, details: { file: fileId, token: "Supervision app" } });
    expect((await call(tokens.specialist!, `/rooms/${roomId}/files/not-a-file`)).status).toBe(404);
  });

  test("a client who withdrew consent to file sharing has their files listed but not given out", async () => {
    const client = await addPerson(inst, admin.personId, "client", { name: "Wanda Withdrawn" });
    const { roomId, fileId } = await consultation(client, specialist);
    const now = inst.clock.now();
    saveConsentText(inst.db, inst.vault, "file-sharing", { textEn: "Files you share are kept with the record.", textRu: "Файлы хранятся вместе с записью." }, admin.personId, now);
    const who = { personId: client.personId, recordedBy: client.personId, method: "account" as const, purpose: "file-sharing" as const };
    inst.db.transaction((tx) => giveConsent(tx, inst.vault, who, now));
    inst.db.transaction((tx) => withdrawConsent(tx, inst.vault, who, now));
    expect((await call(tokens.specialist!, `/rooms/${roomId}/files`)).status).toBe(200);
    const r = await call(tokens.specialist!, `/rooms/${roomId}/files/${fileId}`);
    expect(r.status).toBe(403);
    expect(((await r.json()) as { detail: string }).detail).toContain("withdrew");
  });

  test("an erased client reads as erased: the client without data, the consultation gone, never a 500", async () => {
    const client = await addPerson(inst, admin.personId, "client", { name: "Eva Erased" });
    const { roomId, fileId } = await consultation(client, specialist);
    const erased = eraseClient({ ...inst, dataDir: inst.config.dataDir }, client.personId, admin.personId);
    expect(erased.ok).toBe(true);
    const r = await call(tokens.admin!, `/clients/${client.personId}`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ id: client.personId, erased: true, name: null, email: null, phone: null });
    const listed = (await (await call(tokens.staff!, "/clients?limit=200")).json()) as { items: { id: string; erased: boolean }[] };
    expect(listed.items.find((c) => c.id === client.personId)).toMatchObject({ erased: true });
    expect(await (await call(tokens.specialist!, `/rooms/${roomId}/record`)).json()).toMatchObject({ messageCount: 0, files: [], erased: true });
    for (const path of [`/rooms/${roomId}/messages`, `/rooms/${roomId}/files`, `/rooms/${roomId}/files/${fileId}`]) {
      const gone = await call(tokens.specialist!, path);
      expect(gone.status).toBe(410);
      expect(gone.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});
