// Around the call, through a real server and real signalling sockets: admitting a waiting client from the schedule,
// ending the call (the appointment is held, a later Join leads to the record), the page after the call for each side,
// room labels, and the appointment page's live part that follows the installation's clock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { searchAudit } from "../src/audit/audit.ts";
import { book, getAppointment, rescheduleAppointment } from "../src/booking/appointments.ts";
import { dateTimeFormat } from "../src/i18n/format.ts";
import { personZone, setPersonPreferences } from "../src/people/people.ts";
import { getRoom, wasAdmittedTo } from "../src/rooms/rooms.ts";
import { addParticipantRow } from "../src/rooms/rooms.store.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import type { TestClient } from "./support/client.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "./support/installation.ts";
import { openRoomSocket, type RoomSocket } from "./support/room-socket.ts";
/** An English reader on their language's clock, for the times the tests expect. */
const EN = { locale: "en" as const, hourCycle: null };

let served: ServedInstallation;
let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let spec2: TestPerson;
let client: TestPerson;
let stranger: TestPerson;
let interpreter: TestPerson;
let serviceId: string;

beforeAll(async () => {
  served = await serveInstallation({ KABINET_MEDIA_PORTS: "45300-45350" });
  inst = served.inst;
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  spec2 = await addPerson(inst, admin.personId, "specialist", { name: "Dr Lev Orlov" });
  client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  stranger = await addPerson(inst, admin.personId, "client", { name: "Uninvited Ulrich" });
  interpreter = await addPerson(inst, admin.personId, "client", { name: "Ivan Interpreter" });
  setHours(inst, spec.personId, everyDay("UTC"));
  serviceId = makeService(inst, admin.personId, [spec.personId], { nameEn: "Therapy session", durationMinutes: 50 }).id;
});
afterAll(() => served.stop());

const as = (p: TestPerson): TestClient => signedInClient(inst, p);

let days = 0;
/** A booking of the test's own, on a day no other test uses; the installation's clock is set inside its join window. */
function bookedNow(who = client): { id: string; start: number } {
  inst.clock.release();
  const start = at(dayAhead(3 + ++days), "10:00");
  const r = book(inst, { serviceId, specialistId: spec.personId, start, clientId: who.personId, actor: { personId: spec.personId, role: "specialist" } });
  if (!r.ok) throw new Error(`booking failed: ${r.reason}`);
  inst.clock.set(start - 5 * 60_000);
  return { id: r.appointments[0]!.id, start };
}

async function joined(b: TestClient, appointmentId: string): Promise<string> {
  const r = await b.post(`/appointments/${appointmentId}/join`);
  expect(r.status).toBe(303);
  return r.headers.get("location")!.split("/").pop()!;
}

async function inRoom(b: TestClient, roomId: string): Promise<RoomSocket> {
  const s = await openRoomSocket(b, roomId);
  await s.hello();
  return s;
}

const live = async (b: TestClient, id: string): Promise<string> => (await b.get(`/appointments/${id}`, { "hx-request": "true" })).text();

/** An appointment whose call took place: the client was let in, wrote in the chat, and the specialist ended it. */
async function heldAppointment(text = "Thank you, see you next week"): Promise<{ id: string; roomId: string; start: number; chatAt: number }> {
  const { id, start } = bookedNow();
  const host = as(spec);
  const guest = as(client);
  const roomId = await joined(host, id);
  expect(await joined(guest, id)).toBe(roomId);
  const h = await inRoom(host, roomId);
  await h.next("welcome");
  const g = await inRoom(guest, roomId);
  expect(await g.next("welcome")).toMatchObject({ state: "waiting" });
  h.ws.send(JSON.stringify({ type: "admit", personId: client.personId }));
  await g.next("admitted");
  const chatAt = inst.clock.now();
  g.ws.send(JSON.stringify({ type: "chat", text }));
  await h.next("chat");
  h.ws.send(JSON.stringify({ type: "end" }));
  await g.next("ended");
  await Promise.all([h.closed, g.closed]);
  return { id, roomId, start, chatAt };
}

