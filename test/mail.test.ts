// Mail through a real SMTP server (aiosmtpd on loopback): confirmation with its .ics, reminders at their hours,
// nothing sent twice (also across a restart), retries with backoff while the server is down, and account links.
import { afterAll, beforeAll, expect, test } from "bun:test";
import ICAL from "ical.js";
import { EMAIL_CODE_MS, pruneEmailCodes, sendEmailCode, useEmailCode } from "../src/accounts/email-codes.ts";
import { changeRole } from "../src/accounts/people-admin.ts";
import { listJobs, pruneFinishedJobs } from "../src/jobs/queue.ts";
import { jobWorker } from "../src/worker.ts";
import { smtpMailer } from "../src/mail/mailer.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let client: TestPerson;

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_SMTP_URL: smtp.url, KABINET_MAIL_FROM: "Kabinet <consult@example.org>" });
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  setHours(inst, spec.personId, everyDay("Europe/Moscow", "09:00", "18:00"));
});
afterAll(async () => {
  await smtp.stop();
  inst.close();
});

const runAt = (now: number) => jobWorker(inst, { now: () => now }).runDue();
const mailsTo = (email: string) => smtp.messages().filter((m) => m.to.includes(email));

test("a booking mails its confirmation (with .ics) and reminders 24 h and 1 h before, in the client's language and zone, once each", async () => {
  // People invited before: their invitation mails go out with the first run.
  await runAt(Date.now());
  const invitation = mailsTo(client.email).find((m) => m.subject.includes("invitation"))!;
  expect(invitation.text).toMatch(/https:\/\/consult\.example\.org\/link\/[A-Za-z0-9_-]{43}/);
  // The organisation, not "Kabinet", invites: by the sender's name, in the subject and in the signature.
  expect(invitation.from).toBe("Test Clinic <consult@example.org>");
  expect(invitation.subject).toBe("Your invitation to Test Clinic");
  expect(invitation.text).toContain("\n-- \nTest Clinic\nhttps://consult.example.org\nSent by Test Clinic");

  const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Couples therapy" });
  const day = dayAhead(3, "Europe/Moscow");
  const start = at(day, "10:00", "Europe/Moscow");
  const c = signedInClient(inst, client);
  c.cookies.set("kabinet_lang", "ru");
  const booked = await c.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "Europe/Moscow" });
  expect(booked.status).toBe(303);
  const page = await (await c.follow(booked)).text();
  expect(page).not.toContain("Почта на этом сервере ещё не настроена");

  expect(await runAt(Date.now())).toBeGreaterThanOrEqual(1);
  const [confirmation, ...others] = mailsTo(client.email).filter((m) => !m.subject.includes("invitation"));
  expect(others).toHaveLength(0);
  expect(confirmation!.from).toBe("Test Clinic <consult@example.org>");
  expect(confirmation!.subject).toStartWith("Вы записаны:");
  expect(confirmation!.subject).toEndWith(" — Test Clinic");
  expect(confirmation!.subject).toContain("10:00");
  expect(confirmation!.text).toContain("Здравствуйте, Maria Client!");
  expect(confirmation!.text).toContain("Dr Sofia Berg");
  expect(confirmation!.text).toContain("(Москва)"); // the zone by its city, in the reader's language
  expect(confirmation!.text).toContain("Письмо отправлено организацией «Test Clinic»");
  expect(confirmation!.text).not.toContain("Couples therapy"); // the organisation's default: no service in mail
  const ics = confirmation!.attachments.find((a) => a.filename === "appointment.ics")!;
  expect(ics.contentType).toBe("text/calendar");
  const event = new ICAL.Event(new ICAL.Component(ICAL.parse(ics.content)).getFirstSubcomponent("vevent")!);
  expect(event.startDate.toJSDate().getTime()).toBe(start);
  expect(event.endDate.toJSDate().getTime()).toBe(start + 50 * 60_000);
  expect(event.summary).toContain("Dr Sofia Berg");

  // Nothing is due yet; a second pass sends nothing.
  expect(await runAt(Date.now())).toBe(0);
  // 24 hours before: one reminder, even when two workers (say, after a restart) run the same moment.
  const dayBefore = start - 24 * 3600_000 + 1000;
  await Promise.all([runAt(dayBefore), runAt(dayBefore)]);
  await runAt(dayBefore + 60_000);
  let reminders = mailsTo(client.email).filter((m) => m.subject.startsWith("Напоминание"));
  expect(reminders).toHaveLength(1);
  expect(reminders[0]!.attachments).toHaveLength(0);
  await runAt(start - 3600_000 + 1000);
  reminders = mailsTo(client.email).filter((m) => m.subject.startsWith("Напоминание"));
  expect(reminders).toHaveLength(2);
  expect(new Set(reminders.map((m) => m.messageId)).size).toBe(2);
});

