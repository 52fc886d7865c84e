// "Who read client X's data" through the real app: readings recorded by the real pages (a note, the person's page,
// an appointment), a break-glass access, another client's readings kept apart, the chain's state, the CSV download
// with a formula neutralised, the client found by email without the address entering a URL, and the report audited.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_READ_ACTIONS, NOT_ONE_CLIENT_READS } from "../src/accountability/read-actions.ts";
import { RECORD_READ_ACTIONS } from "../src/anomalies/rules.ts";
import { recordAudit } from "../src/audit/audit.ts";
import { appointmentRoom, book } from "../src/booking/appointments.ts";
import { readRoomFile, storeRoomFile } from "../src/rooms/files.ts";
import { acceptRoomInvitation, closeRoom, recordAdmission, roomInvitation } from "../src/rooms/rooms.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;
let staff: TestPerson;
let client: TestPerson;
let other: TestPerson;
let appointmentId: string;
let noteId: string;

const today = () => Temporal.Instant.fromEpochMilliseconds(inst.clock.now()).toZonedDateTimeISO("Europe/Moscow").toPlainDate();
const range = () => ({ from: today().subtract({ days: 1 }).toString(), to: today().add({ days: 1 }).toString() });
const reportPath = (clientId: string) => `/admin/accountability/reads?${new URLSearchParams({ client: clientId, ...range() })}`;
const auditOf = (action: string) => inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[];

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist", { name: "Sergei Specialist" });
  // A reader whose name a spreadsheet would run as a formula: the CSV must neutralise it.
  staff = await addPerson(inst, admin.personId, "staff", { name: "=HYPERLINK(\"http://evil.example\",\"x\")" });
  client = await addPerson(inst, admin.personId, "client", { name: "Olga Reads" });
  other = await addPerson(inst, admin.personId, "client", { name: "Oleg Other" });
  const service = makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0 });
  setHours(inst, specialist.personId, everyDay("UTC"));
  const booked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(2), "10:00"), clientId: client.personId, actor: { personId: specialist.personId, role: "specialist" } }, inst.clock.now());
  if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
  appointmentId = booked.appointments[0]!.id;

  // The readings, through the real pages.
  const written = await signedInClient(inst, specialist).post(`/clients/${client.personId}/notes`, { text: "First session", appointmentId: "" });
  expect(written.status).toBe(303);
  noteId = written.headers.get("location")!.split("/").pop()!;
  expect((await signedInClient(inst, specialist).get(`/clients/${client.personId}/notes/${noteId}`)).status).toBe(200); // note.view
  expect((await signedInClient(inst, admin).get(`/admin/people/${client.personId}`)).status).toBe(200); // person.view
  expect((await signedInClient(inst, staff).get(`/appointments/${appointmentId}`)).status).toBe(200); // appointment.view by staff
  expect((await signedInClient(inst, admin).get(`/admin/people/${other.personId}`)).status).toBe(200); // about someone else
  // A file shared in the appointment's room, downloaded by the specialist: logged under the room's id.
  const opened = appointmentRoom(inst, appointmentId, { personId: specialist.personId, role: "specialist" }, booked.appointments[0]!.start);
  if (!opened.ok) throw new Error(`room failed: ${opened.reason}`);
  const files = { ...inst, filesDir: join(inst.config.dataDir, "files"), maxBytes: 1024, roomQuotaBytes: 1 << 20 };
  const stored = await storeRoomFile(files, opened.roomId, client.personId, "diary.txt", new TextEncoder().encode("my diary"));
  if (!stored.ok) throw new Error("upload failed");
  expect(await readRoomFile(files, opened.roomId, stored.file.id, specialist.personId)).not.toBeNull(); // file.download
  // A break-glass access (scripted: the action arrives with client records) and a reading long before the range.
  inst.db.transaction((tx) => recordAudit(tx, inst.vault, { actor: staff.personId, action: "record.break-glass", target: client.personId, details: { grant: "g1" }, at: inst.clock.now() }));
  inst.db.transaction((tx) => recordAudit(tx, inst.vault, { actor: specialist.personId, action: "note.view", target: client.personId, details: { note: "old" }, at: Date.parse("2020-01-01T00:00:00Z") }));
}, 60_000);
afterAll(() => inst.close());

