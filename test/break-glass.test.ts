// Break-glass through the real app: a host outside a client's care opens their record only with a stated reason, for
// the organisation's set minutes; admins are alerted at once (the alert on /admin/alerts and a mail through a real
// SMTP server, naming no one) and review each grant; every such access stands out in the audit log.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { scanAuditForAnomalies } from "../src/anomalies/anomalies.ts";
import { book } from "../src/booking/appointments.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import type { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let admin2: TestPerson;
let treating: TestPerson;
let outsider: TestPerson;
let staff: TestPerson;
let clientId: string;
let as: (p: { personId: string }) => TestClient;
const REASON = "Client called the crisis line; the treating specialist is on leave";

const auditOf = (action: string) =>
  inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[];

/** A client of the treating specialist (booked `day` days ahead) with a note about them. */
async function clientInCare(name: string, day: number): Promise<string> {
  const id = (await addPerson(inst, admin.personId, "client", { name })).personId;
  const service = makeService(inst, admin.personId, [treating.personId], { cancelHours: 0 });
  const booked = book(inst, { serviceId: service.id, specialistId: treating.personId, start: at(dayAhead(day), "10:00"), clientId: id, actor: { personId: treating.personId, role: "specialist" } }, inst.clock.now());
  expect(booked.ok).toBe(true);
  expect((await as(treating).post(`/clients/${id}/notes`, { text: `Notes about ${name}`, appointmentId: "" })).status).toBe(303);
  return id;
}

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_SMTP_URL: smtp.url, KABINET_MAIL_FROM: "Test Clinic <consult@example.org>" });
  admin = await setUpOrganisation(inst);
  admin2 = await addPerson(inst, admin.personId, "admin", { name: "Second Admin" });
  treating = await addPerson(inst, admin.personId, "specialist", { name: "Dr Treating" });
  outsider = await addPerson(inst, admin.personId, "specialist", { name: "Dr Outsider" });
  staff = await addPerson(inst, admin.personId, "staff");
  setHours(inst, treating.personId, everyDay("UTC"));
  as = (p) => signedInClient(inst, p);
  clientId = await clientInCare("Bianca Glass", 2);
  await jobWorker(inst).runDue(); // the invitations
}, 60_000);
afterAll(async () => {
  inst.clock.release();
  await smtp.stop();
  inst.close();
});

