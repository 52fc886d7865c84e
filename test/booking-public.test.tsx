// The public booking page and what grew around it: visitors see services and free times (and nothing about anyone),
// the confirmation asks them for an account and brings them back to the same time; specialists are mailed about
// bookings others make; staff begin by choosing the client; rescheduling shows the present time; empty days are
// marked. Through the real app, with a real SMTP server for the mail.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { listAppointments } from "../src/booking/appointments.ts";
import { isReturnPath, RETURN_COOKIE } from "../src/http/access.ts";
import { listJobs } from "../src/jobs/queue.ts";
import { getSettings, saveSettings } from "../src/settings/settings.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let staff: TestPerson;
let client: TestPerson;

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_SMTP_URL: smtp.url, KABINET_MAIL_FROM: "Test Clinic <consult@example.org>" });
  admin = await setUpOrganisation(inst, { selfRegistration: true });
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  staff = await addPerson(inst, admin.personId, "staff");
  client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  setHours(inst, spec.personId, everyDay("UTC"));
});
afterAll(async () => {
  await smtp.stop();
  inst.close();
});

const visitor = () => new TestClient(inst.app, inst.config.publicUrl.origin);
const slotLinks = (html: string) => [...html.matchAll(/confirm\?start=(\d+)&amp;specialist=([\w-]+)/g)].map((m) => ({ start: Number(m[1]), specialist: m[2]! }));
const confirmPath = (serviceId: string, start: number) => `/book/${serviceId}/confirm?start=${start}&specialist=${spec.personId}&tz=UTC`;
const decode = (html: string) => html.replaceAll("&amp;", "&");
const idOf = (r: Response) => r.headers.get("location")!.split("/")[2]!.split("?")[0]!;
const specialistNotices = (appointmentId: string) => listJobs(inst.db, inst.vault, ["pending", "done"], 10_000).filter((j) => j.dedupeKey === `appt:${appointmentId}:booked`);

