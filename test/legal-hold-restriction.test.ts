// What a restriction of processing stops, through the real app with a real SMTP server: a client whose processing is
// restricted (booked before the restriction) can no longer move their appointment or send intake answers, and their
// appointment reminder and intake reminder are skipped when due, with the reason recorded on the job. The admin says
// why processing is restricted, and lifts the restriction (GDPR art. 18(3)), audited; the client then books again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { searchAudit } from "../src/audit/audit.ts";
import { book, getAppointment } from "../src/booking/appointments.ts";
import { saveIntakeForm } from "../src/intake/intake.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { consentToHealthData } from "./support/consent.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

const ORIGIN = "https://consult.example.org";
let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;
let serviceId: string;

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, KABINET_SMTP_URL: smtp.url });
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
  serviceId = makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0 }).id;
  const field = { id: "reason", kind: "short-text" as const, label: { en: "What brings you here?", ru: "Что вас привело?" }, options: [], required: true };
  saveIntakeForm(inst, serviceId, { active: true, fields: [field] }, admin.personId, inst.clock.now());
  setHours(inst, specialist.personId, everyDay("UTC"));
}, 60_000);
afterAll(async () => {
  inst.close();
  await smtp.stop();
});

const jobsOf = (appointmentId: string) =>
  inst.db.$client.query("SELECT dedupe_key AS key, run_at AS runAt, status, last_error AS lastError FROM jobs WHERE dedupe_key LIKE ? ORDER BY run_at").all(`appt:${appointmentId}:r:%`) as {
    key: string;
    runAt: number;
    status: string;
    lastError: string | null;
  }[];

describe("restriction of processing", () => {
  test("stops moving the appointment, sending intake answers, and the reminders; cancelling stays possible", async () => {
    const client = await addPerson(inst, admin.personId, "client");
    consentToHealthData(inst, client.personId);
    const start = at(dayAhead(6), "10:00");
    const booked = book(inst, { serviceId, specialistId: specialist.personId, start, clientId: client.personId, actor: { personId: client.personId, role: "client" } });
    if (!booked.ok) throw new Error(booked.reason);
    const id = booked.appointments[0]!.id;
    const reminders = jobsOf(id);
    expect(reminders.some((j) => j.key.includes(":r:intake:"))).toBe(true);
    expect(reminders.some((j) => !j.key.includes(":r:intake:"))).toBe(true);

    await jobWorker(inst).runDue(); // the booking confirmation goes before the restriction
    const mailedBefore = smtp.messages().filter((m) => m.to.includes(client.email)).length;
    expect((await signedInClient(inst, admin).post(`/admin/people/${client.personId}/restrict`)).status).toBe(200);
    const as = signedInClient(inst, client);

    const moved = await as.post(`/appointments/${id}/reschedule`, { start: String(start + 2 * 3600_000), tz: "UTC" });
    expect(moved.status).toBeLessThan(500);
    expect(await moved.text()).toContain("This appointment cannot be moved: the processing of the client&#39;s data is restricted.");
    expect(getAppointment(inst.db, id)!.start).toBe(start);
    const ru = await as.post(`/appointments/${id}/reschedule`, { start: String(start + 2 * 3600_000), tz: "UTC" }, { "accept-language": "ru" });
    expect(await ru.text()).toContain("Этот приём нельзя перенести");

    const answered = await as.post(`/appointments/${id}/intake`, { "q.reason": "RESTRICTED-canary" });
    expect(answered.status).toBe(409);
    expect(await answered.text()).toContain("The answers cannot be sent: the processing of your data is restricted.");
    expect(inst.db.$client.query("SELECT count(*) AS n FROM intake_responses WHERE appointment_id = ?").get(id)).toEqual({ n: 0 });

    // Every reminder comes due: none is sent, each is skipped with the reason on the job.
    try {
      for (const job of jobsOf(id)) {
        inst.clock.set(job.runAt);
        await jobWorker(inst).runDue();
      }
      const after = jobsOf(id);
      expect(after.length).toBeGreaterThanOrEqual(2);
      for (const job of after) expect(job).toMatchObject({ status: "cancelled", lastError: "processing of the client's data is restricted" });
      expect(smtp.messages().filter((m) => m.to.includes(client.email))).toHaveLength(mailedBefore);
    } finally {
      inst.clock.release();
    }

    // Cancelling is not processing anew: it still works.
    const cancelled = await signedInClient(inst, client).post(`/appointments/${id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(getAppointment(inst.db, id)!.status).toBe("cancelled");
  });
});

describe("the restriction's reason, and lifting it", () => {
  test("the admin chooses the reason; lifting is audited and lets the client book again; odd input is a 4xx", async () => {
    const client = await addPerson(inst, admin.personId, "client");
    const id = client.personId;
    const as = signedInClient(inst, admin);
    const form = await (await as.get(`/admin/people/${id}/holds`)).text();
    expect(form).toContain('name="restrictReason"');
    expect(form).not.toContain(`action="/admin/people/${id}/restrict/lift"`);
    const odd = await as.post(`/admin/people/${id}/restrict`, { restrictReason: "because" });
    expect(odd.status).toBe(422);
    expect(await odd.text()).toContain("Choose why processing is restricted.");
    expect((await as.post(`/admin/people/${id}/restrict/lift`)).status).toBe(404); // nothing to lift

    const restricted = await as.post(`/admin/people/${id}/restrict`, { restrictReason: "objection" });
    expect(restricted.status).toBe(200);
    const page = await restricted.text();
    expect(page).toContain('data-restriction-reason="objection"');
    expect(page).toContain(`action="/admin/people/${id}/restrict/lift"`);
    expect(searchAudit(inst.db, { actionPrefix: "processing.restrict" }).find((e) => e.target === id)).toMatchObject({ details: { reason: "objection" } });
    const start = at(dayAhead(7), "15:00");
    const refused = await signedInClient(inst, client).post(`/book/${serviceId}`, { start: String(start), specialist: specialist.personId, tz: "UTC" });
    expect(refused.status).toBe(409);
    expect((await signedInClient(inst, specialist).post(`/admin/people/${id}/restrict/lift`)).status).toBe(403);

    const lifted = await as.post(`/admin/people/${id}/restrict/lift`);
    expect(lifted.status).toBe(200);
    const after = await lifted.text();
    expect(after).toContain("The restriction is lifted: processing of this client&#39;s data resumes.");
    expect(after).not.toContain('data-restricted="true"');
    expect(searchAudit(inst.db, { actionPrefix: "processing.lift" }).find((e) => e.target === id)).toMatchObject({ actor: admin.personId, details: { reason: "objection" } });
    const ru = await (await as.get(`/admin/people/${id}/holds`, { "accept-language": "ru" })).text();
    expect(ru).toContain("Возражение клиента до решения по нему");
    const booked = await signedInClient(inst, client).post(`/book/${serviceId}`, { start: String(start), specialist: specialist.personId, tz: "UTC" });
    expect(booked.status).toBe(303);
  });
});
