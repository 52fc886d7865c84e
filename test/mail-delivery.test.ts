// Mail as delivered through a real SMTP server (aiosmtpd on loopback): what a late mail may still say, calendar
// invitations checked by libical's iTIP rules, permanent and temporary refusals, template keys, and who reads how.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ICAL from "ical.js";
import type { Service } from "../src/booking/services.ts";
import { dateTimeFormat } from "../src/i18n/format.ts";
import { enqueue, listJobs } from "../src/jobs/queue.ts";
import { MAIL_JOB } from "../src/mail/mailer.ts";
import { readingOf, setPersonPreferences } from "../src/people/people.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { libicalErrors } from "./support/libical.ts";
import { type ReceivedMail, type SmtpServer, startSmtp } from "./support/smtp.ts";

const ZONE = "Europe/Moscow";
let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let service: Service;

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_SMTP_URL: smtp.url, KABINET_MAIL_FROM: "Test Clinic <consult@example.org>" });
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  setHours(inst, spec.personId, everyDay(ZONE, "09:00", "18:00"));
  service = makeService(inst, admin.personId, [spec.personId], { cancelHours: 0 });
  await runAt(Date.now()); // the invitations
});
afterAll(async () => {
  await smtp.stop();
  inst.close();
});

const runAt = (now: number) => jobWorker(inst, { now: () => now }).runDue();
const mailsTo = (email: string, from = 0) => smtp.messages().slice(from).filter((m) => m.to.includes(email));
const eventOf = (ics: string) => new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent("vevent")!;

async function newClient(): Promise<TestPerson> {
  const client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  await runAt(Date.now()); // the invitation
  return client;
}

async function bookAs(client: TestPerson, start: number): Promise<string> {
  const booked = await signedInClient(inst, client).post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: ZONE });
  expect(booked.status).toBe(303);
  return booked.headers.get("location")!.split("/")[2]!.split("?")[0]!;
}

async function move(who: TestPerson, id: string, start: number): Promise<void> {
  expect((await signedInClient(inst, who).post(`/appointments/${id}/reschedule`, { start: String(start) })).headers.get("location")).toBe(`/appointments/${id}?changed=1`);
}

async function cancel(who: TestPerson, id: string): Promise<void> {
  expect((await signedInClient(inst, who).post(`/appointments/${id}/cancel`, { reason: "plans changed" })).status).toBe(200);
}


test("mail that waited for the SMTP server tells only what is true when it goes out: nothing confirms a cancelled or moved booking", async () => {
  const client = await newClient();
  const day = dayAhead(5, ZONE);
  const before = smtp.messages().length;
  await smtp.stop();
  try {
    const a = await bookAs(client, at(day, "10:00", ZONE));
    await cancel(client, a);
    const b = await bookAs(client, at(day, "12:00", ZONE));
    await move(client, b, at(day, "14:00", ZONE)); // the client and the specialist are told
    await move(spec, b, at(day, "15:00", ZONE)); // the client is told again; the specialist did it
    const now = Date.now();
    await runAt(now); // every mail fails: the server is down
    expect(smtp.messages().length).toBe(before);
    await smtp.start();
    await runAt(now + 61_000);

    const toClient = mailsTo(client.email, before);
    expect(toClient.map((m) => m.subject).sort()).toEqual(["Cancelled: " + fmt(at(day, "10:00", ZONE)) + " — Test Clinic", "Moved to " + fmt(at(day, "15:00", ZONE)) + " — Test Clinic"].sort());
    expect(toClient.some((m) => /is booked/.test(m.text))).toBe(false);
    const moved = toClient.find((m) => m.subject.startsWith("Moved"))!;
    expect(moved.text).toContain(fmt(at(day, "15:00", ZONE)));
    expect(moved.text).not.toContain(fmt(at(day, "14:00", ZONE)));
    const movedEvent = eventOf(moved.attachments[0]!.content);
    expect(Number(movedEvent.getFirstPropertyValue("sequence"))).toBe(2);
    expect((movedEvent.getFirstPropertyValue("dtstart") as ICAL.Time).toJSDate().getTime()).toBe(at(day, "15:00", ZONE));
    // The specialist's mail of the client's move goes out with the time it has now (they moved it again themselves).
    const toSpec = mailsTo(spec.email, before);
    expect(toSpec.map((m) => m.subject).sort()).toEqual(["Cancelled: " + fmt(at(day, "10:00", ZONE)) + " — Test Clinic", "Moved to " + fmt(at(day, "15:00", ZONE)) + " — Test Clinic"].sort());

    // Admins see why the confirmations were not sent.
    const jobs = listJobs(inst.db, inst.vault, ["cancelled"]);
    expect(jobs.find((j) => j.dedupeKey === `appt:${a}:confirmation`)!.lastError).toBe("the appointment is no longer booked");
    expect(jobs.find((j) => j.dedupeKey === `appt:${b}:confirmation`)!.lastError).toBe("superseded by a later mail about the same appointment");
  } finally {
    await smtp.start().catch(() => {});
  }
});