describe("who read a client's data", () => {
  test("lists every reading of the client in the range, with who, their role and what, break-glass marked, and audits the report", async () => {
    const before = auditOf("report.access").length;
    const r = await signedInClient(inst, admin).get(reportPath(client.personId));
    expect(r.status).toBe(200);
    const html = await r.text();
    const report = html.slice(html.indexOf('data-testid="reads-report"'));
    expect(report).toContain("Olga Reads");
    const rows = [...report.matchAll(/<tr data-testid="(read|break-glass)">([\s\S]*?)<\/tr>/g)].map((m) => ({ kind: m[1], text: m[2]!.replace(/<[^>]+>/g, " ") }));
    expect(rows).toHaveLength(5);
    expect(rows.filter((x) => x.text.includes("Sergei Specialist") && x.text.includes("Downloaded a file shared in a consultation"))).toHaveLength(1);
    expect(rows.filter((x) => x.text.includes("Sergei Specialist") && x.text.includes("Specialist") && x.text.includes("Opened a session note"))).toHaveLength(1);
    expect(rows.filter((x) => x.text.includes("Ada Admin") && x.text.includes("Administrator") && x.text.includes("Opened the person&#39;s page"))).toHaveLength(1);
    expect(rows.filter((x) => x.text.includes("Staff") && x.text.includes("Opened an appointment"))).toHaveLength(1);
    const glass = rows.filter((x) => x.kind === "break-glass");
    expect(glass).toHaveLength(1);
    expect(glass[0]!.text).toContain("break-glass");
    expect(report).toContain("<mark>");
    expect(report).toContain('data-testid="break-glass-count"');
    expect(report).not.toContain("Oleg Other"); // another client's reading is not listed
    expect(report).not.toContain("note: old"); // nor one before the range
    // Times on the organisation's clock (Moscow), zone named.
    expect(report).toMatch(/GMT\+3|MSK/);
    expect(report).toMatch(/data-testid="chain-status">Audit log intact: \d+ entries verified/);
    const audited = auditOf("report.access");
    expect(audited).toHaveLength(before + 1);
    expect(audited.at(-1)).toMatchObject({ actor: admin.personId, target: client.personId });
    expect(JSON.parse(audited.at(-1)!.details)).toMatchObject({ report: "reads", entries: 5, format: "page" });
  });

  test("the client is found by email, and the address never enters the URL", async () => {
    const r = await signedInClient(inst, admin).post("/admin/accountability/reads", { email: client.email.toUpperCase(), ...range() });
    expect(r.status).toBe(303);
    const location = r.headers.get("location")!;
    expect(location).toContain(`client=${client.personId}`);
    expect(location.toLowerCase()).not.toContain(client.email.split("@")[0]!);
    const unknown = await signedInClient(inst, admin).post("/admin/accountability/reads", { email: "nobody@example.org", ...range() });
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain("Nobody has this email address.");
  });

  test("days are checked: a malformed day or an end before the start is named at its field", async () => {
    const bad = await signedInClient(inst, admin).get(`/admin/accountability/reads?client=${client.personId}&from=2026-02-30&to=2026-03-01`);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Enter a day as YYYY-MM-DD.");
    const reversed = await signedInClient(inst, admin).post("/admin/accountability/reads", { email: client.email, from: "2026-03-02", to: "2026-03-01" });
    expect(reversed.status).toBe(422);
    expect(await reversed.text()).toContain("The last day comes before the first.");
    const csv = await signedInClient(inst, admin).get(`/admin/accountability/reads/csv?client=${client.personId}&from=x&to=y`);
    expect(csv.status).toBe(400);
    expect((await signedInClient(inst, admin).get(`/admin/accountability/reads?client=not-an-id&from=2026-03-01&to=2026-03-02`)).status).toBe(404);
  });

  test("the CSV download holds the same readings, a formula-like name neutralised, and is audited", async () => {
    const page = await (await signedInClient(inst, admin).get(reportPath(client.personId))).text();
    const href = /href="(\/admin\/accountability\/reads\/csv\?[^"]+)"/.exec(page)![1]!.replaceAll("&amp;", "&");
    const r = await signedInClient(inst, admin).get(href);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/csv");
    expect(r.headers.get("content-disposition")).not.toContain("Olga");
    const text = await r.text();
    const lines = text.replace(/^\uFEFF/, "").trimEnd().split("\r\n");
    expect(lines[0]).toBe("When,Time zone,Reader id,Reader,Role (today),Action,What,Break-glass,Reference,Audit entry");
    expect(lines).toHaveLength(6);
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(text).not.toMatch(/(^|,)=HYPERLINK/m);
    expect(lines.filter((l) => l.includes("record.break-glass") && l.includes(",yes,"))).toHaveLength(1);
    expect(JSON.parse(auditOf("report.access").at(-1)!.details)).toMatchObject({ format: "csv", entries: 5 });
  });

  test("the report says so when the audit log does not verify", async () => {
    const fresh = makeInstallation();
    try {
      const a = await setUpOrganisation(fresh);
      const c = await addPerson(fresh, a.personId, "client");
      const path = `/admin/accountability/reads?${new URLSearchParams({ client: c.personId, from: "2020-01-01", to: "2030-01-01" })}`;
      expect(await (await signedInClient(fresh, a).get(path)).text()).toContain("Audit log intact");
      // Rewrite the newest entry (the report's own) behind the triggers' back.
      fresh.db.$client.run("DROP TRIGGER audit_log_no_update");
      fresh.db.$client.run("UPDATE audit_log SET actor = 'someone-else' WHERE id = (SELECT max(id) FROM audit_log)");
      const html = await (await signedInClient(fresh, a).get(path)).text();
      const last = (fresh.db.$client.query("SELECT max(id) AS id FROM audit_log").get() as { id: number }).id;
      expect(html).toContain(`The audit log does NOT verify (at entry ${last - 1}: `);
      expect(html).toContain('class="kb-alert" data-testid="chain-status"');
    } finally {
      fresh.close();
    }
  });

  test("an erased client's readings are still reported, under their id", async () => {
    const gone = await addPerson(inst, admin.personId, "client", { name: "Gone Soon" });
    expect((await signedInClient(inst, admin).get(`/admin/people/${gone.personId}`)).status).toBe(200);
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, gone.personId, admin.personId).ok).toBe(true);
    const r = await signedInClient(inst, admin).get(reportPath(gone.personId));
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).not.toContain("Gone Soon");
    expect(html).toContain(`Client: erased (${gone.personId})`);
    expect([...html.matchAll(/<tr data-testid="read">/g)]).toHaveLength(1);
  });

  test("the person's admin page links to their report", async () => {
    const html = await (await signedInClient(inst, admin).get(`/admin/people/${client.personId}`)).text();
    expect(html).toContain(`href="/admin/accountability/reads?client=${client.personId}"`);
  });
});

