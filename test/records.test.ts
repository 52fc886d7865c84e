// Session notes through the real app: sealed at rest under the client's key, versioned, finalised, readable only by
// their author and the author's supervisors (others through break-glass: test/break-glass.test.ts), every read and
// write audited.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { book } from "../src/booking/appointments.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import type { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;
let colleague: TestPerson;
let staff: TestPerson;
let supervisor: TestPerson;
let clientId: string;
let appointmentId: string;
let as: (p: { personId: string }) => TestClient;

const auditOf = (action: string) =>
  inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[];

function diskBytes(): Buffer {
  const files = ["kabinet.db", "kabinet.db-wal"].map((f) => join(inst.config.dataDir, f)).filter(existsSync);
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

/** Writes a note as the specialist through the form; returns its page's path. */
async function writeNote(text: string): Promise<string> {
  const r = await as(specialist).post(`/clients/${clientId}/notes`, { text, appointmentId });
  expect(r.status).toBe(303);
  return r.headers.get("location")!;
}

/** The version the note's edit form is based on, read from the form as the browser sends it with Save and autosave. */
async function baseOf(path: string): Promise<string> {
  const html = await (await as(specialist).get(`${path}/edit`)).text();
  return /name="base" value="(\d+)"/.exec(html)![1]!;
}

/** A note by the specialist about a separate client (booked `day` days ahead), so erasing them spares the others. */
async function noteAboutAnotherClient(day: number, text: string): Promise<{ other: string; noteId: string }> {
  const other = (await addPerson(inst, admin.personId, "client")).personId;
  const service = makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0 });
  const booked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(day), "10:00"), clientId: other, actor: { personId: specialist.personId, role: "specialist" } }, inst.clock.now());
  expect(booked.ok).toBe(true);
  const r = await as(specialist).post(`/clients/${other}/notes`, { text, appointmentId: "" });
  expect(r.status).toBe(303);
  return { other, noteId: r.headers.get("location")!.split("/").pop()! };
}

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
  colleague = await addPerson(inst, admin.personId, "specialist");
  staff = await addPerson(inst, admin.personId, "staff");
  supervisor = await addPerson(inst, admin.personId, "specialist");
  clientId = (await addPerson(inst, admin.personId, "client", { name: "Olga Notes" })).personId;
  const service = makeService(inst, admin.personId, [specialist.personId, colleague.personId], { cancelHours: 0 });
  setHours(inst, specialist.personId, everyDay("UTC"));
  const booked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(2), "10:00"), clientId, actor: { personId: specialist.personId, role: "specialist" } }, inst.clock.now());
  if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
  appointmentId = booked.appointments[0]!.id;
  as = (p) => signedInClient(inst, p);
  expect((await as(admin).post("/admin/supervisions", { supervisorId: supervisor.personId, specialistId: specialist.personId })).status).toBe(200);
}, 60_000);
afterAll(() => inst.close());