describe("the public booking page", () => {
  test("a visitor sees the services and the free times, and nothing about anyone's appointments", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Public check" });
    const day = dayAhead(4);
    const taken = at(day, "10:00");
    const booked = await signedInClient(inst, client).post(`/book/${service.id}`, { start: String(taken), specialist: spec.personId, tz: "UTC" });
    expect(booked.status).toBe(303);
    const v = visitor();
    const list = await v.get("/book");
    expect(list.status).toBe(200);
    expect(await list.text()).toContain("Public check");
    const page = await v.get(`/book/${service.id}?specialist=any&day=${day}&tz=UTC`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const slots = slotLinks(html);
    expect(slots.length).toBeGreaterThan(10);
    expect(slots.some((s) => s.start === taken)).toBe(false);
    expect(slots.some((s) => s.start === taken + 2 * 3600_000)).toBe(true);
    for (const leak of ["Maria Client", client.email, client.personId, idOf(booked), "/appointments/"]) expect(html).not.toContain(leak);
    // A taken time and a time nobody works answer alike: a confirmation link cannot tell an appointment from a gap.
    const takenPage = await (await v.get(confirmPath(service.id, taken))).text();
    const offHours = await (await v.get(confirmPath(service.id, at(day, "20:00")))).text();
    for (const answer of [takenPage, offHours]) {
      expect(answer).toContain("That time is no longer free. Here are the nearest free times.");
      for (const leak of ["Maria Client", client.email, idOf(booked)]) expect(answer).not.toContain(leak);
    }
    // The staff-only parts stay closed to visitors.
    expect((await v.post("/book/clients/search", { clientEmail: "maria" })).status).toBe(401);
    expect((await v.post(`/book/${service.id}`, { start: String(taken + 3600_000), specialist: spec.personId })).status).toBe(401);
  });

  test("the confirmation offers an account or sign-in that come back to it; after signing in one click books", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Return check" });
    const start = at(dayAhead(6), "11:00");
    const path = confirmPath(service.id, start);
    const v = visitor();
    const confirm = await v.get(path);
    expect(confirm.status).toBe(200);
    const html = decode(await confirm.text());
    expect(html).toContain("To book this time, create an account or sign in");
    expect(html).toContain(`href="/register?${new URLSearchParams({ return: path })}"`);
    expect(html).toContain(`href="/signin?${new URLSearchParams({ return: path })}"`);
    expect(html).not.toContain("Confirm booking");
    expect(decodeURIComponent(v.cookies.get(RETURN_COOKIE)!)).toBe(path);
    expect(isReturnPath(path)).toBe(true);
    // The return path is rebuilt from the checked slot: anything else in the link is not carried along.
    const padded = visitor();
    const junk = await (await padded.get(`${path}&next=${encodeURIComponent("//evil.example/")}&pad=${"x".repeat(400)}`)).text();
    expect(decode(junk)).toContain(`href="/signin?${new URLSearchParams({ return: path })}"`);
    expect(decodeURIComponent(padded.cookies.get(RETURN_COOKIE)!)).toBe(path);
    // Signing in leads back to the same time; the form books it.
    const signedIn = await v.post("/signin", { email: client.email, password: client.password });
    expect(signedIn.headers.get("location")).toBe("/");
    const home = await v.get("/");
    expect(home.headers.get("location")).toBe(path);
    const back = await v.get(path);
    const form = await back.text();
    expect(form).toContain("Confirm booking");
    expect(form).toContain(`name="start" value="${start}"`);
    const made = await v.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC" });
    expect(made.status).toBe(303);
    expect(listAppointments(inst.db, { clientId: client.personId, from: start, to: start + 1 }).map((a) => a.serviceId)).toEqual([service.id]);
  });

  test("a time taken while the visitor signed in leads to the nearest free times", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Taken meanwhile" });
    const day = dayAhead(7);
    const start = at(day, "12:00");
    const v = visitor();
    expect((await v.get(confirmPath(service.id, start))).status).toBe(200);
    const other = await addPerson(inst, admin.personId, "client");
    expect((await signedInClient(inst, other).post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC" })).status).toBe(303);
    await v.post("/signin", { email: client.email, password: client.password });
    const path = (await v.get("/")).headers.get("location")!;
    const page = await v.get(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("That time is no longer free. Here are the nearest free times.");
    const slots = slotLinks(html);
    expect(slots.some((s) => s.start === start)).toBe(false);
    expect(slots.some((s) => s.start === start + 3600_000)).toBe(true); // the same day's later times
  });

  test("without self-registration only sign-in is offered", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Closed registration" });
    const settings = getSettings(inst.db)!;
    inst.db.transaction((tx) => saveSettings(tx, { ...settings, selfRegistration: false }));
    try {
      const html = await (await visitor().get(confirmPath(service.id, at(dayAhead(8), "09:00")))).text();
      expect(html).toContain("To book this time, sign in");
      expect(html).not.toContain("/register");
      expect(html).toContain('href="/signin?return=');
    } finally {
      inst.db.transaction((tx) => saveSettings(tx, settings));
    }
  });
});