test("while the SMTP server is down mail waits and is retried with backoff; admins see the error; then it goes out once", async () => {
  const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Retry check", cancelHours: 0 });
  const start = at(dayAhead(5, "Europe/Moscow"), "12:00", "Europe/Moscow");
  const c = signedInClient(inst, client);
  const booked = await c.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "Europe/Moscow" });
  const id = booked.headers.get("location")!.split("/")[2]!.split("?")[0]!;
  await smtp.stop();
  const before = smtp.messages().length;
  const now = Date.now();
  await runAt(now);
  const waiting = listJobs(inst.db, inst.vault, ["pending"]).find((j) => j.dedupeKey === `appt:${id}:confirmation`)!;
  expect(waiting.attempts).toBe(1);
  expect(waiting.lastError).toBeTruthy();
  expect(waiting.lastError).not.toContain(client.email);
  expect(waiting.runAt).toBeGreaterThanOrEqual(now + 60_000);
  const adminPage = await (await signedInClient(inst, admin).get("/admin/mail")).text();
  expect(adminPage).toContain("Mail is sent through 127.0.0.1.");
  expect(adminPage).toContain(waiting.lastError!.slice(0, 20).replaceAll("'", "&#39;"));
  // Not retried before its time.
  await runAt(now + 30_000);
  expect(listJobs(inst.db, inst.vault, ["pending"]).find((j) => j.id === waiting.id)!.attempts).toBe(1);
  await smtp.start();
  await runAt(now + 61_000);
  const sent = smtp.messages().slice(before);
  expect(sent.filter((m) => m.subject.includes("Booked") || m.subject.includes("Вы записаны"))).toHaveLength(1);
  // A cancellation mails the client (with the cancelled event) and the specialist; the reason is in neither.
  const s = signedInClient(inst, spec);
  expect((await s.post(`/appointments/${id}/cancel`, { reason: "family emergency" })).status).toBe(200);
  await runAt(Date.now());
  const cancelMail = mailsTo(client.email).find((m) => m.subject.startsWith("Запись отменена") || m.subject.startsWith("Cancelled"))!;
  expect(cancelMail.text).not.toContain("family emergency");
  const cancelled = new ICAL.Component(ICAL.parse(cancelMail.attachments[0]!.content)).getFirstSubcomponent("vevent")!;
  expect(cancelled.getFirstPropertyValue("status")).toBe("CANCELLED");
  // The reminders of a cancelled appointment never go out.
  await runAt(start - 3600_000 + 1000);
  expect(smtp.messages().filter((m) => m.subject.includes("Напоминание") && m.text.includes("12:00"))).toHaveLength(0);
});

test("password-reset links are mailed; the mail's link works", async () => {
  const a = signedInClient(inst, admin);
  const r = await a.post(`/admin/people/${spec.personId}/reset-link`);
  expect(r.status).toBe(200);
  await runAt(Date.now());
  const mail = mailsTo(spec.email).find((m) => m.subject === "Set a new password — Test Clinic")!;
  const link = mail.text.match(/https:\/\/consult\.example\.org(\/link\/[A-Za-z0-9_-]{43})/)![1]!;
  const opened = await signedInClient(inst, { personId: client.personId }).get(link);
  expect(opened.status).toBe(303);
});