describe("break-glass", () => {
  test("outside the care the record and its notes are not found; the not-found page offers break-glass, the same for an id that names no client", async () => {
    for (const who of [outsider, admin]) {
      const r = await as(who).get(`/clients/${clientId}`);
      expect(r.status).toBe(404);
      const html = await r.text();
      expect(html).not.toContain("Bianca Glass");
      expect(html).toContain(`/clients/${clientId}/break-glass`);
      expect((await as(who).get(`/clients/${clientId}/notes`)).status).toBe(404);
    }
    const nobody = crypto.randomUUID();
    const none = await as(outsider).get(`/clients/${nobody}`);
    expect(none.status).toBe(404);
    expect(await none.text()).toContain(`/clients/${nobody}/break-glass`);
    expect((await as(outsider).get(`/clients/${nobody}/break-glass`)).status).toBe(200);
    expect((await as(outsider).post(`/clients/${nobody}/break-glass`, { reason: REASON })).status).toBe(404);
    expect((await as(staff).get(`/clients/${clientId}/break-glass`)).status).toBe(403);
    expect((await as(staff).post(`/clients/${clientId}/break-glass`, { reason: REASON })).status).toBe(403);
    expect((await as({ personId: clientId }).post(`/clients/${clientId}/break-glass`, { reason: REASON })).status).toBe(403);
    // In the care there is nothing to break: straight to the record.
    const inCare = await as(treating).get(`/clients/${clientId}/break-glass`);
    expect(inCare.status).toBe(303);
    expect(inCare.headers.get("location")).toBe(`/clients/${clientId}`);
    expect(auditOf("record.break-glass")).toEqual([]);
  });

  test("a reason shorter than 20 characters is refused with its message and no grant; a GET grants nothing", async () => {
    const short = await as(outsider).post(`/clients/${clientId}/break-glass`, { reason: "   just looking   " });
    expect(short.status).toBe(422);
    const html = await short.text();
    expect(html).toContain("Write at least 20 characters");
    expect(html).toContain("just looking");
    const long = await as(outsider).post(`/clients/${clientId}/break-glass`, { reason: "x".repeat(1001) });
    expect(long.status).toBe(422);
    expect(await long.text()).toContain("At most 1000 characters.");
    const forged = await as(outsider).post(`/clients/${clientId}/break-glass`, { reason: REASON }, { origin: "https://evil.example" });
    expect(forged.status).toBe(403);
    expect((inst.db.$client.query("SELECT count(*) AS n FROM break_glass_grants").get() as { n: number }).n).toBe(0);
    expect((await as(outsider).get(`/clients/${clientId}`)).status).toBe(404);
  });

  test("a grant opens the record and notes for the set minutes, each read audited with the grant; the alert and the admins' mail come at once; after expiry it is not found again", async () => {
    const start = Date.UTC(2026, 11, 3, 12, 0);
    inst.clock.set(start);
    try {
      scanAuditForAnomalies(inst, { sliceMs: Infinity }); // everything before is behind the scan's cursor
      const mailsBefore = smtp.messages().length;
      const r = await as(outsider).post(`/clients/${clientId}/break-glass`, { reason: REASON });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe(`/clients/${clientId}`);
      const grant = inst.db.$client.query("SELECT id, staff_id, client_id, created_at, expires_at FROM break_glass_grants").get() as { id: string; staff_id: string; client_id: string; created_at: number; expires_at: number };
      expect(grant).toMatchObject({ staff_id: outsider.personId, client_id: clientId, created_at: start, expires_at: start + 30 * 60_000 });
      expect(auditOf("record.break-glass")).toEqual([{ actor: outsider.personId, target: clientId, details: JSON.stringify({ grant: grant.id, until: start + 30 * 60_000 }) }]);

      // The alert is there before any scan ran, and the scan adds no second one.
      const alerts = () => inst.db.$client.query("SELECT subject, count FROM anomaly_alerts WHERE rule = 'break-glass'").all();
      expect(alerts()).toEqual([{ subject: outsider.personId, count: 1 }]);
      const alertsPage = await (await as(admin).get("/admin/alerts")).text();
      expect(alertsPage).toContain("Dr Outsider used break-glass access to a record.");
      scanAuditForAnomalies(inst, { sliceMs: Infinity });
      expect(alerts()).toEqual([{ subject: outsider.personId, count: 1 }]);
      // Mailed to every active admin although the alert-mail setting is off; the mail names no one.
      await jobWorker(inst).runDue();
      const mails = smtp.messages().slice(mailsBefore);
      expect(mails.map((m) => m.to).sort()).toEqual([admin.email, admin2.email].sort());
      for (const m of mails) {
        expect(m.subject).toContain("Break-glass access to a record");
        expect(m.text).toContain("https://consult.example.org/admin/alerts");
        for (const secret of ["Bianca", "Outsider", "crisis line", clientId, outsider.personId]) expect(m.text.includes(secret) ? secret : "absent").toBe("absent");
      }

      const page = await as(outsider).get(`/clients/${clientId}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain("Bianca Glass");
      expect(html).toContain("through emergency access");
      const noteHref = /href="(\/clients\/[^"]+\/notes\/[0-9a-f-]+)"/.exec(html)![1]!;
      inst.clock.advance(10 * 60_000);
      const note = await as(outsider).get(noteHref);
      expect(note.status).toBe(200);
      expect(await note.text()).toContain("Notes about Bianca Glass");
      const mine = (action: string) => auditOf(action).filter((e) => e.actor === outsider.personId);
      expect(mine("record.view")).toEqual([{ actor: outsider.personId, target: clientId, details: JSON.stringify({ breakGlass: grant.id }) }]);
      expect(JSON.parse(mine("note.view")[0]!.details)).toMatchObject({ breakGlass: grant.id });
      // Reading is all a grant gives: no note is written under it.
      expect((await as(outsider).post(`/clients/${clientId}/notes`, { text: "Written under a grant", appointmentId: "" })).status).toBe(404);

      inst.clock.set(start + 30 * 60_000);
      expect((await as(outsider).get(`/clients/${clientId}`)).status).toBe(404);
      expect((await as(outsider).get(noteHref)).status).toBe(404);
      expect(mine("record.view")).toHaveLength(1);
    } finally {
      inst.clock.release();
    }
  });

  test("every grant reaches the admins at once, not only the first in an hour: its own alert and its own mail, naming no one", async () => {
    const first = await clientInCare("Gustav Grant", 12);
    const second = await clientInCare("Hanna Grant", 13);
    await jobWorker(inst).runDue();
    const start = Date.UTC(2026, 11, 3, 16, 0);
    inst.clock.set(start);
    try {
      const alertsOf = () => inst.db.$client.query("SELECT triggered_at AS at, count FROM anomaly_alerts WHERE rule = 'break-glass' AND subject = ? AND triggered_at >= ? ORDER BY id").all(outsider.personId, start);
      for (const [i, id] of [first, second].entries()) {
        inst.clock.set(start + i * 5 * 60_000);
        const mailsBefore = smtp.messages().length;
        expect((await as(outsider).post(`/clients/${id}/break-glass`, { reason: REASON })).status).toBe(303);
        await jobWorker(inst).runDue();
        const mails = smtp.messages().slice(mailsBefore);
        expect(mails.map((m) => m.to).sort()).toEqual([admin.email, admin2.email].sort());
        for (const m of mails) {
          expect(m.subject).toContain("Break-glass access to a record");
          expect(m.text).toContain("https://consult.example.org/admin/break-glass");
          for (const secret of ["Gustav", "Hanna", "Outsider", "crisis line", id, outsider.personId]) expect(m.text.includes(secret) ? secret : "absent").toBe("absent");
        }
      }
      expect(alertsOf()).toEqual([
        { at: start, count: 1 },
        { at: start + 5 * 60_000, count: 1 },
      ]);
      // The scan meeting both entries raises nothing more.
      scanAuditForAnomalies(inst, { sliceMs: Infinity });
      expect(alertsOf()).toHaveLength(2);
      const page = await (await as(admin).get("/admin/alerts")).text();
      expect(page.split("Dr Outsider used break-glass access to a record.").length - 1).toBeGreaterThanOrEqual(2);
    } finally {
      inst.clock.release();
    }
  });

  test("the reason is sealed under the client's key: never in the database in clear, shown to the reviewing admin, unreadable once the client is erased", async () => {
    const other = await clientInCare("Erin Erased", 4);
    const canary = `Emergency CANARY-${crypto.randomUUID()} for the record`;
    expect((await as(outsider).post(`/clients/${other}/break-glass`, { reason: canary })).status).toBe(303);
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const files = ["kabinet.db", "kabinet.db-wal"].map((f) => join(inst.config.dataDir, f)).filter(existsSync);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(bytes.includes(Buffer.from(canary.split(" ")[1]!))).toBe(false);
    expect(await (await as(admin).get("/admin/break-glass")).text()).toContain(canary);
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, other, admin.personId).ok).toBe(true);
    const review = await as(admin).get("/admin/break-glass");
    expect(review.status).toBe(200);
    const html = await review.text();
    expect(html).not.toContain(canary);
    expect(html).toContain("erased");
    expect((await as(outsider).get(`/clients/${other}`)).status).toBe(404);
  });

  test("admins review each grant once (justified or not), audited; the length of a grant is set by admins within 1 to 240 minutes", async () => {
    const reviewed = await clientInCare("Rita Review", 6);
    expect((await as(outsider).post(`/clients/${reviewed}/break-glass`, { reason: REASON })).status).toBe(303);
    const grantId = (inst.db.$client.query("SELECT id FROM break_glass_grants WHERE client_id = ?").get(reviewed) as { id: string }).id;
    const list = await (await as(admin).get("/admin/break-glass")).text();
    expect(list).toContain(REASON);
    expect(list).toContain("Dr Outsider");
    expect(list).toContain("Rita Review");
    expect(auditOf("break-glass.list").length).toBeGreaterThan(0);
    expect((await as(admin).post(`/admin/break-glass/${grantId}/review`, { verdict: "maybe" })).status).toBe(400);
    const done = await as(admin).post(`/admin/break-glass/${grantId}/review`, { verdict: "unjustified" });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Verdict recorded.");
    expect(inst.db.$client.query("SELECT verdict, reviewed_by FROM break_glass_grants WHERE id = ?").get(grantId)).toEqual({ verdict: "unjustified", reviewed_by: admin.personId });
    expect((await as(admin2).post(`/admin/break-glass/${grantId}/review`, { verdict: "justified" })).status).toBe(409);
    expect(inst.db.$client.query("SELECT verdict FROM break_glass_grants WHERE id = ?").get(grantId)).toEqual({ verdict: "unjustified" });
    expect(auditOf("break-glass.review")).toEqual([{ actor: admin.personId, target: reviewed, details: JSON.stringify({ grant: grantId, verdict: "unjustified", staff: outsider.personId }) }]);
    expect((await as(admin).post(`/admin/break-glass/${crypto.randomUUID()}/review`, { verdict: "justified" })).status).toBe(404);
    expect((await as(outsider).get("/admin/break-glass")).status).toBe(403);

    for (const bad of ["0", "241", "ten", ""]) {
      const r = await as(admin).post("/admin/break-glass/minutes", { minutes: bad });
      expect(r.status).toBe(422);
      expect(await r.text()).toContain("A whole number of minutes from 1 to 240.");
    }
    expect((await as(admin).post("/admin/break-glass/minutes", { minutes: "15" })).status).toBe(200);
    expect(JSON.parse(auditOf("settings.change").at(-1)!.details)).toEqual({ breakGlassMinutes: 15 });
    expect(await (await as(admin).get(`/clients/${reviewed}/break-glass`)).text()).toContain("access lasts 15 minutes");
    const now = inst.clock.now();
    inst.clock.set(now);
    try {
      expect((await as(admin).post(`/clients/${reviewed}/break-glass`, { reason: REASON })).status).toBe(303);
      const latest = inst.db.$client.query("SELECT created_at, expires_at FROM break_glass_grants WHERE staff_id = ?").get(admin.personId) as { created_at: number; expires_at: number };
      expect(latest.expires_at - latest.created_at).toBe(15 * 60_000);
    } finally {
      inst.clock.release();
    }
  });

  test("an admin cannot review their own grant (409 with the reason); another admin can", async () => {
    const own = await clientInCare("Olaf Own", 10);
    expect((await as(admin2).post(`/clients/${own}/break-glass`, { reason: REASON })).status).toBe(303);
    const grantId = (inst.db.$client.query("SELECT id FROM break_glass_grants WHERE client_id = ? AND staff_id = ?").get(own, admin2.personId) as { id: string }).id;
    const page = await (await as(admin2).get("/admin/break-glass")).text();
    const row = new RegExp(`<tr[^>]*data-grant="${grantId}"[^>]*>(.*?)</tr>`, "s").exec(page)![1]!;
    expect(row).toContain("Your own access: another admin reviews it.");
    expect(row).not.toContain(`/admin/break-glass/${grantId}/review`);
    const self = await as(admin2).post(`/admin/break-glass/${grantId}/review`, { verdict: "justified" });
    expect(self.status).toBe(409);
    expect(await self.text()).toContain("You cannot review your own emergency access: another admin must.");
    expect(inst.db.$client.query("SELECT verdict, reviewed_by FROM break_glass_grants WHERE id = ?").get(grantId)).toEqual({ verdict: null, reviewed_by: null });
    expect(auditOf("break-glass.review").filter((e) => JSON.parse(e.details).grant === grantId)).toEqual([]);
    expect((await as(admin).post(`/admin/break-glass/${grantId}/review`, { verdict: "justified" })).status).toBe(200);
    expect(inst.db.$client.query("SELECT verdict, reviewed_by FROM break_glass_grants WHERE id = ?").get(grantId)).toEqual({ verdict: "justified", reviewed_by: admin.personId });
  });

  test("every break-glass access and every read under it stands out in the audit log", async () => {
    const flagged = await clientInCare("Fiona Flag", 8);
    expect((await as(outsider).post(`/clients/${flagged}/break-glass`, { reason: REASON })).status).toBe(303);
    expect((await as(outsider).get(`/clients/${flagged}`)).status).toBe(200);
    const html = await (await as(admin).get("/admin/audit?action=record.")).text();
    const rows = [...html.matchAll(/<tr( class="kb-break-glass")?>(.*?)<\/tr>/gs)].map((m) => ({ flagged: m[1] !== undefined, text: m[2]! }));
    const breakGlass = rows.filter((r) => r.text.includes("record.break-glass"));
    expect(breakGlass.length).toBeGreaterThan(0);
    expect(breakGlass.every((r) => r.flagged && r.text.includes("Emergency access"))).toBe(true);
    const underGrant = rows.filter((r) => r.text.includes("record.view") && r.text.includes("breakGlass"));
    expect(underGrant.length).toBeGreaterThan(0);
    expect(underGrant.every((r) => r.flagged)).toBe(true);
    // A read within the care is an ordinary entry.
    await as(treating).get(`/clients/${flagged}`);
    const after = await (await as(admin).get(`/admin/audit?action=record.view&actor=${treating.personId}`)).text();
    expect(after).toContain("record.view");
    expect(after).not.toContain("kb-break-glass");
  });
});