describe("the specialist hears of new bookings", () => {
  test("one mail per booking someone else makes, in the specialist's language and zone; none when they booked it themselves or the organisation turned it off", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Notice check" });
    inst.db.$client.query("update people set locale = 'ru', time_zone = 'Europe/Moscow' where id = ?").run(spec.personId);
    const worker = jobWorker(inst, { now: () => Date.now() });
    await worker.runDue(); // what earlier tests queued
    const start = at(dayAhead(9), "10:00");
    const byClient = await signedInClient(inst, client).post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC", repeat: "1", count: "3" });
    expect(byClient.status).toBe(303);
    const id = idOf(byClient);
    expect(specialistNotices(id).map((j) => j.subject)).toEqual([spec.personId]);
    // A specialist's own booking for a client: no notice to themselves; staff booking for them: a notice.
    const own = await signedInClient(inst, spec).post(`/book/${service.id}`, { start: String(start + 3600_000), specialist: spec.personId, tz: "UTC", clientEmail: client.email });
    expect(own.status).toBe(303);
    expect(specialistNotices(idOf(own))).toEqual([]);
    const byStaff = await signedInClient(inst, staff).post(`/book/${service.id}`, { start: String(start + 2 * 3600_000), specialist: spec.personId, tz: "UTC", clientEmail: client.email });
    expect(specialistNotices(idOf(byStaff))).toHaveLength(1);
    // Sent through SMTP: one mail to the specialist for the series, in Russian, times in Moscow (10:00 UTC is 13:00).
    const before = smtp.messages().length;
    await worker.runDue();
    const toSpec = smtp.messages().slice(before).filter((m) => m.to.includes(spec.email));
    expect(toSpec).toHaveLength(2); // the client's series, and the staff's booking
    const series = toSpec.find((m) => m.text.includes("консультаций: 3"))!;
    expect(series.subject).toStartWith("Новая запись:");
    expect(series.text).toContain("к вам записан клиент Maria Client (консультаций: 3):");
    expect(series.text).toContain("13:00");
    expect(series.text).toContain("(Москва)");
    expect(series.text).not.toContain("Notice check"); // minimal detail, as the organisation's mails are set
    // Turned off: no notice.
    const settings = getSettings(inst.db)!;
    inst.db.transaction((tx) => saveSettings(tx, { ...settings, mailSpecialists: false }));
    try {
      const off = await signedInClient(inst, client).post(`/book/${service.id}`, { start: String(start + 4 * 3600_000), specialist: spec.personId, tz: "UTC" });
      expect(off.status).toBe(303);
      expect(specialistNotices(idOf(off))).toEqual([]);
    } finally {
      inst.db.transaction((tx) => saveSettings(tx, { ...settings, mailSpecialists: true }));
    }
  });
});

describe("staff book for a client", () => {
  test("the start page offers it; the flow begins with the client, who stays chosen to the end", async () => {
    for (const who of [staff, spec]) expect(await (await signedInClient(inst, who).get("/")).text()).toContain('href="/book/client"');
    expect(await (await signedInClient(inst, client).get("/")).text()).not.toContain('href="/book/client"');
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "For a client" });
    const s = signedInClient(inst, staff);
    expect((await s.get("/book")).headers.get("location")).toBe("/book/client");
    expect(await (await s.get("/book/client")).text()).toContain("Who is this booking for?");
    const unknown = await s.post("/book/client", { clientEmail: "nobody@example.org" });
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain("Choose the client this appointment is for");
    const chosen = await s.post("/book/client", { clientEmail: client.email });
    expect(chosen.status).toBe(303);
    const servicesPath = chosen.headers.get("location")!;
    const token = new URL(servicesPath, "https://x").searchParams.get("for")!;
    expect(servicesPath).not.toContain(client.email);
    const services = decode(await (await s.get(servicesPath)).text());
    expect(services).toContain("Booking for");
    expect(services).toContain("Maria Client");
    expect(services).toContain(`href="/book/${service.id}?for=${encodeURIComponent(token)}"`);
    const day = dayAhead(11);
    const times = decode(await (await s.get(`/book/${service.id}?specialist=${spec.personId}&day=${day}&tz=UTC&for=${encodeURIComponent(token)}`)).text());
    expect(times).toContain(`href="/book?for=${encodeURIComponent(token)}"`); // back to the services, still for them
    const link = times.match(new RegExp(`/book/${service.id}/confirm\\?[^"]*for=[^"]*`))![0];
    const confirm = await (await s.get(link)).text();
    expect(confirm).toContain("Maria Client");
    expect(confirm).not.toContain('name="clientEmail"');
    const start = Number(new URL(link, "https://x").searchParams.get("start"));
    const booked = await s.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC", for: token });
    expect(booked.status).toBe(303);
    expect(listAppointments(inst.db, { clientId: client.personId, from: start, to: start + 1 })).toHaveLength(1);
    // The token is bound to who chose: another staff member's, or a bare id, names nobody.
    const other = signedInClient(inst, await addPerson(inst, admin.personId, "staff"));
    expect((await other.get(servicesPath)).headers.get("location")).toBe("/book/client");
    expect((await other.post(`/book/${service.id}`, { start: String(start + 3600_000), specialist: spec.personId, tz: "UTC", for: token })).status).toBe(422);
    expect((await s.post(`/book/${service.id}`, { start: String(start + 3600_000), specialist: spec.personId, tz: "UTC", for: client.personId })).status).toBe(422);
  });

  test("a specialist adds someone new first and books for them to the end", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "New on the phone" });
    const s = signedInClient(inst, spec);
    const bad = await s.post("/book/client/new", { newName: "", newEmail: "x" });
    expect(bad.status).toBe(422);
    const added = await s.post("/book/client/new", { newName: "Pavel Caller", newEmail: "pavel.caller@example.org" });
    expect(added.status).toBe(303);
    const path = added.headers.get("location")!;
    const page = await (await s.get(path)).text();
    expect(page).toContain("Pavel Caller");
    expect(page).toContain("Client added");
    const token = new URL(path, "https://x").searchParams.get("for")!;
    const start = at(dayAhead(12), "15:00");
    const booked = await s.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC", for: token });
    expect(booked.status).toBe(303);
    const [a] = listAppointments(inst.db, { specialistIds: [spec.personId], from: start, to: start + 1 });
    expect(a!.clientId).toBe(token.split(".")[0]!);
  });
});