const fmt = (ms: number) => dateTimeFormat({ locale: "en", hourCycle: null }, ZONE).format(new Date(ms));

test("calendar files are iTIP: REQUEST with organiser and attendee for a booking and a move, CANCEL for a cancellation; libical finds no fault", async () => {
  const client = await newClient();
  const day = dayAhead(6, ZONE);
  const before = smtp.messages().length;
  const id = await bookAs(client, at(day, "10:00", ZONE));
  await runAt(Date.now());
  await move(client, id, at(day, "11:00", ZONE));
  await runAt(Date.now());
  await cancel(client, id);
  await runAt(Date.now());
  const mails = mailsTo(client.email, before);
  expect(mails.map((m) => m.subject.split(":")[0]!.split(" ")[0])).toEqual(["Booked", "Moved", "Cancelled"]);
  const files = mails.map((m) => m.attachments.find((a) => a.filename === "appointment.ics")!);
  // iTIP over mail (RFC 6047 §2.4): a text/calendar part whose method parameter matches the file's METHOD.
  expect(files.map((f) => [f.contentType, f.contentTypeHeader.match(/;\s*method="?([A-Za-z]+)"?/)?.[1]?.toUpperCase()])).toEqual([
    ["text/calendar", "REQUEST"],
    ["text/calendar", "REQUEST"],
    ["text/calendar", "CANCEL"],
  ]);
  const raw = files.map((f) => Buffer.from(f.bytesBase64, "base64").toString("utf8"));
  for (const text of raw) {
    expect(text.endsWith("END:VCALENDAR\r\n")).toBe(true); // RFC 5545 §3.1: every line ends with CRLF
    expect(text.replaceAll("\r\n", "")).not.toContain("\n");
  }
  expect(libicalErrors(raw)).toEqual([[], [], []]);
  const cals = raw.map((text) => new ICAL.Component(ICAL.parse(text)));
  expect(cals.map((c) => c.getFirstPropertyValue("method"))).toEqual(["REQUEST", "REQUEST", "CANCEL"]);
  const events = cals.map((c) => c.getFirstSubcomponent("vevent")!);
  expect(new Set(events.map((e) => e.getFirstPropertyValue("uid"))).size).toBe(1);
  expect(events.map((e) => Number(e.getFirstPropertyValue("sequence")))).toEqual([0, 1, 2]);
  expect(events.map((e) => e.getFirstPropertyValue("status"))).toEqual(["CONFIRMED", "CONFIRMED", "CANCELLED"]);
  for (const e of events) {
    expect(String(e.getFirstPropertyValue("organizer")).toLowerCase()).toBe("mailto:consult@example.org");
    expect(e.getFirstProperty("organizer")!.getParameter("cn")).toBe("Test Clinic");
    expect(e.getAllProperties("attendee").map((p) => String(p.getFirstValue()).toLowerCase())).toEqual([`mailto:${client.email}`]);
  }
  expect(events[0]!.getFirstProperty("attendee")!.getParameter("partstat")).toBe("ACCEPTED");
  expect((events[1]!.getFirstPropertyValue("dtstart") as ICAL.Time).toJSDate().getTime()).toBe(at(day, "11:00", ZONE));
});

test("libical's check catches what the old attachment lacked (PUBLISH without ORGANIZER)", () => {
  const publish = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//x//y//EN", "METHOD:PUBLISH", "BEGIN:VEVENT", "UID:a@b", "DTSTAMP:20260101T000000Z", "DTSTART:20260102T100000Z", "SUMMARY:x", "END:VEVENT", "END:VCALENDAR", ""].join("\r\n");
  expect(libicalErrors([publish])[0]!.join()).toContain("ORGANIZER");
});

test("a recipient the server refuses for good (550) fails at once with the code and reason, shown to admins; nothing is retried", async () => {
  const person = await addPerson(inst, admin.personId, "client", { name: "Gone Mailbox" }); // queues the invitation
  smtp.rejectRecipients([person.email]);
  const now = Date.now();
  await runAt(now);
  const job = listJobs(inst.db, inst.vault, ["failed"]).find((j) => j.subject === person.personId)!;
  expect(job.attempts).toBe(1);
  expect(job.lastError).toContain("550");
  expect(job.lastError).toContain("User unknown");
  expect(job.lastError).not.toContain(person.email);
  await runAt(now + 13 * 3600_000); // past every backoff: still failed, never tried again
  expect(listJobs(inst.db, inst.vault, ["failed"]).find((j) => j.id === job.id)!.attempts).toBe(1);
  const page = await (await signedInClient(inst, admin).get("/admin/mail")).text();
  expect(page).toContain("Failed");
  expect(page).toContain(job.lastError!.replaceAll("<", "&lt;").replaceAll(">", "&gt;"));
});

