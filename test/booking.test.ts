// Booking end to end through the real app: services, hours, the client's flow, staff on behalf, windows, series,
// the appointment's room, schedule views, feeds, audit, and the mail jobs a booking queues.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import ICAL from "ical.js";
import { book, cancelAppointment, listAppointments } from "../src/booking/appointments.ts";
import { listJobs } from "../src/jobs/queue.ts";
import { invitePerson, setAccountActive } from "../src/accounts/people-admin.ts";
import { searchAudit } from "../src/audit/audit.ts";
import { listChatMessages, postChatMessage } from "../src/rooms/chat.ts";
import { listRoomFiles, readRoomFile, storeRoomFile } from "../src/rooms/files.ts";
import { ORG_SUBJECT } from "../src/vault/vault.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { libicalErrors } from "./support/libical.ts";

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let spec2: TestPerson;
let staff: TestPerson;
let client: TestPerson;
let client2: TestPerson;

beforeAll(async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org" });
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  spec2 = await addPerson(inst, admin.personId, "specialist", { name: "Dr Lev Orlov" });
  staff = await addPerson(inst, admin.personId, "staff");
  client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  client2 = await addPerson(inst, admin.personId, "client", { name: "Ivan Client" });
  setHours(inst, spec.personId, everyDay("UTC"));
  setHours(inst, spec2.personId, everyDay("Europe/Berlin", "09:00", "12:00"));
});
afterAll(() => inst.close());

let ownService: string | null = null;
let ownDays = 0;
/** A booking of the test's own (Dr Berg, a free morning two months ahead), so that a test needing one passes alone. */
function bookOwn(who: TestPerson): void {
  ownService ??= makeService(inst, admin.personId, [spec.personId], { nameEn: "Follow-up" }).id;
  const start = at(dayAhead(60 + ++ownDays), "08:00");
  const r = book(inst, { serviceId: ownService, specialistId: spec.personId, start, clientId: who.personId, actor: { personId: who.personId, role: "client" } });
  if (!r.ok) throw new Error(`booking failed: ${r.reason}`);
}

const slotLinks = (html: string) => [...html.matchAll(/confirm\?start=(\d+)&amp;specialist=([\w-]+)/g)].map((m) => ({ start: Number(m[1]), specialist: m[2]! }));

describe("services (admins)", () => {
  test("an admin creates a bilingual service; bad numbers come back with their field's message", async () => {
    const a = signedInClient(inst, admin);
    const bad = await a.post("/admin/services", { nameEn: "", nameRu: "Терапия", durationMinutes: "2", bufferBeforeMinutes: "x", bufferAfterMinutes: "0", mode: "online", price: "12.345", currency: "EUR", cancelHours: "24" });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Please fill this in.");
    expect(html).toContain("Enter a duration from 5 to 480 minutes.");
    expect(html).toContain("Enter a whole number.");
    expect(html).toContain('value="Терапия"'); // nothing typed is lost
    const ok = await a.post("/admin/services", {
      nameEn: "Therapy session", nameRu: "Сессия терапии", descriptionEn: "50 minutes", descriptionRu: "50 минут", durationMinutes: "50", bufferBeforeMinutes: "0",
      bufferAfterMinutes: "10", mode: "online", price: "4500", currency: "RUB", cancelHours: "24", active: "on", [`specialist:${spec.personId}`]: "on",
    });
    expect(ok.status).toBe(303);
    const list = await (await a.get("/admin/services")).text();
    expect(list).toContain("Therapy session");
    expect(list).toContain("4,500.00");
    // The services are public: a visitor reads them in their language.
    const visitor = new TestClient(inst.app, inst.config.publicUrl.origin);
    visitor.cookies.set("kabinet_lang", "ru");
    const ru = await visitor.get("/book");
    expect(await ru.text()).toContain("Сессия терапии");
    for (const who of [staff, spec, client]) expect((await signedInClient(inst, who).get("/admin/services")).status).toBe(403);
  });
});