describe("choosing a time", () => {
  test("rescheduling shows the present time next to the new choice", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Move check" });
    const start = at(dayAhead(13), "14:00");
    const made = await signedInClient(inst, client).post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "Europe/Moscow" });
    const id = idOf(made);
    const page = await (await signedInClient(inst, client).get(`/appointments/${id}/reschedule?tz=Europe/Moscow`)).text();
    const when = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Moscow", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(start);
    expect(when).toBe("17:00");
    expect(page).toMatch(/Currently: [^<]*5:00 PM[^<]*\(Moscow\)|Currently: [^<]*17:00[^<]*\(Moscow\)/);
    // The confirmation of the move says it too, as its route serves it.
    const html = await (await signedInClient(inst, client).get(`/appointments/${id}/reschedule/confirm?start=${start + 3600_000}&tz=Europe/Moscow`)).text();
    expect(html).toMatch(/Currently: [^<]*(5:00 PM|17:00)[^<]*\(Moscow\)/);
  });

  test("days without free times stay in the strip, disabled and saying so; an empty day points to the next free one", async () => {
    const lone = await addPerson(inst, admin.personId, "specialist", { name: "Dr Lev Orlov" });
    // A Monday two weeks ahead is empty, so is the Tuesday; the Wednesday of the same week is free.
    const day = dayAhead(14).add({ days: (8 - dayAhead(14).dayOfWeek) % 7 });
    const off = day.add({ days: 1 });
    setHours(inst, lone.personId, { ...everyDay("UTC"), exceptions: { [day.toString()]: [], [off.toString()]: [] } });
    const service = makeService(inst, admin.personId, [lone.personId], { nameEn: "Empty days" });
    const html = await (await visitor().get(`/book/${service.id}?specialist=any&day=${day}&tz=UTC`)).text();
    const strip = html.slice(html.indexOf('class="kb-days"'), html.indexOf("</nav>", html.indexOf('class="kb-days"')));
    const disabled = [...strip.matchAll(/<button type="button" class="outline secondary kb-day-empty" disabled[^>]*>([^<]*)<small>No free times<\/small><\/button>/g)];
    expect(disabled.length).toBeGreaterThanOrEqual(2);
    expect(strip).toContain('aria-current="date"'); // the chosen (empty) day is still marked as the one shown
    expect(strip).not.toContain(`day=${day}&amp;`);
    expect(strip).not.toContain(`day=${off}&amp;`);
    expect(strip).toContain(`day=${off.add({ days: 1 })}&amp;`);
    expect(html).toContain("No free times on this day.");
    expect(decode(html)).toContain(`day=${off.add({ days: 1 })}&tz=UTC" role="button">Next free day:`);
  });
});
