// Intake forms through the real app: an admin builds a service's form, its client fills it in over HTTP, the
// specialist reads the answers before the call; the answers are sealed at rest, every step audited, the reminder
// mail goes out through a real SMTP server unless the form was filled, and an erased client's answers read "erased".
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { book, cancelAppointment, rescheduleAppointment } from "../src/booking/appointments.ts";
import { intakeReminderAt } from "../src/intake/intake-reminder.ts";
import type { ValidForm } from "../src/intake/intake.schema.ts";
import { clientIntakeOf, intakeAnswersFor, listIntakeOfClient, saveIntakeForm } from "../src/intake/intake.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import type { TestClient } from "./support/client.ts";
import { consentToHealthData } from "./support/consent.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

const ORIGIN = "https://consult.example.org";
let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;
let colleague: TestPerson;
let staff: TestPerson;
let serviceId: string; // asks the form below, saved through the service
let builderServiceId: string; // the builder test's own
let as: (p: { personId: string }) => TestClient;

const auditOf = (action: string) =>
  inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[];
const jobOf = (appointmentId: string) =>
  inst.db.$client.query("SELECT run_at AS runAt, status, last_error AS lastError FROM jobs WHERE dedupe_key LIKE ? ORDER BY id DESC").get(`appt:${appointmentId}:r:intake:%`) as { runAt: number; status: string; lastError: string | null } | null;
const jobsOf = (appointmentId: string) =>
  inst.db.$client.query("SELECT dedupe_key AS key, status FROM jobs WHERE dedupe_key LIKE ? ORDER BY id").all(`appt:${appointmentId}:r:intake:%`) as { key: string; status: string }[];

function diskBytes(): Buffer {
  const files = ["kabinet.db", "kabinet.db-wal"].map((f) => join(inst.config.dataDir, f)).filter(existsSync);
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

/** The builder's current inputs, read back from its page the way a browser would send them. */
function formOf(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*>/g)) {
    const tag = m[0];
    const value = /value="([^"]*)"/.exec(tag)?.[1] ?? "";
    if (/type="checkbox"/.test(tag) && !/checked/.test(tag)) continue;
    out[m[1]!] = value.replaceAll("&amp;", "&").replaceAll("&quot;", '"');
  }
  for (const m of html.matchAll(/<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)) out[m[1]!] = m[2]!;
  for (const m of html.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) out[m[1]!] = /<option value="([^"]+)" selected/.exec(m[2]!)?.[1] ?? "";
  return out;
}

async function builder(form: Record<string, string>, op: string): Promise<Response> {
  return as(admin).post(`/admin/services/${builderServiceId}/intake`, { ...form, op });
}

/** Adds a question of a kind through the builder and fills it in; returns the new form state. */
async function addQuestion(state: Record<string, string>, kind: string, labelEn: string, labelRu: string, options = "", required = true): Promise<Record<string, string>> {
  const r = await builder({ ...state, newKind: kind }, "add");
  expect(r.status).toBe(200);
  const next = formOf(await r.text());
  const i = Object.keys(next).filter((k) => /^f\d+\.kind$/.test(k)).length - 1;
  expect(next[`f${i}.kind`]).toBe(kind);
  return { ...next, [`f${i}.labelEn`]: labelEn, [`f${i}.labelRu`]: labelRu, [`f${i}.options`]: options, ...(required ? { [`f${i}.required`]: "on" } : {}) };
}

function bookFor(clientId: string, days: number, time = "10:00"): string {
  const booked = book(inst, { serviceId, specialistId: specialist.personId, start: at(dayAhead(days), time), clientId, actor: { personId: clientId, role: "client" } }, inst.clock.now());
  if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
  return booked.appointments[0]!.id;
}

const both = (en: string, ru: string) => ({ en, ru });
const FORM: ValidForm = {
  active: true,
  fields: [
    { id: "reason", kind: "short-text", label: both("What brings you here?", "Что вас привело?"), options: [], required: true },
    { id: "time", kind: "single-choice", label: both("Preferred time", "Удобное время"), options: [both("Morning", "Утро"), both("Evening", "Вечер")], required: true },
    { id: "dob", kind: "date", label: both("Date of birth", "Дата рождения"), options: [], required: true },
    { id: "symptoms", kind: "multiple-choice", label: both("Symptoms", "Симптомы"), options: [both("Sleep", "Сон"), both("Appetite", "Аппетит"), both("Mood", "Настроение")], required: false },
    { id: "before", kind: "yes-no", label: both("Seen a specialist before?", "Обращались раньше?"), options: [], required: true },
    { id: "consent", kind: "consent", label: both("I agree to share this with my specialist", "Я согласен передать это специалисту"), options: [], required: true },
    { id: "else", kind: "long-text", label: both("Anything else", "Что-то ещё"), options: [], required: false },
  ],
};