describe("working hours", () => {
  test("a specialist sets weekly hours and exceptions; mistakes are explained per field and nothing is saved", async () => {
    const s = signedInClient(inst, spec2);
    const page = await (await s.get("/hours")).text();
    expect(page).toContain("09:00–12:00");
    const bad = await s.post("/hours", { timeZone: "Europe/Berlin", day1: "17:00-09:00", day2: "9-5", exceptions: "soon off", noticeHours: "2", horizonDays: "0" });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Each interval must end after it starts.");
    expect(html).toContain("Write hours like 09:00–12:00, 13:00–17:00.");
    expect(html).toContain("One per line");
    expect(html).toContain("Enter a whole number from 1 to 730.");
    expect(html).toContain('value="17:00-09:00"');
    const good = await s.post("/hours", {
      timeZone: "Europe/Berlin", day1: "09:00-12:00, 13:00-17:00", day2: "09:00-12:00", day3: "09:00-12:00", day4: "09:00-12:00", day5: "09:00-12:00",
      day6: "09:00-12:00", day7: "09:00-12:00", exceptions: `${dayAhead(3, "Europe/Berlin")} off`, noticeHours: "0", horizonDays: "365",
    });
    expect(good.status).toBe(200);
    expect(await good.text()).toContain("Working hours saved.");
    // The day off has no slots; the day after has the morning.
    const service = makeService(inst, admin.personId, [spec2.personId], { nameEn: "Berlin hours check" });
    const c = signedInClient(inst, client);
    const off = await (await c.get(`/book/${service.id}?specialist=${spec2.personId}&day=${dayAhead(3, "Europe/Berlin")}&tz=Europe/Berlin`)).text();
    expect(slotLinks(off)).toHaveLength(0);
    expect(off).toContain("No free times on this day.");
    const next = await (await c.get(`/book/${service.id}?specialist=${spec2.personId}&day=${dayAhead(4, "Europe/Berlin")}&tz=Europe/Berlin`)).text();
    expect(slotLinks(next).length).toBeGreaterThan(0);
    expect(next).toContain("times in Berlin");
    expect((await signedInClient(inst, client).get("/hours")).status).toBe(403);
  });
});