test("a client chooses sign-in codes by email: proven once, then asked at every sign-in; single use, throttled", async () => {
  const codeIn = (m: { text: string }) => m.text.match(/\b(\d{6})\b/)![1]!;
  const person = await addPerson(inst, admin.personId, "client", { name: "Code Client" });
  const c = signedInClient(inst, person);
  const offer = await (await c.get("/account/two-factor")).text();
  expect(offer).toContain("Send me a code by email");
  expect((await c.post("/account/two-factor/email")).status).toBe(200);
  await runAt(Date.now());
  const enrolMail = mailsTo(person.email).find((m) => m.subject.startsWith("Your sign-in code"))!;
  const wrong = await c.post("/account/two-factor/email/confirm", { code: codeIn(enrolMail) === "000000" ? "111111" : "000000" });
  expect(wrong.status).toBe(422);
  const on = await c.post("/account/two-factor/email/confirm", { code: codeIn(enrolMail) });
  expect(on.status).toBe(200);
  const codesPage = await on.text();
  expect(codesPage).toContain("each sign-in asks for a code we email you");
  const recovery = [...codesPage.matchAll(/<li>([A-Z0-9]{5}-[A-Z0-9]{5})<\/li>/g)].map((m) => m[1]!);
  expect(recovery).toHaveLength(10);
  expect(await (await c.get("/account")).text()).toContain("each sign-in asks for a code we email you");

  // Sign in again: the password step sends a code; the code completes sign-in once.
  const fresh = new TestClient(inst.app, inst.config.publicUrl.origin);
  const pw = await fresh.post("/signin", { email: person.email, password: person.password });
  expect(pw.headers.get("location")).toBe("/signin/two-factor");
  expect(await (await fresh.get("/signin/two-factor")).text()).toContain("We sent a 6-digit code to your email");
  await runAt(Date.now());
  const signInMail = mailsTo(person.email).filter((m) => m.subject.startsWith("Your sign-in code")).at(-1)!;
  expect(signInMail.messageId).not.toBe(enrolMail.messageId);
  // A second code within a minute is refused with the wait.
  const again = await fresh.post("/signin/two-factor/resend");
  expect(again.status).toBe(429);
  expect(await again.text()).toContain("Try again in 1 minute");
  const done = await fresh.post("/signin/two-factor", { code: codeIn(signInMail) });
  expect(done.status).toBe(303);
  expect(done.headers.get("location")).toBe("/");
  expect((await fresh.get("/appointments")).status).toBe(200);
  // The same code does not work twice; a recovery code does, once (for a lost mailbox).
  const replay = new TestClient(inst.app, inst.config.publicUrl.origin);
  await replay.post("/signin", { email: person.email, password: person.password });
  expect((await replay.post("/signin/two-factor", { code: codeIn(signInMail) })).status).toBe(422);
  expect((await replay.post("/signin/two-factor", { code: recovery[0]! })).headers.get("location")).toBe("/");
  // Made staff, they lose the emailed codes and must set up an authenticator.
  expect(changeRole(inst, person.personId, "staff", admin.personId)).toBe("ok");
  const asStaff = new TestClient(inst.app, inst.config.publicUrl.origin);
  expect((await asStaff.post("/signin", { email: person.email, password: person.password })).headers.get("location")).toBe("/account/two-factor");
  // Staff cannot choose it: their second factor is an authenticator.
  const staffPage = await (await signedInClient(inst, spec).get("/account/two-factor")).text();
  expect(staffPage).not.toContain("Send me a code by email");
  expect((await signedInClient(inst, spec).post("/account/two-factor/email")).status).toBe(303);
});

test("an emailed code expires after 10 minutes and only fits its own purpose", async () => {
  const person = await addPerson(inst, admin.personId, "client");
  const now = Date.now();
  inst.db.transaction((tx) => sendEmailCode(inst, tx, person.personId, "enrol", now));
  await runAt(now);
  const code = mailsTo(person.email).at(-1)!.text.match(/\b(\d{6})\b/)![1]!;
  expect(inst.db.transaction((tx) => useEmailCode(inst, tx, person.personId, "sign-in", code, now))).toBe(false);
  expect(inst.db.transaction((tx) => useEmailCode(inst, tx, person.personId, "enrol", code, now + EMAIL_CODE_MS))).toBe(false);
  expect(inst.db.transaction((tx) => useEmailCode(inst, tx, person.personId, "enrol", code, now + EMAIL_CODE_MS - 1000))).toBe(true);
  expect(inst.db.transaction((tx) => useEmailCode(inst, tx, person.personId, "enrol", code, now))).toBe(false);
});