describe("the list of reading actions", () => {
  /** Every action name in src/ that reads something (view, export, download, break-glass), outside this report. */
  function readingActionsInSource(): Map<string, string> {
    const found = new Map<string, string>();
    const root = join(import.meta.dir, "../src");
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          if (path !== join(root, "accountability")) walk(path);
        } else if (/\.tsx?$/.test(name) && !name.endsWith(".test.ts")) {
          for (const m of readFileSync(path, "utf8").matchAll(/["'`]([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:view|export|download|break-glass)(?:-[a-z]+)?)["'`]/g)) {
            found.set(m[1]!, path.slice(root.length + 1));
          }
        }
      }
    };
    walk(root);
    return found;
  }

  test("every reading action in the code is classified: a read of one client, or not about one client", () => {
    const found = readingActionsInSource();
    expect(found.size).toBeGreaterThanOrEqual(4); // the scan sees the code (person.view, note.view, …)
    const unclassified = [...found].filter(([action]) => !Object.hasOwn(CLIENT_READ_ACTIONS, action) && !Object.hasOwn(NOT_ONE_CLIENT_READS, action));
    expect(unclassified.map(([action, file]) => `${action} (${file}): add it to src/accountability/read-actions.ts`)).toEqual([]);
  });

  test("every read the anomaly rules count is a read in the report", () => {
    for (const action of RECORD_READ_ACTIONS) expect(Object.hasOwn(CLIENT_READ_ACTIONS, action)).toBe(true);
  });
});