describe("the client's booking flow", () => {
  test("service → any specialist → day → time, shown in the client's zone; the booking is audited and mails are queued", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Flow check" });
    const c = signedInClient(inst, client);
    expect(await (await c.get("/book")).text()).toContain("Flow check");
    const day = dayAhead(2, "Asia/Tokyo");
    const page = await (await c.get(`/book/${service.id}?specialist=any&day=${day}&tz=Asia/Tokyo`)).text();
    expect(page).toContain("times in Tokyo");
    const slots = slotLinks(page);
    // The specialist works 08:00–18:00 UTC = 17:00–03:00 Tokyo; on this Tokyo day the first slot is 00:00 Tokyo (15:00 UTC the day before).
    expect(slots.length).toBeGreaterThan(0);
    const chosen = slots.find((s) => new Date(s.start).getUTCHours() === 10)!;
    expect(page).toContain(">7:00 PM<"); // 10:00 UTC in Tokyo
    const confirm = await (await c.get(`/book/${service.id}/confirm?start=${chosen.start}&specialist=${chosen.specialist}&tz=Asia/Tokyo`)).text();
    expect(confirm).toContain("Dr Sofia Berg");
    expect(confirm).toContain("Asia/Tokyo");
    const booked = await c.post(`/book/${service.id}`, { start: String(chosen.start), specialist: "any", tz: "Asia/Tokyo" });
    expect(booked.status).toBe(303);
    const detail = await c.follow(booked);
    const html = await detail.text();
    expect(html).toContain("Booked.");
    expect(html).toContain("Email is not set up"); // no SMTP in this installation: said plainly
    expect(html).toContain("Add to calendar");
    const id = booked.headers.get("location")!.split("/")[2]!.split("?")[0]!;
    const mine = listAppointments(inst.db, { clientId: client.personId, from: 0, to: Number.MAX_SAFE_INTEGER }).find((a) => a.id === id)!;
    expect(mine.start).toBe(chosen.start);
    expect(mine.specialistId).toBe(spec.personId);
    expect(searchAudit(inst.db, { actionPrefix: "appointment.create" }).some((e) => e.target === id && e.actor === client.personId)).toBe(true);
    const jobs = listJobs(inst.db, inst.vault, ["pending"]).filter((j) => j.dedupeKey.startsWith(`appt:${id}:`));
    expect(jobs.map((j) => (j.payload as { template: string }).template).sort()).toEqual(["booking.booked", "booking.confirmation", "booking.reminder", "booking.reminder"]);
    // The slot is gone for the next client; the other clients's page still has the others.
    const after = slotLinks(await (await signedInClient(inst, client2).get(`/book/${service.id}?specialist=any&day=${day}&tz=Asia/Tokyo`)).text());
    expect(after.some((s) => s.start === chosen.start)).toBe(false);
    // ...and the buffer after (10 min) keeps the next 30-minute step free but blocks nothing more.
    expect(after.some((s) => s.start === chosen.start + 60 * 60_000)).toBe(true);
    // The client's own time zone is remembered for their mails.
    expect(inst.db.$client.query("select time_zone from people where id = ?").get(client.personId)).toEqual({ time_zone: "Asia/Tokyo" });
  });

  test("two clients racing for one slot: exactly one wins, the other is told and sees fresh times", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Race check" });
    const start = at(dayAhead(5), "11:00");
    const racers = await Promise.all(Array.from({ length: 8 }, async () => addPerson(inst, admin.personId, "client")));
    const results = await Promise.all(racers.map((r) => signedInClient(inst, r).post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC" })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([303, 409, 409, 409, 409, 409, 409, 409]);
    const loser = await results.find((r) => r.status === 409)!.text();
    expect(loser).toContain("that time was just taken");
    // The page keeps what the form chose and does not reload itself into another zone (which would lose the message).
    expect(loser).toContain("times in UTC");
    expect(loser).not.toContain("location.replace");
    expect(slotLinks(loser).some((s) => s.start === start)).toBe(false);
    expect(slotLinks(loser).length).toBeGreaterThan(0);
    expect(listAppointments(inst.db, { specialistIds: [spec.personId], from: start, to: start + 1 }).filter((a) => a.status === "booked")).toHaveLength(1);
  });

  test("times outside the hours, in the past or made up are refused without a booking", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Bad times" });
    const c = signedInClient(inst, client2);
    for (const start of [at(dayAhead(6), "20:00"), at(dayAhead(-1), "10:00"), at(dayAhead(6), "10:07")]) {
      const r = await c.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC" });
      expect(r.status).toBe(409);
    }
    expect((await c.post(`/book/${service.id}`, { start: "tomorrow", specialist: spec.personId })).status).toBe(400);
    expect((await c.post(`/book/${service.id}`, { start: String(at(dayAhead(6), "10:00")), specialist: "someone-else" })).status).toBe(400);
    expect((await c.get(`/book/nonexistent`)).status).toBe(404);
  });

  test("a weekly series books every session or none, naming the dates that are taken", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Series check" });
    const first = at(dayAhead(10), "14:00");
    // Someone already holds the third week.
    const blocker = await signedInClient(inst, client2).post(`/book/${service.id}`, { start: String(first + 14 * 86_400_000), specialist: spec.personId, tz: "UTC" });
    expect(blocker.status).toBe(303);
    const c = signedInClient(inst, client);
    const refused = await c.post(`/book/${service.id}`, { start: String(first), specialist: spec.personId, tz: "UTC", repeat: "1", count: "4" });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(`taken: ${dayAhead(24)}`);
    const badCount = await c.post(`/book/${service.id}`, { start: String(first), specialist: spec.personId, tz: "UTC", repeat: "1", count: "99" });
    expect(badCount.status).toBe(422);
    expect(await badCount.text()).toContain("Enter a whole number from 2 to 26.");
    const biweekly = await c.post(`/book/${service.id}`, { start: String(first + 7 * 86_400_000), specialist: spec.personId, tz: "UTC", repeat: "2", count: "3" });
    expect(biweekly.status).toBe(303);
    expect(biweekly.headers.get("location")).toContain("booked=3");
    const series = listAppointments(inst.db, { clientId: client.personId, from: first, to: first + 60 * 86_400_000 }).filter((a) => a.serviceId === service.id);
    expect(series.map((a) => (a.start - first) / 86_400_000)).toEqual([7, 21, 35]);
    expect(new Set(series.map((a) => a.seriesId)).size).toBe(1);
    // One confirmation for the whole series.
    const confirmations = listJobs(inst.db, inst.vault, ["pending"]).filter((j) => (j.payload as { template?: string }).template === "booking.confirmation" && (j.payload as { appointmentIds: string[] }).appointmentIds?.length === 3);
    expect(confirmations).toHaveLength(1);
    // Cancelling the first with "also the later sessions" cancels the whole series, with one mail.
    const page = await (await c.get(`/appointments/${series[0]!.id}`)).text();
    expect(page).toContain("Also cancel the 2 later sessions of this series");
    const all = await c.post(`/appointments/${series[0]!.id}/cancel`, { reason: "", series: "on" });
    expect(all.status).toBe(200);
    expect(await all.text()).toContain("3 sessions are cancelled.");
    expect(listAppointments(inst.db, { clientId: client.personId, from: first, to: first + 60 * 86_400_000 }).filter((a) => a.seriesId === series[0]!.seriesId).map((a) => a.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    const cancelMails = listJobs(inst.db, inst.vault, ["pending"]).filter((j) => (j.payload as { template?: string }).template === "booking.cancelled" && (j.payload as { appointmentIds: string[] }).appointmentIds.length === 3);
    expect(cancelMails.length).toBe(2); // the client, and the specialist (the client acted)
  });
});

describe("links from mails", () => {
  test("a signed-out client following a mail's link to an appointment lands on it after signing in", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Mail link" });
    const made = await signedInClient(inst, client).post(`/book/${service.id}`, { start: String(at(dayAhead(15), "12:00")), specialist: spec.personId, tz: "UTC" });
    const path = made.headers.get("location")!.split("?")[0]!;
    const browser = new TestClient(inst.app, inst.config.publicUrl.origin);
    const asked = await browser.get(path);
    expect(asked.status).toBe(303);
    expect(asked.headers.get("location")).toBe("/signin");
    const signedIn = await browser.post("/signin", { email: client.email, password: client.password });
    expect(signedIn.headers.get("location")).toBe("/");
    const home = await browser.get("/");
    expect(home.headers.get("location")).toBe(path);
    expect((await browser.get(path)).status).toBe(200);
    // Once only: the start page is the start page again.
    expect((await browser.get("/")).status).toBe(200);
  });
});

