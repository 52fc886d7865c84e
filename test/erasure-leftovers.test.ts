// What erasing a client leaves behind must not lead back to their destroyed key: their future appointments are
// cancelled (the slot frees, changing the old one is a 409 with a reason, never a 500), and no link, reactivation,
// new invitation, reset link or role change brings an account back.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createPasswordResetLink, invitePerson } from "../src/accounts/people-admin.ts";
import { inspectOneTimeLink } from "../src/accounts/links.ts";
import { appointmentRoom, book, getAppointment } from "../src/booking/appointments.ts";
import { getRoom } from "../src/rooms/rooms.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist");
  setHours(inst, spec.personId, everyDay("UTC"));
}, 60_000);
afterAll(() => inst.close());

const erase = (personId: string) => eraseClient({ ...inst, dataDir: inst.config.dataDir }, personId, admin.personId);

test("an erased client's future appointment is cancelled without a reason or mail; its slot is free and changing it is a 409", async () => {
  const client = await addPerson(inst, admin.personId, "client");
  const other = await addPerson(inst, admin.personId, "client");
  const service = makeService(inst, admin.personId, [spec.personId], { cancelHours: 0 });
  const start = at(dayAhead(20), "10:00");
  const booked = book(inst, { serviceId: service.id, specialistId: spec.personId, start, clientId: client.personId, actor: { personId: client.personId, role: "client" } });
  if (!booked.ok) throw new Error(booked.reason);
  const id = booked.appointments[0]!.id;
  expect(erase(client.personId).ok).toBe(true);
  const after = getAppointment(inst.db, id)!;
  expect(after.status).toBe("cancelled");
  expect(inst.db.$client.query("SELECT cancel_reason FROM appointments WHERE id = ?").get(id)).toEqual({ cancel_reason: null });
  // The slot is free for someone else.
  expect(book(inst, { serviceId: service.id, specialistId: spec.personId, start, clientId: other.personId, actor: { personId: other.personId, role: "client" } }).ok).toBe(true);
  const s = signedInClient(inst, spec);
  const cancel = await s.post(`/appointments/${id}/cancel`, { reason: "Specialist ill" });
  expect(cancel.status).toBe(409);
  expect(await cancel.text()).toContain("This appointment cannot be changed any more.");
  const move = await s.post(`/appointments/${id}/reschedule`, { start: String(at(dayAhead(21), "10:00")) });
  expect(move.status).toBeGreaterThanOrEqual(400);
  expect(move.status).toBeLessThan(500);
});

test("links from before the erasure stop working; reactivate, reissue, reset link and role change are refused with the reason", async () => {
  const active = await addPerson(inst, admin.personId, "client");
  const reset = createPasswordResetLink(inst, active.personId, admin.personId);
  expect(inspectOneTimeLink(inst, reset)).not.toBeNull();
  const invited = invitePerson(inst, { email: "invited-erased@example.org", name: "Invited Person", role: "client" }, admin.personId);
  if (invited.kind !== "invited") throw new Error("invite failed");
  expect(inspectOneTimeLink(inst, invited.token)).not.toBeNull();
  expect(erase(active.personId).ok).toBe(true);
  expect(erase(invited.personId).ok).toBe(true);
  expect(inspectOneTimeLink(inst, reset)).toBeNull();
  expect(inspectOneTimeLink(inst, invited.token)).toBeNull();
  const as = signedInClient(inst, admin);
  for (const id of [active.personId, invited.personId]) {
    const page = await (await as.get(`/admin/people/${id}`)).text();
    expect(page).toContain("This client is erased: their account cannot be reactivated");
    for (const action of ["reactivate", "invitation", "reset-link", "role", "deactivate"]) expect(page).not.toContain(`/admin/people/${id}/${action}"`);
    for (const [action, form] of [["reactivate", {}], ["invitation", {}], ["reset-link", {}], ["role", { role: "specialist" }]] as const) {
      const r = await as.post(`/admin/people/${id}/${action}`, form);
      expect(r.status).toBe(409);
      expect(await r.text()).toContain("This client is erased: their account cannot be reactivated");
    }
    const ru = await as.post(`/admin/people/${id}/reactivate`, {}, { "accept-language": "ru" });
    expect(await ru.text()).toContain("Данные этого клиента удалены");
  }
  expect(inst.db.$client.query("SELECT count(*) AS n FROM one_time_links WHERE person_id IN (?, ?)").get(active.personId, invited.personId)).toEqual({ n: 0 });
  expect(inst.db.$client.query("SELECT status FROM accounts WHERE person_id = ?").get(invited.personId)).toEqual({ status: "deactivated" });
});

test("the room already opened for an erased client's coming appointment is closed, and the appointment stays cancelled, not held", async () => {
  const client = await addPerson(inst, admin.personId, "client");
  const service = makeService(inst, admin.personId, [spec.personId], { mode: "online" });
  const start = at(dayAhead(25), "11:00");
  const booked = book(inst, { serviceId: service.id, specialistId: spec.personId, start, clientId: client.personId, actor: { personId: client.personId, role: "client" } });
  if (!booked.ok) throw new Error(booked.reason);
  const id = booked.appointments[0]!.id;
  inst.clock.set(start - 5 * 60_000);
  const room = appointmentRoom(inst, id, { personId: spec.personId, role: "specialist" });
  if (!room.ok) throw new Error(room.reason);
  expect(getRoom(inst.db, room.roomId)?.state).not.toBe("closed");
  expect(inst.db.$client.query("SELECT count(*) AS n FROM room_participants WHERE person_id = ?").get(client.personId)).toEqual({ n: 1 });
  expect(erase(client.personId).ok).toBe(true);
  expect(getRoom(inst.db, room.roomId)?.state).toBe("closed");
  expect(getAppointment(inst.db, id)?.status).toBe("cancelled");
  expect(inst.db.$client.query("SELECT count(*) AS n FROM room_participants WHERE person_id = ?").get(client.personId)).toEqual({ n: 0 });
});