/** A complete, valid set of answers as the form posts them. */
const answers = (reason: string, more: Record<string, string> = {}): Record<string, string> => ({
  "q.reason": reason,
  "q.time": "1",
  "q.dob": "1990-04-25",
  "q.symptoms.0": "on",
  "q.symptoms.2": "on",
  "q.before": "no",
  "q.consent": "on",
  ...more,
});

/** A new client with an appointment `days` ahead at `time`, who has (with `reason`) or has not answered the form. */
async function clientWithAppointment(days: number, time = "10:00", reason?: string): Promise<{ client: TestPerson; appointmentId: string }> {
  const client = await addPerson(inst, admin.personId, "client", { name: "Ivan Intake" });
  consentToHealthData(inst, client.personId);
  const appointmentId = bookFor(client.personId, days, time);
  if (reason !== undefined) expect((await as(client).post(`/appointments/${appointmentId}/intake`, answers(reason))).status).toBe(303);
  return { client, appointmentId };
}

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, KABINET_SMTP_URL: smtp.url });
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist", { name: "Sofia Specialist" });
  colleague = await addPerson(inst, admin.personId, "specialist");
  staff = await addPerson(inst, admin.personId, "staff");
  serviceId = makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0 }).id;
  builderServiceId = makeService(inst, admin.personId, [specialist.personId], { nameEn: "Follow-up" }).id;
  saveIntakeForm(inst, serviceId, FORM, admin.personId, inst.clock.now());
  setHours(inst, specialist.personId, everyDay("UTC", "08:00", "18:00"));
  as = (p) => signedInClient(inst, p, ORIGIN);
}, 60_000);
afterAll(async () => {
  inst.close();
  await smtp.stop();
});