describe("staff on the phone", () => {
  test("staff add a new client on the confirmation page and book for them; a known email is refused with a reason", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Phone booking" });
    const start = at(dayAhead(9), "16:00");
    const s = signedInClient(inst, staff);
    const bad = await s.post(`/book/${service.id}/client`, { start: String(start), specialist: spec.personId, tz: "UTC", newName: "", newEmail: "nope" });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Please fill this in.");
    expect(badHtml).toContain("Enter an email address like name@example.org.");
    const taken = await s.post(`/book/${service.id}/client`, { start: String(start), specialist: spec.personId, tz: "UTC", newName: "Maria", newEmail: client.email });
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain("exists already");
    const added = await s.post(`/book/${service.id}/client`, { start: String(start), specialist: spec.personId, tz: "UTC", newName: "Pavel Newcomer", newEmail: "pavel@example.org" });
    expect(added.status).toBe(201);
    const html = await added.text();
    expect(html).toContain("Client added and chosen below.");
    expect(html).toContain('value="pavel@example.org"');
    const booked = await s.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC", clientEmail: "pavel@example.org" });
    expect(booked.status).toBe(303);
    expect(searchAudit(inst.db, { actionPrefix: "invitation.create" }).some((e) => e.actor === staff.personId)).toBe(true);
    expect((await signedInClient(inst, client).post(`/book/${service.id}/client`, { start: String(start), specialist: spec.personId, newName: "X", newEmail: "x@example.org" })).status).toBe(403);
  });
});