describe("admitting from the schedule", () => {
  test("the room's host lets a waiting client in before joining; others may not; nobody waiting is a clear answer", async () => {
    const { id, start } = bookedNow();
    const guest = as(client);
    const roomId = await joined(guest, id);
    const g = await inRoom(guest, roomId);
    expect(await g.next("welcome")).toMatchObject({ state: "waiting" });
    const admit = `/rooms/${roomId}/admit/${client.personId}`;

    // The specialist's day and the appointment's page both offer it.
    const day = Temporal.Instant.fromEpochMilliseconds(start).toZonedDateTimeISO("UTC").toPlainDate();
    const schedule = await (await as(spec).get(`/schedule?date=${day}`)).text();
    expect(schedule).toContain(`action="${admit}"`);
    expect(schedule).toContain(">Admit<");
    const page = await live(as(spec), id);
    expect(page).toContain("Your client is waiting in the consultation room.");
    expect(page).toContain(`action="${admit}"`);
    // Another specialist's or an admin's view of the day has no such button.
    expect(await (await as(admin).get(`/schedule?date=${day}`)).text()).not.toContain(`action="${admit}"`);

    // Only the room's host: another specialist and an admin are told the room does not exist; a client may not at all.
    expect((await as(spec2).post(admit)).status).toBe(404);
    expect((await as(admin).post(admit)).status).toBe(404);
    expect((await as(client).post(admit)).status).toBe(403);
    const nobody = await as(spec).post(`/rooms/${roomId}/admit/${stranger.personId}`);
    expect(nobody.status).toBe(409);
    expect(await nobody.text()).toContain("This person is not waiting in the room any more");
    expect(wasAdmittedTo(inst.db, roomId, client.personId)).toBe(false);

    const ok = await as(spec).post(admit);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`/rooms/${roomId}#join`);
    await g.next("admitted");
    expect(wasAdmittedTo(inst.db, roomId, client.personId)).toBe(true);
    expect(searchAudit(inst.db, { actionPrefix: "room.admit" }).some((e) => e.target === roomId && e.actor === spec.personId)).toBe(true);
    // Once in, they are no longer waiting: a second click is answered, not an error.
    expect((await as(spec).post(admit)).status).toBe(409);
    g.ws.close();
    await g.closed;
  });

  test("an unknown room is a 404 for a host", async () => {
    expect((await as(spec).post(`/rooms/${"x".repeat(16)}/admit/${client.personId}`)).status).toBe(404);
  });
});

describe("ending the call", () => {
  test("the host ending the call marks the appointment held; a later Join leads to the record, not to a new room", async () => {
    const { id, roomId } = await heldAppointment();
    const held = getAppointment(inst.db, id)!;
    expect(held.status).toBe("completed");
    expect(held.roomId).toBe(roomId);
    expect(getRoom(inst.db, roomId)!.state).toBe("closed");
    expect(searchAudit(inst.db, { actionPrefix: "appointment.complete" }).some((e) => e.target === id && e.actor === spec.personId)).toBe(true);

    const rooms = () => (inst.db.$client.query("SELECT count(*) AS n FROM rooms").get() as { n: number }).n;
    const before = rooms();
    for (const who of [client, spec]) {
      const again = await as(who).post(`/appointments/${id}/join`);
      expect(again.status).toBe(303);
      expect(again.headers.get("location")).toBe(`/rooms/${roomId}/after`);
    }
    expect(rooms()).toBe(before);
    expect(getAppointment(inst.db, id)!.roomId).toBe(roomId);

    // The record is at hand on the appointment's page (with the outcome) and from the day's schedule.
    const page = await (await as(spec).get(`/appointments/${id}`)).text();
    expect(page).toContain("Held");
    expect(page).toContain("Consultation record");
    expect(page).toContain("Thank you, see you next week");
    expect(page).not.toContain(`/appointments/${id}/join`);
    const day = Temporal.Instant.fromEpochMilliseconds(held.start).toZonedDateTimeISO("UTC").toPlainDate();
    const schedule = await (await as(spec).get(`/schedule?date=${day}`)).text();
    expect(schedule).toContain(`href="/rooms/${roomId}"`);
  });
});