test("a temporary refusal (451) is retried, and the retry carries the same Message-ID: delivery is at least once, recognisably", async () => {
  const client = await newClient();
  const before = smtp.messages().length;
  smtp.deferData(1);
  const id = await bookAs(client, at(dayAhead(7, ZONE), "10:00", ZONE));
  const now = Date.now();
  await runAt(now);
  const turnedAway = smtp.deferred().filter((m) => m.to.includes(client.email));
  expect(turnedAway).toHaveLength(1);
  const job = listJobs(inst.db, inst.vault, ["pending"]).find((j) => j.dedupeKey === `appt:${id}:confirmation`)!;
  expect(job.attempts).toBe(1);
  expect(job.lastError).toContain("451");
  await runAt(now + 61_000);
  const delivered = mailsTo(client.email, before);
  expect(delivered).toHaveLength(1);
  expect(delivered[0]!.messageId).toBe(turnedAway[0]!.messageId);
  expect(delivered[0]!.messageId).toMatch(/^<[0-9a-f]{32}@consult\.example\.org>$/);
});

test("a mail naming a template nobody registered fails at once with the reason; mail queued under the former names still goes out", async () => {
  const client = await newClient();
  const id = await bookAs(client, at(dayAhead(8, ZONE), "10:00", ZONE));
  const now = Date.now();
  await runAt(now);
  const before = smtp.messages().length;
  inst.db.transaction((tx) => {
    enqueue(tx, inst.vault, { kind: MAIL_JOB, dedupeKey: `test:${id}:unknown`, subject: client.personId, payload: { template: "booking.invoice", appointmentIds: [id] }, runAt: now }, now);
    enqueue(tx, inst.vault, { kind: MAIL_JOB, dedupeKey: `test:${id}:old-reminder`, subject: client.personId, payload: { template: "reminder", appointmentIds: [id], start: at(dayAhead(8, ZONE), "10:00", ZONE), hours: 24 }, runAt: now }, now);
    enqueue(tx, inst.vault, { kind: MAIL_JOB, dedupeKey: `test:${id}:old-link`, subject: client.personId, payload: { template: "link", purpose: "reset", url: "https://consult.example.org/link/x", expiresAt: now + 3600_000 }, runAt: now }, now);
  });
  await runAt(now);
  const failed = listJobs(inst.db, inst.vault, ["failed"]).find((j) => j.dedupeKey === `test:${id}:unknown`)!;
  expect(failed.attempts).toBe(1);
  expect(failed.lastError).toBe('unknown mail template "booking.invoice"');
  expect(mailsTo(client.email, before).map((m) => m.subject.split(/:| — /)[0]).sort()).toEqual(["Reminder", "Set a new password"]);
});

test("people/ answers how a person reads: their own zone, else the zone they work in, else the organisation's; their language, else the organisation's", async () => {
  const specialist = await addPerson(inst, admin.personId, "specialist");
  expect(readingOf(inst.db, specialist.personId)).toEqual({ role: "specialist", locale: "en", hourCycle: null, timeZone: "Europe/Moscow", zoneChosen: false });
  setHours(inst, specialist.personId, everyDay("Asia/Yekaterinburg"));
  expect(readingOf(inst.db, specialist.personId)).toMatchObject({ timeZone: "Asia/Yekaterinburg", zoneChosen: false });
  setPersonPreferences(inst.db, specialist.personId, { timeZone: "Europe/Berlin", locale: "ru" });
  expect(readingOf(inst.db, specialist.personId)).toEqual({ role: "specialist", locale: "ru", hourCycle: null, timeZone: "Europe/Berlin", zoneChosen: true });
  expect(readingOf(inst.db, "nobody")).toBeNull();
});

test("mail/ only sends: it imports no domain that writes mails", () => {
  const dir = join(import.meta.dir, "../src/mail");
  for (const file of readdirSync(dir)) {
    const imports = [...readFileSync(join(dir, file), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
    expect({ file, domains: imports.filter((p) => /^\.\.\/(booking|accounts|people|rooms|admin)\//.test(p)) }).toEqual({ file, domains: [] });
  }
});