describe("finding the client to book for", () => {
  test("the confirmation page lists no clients; staff search the organisation's clients as they type, at most 10, each search audited", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Client search" });
    const zora = invitePerson(inst, { name: "Zora Searchable", email: "zora.searchable@example.org", role: "client" }, admin.personId);
    const gone = invitePerson(inst, { name: "Zoltan Searchable", email: "zoltan.searchable@example.org", role: "client" }, admin.personId);
    if (zora.kind !== "invited" || gone.kind !== "invited") throw new Error("invite failed");
    for (let i = 0; i < 12; i++) invitePerson(inst, { name: `Namesake ${i}`, email: `namesake${i}@example.org`, role: "client" }, admin.personId);
    const s = signedInClient(inst, staff);
    const page = await (await s.get(`/book/${service.id}/confirm?start=${at(dayAhead(5), "10:00")}&specialist=${spec.personId}&tz=UTC`)).text();
    for (const leak of ["Zora Searchable", "zora.searchable@example.org", client.email, "Maria Client"]) expect(page).not.toContain(leak);
    expect(page).toContain('<datalist id="client-list"></datalist>');
    const audited = () => searchAudit(inst.db, { actor: staff.personId, actionPrefix: "client.search" });
    const before = audited().length;
    const search = async (q: string, who = staff) => (await signedInClient(inst, who).post("/book/clients/search", { clientEmail: q })).text();
    const found = await search("SEARCHABLE");
    expect(found).toContain('<option value="zora.searchable@example.org">Zora Searchable</option>');
    expect(found).toContain("Zoltan Searchable");
    expect(found).not.toContain("Maria Client");
    expect((await search("namesake")).match(/<option /g)).toHaveLength(10);
    expect(await search("z")).not.toContain("<option"); // too short to search
    const entries = audited();
    expect(entries.length - before).toBe(2);
    expect(entries[0]!.details).toEqual({ results: 10 });
    expect(entries[1]!.details).toEqual({ results: 2 });
    expect(JSON.stringify(entries)).not.toContain("earchable");
    // A deactivated client is no longer offered.
    setAccountActive(inst, gone.personId, false, admin.personId);
    expect(await search("searchable")).not.toContain("Zoltan");
    // Clients do not search; the query never travels in a URL.
    expect((await signedInClient(inst, client).post("/book/clients/search", { clientEmail: "searchable" })).status).toBe(403);
    expect(await (await s.get("/book/clients/search?clientEmail=searchable")).text()).not.toContain("Zora");
  });

  test("a specialist finds the clients they have seen, and another client only by their full email", async () => {
    const service = makeService(inst, admin.personId, [spec2.personId], { nameEn: "Specialist search" });
    const seen = invitePerson(inst, { name: "Olga Seen", email: "olga.seen@example.org", role: "client" }, admin.personId);
    const unseen = invitePerson(inst, { name: "Olga Unseen", email: "olga.unseen@example.org", role: "client" }, admin.personId);
    if (seen.kind !== "invited" || unseen.kind !== "invited") throw new Error("invite failed");
    const start = at(dayAhead(20, "Europe/Berlin"), "10:00", "Europe/Berlin");
    expect(book(inst, { serviceId: service.id, specialistId: spec2.personId, start, clientId: seen.personId, actor: { personId: admin.personId, role: "admin" } }).ok).toBe(true);
    const search = async (q: string, who = spec2) => (await signedInClient(inst, who).post("/book/clients/search", { clientEmail: q })).text();
    const own = await search("olga");
    expect(own).toContain("Olga Seen");
    expect(own).not.toContain("Olga Unseen");
    expect(await search("olga.unseen@example")).not.toContain("Olga Unseen");
    expect(await search("Olga.Unseen@example.org")).toContain('<option value="olga.unseen@example.org">Olga Unseen</option>');
    // Another specialist has not seen Olga: nothing by name.
    expect(await search("olga", spec)).not.toContain("<option");
    expect(searchAudit(inst.db, { actor: spec2.personId, actionPrefix: "client.search" }).map((e) => e.details.results)).toEqual([1, 0, 1]);
    // Booking follows the same scope: a specialist names by id only their own clients, anyone else by exact email;
    // a deactivated client is no choice for anyone.
    const slot = (h: string) => ({ start: String(at(dayAhead(21, "Europe/Berlin"), h, "Europe/Berlin")), specialist: spec2.personId, tz: "Europe/Berlin" });
    const byId = await signedInClient(inst, spec2).post(`/book/${service.id}`, { ...slot("10:00"), client: unseen.personId });
    expect(byId.status).toBe(422);
    expect(await byId.text()).toContain("Choose the client");
    expect((await signedInClient(inst, spec2).post(`/book/${service.id}`, { ...slot("10:00"), clientEmail: "olga.unseen@example.org" })).status).toBe(303);
    expect(setAccountActive(inst, seen.personId, false, admin.personId)).toBe("ok");
    expect((await signedInClient(inst, staff).post(`/book/${service.id}`, { ...slot("11:00"), client: seen.personId })).status).toBe(422);
  });

  test("a booking that was cancelled makes no one a specialist's client: not found by name, not chosen by id", async () => {
    const service = makeService(inst, admin.personId, [spec2.personId], { nameEn: "Cancelled search" });
    const once = invitePerson(inst, { name: "Pavel Once", email: "pavel.once@example.org", role: "client" }, admin.personId);
    if (once.kind !== "invited") throw new Error("invite failed");
    const booked = book(inst, { serviceId: service.id, specialistId: spec2.personId, start: at(dayAhead(22, "Europe/Berlin"), "10:00", "Europe/Berlin"), clientId: once.personId, actor: { personId: admin.personId, role: "admin" } });
    if (!booked.ok) throw new Error(booked.reason);
    expect(cancelAppointment(inst, booked.appointments[0]!.id, { personId: admin.personId, role: "admin" }, "Booked by mistake").ok).toBe(true);
    expect(await (await signedInClient(inst, spec2).post("/book/clients/search", { clientEmail: "pavel" })).text()).not.toContain("Pavel Once");
    const byId = await signedInClient(inst, spec2).post(`/book/${service.id}`, { start: String(at(dayAhead(23, "Europe/Berlin"), "10:00", "Europe/Berlin")), specialist: spec2.personId, tz: "Europe/Berlin", client: once.personId });
    expect(byId.status).toBe(422);
  });
});