describe("after the call", () => {
  test("the host goes on to the appointment's page; the client gets a calm page with what is next; strangers get 404", async () => {
    setPersonPreferences(inst.db, client.personId, { timeZone: "Asia/Tokyo" });
    const { id, roomId, chatAt } = await heldAppointment("Здравствуйте, до встречи");
    // A later appointment of the client's, to be shown as the next one.
    const next = book(inst, { serviceId, specialistId: spec.personId, start: at(dayAhead(200), "10:00"), clientId: client.personId, actor: { personId: spec.personId, role: "specialist" } });
    if (!next.ok) throw new Error("booking failed");
    const later = next.appointments[0]!;

    const host = await as(spec).get(`/rooms/${roomId}/after`);
    expect(host.status).toBe(303);
    expect(host.headers.get("location")).toBe(`/appointments/${id}`);

    const page = await as(client).get(`/rooms/${roomId}/after`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Your consultation has ended");
    expect(html).toContain("Therapy session with Dr Sofia Berg");
    expect(html).toContain(`href="/appointments/${later.id}"`);
    expect(html).toContain(`href="/book/${serviceId}?specialist=${spec.personId}"`);
    expect(html).toContain("Book again");
    expect(html).toContain("Здравствуйте, до встречи");
    // Times in the client's own zone, not the organisation's (Moscow).
    expect(html).toContain(dateTimeFormat(EN, "Asia/Tokyo").format(chatAt));
    expect(dateTimeFormat(EN, "Asia/Tokyo").format(chatAt)).not.toBe(dateTimeFormat(EN, "Europe/Moscow").format(chatAt));

    for (const who of [stranger, spec2, admin]) expect((await as(who).get(`/rooms/${roomId}/after`)).status).toBe(404);
    // Another guest of the same room (an interpreter who opened its invitation) gets the plain page: nothing about
    // the client's appointments.
    addParticipantRow(inst.db, roomId, interpreter.personId, inst.clock.now());
    const theirs = await (await as(interpreter).get(`/rooms/${roomId}/after`)).text();
    expect(theirs).toContain("Your consultation has ended");
    expect(theirs).not.toContain(later.id);
    expect(theirs).not.toContain("Therapy session");
    // Anyone else reading the appointment is audited, also when asking only for its live part.
    await as(admin).get(`/appointments/${id}`, { "hx-request": "true" });
    expect(inst.db.$client.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'appointment.view' AND actor = ? AND target = ?").get(admin.personId, id)).toEqual({ n: 1 });
    expect((await as(client).get(`/rooms/${"x".repeat(16)}/after`)).status).toBe(404);
    setPersonPreferences(inst.db, client.personId, { timeZone: "Europe/Moscow" });
  });

  test("while the call goes on, /after leads back into the room; an ad-hoc room's host lands on its record", async () => {
    inst.clock.release();
    const host = as(spec);
    const roomId = (await host.post("/rooms", { label: "Second opinion" })).headers.get("location")!.split("/").pop()!;
    expect((await host.get(`/rooms/${roomId}/after`)).headers.get("location")).toBe(`/rooms/${roomId}`);
    const invite = (await (await host.get(`/rooms/${roomId}`)).text()).match(/\/rooms\/invite\/([A-Za-z0-9_-]{43})/)![1]!;
    const guest = as(stranger);
    await guest.get(`/rooms/invite/${invite}`);
    await guest.get("/rooms/join");
    const h = await inRoom(host, roomId);
    await h.next("welcome");
    h.ws.send(JSON.stringify({ type: "end" }));
    await h.closed;
    expect((await host.get(`/rooms/${roomId}/after`)).headers.get("location")).toBe(`/rooms/${roomId}`);
    const record = await (await host.get(`/rooms/${roomId}`)).text();
    expect(record).toContain("Consultation record");
    expect(record).toContain("Second opinion");
    // The guest was never let in: a calm page, no record, nothing about appointments.
    const calm = await guest.get(`/rooms/${roomId}/after`);
    expect(calm.status).toBe(200);
    const html = await calm.text();
    expect(html).toContain("Your consultation has ended");
    expect(html).not.toContain("Second opinion");
    expect(html).not.toContain("Book again");
    expect(html).not.toContain("Chat");
  });
});

describe("room labels", () => {
  test("a label is sealed at rest, shown to its host in the list and on the room; the guest sees who invited them", async () => {
    inst.clock.release();
    const host = as(spec);
    const label = "Ирина Петрова — follow-up";
    const created = await host.post("/rooms", { label: `  ${label}  ` });
    expect(created.status).toBe(303);
    const roomId = created.headers.get("location")!.split("/").pop()!;
    const stored = inst.db.$client.query("SELECT label FROM rooms WHERE id = ?").get(roomId) as { label: Uint8Array };
    expect(stored.label.length).toBeGreaterThan(0);
    expect(Buffer.from(stored.label).includes(Buffer.from("Ирина"))).toBe(false);
    expect(await (await host.get("/rooms")).text()).toContain(`>${label}</a>`);
    const room = await (await host.get(`/rooms/${roomId}`)).text();
    expect(room).toContain(`<h1>${label}</h1>`);

    const invite = room.match(/\/rooms\/invite\/([A-Za-z0-9_-]{43})/)![1]!;
    const guest = as(stranger);
    await guest.get(`/rooms/invite/${invite}`);
    await guest.get("/rooms/join");
    const seen = await (await guest.get(`/rooms/${roomId}`)).text();
    expect(seen).toContain("You are invited to a consultation with Dr Sofia Berg");
    expect(seen).not.toContain("Ирина");
  });

  test("a label over 120 characters is refused with its reason, and no room is opened", async () => {
    const count = () => (inst.db.$client.query("SELECT count(*) AS n FROM rooms").get() as { n: number }).n;
    const before = count();
    const r = await as(spec).post("/rooms", { label: "x".repeat(121) });
    expect(r.status).toBe(422);
    const html = await r.text();
    expect(html).toContain("Keep it to 120 characters.");
    expect(html).toContain(`value="${"x".repeat(121)}"`);
    expect(count()).toBe(before);
    expect((await as(spec).post("/rooms", { label: "" })).status).toBe(303);
  });
});

describe("the appointment page stays current", () => {
  test("its live part shows Join once the installation's clock reaches the window, and a cancellation by itself", async () => {
    const { id, start } = bookedNow();
    inst.clock.set(start - 20 * 60_000);
    const before = await live(as(client), id);
    expect(before).not.toContain("<html");
    expect(before).toContain('id="appointment-live"');
    expect(before).toContain('hx-trigger="every 15s"');
    expect(before).not.toContain(`/appointments/${id}/join`);
    expect(before).toContain("15 minutes before the start");

    inst.clock.set(start - 14 * 60_000);
    expect(await live(as(client), id)).toContain(`action="/appointments/${id}/join"`);

    // The specialist has started the call: the client's page says so.
    const roomId = await joined(as(spec), id);
    const h = await inRoom(as(spec), roomId);
    await h.next("welcome");
    expect(await live(as(client), id)).toContain("Your specialist is in the consultation room.");
    h.ws.close();
    await h.closed;

    // A move made elsewhere shows: the new time, in the client's zone.
    inst.clock.set(start - 60 * 60_000);
    const moved = start + 2 * 3600_000;
    expect(rescheduleAppointment(inst, id, { personId: spec.personId, role: "specialist" }, moved).ok).toBe(true);
    expect(await live(as(client), id)).toContain(dateTimeFormat(EN, personZone(inst.db, client.personId)).format(moved));

    // A cancellation elsewhere shows, and the part stops polling (nothing more will change).
    expect((await as(spec).post(`/appointments/${id}/cancel`, { reason: "Ill" })).status).toBe(200);
    const after = await live(as(client), id);
    expect(after).toContain("Cancelled");
    expect(after).not.toContain("hx-trigger");
    // Polls are not audited as views; opening the page is (for staff reading someone else's).
    expect(searchAudit(inst.db, { actionPrefix: "appointment.view" }).filter((e) => e.target === id)).toHaveLength(0);
  });
});