describe("session notes", () => {
  test("a note's text never reaches the database file or its WAL in clear, and reads back through the page", async () => {
    const canary = `CANARY-note-${crypto.randomUUID()}`;
    const path = await writeNote(`# Session\n\n${canary}`);
    const edit = await as(specialist).get(`${path}/edit`);
    expect(edit.status).toBe(200);
    const draftCanary = `CANARY-draft-${crypto.randomUUID()}`;
    expect((await as(specialist).post(`${path}/draft`, { text: draftCanary, base: "1" }, { "hx-request": "true" })).status).toBe(200);
    for (const when of ["in the WAL", "in the database file"]) {
      if (when === "in the database file") inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
      const bytes = diskBytes();
      for (const v of [canary, draftCanary]) for (const needle of [Buffer.from(v, "utf8"), Buffer.from(v, "utf16le")]) expect(bytes.includes(needle) ? `${v} ${when}` : "sealed").toBe("sealed");
    }
    const page = await as(specialist).get(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(canary);
    expect(html).toContain("<h2>Session</h2>");
  });

  test("an edit appends a version and keeps the earlier text; an unchanged save adds none; autosave only replaces the draft", async () => {
    const path = await writeNote("First text");
    await as(specialist).post(`${path}/draft`, { text: "Typing...", base: await baseOf(path) }, { "hx-request": "true" });
    await as(specialist).post(`${path}/draft`, { text: "Typing more", base: "1" }, { "hx-request": "true" });
    const versionsOf = () => (inst.db.$client.query("SELECT count(*) AS n FROM client_note_versions WHERE note_id = ?").get(path.split("/").pop()!) as { n: number }).n;
    expect(versionsOf()).toBe(1);
    expect(await (await as(specialist).get(`${path}/edit`)).text()).toContain("Typing more");
    const saved = await as(specialist).post(path, { text: "Second text", base: "1" });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain("Saved as a new version.");
    expect(versionsOf()).toBe(2);
    expect((await as(specialist).post(path, { text: "Second text", base: await baseOf(path) })).status).toBe(200);
    expect(versionsOf()).toBe(2);
    const html = await (await as(specialist).get(path)).text();
    expect(html).toContain("First text");
    expect(html).toContain("Second text");
    expect(html).toContain("Version 1");
    const empty = await as(specialist).post(path, { text: "   ", base: "2" });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Write something first.");
    const list = await (await as(specialist).get(`/clients/${clientId}/notes`)).text();
    expect(list).toContain("2 versions");
  });

  test("finalising locks the note: no version, no draft, no edit page; an addendum links to it", async () => {
    const path = await writeNote("To be signed");
    expect((await as(specialist).post(`${path}/finalise`)).status).toBe(303);
    expect((await as(specialist).post(path, { text: "Rewritten", base: "1" })).status).toBe(409);
    expect((await as(specialist).post(`${path}/draft`, { text: "Rewritten", base: "1" }, { "hx-request": "true" })).status).toBe(409);
    expect((await as(specialist).get(`${path}/edit`)).status).toBe(409);
    expect((await as(specialist).post(`${path}/finalise`)).status).toBe(409);
    const html = await (await as(specialist).get(path)).text();
    expect(html).toContain("To be signed");
    expect(html).not.toContain("Rewritten");
    expect(html).toContain("Finalised");
    const noteId = path.split("/").pop()!;
    const addendum = await as(specialist).post(`/clients/${clientId}/notes`, { text: "Later thought", appointmentId: "", addendumTo: noteId });
    expect(addendum.status).toBe(303);
    expect(await (await as(specialist).get(addendum.headers.get("location")!)).text()).toContain(`/clients/${clientId}/notes/${noteId}`);
  });

  test("only the author and the author's supervisor read a note; another specialist and an admin outside the care get 404, staff and the client 403; the supervisor cannot edit", async () => {
    const path = await writeNote("Private words");
    expect((await as(colleague).get(path)).status).toBe(404);
    expect((await as(colleague).get(`/clients/${clientId}/notes`)).status).toBe(404);
    expect((await as(colleague).post(path, { text: "x" })).status).toBe(404);
    expect((await as(colleague).post(`/clients/${clientId}/notes`, { text: "x" })).status).toBe(404);
    expect((await as(staff).get(path)).status).toBe(403);
    expect((await as({ personId: clientId }).get(path)).status).toBe(403);
    expect((await as({ personId: clientId }).get(`/clients/${clientId}/notes`)).status).toBe(403);
    expect((await as(admin).get(path)).status).toBe(404);
    expect((await as(admin).get(`/clients/${clientId}/notes`)).status).toBe(404);
    const supervisorRead = await as(supervisor).get(path);
    expect(supervisorRead.status).toBe(200);
    expect(await supervisorRead.text()).toContain("Private words");
    expect(await (await as(supervisor).get(`/clients/${clientId}/notes`)).text()).toContain(path);
    expect((await as(supervisor).post(path, { text: "Supervisor's words", base: "1" })).status).toBe(404);
    expect((await as(supervisor).post(`${path}/finalise`)).status).toBe(404);
    // A specialist's view of the list never shows a colleague's notes about the same client.
    expect((await as(specialist).get(`/clients/${admin.personId}/notes`)).status).toBe(404);
  });

  test("every read and write is audited with the client as target", async () => {
    const before = { view: auditOf("note.view").length };
    const path = await writeNote("Audited");
    const noteId = path.split("/").pop()!;
    await as(supervisor).get(path);
    await as(specialist).post(`${path}/draft`, { text: "Audited draft", base: "1" }, { "hx-request": "true" });
    await as(specialist).post(path, { text: "Audited, edited", base: "1" });
    await as(specialist).post(`${path}/finalise`);
    const mine = (action: string) => auditOf(action).filter((e) => JSON.parse(e.details).note === noteId);
    expect(mine("note.create")).toEqual([{ actor: specialist.personId, target: clientId, details: JSON.stringify({ note: noteId, addendum: false }) }]);
    expect(mine("note.view").map((e) => [e.actor, e.target])).toContainEqual([supervisor.personId, clientId]);
    expect(auditOf("note.view").length).toBeGreaterThan(before.view);
    expect(mine("note.draft")).toHaveLength(1);
    expect(mine("note.edit").map((e) => JSON.parse(e.details).version)).toEqual([2]);
    expect(mine("note.finalise").map((e) => e.target)).toEqual([clientId]);
    // No audit entry carries the note's text.
    const all = inst.db.$client.query("SELECT details FROM audit_log").all() as { details: string }[];
    expect(all.some((e) => e.details.includes("Audited"))).toBe(false);
  });

  test("a GET changes nothing and a cross-site POST is refused", async () => {
    const path = await writeNote("Stays");
    const count = () => (inst.db.$client.query("SELECT count(*) AS n FROM client_note_versions").get() as { n: number }).n;
    const n = count();
    expect((await as(specialist).get(`${path}/finalise`)).status).toBe(404);
    const forged = await as(specialist).post(path, { text: "Forged" }, { origin: "https://evil.example" });
    expect(forged.status).toBe(403);
    expect(count()).toBe(n);
  });

  test("the note is sealed under the client's key: erased, no version or draft opens and the pages are not found", async () => {
    const { other, noteId } = await noteAboutAnotherClient(5, "Shred me");
    await as(specialist).post(`/clients/${other}/notes/${noteId}/draft`, { text: "Shred my draft", base: "1" }, { "hx-request": "true" });
    const version = inst.db.$client.query("SELECT body FROM client_note_versions WHERE note_id = ?").get(noteId) as { body: Uint8Array };
    const draft = inst.db.$client.query("SELECT draft FROM client_notes WHERE id = ?").get(noteId) as { draft: Uint8Array };
    expect(inst.vault.openField(other, "client_note_versions", "body", `${noteId}:1`, version.body)).toBe("Shred me");
    // Bound to its row and column: the same bytes do not open as another note's or as the draft.
    expect(() => inst.vault.openField(other, "client_note_versions", "body", `${noteId}:2`, version.body)).toThrow();
    expect(() => inst.vault.openField(other, "client_notes", "draft", noteId, version.body)).toThrow();
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, other, admin.personId).ok).toBe(true);
    expect(() => inst.vault.openField(other, "client_note_versions", "body", `${noteId}:1`, version.body)).toThrow();
    expect(() => inst.vault.openField(other, "client_notes", "draft", noteId, draft.draft)).toThrow();
    // The erased client's notes pages are simply not found, never an error page.
    for (const who of [specialist, admin]) {
      expect((await as(who).get(`/clients/${other}/notes`)).status).toBe(404);
      expect((await as(who).get(`/clients/${other}/notes/${noteId}`)).status).toBe(404);
    }
  });

  test("an autosave still in flight when Save made a new version is refused with 409 and the saved version stays current", async () => {
    const path = await writeNote("Saved first");
    const noteId = path.split("/").pop()!;
    const base = await baseOf(path);
    expect((await as(specialist).post(`${path}/draft`, { text: "Typing", base }, { "hx-request": "true" })).status).toBe(200);
    expect((await as(specialist).post(path, { text: "Saved second", base })).status).toBe(200);
    // The autosave of the older text, sent before Save but handled after it.
    const late = await as(specialist).post(`${path}/draft`, { text: "Typing older", base }, { "hx-request": "true" });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain("This note was saved meanwhile: reload");
    expect((await as(specialist).post(`${path}/draft`, { text: "No base" }, { "hx-request": "true" })).status).toBe(409);
    expect((inst.db.$client.query("SELECT draft FROM client_notes WHERE id = ?").get(noteId) as { draft: Uint8Array | null }).draft).toBeNull();
    const edit = await (await as(specialist).get(`${path}/edit`)).text();
    expect(edit).toContain("Saved second");
    expect(edit).not.toContain("Typing older");
    expect(await baseOf(path)).toBe("2");
  });

  test("a Save on a stale base is refused and the typed text comes back in the form, so nothing is lost", async () => {
    const path = await writeNote("Opened in two tabs");
    const noteId = path.split("/").pop()!;
    expect((await as(specialist).post(path, { text: "From tab A", base: "1" })).status).toBe(200);
    const stale = await as(specialist).post(path, { text: "From tab B", base: "1" });
    expect(stale.status).toBe(409);
    const html = await stale.text();
    expect(html).toContain("This note was saved meanwhile");
    expect(html).toMatch(/<textarea[^>]*>From tab B<\/textarea>/);
    expect(html).toContain('name="base" value="2"');
    const texts = () => (inst.db.$client.query("SELECT version, body FROM client_note_versions WHERE note_id = ? ORDER BY version").all(noteId) as { version: number; body: Uint8Array }[]).map((v) => inst.vault.openField(clientId, "client_note_versions", "body", `${noteId}:${v.version}`, v.body));
    expect(texts()).toEqual(["Opened in two tabs", "From tab A"]);
    // Saved again on purpose, on the version it now shows, the text becomes current and tab A's stays in the history.
    expect((await as(specialist).post(path, { text: "From tab B", base: "2" })).status).toBe(200);
    expect(texts()).toEqual(["Opened in two tabs", "From tab A", "From tab B"]);
  });

  test("finalising with an unsaved draft pending is refused until the draft is saved", async () => {
    const path = await writeNote("Before the draft");
    const noteId = path.split("/").pop()!;
    expect((await as(specialist).post(`${path}/draft`, { text: "Pending words", base: "1" }, { "hx-request": "true" })).status).toBe(200);
    const refused = await as(specialist).post(`${path}/finalise`);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("An unsaved draft is pending");
    const finalisedAt = () => (inst.db.$client.query("SELECT finalised_at AS at FROM client_notes WHERE id = ?").get(noteId) as { at: number | null }).at;
    expect(finalisedAt()).toBeNull();
    expect(auditOf("note.finalise").filter((e) => JSON.parse(e.details).note === noteId)).toHaveLength(0);
    expect((await as(specialist).post(path, { text: "Pending words", base: "1" })).status).toBe(200);
    expect((await as(specialist).post(`${path}/finalise`)).status).toBe(303);
    expect(finalisedAt()).not.toBeNull();
    expect(await (await as(specialist).get(path)).text()).toContain("Pending words");
  });

  test("an erased client's note cannot be drafted, saved or finalised: each is not found, never an error", async () => {
    const { other, noteId } = await noteAboutAnotherClient(6, "Before erasure");
    const path = `/clients/${other}/notes/${noteId}`;
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, other, admin.personId).ok).toBe(true);
    const audited = auditOf("note.finalise").length + auditOf("note.draft").length + auditOf("note.edit").length;
    expect((await as(specialist).post(`${path}/draft`, { text: "After erasure", base: "1" }, { "hx-request": "true" })).status).toBe(404);
    expect((await as(specialist).post(path, { text: "After erasure", base: "1" })).status).toBe(404);
    expect((await as(specialist).post(`${path}/finalise`)).status).toBe(404);
    expect(auditOf("note.finalise").length + auditOf("note.draft").length + auditOf("note.edit").length).toBe(audited);
    expect((inst.db.$client.query("SELECT finalised_at AS at FROM client_notes WHERE id = ?").get(noteId) as { at: number | null } | null)?.at ?? null).toBeNull();
  });

  test("docs/privacy.md names only tests that exist", () => {
    const doc = readFileSync(join(import.meta.dir, "../docs/privacy.md"), "utf8");
    const cited = [...doc.matchAll(/`((?:test|src)\/[\w\/.-]+\.test\.tsx?)`(?: "([^"]+)")?/g)];
    expect(cited.length).toBeGreaterThan(10);
    for (const [, file, name] of cited) {
      const path = join(import.meta.dir, "..", file!);
      expect(existsSync(path) ? file : `${file} (missing)`).toBe(file);
      if (name) expect(readFileSync(path, "utf8").includes(name) ? name : `${file} has no test "${name}"`).toBe(name);
    }
  });

  test("the specialist's appointment page links to the client's notes with the appointment chosen; the client's does not", async () => {
    const page = await (await as(specialist).get(`/appointments/${appointmentId}`)).text();
    const href = `/clients/${clientId}/notes?appointment=${appointmentId}`;
    expect(page).toContain(`href="${href}"`);
    const list = await (await as(specialist).get(href)).text();
    expect(list).toContain(`<option value="${appointmentId}" selected="">`);
    expect(await (await as({ personId: clientId }).get(`/appointments/${appointmentId}`)).text()).not.toContain("/notes");
  });

  test("a note of 20,000 Cyrillic letters fits the form (url-encoded, 6 bytes each); one letter more is refused with its reason", async () => {
    const longest = "ж".repeat(20_000);
    const path = await writeNote(longest);
    expect(await (await as(specialist).get(path)).text()).toContain(longest);
    const over = await as(specialist).post(`/clients/${clientId}/notes`, { text: `${longest}ж`, appointmentId: "" });
    expect(over.status).toBe(422);
    expect(await over.text()).toContain("at most 20,000 characters");
  });
});