describe("changing an appointment", () => {
  test("clients cancel or reschedule within the window only; staff cancel with a reason; no-shows only after the start", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Window check", cancelHours: 24 });
    const c = signedInClient(inst, client);
    const s = signedInClient(inst, spec);
    const soon = at(dayAhead(0), "17:00") > Date.now() + 3600_000 ? at(dayAhead(0), "17:00") : at(dayAhead(1), "08:00");
    // Staff book on the client's behalf inside the 24 h window (and inside the minimum notice).
    const confirmPage = await (await signedInClient(inst, staff).get(`/book/${service.id}/confirm?start=${soon}&specialist=${spec.personId}&tz=UTC`)).text();
    expect(confirmPage).toContain('hx-post="/book/clients/search"');
    expect(await (await signedInClient(inst, staff).post("/book/clients/search", { clientEmail: "maria" })).text()).toContain(`<option value="${client.email}">Maria Client</option>`);
    const onBehalf = await signedInClient(inst, staff).post(`/book/${service.id}`, { start: String(soon), specialist: spec.personId, tz: "UTC", clientEmail: client.email.toUpperCase() });
    expect(onBehalf.status).toBe(303);
    const soonId = onBehalf.headers.get("location")!.split("/")[2]!.split("?")[0]!;
    expect(listAppointments(inst.db, { clientId: client.personId, from: soon, to: soon + 1 })).toHaveLength(1);
    const noClient = await signedInClient(inst, staff).post(`/book/${service.id}`, { start: String(soon + 3600_000), specialist: spec.personId, tz: "UTC", clientEmail: spec.email });
    expect(noClient.status).toBe(422);
    expect(await noClient.text()).toContain("Choose the client this appointment is for: no client has this email.");
    // Inside the window the client can no longer cancel online.
    const page = await (await c.get(`/appointments/${soonId}`)).text();
    expect(page).toContain("can no longer be changed online");
    expect((await c.post(`/appointments/${soonId}/cancel`, { reason: "" })).status).toBe(409);
    expect((await c.get(`/appointments/${soonId}/reschedule`)).status).toBe(404);
    // The specialist may, but must say why; the reason is sealed under the client's key.
    const noReason = await s.post(`/appointments/${soonId}/cancel`, { reason: " " });
    expect(noReason.status).toBe(422);
    const cancelled = await s.post(`/appointments/${soonId}/cancel`, { reason: "Specialist ill" });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.text()).toContain("Specialist ill");
    const raw = inst.db.$client.query("select cancel_reason from appointments where id = ?").get(soonId) as { cancel_reason: Uint8Array };
    expect(Buffer.from(raw.cancel_reason).toString("latin1")).not.toContain("Specialist ill");
    // Far ahead, the client reschedules, then cancels.
    const later = at(dayAhead(8), "09:00");
    const own = await c.post(`/book/${service.id}`, { start: String(later), specialist: spec.personId, tz: "UTC" });
    const id = own.headers.get("location")!.split("/")[2]!.split("?")[0]!;
    const moveTo = later + 2 * 3600_000;
    const choose = await (await c.get(`/appointments/${id}/reschedule?day=${dayAhead(8)}&tz=UTC`)).text();
    expect(choose).toContain(`reschedule/confirm?start=${moveTo}`);
    const moved = await c.post(`/appointments/${id}/reschedule`, { start: String(moveTo) });
    expect(moved.status).toBe(303);
    expect(await (await c.follow(moved)).text()).toContain("Moved to the new time");
    const jobs = listJobs(inst.db, inst.vault, ["pending", "cancelled"]).filter((j) => j.dedupeKey.startsWith(`appt:${id}:r:`));
    expect(jobs.filter((j) => j.status === "cancelled").every((j) => j.dedupeKey.includes(`:r:${later}:`))).toBe(true);
    expect(jobs.filter((j) => j.status === "pending").every((j) => j.dedupeKey.includes(`:r:${moveTo}:`))).toBe(true);
    // Moved away and back: the reminders for the original time are queued again, and calendars see each change.
    const back = await c.post(`/appointments/${id}/reschedule`, { start: String(later) });
    expect(back.status).toBe(303);
    const revived = listJobs(inst.db, inst.vault, ["pending"]).filter((j) => j.dedupeKey.startsWith(`appt:${id}:r:${later}:`));
    expect(revived).toHaveLength(2);
    const ics = await (await c.get(`/appointments/${id}/calendar.ics`)).text();
    expect(ics).toContain("SEQUENCE:2");
    expect(libicalErrors([ics])).toEqual([[]]); // a plain calendar object: no METHOD that would need an ORGANIZER
    const gone = await c.post(`/appointments/${id}/cancel`, { reason: "" });
    expect(gone.status).toBe(200);
    expect(await gone.text()).toContain("The appointment is cancelled.");
    expect((await c.post(`/appointments/${id}/cancel`, { reason: "" })).status).toBe(409);
    // Nobody else sees it: another client gets 404, as if it did not exist.
    expect((await signedInClient(inst, client2).get(`/appointments/${id}`)).status).toBe(404);
    expect((await signedInClient(inst, spec2).get(`/appointments/${id}`)).status).toBe(404);
    // No-show: not before the start.
    expect((await s.post(`/appointments/${id}/no-show`)).status).toBe(409);
    expect((await c.post(`/appointments/${id}/no-show`)).status).toBe(403);
  });
});

