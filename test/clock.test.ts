// The app takes "now" from the installation's clock, so a test moves time instead of waiting for it.
import { afterEach, expect, test } from "bun:test";
import { book } from "../src/booking/appointments.ts";
import { addPerson, setUpOrganisation, signedInClient } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
afterEach(() => inst?.close());

test("a session idle past KABINET_SESSION_IDLE_MINUTES ends when the installation's clock passes it", async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org" });
  const admin = await setUpOrganisation(inst);
  const c = signedInClient(inst, admin);
  expect((await c.get("/account")).status).toBe(200);
  inst.clock.advance((inst.config.sessionIdleMinutes - 1) * 60_000);
  expect((await c.get("/account")).status).toBe(200); // activity renews the idle window
  inst.clock.advance((inst.config.sessionIdleMinutes + 1) * 60_000);
  const after = await c.get("/account");
  expect(after.status).toBe(303);
  expect(after.headers.get("location")).toStartWith("/signin");
});

test("an appointment reads as booked, then held, as the installation's clock passes its end", async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org" });
  const admin = await setUpOrganisation(inst);
  const spec = await addPerson(inst, admin.personId, "specialist");
  const client = await addPerson(inst, admin.personId, "client");
  setHours(inst, spec.personId, everyDay("UTC"));
  const service = makeService(inst, admin.personId, [spec.personId]);
  const start = at(dayAhead(2), "10:00");
  const r = book(inst, { serviceId: service.id, specialistId: spec.personId, start, clientId: client.personId, actor: { personId: client.personId, role: "client" } });
  if (!r.ok) throw new Error(r.reason);
  const page = () => signedInClient(inst, client).get(`/appointments/${r.appointments[0]!.id}`).then((x) => x.text());
  expect(await page()).not.toContain(">Held</dd>");
  inst.clock.set(start + 2 * 3600_000);
  expect(await page()).toContain(">Held</dd>");
});
