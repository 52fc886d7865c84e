// The REST API under load, alone in its own process: a fresh installation with a specialist whose 8-week calendar is
// busy (booked through the booking service, as an integration would), a service, and admin API tokens with
// appointments:read. Prints one JSON line ({ port, tokens, slots, appointments, booked }) and serves until killed.
// Several tokens take turns because one token may make at most 6,000 requests a minute (100/s), by design.
import { websocket } from "hono/bun";
import { createToken, MAX_RATE_PER_MINUTE } from "../../src/api/tokens.ts";
import { book } from "../../src/booking/appointments.ts";
import { addPerson, setUpOrganisation } from "../../test/support/accounts.ts";
import { makeService, setHours } from "../../test/support/booking.ts";
import { makeInstallation } from "../../test/support/installation.ts";
import { busyAvailability, busyCalendar, ZONE } from "./booking-calendar.ts";

const TOKENS = 16;

const inst = makeInstallation({ KABINET_LOG_LEVEL: "warn" });
const admin = await setUpOrganisation(inst);
const spec = await addPerson(inst, admin.personId, "specialist");
const clients = [await addPerson(inst, admin.personId, "client"), await addPerson(inst, admin.personId, "client"), await addPerson(inst, admin.personId, "client")];
setHours(inst, spec.personId, busyAvailability());
const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Bench", durationMinutes: 50, bufferAfterMinutes: 10 });
const from = Temporal.Now.plainDateISO(ZONE).add({ days: 1 });
let booked = 0;
for (const [i, b] of busyCalendar(from).entries()) {
  const r = book(inst, { serviceId: service.id, specialistId: spec.personId, start: b.start, clientId: clients[i % clients.length]!.personId, actor: { personId: admin.personId, role: "admin" } });
  if (r.ok) booked++;
}
const expiresAt = inst.clock.now() + 86_400_000;
const tokens = Array.from({ length: TOKENS }, (_, i) => {
  const made = createToken(inst, { personId: admin.personId, name: `bench ${i}`, scopes: ["appointments:read"], expiresAt, ratePerMinute: MAX_RATE_PER_MINUTE }, admin.personId);
  if (!made.ok) throw new Error(made.reason);
  return made.secret;
});
// A week from the next weekday on, in the specialist's zone: what a CRM's calendar view asks for.
let day = from.add({ days: 1 });
while (day.dayOfWeek > 5) day = day.add({ days: 1 });
const weekFrom = day.toZonedDateTime({ timeZone: ZONE }).toInstant().toString();
const weekTo = day.add({ days: 7 }).toZonedDateTime({ timeZone: ZONE }).toInstant().toString();
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: inst.app.fetch, websocket });
process.stdout.write(
  `${JSON.stringify({
    port: server.port,
    tokens,
    booked,
    slots: `/api/v1/slots?${new URLSearchParams({ serviceId: service.id, specialistId: spec.personId, from: weekFrom, to: weekTo })}`,
    appointments: `/api/v1/appointments?${new URLSearchParams({ from: weekFrom, to: weekTo, limit: "50" })}`,
  })}\n`,
);
process.on("SIGTERM", () => {
  server.stop(true);
  inst.close();
  process.exit(0);
});