describe("the appointment's room", () => {
  test("Join opens 15 minutes before: the specialist hosts, the client waits; nobody else may enter", async () => {
    // Hours that begin on the next 5-minute mark at least 5 minutes away, so an appointment can start within the join window.
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Room check", cancelHours: 0, durationMinutes: 5, bufferAfterMinutes: 0 });
    const start = Math.ceil((Date.now() + 5 * 60_000) / 300_000) * 300_000;
    const startUtc = Temporal.Instant.fromEpochMilliseconds(start).toZonedDateTimeISO("UTC");
    const hhmm = startUtc.toPlainTime().toString().slice(0, 5);
    setHours(inst, spec.personId, { ...everyDay("UTC"), exceptions: { [startUtc.toPlainDate().toString()]: [{ start: hhmm, end: "24:00" }] } });
    const made = await signedInClient(inst, staff).post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "UTC", client: client2.personId });
    expect(made.status).toBe(303);
    const id = made.headers.get("location")!.split("/")[2]!.split("?")[0]!;
    const c = signedInClient(inst, client2);
    const s = signedInClient(inst, spec);
    const page = await (await c.get(`/appointments/${id}`)).text();
    expect(page).toContain(`/appointments/${id}/join`);
    const joined = await c.post(`/appointments/${id}/join`);
    expect(joined.status).toBe(303);
    const roomPath = joined.headers.get("location")!;
    expect((await s.post(`/appointments/${id}/join`)).headers.get("location")).toBe(roomPath); // the same room
    expect(await (await c.get(roomPath)).text()).toContain('"role":"guest"');
    expect(await (await s.get(roomPath)).text()).toContain('"role":"host"');
    expect((await signedInClient(inst, client).get(roomPath)).status).toBe(404);
    expect((await signedInClient(inst, client).post(`/appointments/${id}/join`)).status).toBe(404);
    // What is said and shared in an appointment's room is sealed under the client's key (erasing them shreds it).
    const roomId = roomPath.split("/").pop()!;
    const said = postChatMessage(inst, roomId, client2.personId, "Мне стало лучше");
    const raw = inst.db.$client.query("select body from room_messages where id = ?").get(said.id) as { body: Uint8Array };
    expect(inst.vault.openField(client2.personId, "room_messages", "body", String(said.id), raw.body)).toBe("Мне стало лучше");
    expect(() => inst.vault.openField(ORG_SUBJECT, "room_messages", "body", String(said.id), raw.body)).toThrow();
    const fileDeps = { db: inst.db, vault: inst.vault, filesDir: `${inst.config.dataDir}/files`, maxBytes: 1_000_000, roomQuotaBytes: 10_000_000, clock: inst.clock };
    const stored = await storeRoomFile(fileDeps, roomId, client2.personId, "scan.pdf", Buffer.from("%PDF-1.4 test"));
    if (!stored.ok) throw new Error(stored.problem);
    expect(listRoomFiles(inst, roomId).map((f) => f.name)).toEqual(["scan.pdf"]);
    expect(Buffer.from((await readRoomFile(fileDeps, roomId, stored.file.id, spec.personId))!.bytes).toString()).toBe("%PDF-1.4 test");
    expect(listChatMessages(inst, roomId).map((m) => m.text)).toEqual(["Мне стало лучше"]);
    // The specialist's day shows the join button for it.
    expect(await (await s.get(`/schedule?date=${startUtc.toPlainDate()}&tz=UTC`)).text()).toContain(`/appointments/${id}/join`);
    // Far ahead it is too early.
    const later = await signedInClient(inst, staff).post(`/book/${service.id}`, { start: String(at(dayAhead(20), "10:00")), specialist: spec.personId, tz: "UTC", client: client2.personId });
    const laterId = later.headers.get("location")!.split("/")[2]!.split("?")[0]!;
    const tooEarly = await c.post(`/appointments/${laterId}/join`);
    expect(tooEarly.status).toBe(409);
    expect(await tooEarly.text()).toContain("15 minutes before the start");
    setHours(inst, spec.personId, everyDay("UTC"));
  });
});