test("finished mail and spent codes are removed after their time; waiting mail stays", async () => {
  const person = await addPerson(inst, admin.personId, "client");
  inst.db.transaction((tx) => sendEmailCode(inst, tx, person.personId, "enrol", Date.now()));
  await runAt(Date.now());
  const before = listJobs(inst.db, inst.vault, ["pending", "done", "failed", "cancelled"], 10_000);
  const pending = before.filter((j) => j.status === "pending").length;
  expect(before.some((j) => j.status === "done")).toBe(true);
  expect(pruneFinishedJobs(inst.db, Date.now())).toBe(0); // nothing is 30 days old yet
  // (Reminders ran at simulated times days ahead, so look from well after those.)
  expect(pruneFinishedJobs(inst.db, Date.now() + 60 * 86_400_000)).toBe(before.length - pending);
  expect(listJobs(inst.db, inst.vault, ["pending", "done", "failed", "cancelled"], 10_000).map((j) => j.status)).toEqual(Array(pending).fill("pending"));
  // Every code is spent by 10 minutes from now: all of them go, and the count says so.
  const codes = (inst.db.$client.query("select count(*) as n from email_codes").get() as { n: number }).n;
  expect(codes).toBeGreaterThan(0);
  expect(pruneEmailCodes(inst.db, Date.now() + EMAIL_CODE_MS + 1000)).toBe(codes);
  expect(inst.db.$client.query("select count(*) as n from email_codes").get()).toEqual({ n: 0 });
});

test("plain SMTP across a network is refused: the password and codes never travel in clear", async () => {
  // The same local server reached by an address that is not this machine's loopback name: STARTTLS is required.
  const remote = smtpMailer({ smtp: { url: new URL(`smtp://mailer@[::ffff:127.0.0.1]:${smtp.port}`), password: "pw" }, mailFrom: "k@example.org" });
  const sent = smtp.messages().length;
  await expect(remote.send({ to: "x@example.org", subject: "s", text: "t", messageId: "<a@b>" })).rejects.toThrow(/STARTTLS/);
  expect(smtp.messages().length).toBe(sent);
  // ...unless the admin says the relay is trusted.
  const relay = smtpMailer({ smtp: { url: new URL(`smtp://[::ffff:127.0.0.1]:${smtp.port}?starttls=off`), password: undefined }, mailFrom: "k@example.org" });
  await relay.send({ to: "relay@example.org", subject: "via relay", text: "t", messageId: "<relay@b>" });
  expect(mailsTo("relay@example.org")).toHaveLength(1);
});

test("in-person appointments carry the organisation's address on the booking, in the mail and in the calendar entry", async () => {
  const a = signedInClient(inst, admin);
  const saved = await a.post("/admin/settings", { name: "Test Clinic", language: "en", timeZone: "Europe/Moscow", clientTwoFactor: "optional", reminderHours: "24, 1", mailDetails: "minimal", address: "Kazan, 12 Lenina St, room 4", mailSpecialists: "on" });
  expect(saved.status).toBe(200);
  const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Office visit", mode: "in-person" });
  const start = at(dayAhead(6, "Europe/Moscow"), "15:00", "Europe/Moscow");
  const c = signedInClient(inst, client);
  expect(await (await c.get(`/book/${service.id}/confirm?start=${start}&specialist=${spec.personId}&tz=Europe/Moscow`)).text()).toContain("Kazan, 12 Lenina St, room 4");
  const booked = await c.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "Europe/Moscow" });
  expect(await (await c.follow(booked)).text()).toContain("Kazan, 12 Lenina St, room 4");
  await runAt(Date.now());
  const mail = mailsTo(client.email).at(-1)!;
  expect(mail.text).toContain("Kazan, 12 Lenina St, room 4");
  const event = new ICAL.Event(new ICAL.Component(ICAL.parse(mail.attachments[0]!.content)).getFirstSubcomponent("vevent")!);
  expect(event.location).toBe("Kazan, 12 Lenina St, room 4");
  expect(event.startDate.toJSDate().getTime()).toBe(start);
});