describe("reads the report did not see before", () => {
  /** A fresh client of the specialist, booked `days` ahead, and the report's rows about them. */
  async function freshClient(name: string, days: number): Promise<{ clientId: string; appointmentId: string; start: number }> {
    const c = await addPerson(inst, admin.personId, "client", { name });
    const service = makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0 });
    const booked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(days), "12:00"), clientId: c.personId, actor: { personId: specialist.personId, role: "specialist" } }, inst.clock.now());
    if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
    return { clientId: c.personId, appointmentId: booked.appointments[0]!.id, start: booked.appointments[0]!.start };
  }
  async function rowsAbout(clientId: string): Promise<{ kind: string; text: string }[]> {
    const html = await (await signedInClient(inst, admin).get(reportPath(clientId))).text();
    const report = html.slice(html.indexOf('data-testid="reads-report"'));
    return [...report.matchAll(/<tr data-testid="(read|break-glass)">([\s\S]*?)<\/tr>/g)].map((m) => ({ kind: m[1]!, text: m[2]!.replace(/<[^>]+>/g, " ") }));
  }

  test("reads made under a break-glass grant are marked like the grant itself; reads within the care are not", async () => {
    const { clientId } = await freshClient("Bruno Glass", 3);
    const outsider = await addPerson(inst, admin.personId, "specialist", { name: "Otto Outsider" });
    expect((await signedInClient(inst, specialist).get(`/clients/${clientId}`)).status).toBe(200);
    expect((await signedInClient(inst, outsider).post(`/clients/${clientId}/break-glass`, { reason: "The treating specialist is away and the client is in crisis" })).status).toBe(303);
    expect((await signedInClient(inst, outsider).get(`/clients/${clientId}`)).status).toBe(200);
    const rows = await rowsAbout(clientId);
    const byOutsider = rows.filter((r) => r.text.includes("Otto Outsider"));
    expect(byOutsider.map((r) => r.kind)).toEqual(["break-glass", "break-glass"]);
    expect(byOutsider.filter((r) => r.text.includes("Opened the client record"))).toHaveLength(1);
    expect(rows.filter((r) => r.text.includes("Sergei Specialist")).map((r) => r.kind)).toEqual(["read"]);
  });

  test("a consultation's chat and files shown after the call (the closed room's page, the after-call page) are recorded as room.view and reported; the client's own look is not", async () => {
    const { clientId, appointmentId: id, start } = await freshClient("Rita Room", 4);
    const interpreter = await addPerson(inst, admin.personId, "client", { name: "Ivan Interpreter" });
    const opened = appointmentRoom(inst, id, { personId: specialist.personId, role: "specialist" }, start);
    if (!opened.ok) throw new Error(`room failed: ${opened.reason}`);
    const roomId = opened.roomId;
    expect(acceptRoomInvitation(inst, roomInvitation(inst, roomId)!, interpreter.personId)).not.toBeNull();
    for (const p of [interpreter.personId, clientId]) recordAdmission(inst, roomId, p);
    expect(closeRoom(inst, roomId, specialist.personId)).toBe(true);
    const views = () => auditOf("room.view").filter((e) => e.target === roomId);
    expect((await signedInClient(inst, specialist).get(`/rooms/${roomId}`)).status).toBe(200);
    expect((await signedInClient(inst, interpreter).get(`/rooms/${roomId}/after`)).status).toBe(200);
    expect((await signedInClient(inst, { personId: clientId }).get(`/rooms/${roomId}/after`)).status).toBe(200);
    expect((await signedInClient(inst, { personId: clientId }).get(`/rooms/${roomId}`)).status).toBe(200);
    expect(views().map((e) => e.actor)).toEqual([specialist.personId, interpreter.personId]);
    const rows = (await rowsAbout(clientId)).filter((r) => r.text.includes("Saw a consultation&#39;s chat and files after the call"));
    expect(rows.map((r) => (r.text.includes("Sergei Specialist") ? "specialist" : r.text.includes("Ivan Interpreter") ? "interpreter" : r.text))).toEqual(["specialist", "interpreter"]);
  });

  test("lists of many clients (an admin's /clients, the break-glass review) are recorded and classified as not about one client", async () => {
    const lists = (action: string) => auditOf(action).filter((e) => e.actor === admin.personId).length;
    const [clients, grants] = [lists("clients.list"), lists("break-glass.list")];
    expect((await signedInClient(inst, admin).get("/clients")).status).toBe(200);
    expect((await signedInClient(inst, admin).get("/admin/break-glass")).status).toBe(200);
    expect(lists("clients.list")).toBe(clients + 1);
    expect(lists("break-glass.list")).toBe(grants + 1);
    const last = JSON.parse(auditOf("clients.list").at(-1)!.details) as { count: number; outsideCare: number };
    expect(last.count).toBeGreaterThan(0);
    expect(last.outsideCare).toBe(last.count); // the admin cares for no one here
    for (const action of ["clients.list", "break-glass.list"]) expect(Object.hasOwn(NOT_ONE_CLIENT_READS, action)).toBe(true);
  });
});
