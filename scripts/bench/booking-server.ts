// The app under load, alone in its own process: a fresh installation with a specialist whose 8-week calendar is
// busy, a service, and a signed-in client. Prints one JSON line ({ port, cookie, path }) and serves until killed.
import { websocket } from "hono/bun";
import { listAppointments } from "../../src/booking/appointments.ts";
import * as store from "../../src/booking/booking.store.ts";
import { addPerson, cookieFor, setUpOrganisation } from "../../test/support/accounts.ts";
import { makeService, setHours } from "../../test/support/booking.ts";
import { makeInstallation } from "../../test/support/installation.ts";
import { busyAvailability, busyCalendar, ZONE } from "./booking-calendar.ts";

const inst = makeInstallation({ KABINET_LOG_LEVEL: "warn" });
const admin = await setUpOrganisation(inst);
const spec = await addPerson(inst, admin.personId, "specialist");
const client = await addPerson(inst, admin.personId, "client");
setHours(inst, spec.personId, busyAvailability());
const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Bench", durationMinutes: 50, bufferAfterMinutes: 10 });
const from = Temporal.Now.plainDateISO(ZONE).add({ days: 1 });
const calendar = busyCalendar(from);
store.insertAppointmentRows(
  inst.db,
  calendar.map((b, i) => ({
    id: `bench-${i}`, serviceId: service.id, specialistId: spec.personId, clientId: client.personId, startAt: b.start, endAt: b.end,
    blockStart: b.start, blockEnd: b.end + 10 * 60_000, status: "booked" as const, seriesId: null, roomId: null, createdBy: admin.personId,
    createdAt: Date.now(), cancelledAt: null, cancelledBy: null, cancelReason: null, revision: 0,
  })),
);
const booked = listAppointments(inst.db, { specialistIds: [spec.personId], from: 0, to: Number.MAX_SAFE_INTEGER }).length;
// A busy weekday two days ahead, in the client's zone.
let day = from.add({ days: 1 });
while (day.dayOfWeek > 5) day = day.add({ days: 1 });
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: inst.app.fetch, websocket });
process.stdout.write(
  `${JSON.stringify({ port: server.port, cookie: cookieFor(inst, client.personId), path: `/book/${service.id}?specialist=${spec.personId}&day=${day}&tz=${ZONE}`, booked })}\n`,
);
process.on("SIGTERM", () => {
  server.stop(true);
  inst.close();
  process.exit(0);
});