describe("intake forms", () => {
  test("an admin builds the form with plain form posts: add, reorder, remove, save as version 1, audited", async () => {
    const page = await as(admin).get(`/admin/services/${builderServiceId}`);
    expect(await page.text()).toContain(`href="/admin/services/${builderServiceId}/intake"`);
    let state = formOf(await (await as(admin).get(`/admin/services/${builderServiceId}/intake`)).text());
    state = await addQuestion(state, "short-text", "What brings you here?", "Что вас привело?");
    state = await addQuestion(state, "date", "Date of birth", "Дата рождения");
    state = await addQuestion(state, "single-choice", "Preferred time", "Удобное время", "Morning | Утро\nEvening | Вечер");
    state = await addQuestion(state, "multiple-choice", "Symptoms", "Симптомы", "Sleep | Сон\nAppetite | Аппетит", false);
    state = await addQuestion(state, "yes-no", "Seen a specialist before?", "Обращались раньше?");
    state = await addQuestion(state, "consent", "I agree", "Я согласен");
    state = await addQuestion(state, "long-text", "Anything else", "Что-то ещё", "", false);
    state = await addQuestion(state, "short-text", "To be removed", "Удалить");
    // Move the date below the choice, then drop the last question.
    let r = await builder(state, "down:1");
    state = formOf(await r.text());
    expect([state["f1.labelEn"], state["f2.labelEn"]]).toEqual(["Preferred time", "Date of birth"]);
    r = await builder(state, "remove:7");
    state = formOf(await r.text());
    expect(state["f7.kind"]).toBeUndefined();
    expect(state["f2.options"]).toBe("");
    r = await builder(state, "save");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe(`/admin/services/${builderServiceId}/intake?saved=1`);
    const saved = await (await as(admin).follow(r)).text();
    expect(saved).toContain("Saved as version 1.");
    expect(formOf(saved)["f1.options"]).toBe("Morning | Утро\nEvening | Вечер");
    const audit = auditOf("intake.form.save").filter((e) => e.target === builderServiceId);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe(admin.personId);
    expect(JSON.parse(audit[0]!.details)).toEqual({ version: 1, fields: 7, active: true });
    // Saving again bumps the version.
    expect((await builder(formOf(saved), "save")).headers.get("location")).toBe(`/admin/services/${builderServiceId}/intake?saved=2`);
  });

  test("the builder refuses a bad form with each question's message (422), and saves nothing", async () => {
    const before = auditOf("intake.form.save").length;
    const state = formOf(await (await as(admin).get(`/admin/services/${serviceId}/intake`)).text());
    expect(state["f1.options"]).toBe("Morning | Утро\nEvening | Вечер");
    const r = await as(admin).post(`/admin/services/${serviceId}/intake`, { ...state, "f0.labelEn": "", "f0.labelRu": "", "f1.options": "Only one", "f2.labelEn": "x".repeat(501), op: "save" });
    expect(r.status).toBe(422);
    const html = await r.text();
    expect(html).toContain("Write the question in at least one language.");
    expect(html).toContain("A choice needs at least two options, one per line.");
    expect(html).toContain("A question can be at most 500 characters.");
    expect(html).toContain('id="f-f1-options-error"');
    expect(html).toContain("Only one"); // what was typed stays on the form
    const ru = await as(admin).post(`/admin/services/${serviceId}/intake`, { ...state, "f1.options": "A\na", op: "save" }, { "accept-language": "ru" });
    expect(ru.status).toBe(422);
    expect(await ru.text()).toContain("Два варианта совпадают.");
    // At most 30 questions: the 31st is refused with the limit's message, on Save and on Add.
    const many: Record<string, string> = { active: "on" };
    for (let i = 0; i < 31; i++) Object.assign(many, { [`f${i}.id`]: `q${i}`, [`f${i}.kind`]: "short-text", [`f${i}.labelEn`]: `Q${i}` });
    const tooMany = await as(admin).post(`/admin/services/${serviceId}/intake`, { ...many, op: "save" });
    expect(tooMany.status).toBe(422);
    expect(await tooMany.text()).toContain("A form can have at most 30 questions.");
    expect((await as(admin).post(`/admin/services/${serviceId}/intake`, { ...many, op: "add" })).status).toBe(422);
    expect(auditOf("intake.form.save")).toHaveLength(before);
  });

  test("booking queues the reminder a day before the start; the client's appointment page asks for the form", async () => {
    const { client, appointmentId } = await clientWithAppointment(3);
    const start = at(dayAhead(3), "10:00");
    expect(jobOf(appointmentId)).toMatchObject({ runAt: start - 24 * 3600_000, status: "pending" });
    expect(intakeReminderAt(start, start - 2 * 3600_000)).toBe(start - 3600_000); // booked late: an hour before
    expect(intakeReminderAt(start, start - 30 * 60_000)).toBe(start - 30 * 60_000); // later still: at once
    const page = await (await as(client).get(`/appointments/${appointmentId}`)).text();
    expect(page).toContain("Please answer a few questions before your consultation.");
    expect(page).toContain(`href="/appointments/${appointmentId}/intake"`);
    const form = await (await as(client).get(`/appointments/${appointmentId}/intake`)).text();
    for (const label of ["What brings you here?", "Date of birth", "Preferred time", "Symptoms (optional)", "Seen a specialist before?", "Anything else (optional)", "I agree to share"]) expect(form).toContain(label);
    const ru = await (await as(client).get(`/appointments/${appointmentId}/intake`, { "accept-language": "ru" })).text();
    expect(ru).toContain("Что вас привело?");
    expect(ru).toContain("Вечер");
  });

  test("answers are checked per kind: required, a real date, a choice among the options, the consent box", async () => {
    const { client, appointmentId } = await clientWithAppointment(4);
    const r = await as(client).post(`/appointments/${appointmentId}/intake`, { "q.reason": "", "q.dob": "1990-02-30", "q.time": "7", "q.before": "maybe", "q.else": "kept text" });
    expect(r.status).toBe(422);
    const html = await r.text();
    for (const text of ["Please answer this question.", "Enter a real date, like 1990-04-25.", "Choose one of the options.", "Please tick this box to go on."]) expect(html).toContain(text);
    expect(html).toContain("kept text");
    expect(html).toContain('id="f-q-dob-error"');
    expect((await as(client).post(`/appointments/${appointmentId}/intake`, answers("x".repeat(301)))).status).toBe(422);
    expect(inst.db.$client.query("SELECT count(*) AS n FROM intake_responses WHERE appointment_id = ?").get(appointmentId)).toEqual({ n: 0 });
  });

  test("the client's answers are sealed: a canary never reaches the database file or its WAL in clear; the specialist reads them", async () => {
    const canary = `CANARY-intake-${crypto.randomUUID()}`;
    const { client, appointmentId } = await clientWithAppointment(5);
    const r = await as(client).post(`/appointments/${appointmentId}/intake`, answers(canary));
    expect(r.status).toBe(303);
    const back = await (await as(client).follow(r)).text();
    expect(back).toContain("Thank you: your answers were sent.");
    expect(back).toContain(canary); // prefilled, to change until the start
    expect(auditOf("intake.submit").at(-1)).toMatchObject({ actor: client.personId, target: client.personId });
    expect(JSON.parse(auditOf("intake.submit").at(-1)!.details)).toEqual({ appointment: appointmentId, version: 1, first: true });
    expect(diskBytes().includes(canary)).toBe(false);
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    expect(diskBytes().includes(canary)).toBe(false);
    // The specialist reads them on the appointment page and at the form's address; each reading audited.
    const views = auditOf("intake.view").length;
    const page = await (await as(specialist).get(`/appointments/${appointmentId}`)).text();
    expect(page).toContain(canary);
    expect(page).toContain("Evening");
    expect(page).toContain("Sleep; Mood");
    expect(page).toContain("April 25, 1990");
    const ru = await (await as(specialist).get(`/appointments/${appointmentId}/intake`, { "accept-language": "ru" })).text();
    expect(ru).toContain("Вечер");
    expect(ru).toContain("Нет");
    const seen = { actor: specialist.personId, target: client.personId, details: JSON.stringify({ appointment: appointmentId }) };
    expect(auditOf("intake.view").slice(views)).toEqual([seen, seen]);
    // The function the client record page uses.
    const read = intakeAnswersFor(inst, appointmentId, { personId: specialist.personId, role: "specialist" });
    expect(read?.state).toBe("answered");
    expect(read?.fields.map((f) => f.id)).toEqual(FORM.fields.map((f) => f.id));
    expect(read?.answers).toMatchObject({ reason: canary, time: 1, dob: "1990-04-25", symptoms: [0, 2], before: false, consent: true, else: "" });
    // The client's own copy for the data export.
    expect(listIntakeOfClient(inst, client.personId).map((x) => [x.appointmentId, x.answers.reason])).toEqual([[appointmentId, canary]]);
  });

  test("nobody else reads the answers: staff, another specialist, an admin outside the care and another client find nothing (404)", async () => {
    const { appointmentId } = await clientWithAppointment(6, "10:00", "CANARY-intake-private");
    const other = await addPerson(inst, admin.personId, "client");
    consentToHealthData(inst, other.personId);
    for (const p of [staff, colleague, admin, other]) {
      const r = await as(p).get(`/appointments/${appointmentId}/intake`);
      expect(r.status).toBe(404);
      expect(await r.text()).not.toContain("CANARY-intake-private");
      expect((await as(p).post(`/appointments/${appointmentId}/intake`, answers("overwritten"))).status).toBe(404);
    }
    expect(await (await as(staff).get(`/appointments/${appointmentId}`)).text()).not.toContain("CANARY-intake-private");
    expect(intakeAnswersFor(inst, appointmentId, { personId: staff.personId, role: "staff" })).toBeNull();
    expect(intakeAnswersFor(inst, appointmentId, { personId: colleague.personId, role: "specialist" })).toBeNull();
    expect(intakeAnswersFor(inst, appointmentId, { personId: admin.personId, role: "admin" })).toBeNull();
  });

  test("an admin outside the client's care reads the answers only through break-glass, the reading audited with the grant", async () => {
    const { client, appointmentId } = await clientWithAppointment(6, "12:00", "CANARY-intake-glass");
    const views = auditOf("intake.view").length;
    expect((await as(admin).get(`/appointments/${appointmentId}/intake`)).status).toBe(404);
    expect(await (await as(admin).get(`/appointments/${appointmentId}`)).text()).not.toContain("CANARY-intake-glass");
    const reason = "The specialist is ill and the client asked for an urgent call";
    expect((await as(admin).post(`/clients/${client.personId}/break-glass`, { reason })).status).toBe(303);
    const grant = (inst.db.$client.query("SELECT id FROM break_glass_grants WHERE staff_id = ? AND client_id = ?").get(admin.personId, client.personId) as { id: string }).id;
    const r = await as(admin).get(`/appointments/${appointmentId}/intake`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain("CANARY-intake-glass");
    expect(auditOf("intake.view").slice(views)).toEqual([{ actor: admin.personId, target: client.personId, details: JSON.stringify({ appointment: appointmentId, breakGlass: grant }) }]);
  });

  test("without consent to health data the form is neither asked nor shown", async () => {
    const { client, appointmentId } = await clientWithAppointment(7, "10:00", "withheld answers");
    // The client withdraws their consent to health data on their consents page: the answers are no longer shown.
    expect(intakeAnswersFor(inst, appointmentId, { personId: specialist.personId, role: "specialist" })).toMatchObject({ state: "answered" });
    const consents = await as(client).get("/account/consents");
    const version = /name="version" value="(\d+)"/.exec(await consents.text());
    const withdrawn = await as(client).post("/account/consents/health-data/withdraw", version ? { version: version[1]! } : {});
    expect(withdrawn.status).toBeLessThan(400);
    const read = intakeAnswersFor(inst, appointmentId, { personId: specialist.personId, role: "specialist" });
    expect(read).toMatchObject({ state: "withheld", fields: [], answers: {} });
    expect(clientIntakeOf(inst, appointmentId, { personId: client.personId, role: "client" }, inst.clock.now())).toMatchObject({ withheld: true, form: null, response: null });
  });

  test("the reminder is mailed with the form's link, and skipped when the form is already filled", async () => {
    const filled = await clientWithAppointment(8, "10:00", "already answered");
    const pending = await clientWithAppointment(8, "12:00"); // due two hours after the filled one's
    try {
      inst.clock.set(jobOf(pending.appointmentId)!.runAt);
      await jobWorker(inst).runDue();
      const mail = smtp.messages().find((m) => m.to.includes(pending.client.email) && m.subject.startsWith("Before your consultation"));
      expect(mail?.text).toContain(`${ORIGIN}/appointments/${pending.appointmentId}/intake`);
      expect(mail?.text).toContain("Sofia Specialist");
      expect(jobOf(pending.appointmentId)!.status).toBe("done");
      expect(jobOf(filled.appointmentId)).toMatchObject({ status: "cancelled", lastError: "the intake form is already filled in" });
      expect(smtp.messages().filter((m) => m.to.includes(filled.client.email) && m.subject.startsWith("Before your consultation"))).toEqual([]);
    } finally {
      inst.clock.set(Date.now());
    }
  });

  test("once the appointment has started the answers can no longer be changed (409), but still be read", async () => {
    const { client, appointmentId } = await clientWithAppointment(9, "10:00", "CANARY-intake-kept");
    inst.clock.set(at(dayAhead(9), "10:01"));
    try {
      const r = await as(client).post(`/appointments/${appointmentId}/intake`, answers("changed late"));
      expect(r.status).toBe(409);
      const html = await r.text();
      expect(html).toContain("can no longer be changed");
      expect(html).toContain("CANARY-intake-kept");
      expect(html).not.toContain(`action="/appointments/${appointmentId}/intake"`);
    } finally {
      inst.clock.set(Date.now());
    }
  });

  test("a cancelled booking's reminder is cancelled with it; an erased client's answers read as erased, never a 500", async () => {
    const { client, appointmentId } = await clientWithAppointment(10, "10:00", "to be shredded");
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, client.personId, admin.personId).ok).toBe(true);
    expect(jobOf(appointmentId)!.status).toBe("cancelled");
    const page = await as(specialist).get(`/appointments/${appointmentId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("The client was erased: their answers can no longer be read.");
    expect(html).not.toContain("to be shredded");
    expect((await as(specialist).get(`/appointments/${appointmentId}/intake`)).status).toBe(200);
    expect(intakeAnswersFor(inst, appointmentId, { personId: specialist.personId, role: "specialist" })?.state).toBe("erased");
    expect(listIntakeOfClient(inst, client.personId)).toEqual([]);
  });

  test("moving the appointment queues the reminder for the new time and cancels the old one; cancelling it cancels the reminder; a form switched on reaches appointments booked before", async () => {
    const { client, appointmentId } = await clientWithAppointment(11);
    const actor = { personId: client.personId, role: "client" as const };
    const moved = at(dayAhead(11), "14:00");
    expect(rescheduleAppointment(inst, appointmentId, actor, moved, inst.clock.now()).ok).toBe(true);
    expect(jobsOf(appointmentId)).toEqual([
      { key: `appt:${appointmentId}:r:intake:${at(dayAhead(11), "10:00")}`, status: "cancelled" },
      { key: `appt:${appointmentId}:r:intake:${moved}`, status: "pending" },
    ]);
    expect(jobOf(appointmentId)!.runAt).toBe(moved - 24 * 3600_000);
    expect(cancelAppointment(inst, appointmentId, actor, "", inst.clock.now()).ok).toBe(true);
    expect(jobsOf(appointmentId).map((j) => j.status)).toEqual(["cancelled", "cancelled"]);
    // A service without a form queues none.
    const plain = makeService(inst, admin.personId, [specialist.personId], { nameEn: "No form" });
    const booked = book(inst, { serviceId: plain.id, specialistId: specialist.personId, start: at(dayAhead(11), "16:00"), clientId: client.personId, actor }, inst.clock.now());
    expect(booked.ok && jobsOf(booked.appointments[0]!.id)).toEqual([]);
    // Once the service asks a form, the appointments already booked get their reminder.
    saveIntakeForm(inst, plain.id, FORM, admin.personId, inst.clock.now());
    expect(booked.ok && jobsOf(booked.appointments[0]!.id).map((j) => j.status)).toEqual(["pending"]);
  });

  test("a later version of the form never changes what was answered; the client's next edit answers the new questions", async () => {
    const other = makeService(inst, admin.personId, [specialist.personId], { nameEn: "Versioned", cancelHours: 0 }).id;
    const v1: ValidForm = { active: true, fields: [{ id: "mood", kind: "single-choice", label: both("Mood", "Настроение"), options: [both("Good", "Хорошее"), both("Low", "Плохое")], required: true }] };
    saveIntakeForm(inst, other, v1, admin.personId, inst.clock.now());
    const client = await addPerson(inst, admin.personId, "client");
    consentToHealthData(inst, client.personId);
    const booked = book(inst, { serviceId: other, specialistId: specialist.personId, start: at(dayAhead(12), "10:00"), clientId: client.personId, actor: { personId: client.personId, role: "client" } }, inst.clock.now());
    if (!booked.ok) throw new Error("booking failed");
    const id = booked.appointments[0]!.id;
    expect((await as(client).post(`/appointments/${id}/intake`, { "q.mood": "1" })).status).toBe(303);
    const v2: ValidForm = { active: true, fields: [{ ...v1.fields[0]!, label: both("Mood this week", "Настроение на этой неделе") }, { id: "sleep", kind: "yes-no", label: both("Sleeping well?", "Хорошо спите?"), options: [], required: true }] };
    expect(saveIntakeForm(inst, other, v2, admin.personId, inst.clock.now()).version).toBe(2);
    // The specialist still reads the questions as the client saw them.
    const read = intakeAnswersFor(inst, id, { personId: specialist.personId, role: "specialist" })!;
    expect(read.formVersion).toBe(1);
    expect(read.fields.map((f) => f.label.en)).toEqual(["Mood"]);
    // The client's form shows the new questions, with the earlier answer kept where the question is the same.
    const form = await (await as(client).get(`/appointments/${id}/intake`)).text();
    expect(form).toContain("Sleeping well?");
    expect(form).toMatch(/name="q\.mood" value="1" checked/);
    expect((await as(client).post(`/appointments/${id}/intake`, { "q.mood": "1", "q.sleep": "yes" })).status).toBe(303);
    expect(intakeAnswersFor(inst, id, { personId: specialist.personId, role: "specialist" })).toMatchObject({ formVersion: 2, answers: { mood: 1, sleep: true } });
    expect(JSON.parse(auditOf("intake.submit").at(-1)!.details)).toEqual({ appointment: id, version: 2, first: false });
    // Switched off: nothing more is asked, what was sent stays readable for both.
    saveIntakeForm(inst, other, { ...v2, active: false }, admin.personId, inst.clock.now());
    const off = await as(client).post(`/appointments/${id}/intake`, { "q.mood": "0", "q.sleep": "no" });
    expect(off.status).toBe(409);
    const offHtml = await off.text();
    expect(offHtml).toContain("This form is no longer asked");
    expect(offHtml).toContain("Sleeping well?");
    expect(intakeAnswersFor(inst, id, { personId: specialist.personId, role: "specialist" })).toMatchObject({ state: "answered", answers: { mood: 1, sleep: true } });
  });
});