describe("schedule, audit and feeds", () => {
  test("a specialist sees their day; admins see everyone's, and reading another's appointment is audited", async () => {
    const service = makeService(inst, admin.personId, [spec.personId, spec2.personId], { nameEn: "Schedule check" });
    const day = dayAhead(12);
    const r = await signedInClient(inst, client).post(`/book/${service.id}`, { start: String(at(day, "09:30")), specialist: spec.personId, tz: "UTC" });
    const id = r.headers.get("location")!.split("/")[2]!.split("?")[0]!;
    const mine = await (await signedInClient(inst, spec).get(`/schedule?date=${day}&tz=UTC`)).text();
    expect(mine).toContain("Maria Client");
    expect(mine).toContain("Schedule check");
    expect(mine).toContain("9:30 AM"); // English reads a 12-hour clock unless the person chose otherwise
    const other = await (await signedInClient(inst, spec2).get(`/schedule?date=${day}&tz=UTC`)).text();
    expect(other).not.toContain("Maria Client");
    const week = await (await signedInClient(inst, admin).get(`/schedule?view=week&date=${day}&specialist=all&tz=UTC`)).text();
    expect(week).toContain("Maria Client");
    expect(week).toContain("Dr Sofia Berg");
    // Everyone who keeps a schedule can start a booking for a client from it.
    const bookFor = '<a href="/book/client" role="button" class="secondary">Book for a client</a>';
    expect(mine).toContain(bookFor);
    expect(week).toContain(bookFor);
    expect(await (await signedInClient(inst, staff).get(`/schedule?date=${day}&tz=UTC`)).text()).toContain(bookFor);
    expect(searchAudit(inst.db, { actionPrefix: "schedule.view" }).some((e) => e.actor === admin.personId && e.target === spec.personId)).toBe(true);
    await signedInClient(inst, staff).get(`/appointments/${id}`);
    expect(searchAudit(inst.db, { actionPrefix: "appointment.view" }).some((e) => e.actor === staff.personId && e.target === id)).toBe(true);
    const before = searchAudit(inst.db, { actionPrefix: "appointment.view" }).length;
    await signedInClient(inst, spec).get(`/appointments/${id}`); // their own: not an "other person" view
    expect(searchAudit(inst.db, { actionPrefix: "appointment.view" }).length).toBe(before);
    expect((await signedInClient(inst, client).get("/schedule")).status).toBe(403);
  });

  test("a private ICS feed per person: valid RFC 5545, readable without a session, revocable", async () => {
    bookOwn(client);
    const c = signedInClient(inst, client);
    expect((await c.post("/calendar/feed")).status).toBe(303);
    const page = await (await c.get("/appointments")).text();
    const url = page.match(/https:\/\/consult\.example\.org\/calendar\/[A-Za-z0-9_-]{43}\.ics/)![0];
    const anon = signedInClient(inst, { personId: client.personId });
    anon.cookies.clear();
    const feed = await anon.get(new URL(url).pathname);
    expect(feed.status).toBe(200);
    expect(feed.headers.get("content-type")).toContain("text/calendar");
    const text = await feed.text();
    const cal = new ICAL.Component(ICAL.parse(text));
    const events = cal.getAllSubcomponents("vevent").map((v) => new ICAL.Event(v));
    const own = listAppointments(inst.db, { clientId: client.personId, from: Date.now() - 90 * 86_400_000, to: Date.now() + 400 * 86_400_000 }).filter((a) => a.status !== "no-show");
    expect(events.length).toBe(own.length);
    expect(events.every((e) => e.uid.endsWith("@consult.example.org"))).toBe(true);
    expect(events.some((e) => e.summary.includes("Dr Sofia Berg"))).toBe(true);
    for (const line of text.split("\r\n")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    // A specialist's feed names clients; a client's names no other client.
    expect(text).not.toContain("Ivan Client");
    expect((await c.post("/calendar/feed/revoke")).status).toBe(303);
    expect((await anon.get(new URL(url).pathname)).status).toBe(404);
    // A deactivated person's feed stops at once (a departed specialist must not keep reading clients' names).
    const leaving = await addPerson(inst, admin.personId, "specialist");
    const ls = signedInClient(inst, leaving);
    await ls.post("/calendar/feed");
    const leavingUrl = (await (await ls.get("/schedule")).text()).match(/\/calendar\/[A-Za-z0-9_-]{43}\.ics/)![0];
    expect((await anon.get(leavingUrl)).status).toBe(200);
    expect(setAccountActive(inst, leaving.personId, false, admin.personId)).toBe("ok");
    expect((await anon.get(leavingUrl)).status).toBe(404);
    expect((await anon.get("/calendar/not-a-token.ics")).status).toBe(404);
    // "Add to calendar" for one appointment.
    const one = own.find((a) => a.status === "booked")!;
    const ics = await c.get(`/appointments/${one.id}/calendar.ics`);
    expect(ics.headers.get("content-disposition")).toContain("appointment.ics");
    const file = new ICAL.Component(ICAL.parse(await ics.text()));
    expect(file.getFirstPropertyValue("x-wr-calname")).toBe("Test Clinic"); // the organisation's, not the software's
    const event = new ICAL.Event(file.getFirstSubcomponent("vevent")!);
    expect(event.startDate.toJSDate().getTime()).toBe(one.start);
    expect(event.endDate.toJSDate().getTime()).toBe(one.end);
  });

  test("the start page shows a client's next appointments and a specialist's rest of the day", async () => {
    bookOwn(client);
    const next = listAppointments(inst.db, { clientId: client.personId, from: Date.now(), to: Number.MAX_SAFE_INTEGER }).filter((a) => a.status === "booked");
    const home = await (await signedInClient(inst, client).get("/")).text();
    expect(home).toContain("Your next appointments");
    expect(home.match(/href="\/appointments\/([\w-]+)"/g)!.slice(0, 3)).toEqual(next.slice(0, 3).map((a) => `href="/appointments/${a.id}"`));
    const fresh = await addPerson(inst, admin.personId, "client");
    expect(await (await signedInClient(inst, fresh).get("/")).text()).toContain("Nothing booked yet.");
    expect(await (await signedInClient(inst, spec2).get("/")).text()).toContain("The rest of today");
  });

  test("admins see the mail queue and that SMTP is not configured", async () => {
    bookOwn(client);
    const html = await (await signedInClient(inst, admin).get("/admin/mail")).text();
    expect(html).toContain("Mail is not set up (KABINET_SMTP_URL)");
    expect(html).toContain("Booking confirmation");
    expect((await signedInClient(inst, staff).get("/admin/mail")).status).toBe(403);
  });
});
