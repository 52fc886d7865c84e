// Anomaly alerts triggered by scripted behaviour through the real app: real sessions, real sign-in attempts, the
// installation's clock set by the test, then the scan the server runs every minute.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { anomalyAlerts, meta } from "../src/db/schema.ts";
import { countAnomaliesByRule, scanAuditForAnomalies, scanAuditInSlices } from "../src/anomalies/anomalies.ts";
import { readCursor, writeCursor } from "../src/anomalies/anomalies.store.ts";
import { recordAudit, searchAudit } from "../src/audit/audit.ts";
import { completeOneTimeLink } from "../src/accounts/links.ts";
import { invitePerson } from "../src/accounts/people-admin.ts";
import { book } from "../src/booking/appointments.ts";
import { createPerson } from "../src/people/people.ts";
import { createToken } from "../src/api/tokens.ts";
import { getSettings, saveSettings } from "../src/settings/settings.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { TestClient } from "./support/client.ts";

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let serviceId: string;
let day = 0;

/** Scans to the end of the log in one call (the server scans in slices; see "the scan" tests). */
const scanAll = () => scanAuditForAnomalies(inst, { sliceMs: Infinity });

beforeAll(async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_TRUST_PROXY: "true" });
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist");
  setHours(inst, spec.personId, everyDay("UTC", "08:00", "18:00"));
  serviceId = makeService(inst, admin.personId, [spec.personId], { durationMinutes: 50, bufferAfterMinutes: 10 }).id;
  scanAll(); // whatever setup did (at whatever hour this runs) is behind the cursor
});
afterAll(() => inst.close());
afterEach(() => inst.clock.release());

const alerts = () => inst.db.select().from(anomalyAlerts).all();
const alertsOf = (rule: string, subject: string) => alerts().filter((a) => a.rule === rule && a.subject === subject);

/** `n` clients, each with one appointment with the specialist (booked by the admin, on days no other test uses). */
function clientsWithAppointments(n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) day++;
    const client = createPerson(inst, { role: "client", email: `reader-${day}-${i}@example.org`, name: `Client ${day}-${i}` }, admin.personId)!;
    const r = book(inst, { serviceId, specialistId: spec.personId, start: at(dayAhead(day + 1), `${String(8 + (i % 10)).padStart(2, "0")}:00`), clientId: client.id, actor: { personId: admin.personId, role: "admin" } });
    if (!r.ok) throw new Error(`booking ${i} failed: ${r.reason}`);
    ids.push(r.appointments[0]!.id);
  }
  return ids;
}

function settingsForm(): Record<string, string> {
  const s = getSettings(inst.db)!;
  const form: Record<string, string> = {
    name: s.name,
    language: s.language,
    timeZone: s.timeZone,
    clientTwoFactor: s.clientTwoFactor,
    reminderHours: s.reminderHours.join(","),
    mailDetails: s.mailDetails,
    address: s.address,
    mailSpecialists: "on",
    hoursFrom: s.workingHours!.from,
    hoursTo: s.workingHours!.to,
  };
  for (const d of s.workingHours!.days) form[`hoursDay${d}`] = "on";
  if (s.securityAlertMail) form.securityAlertMail = "on";
  return form;
}

describe("bulk-record-reads", () => {
  test("a staff member opening 25 clients' appointments within minutes raises one alert; 5 clients raise none", async () => {
    const busy = await addPerson(inst, admin.personId, "staff");
    const calm = await addPerson(inst, admin.personId, "staff");
    const appointments = clientsWithAppointments(25);
    const b = signedInClient(inst, busy);
    for (const id of appointments) expect((await b.get(`/appointments/${id}`)).status).toBe(200);
    const c = signedInClient(inst, calm);
    for (const id of appointments.slice(0, 5)) expect((await c.get(`/appointments/${id}`)).status).toBe(200);

    expect(scanAll().raised).toBeGreaterThanOrEqual(1);
    const raised = alertsOf("bulk-record-reads", busy.personId);
    expect(raised).toHaveLength(1);
    expect(raised[0]!.count).toBe(25); // raised at the 20th, grown while the window lasted
    expect(alertsOf("bulk-record-reads", calm.personId)).toHaveLength(0);
    const page = await (await signedInClient(inst, admin).get("/admin/alerts")).text();
    expect(page).toContain(`${busy.name} opened 25 clients' records within 10 minutes.`.replace("'", "&#39;"));
  });
});

describe("off-hours-admin", () => {
  test("an admin changing settings at 03:00 organisation time raises an alert; at 11:00 none", async () => {
    const today = Temporal.Now.plainDateISO("Europe/Moscow");
    const wednesday = today.add({ days: (3 - today.dayOfWeek + 7) % 7 }); // Mon–Fri 07:00–20:00 by default
    const night = wednesday.toZonedDateTime({ timeZone: "Europe/Moscow", plainTime: "03:00" }).epochMilliseconds;
    const morning = wednesday.toZonedDateTime({ timeZone: "Europe/Moscow", plainTime: "11:00" }).epochMilliseconds;
    inst.clock.set(night);
    expect((await signedInClient(inst, admin).post("/admin/settings", settingsForm())).status).toBe(200);
    inst.clock.set(morning); // a fresh session: the night's has idled out by then
    expect((await signedInClient(inst, admin).post("/admin/settings", settingsForm())).status).toBe(200);
    scanAll();

    const offHours = alertsOf("off-hours-admin", admin.personId);
    expect(offHours.filter((x) => x.triggeredAt === night).map((x) => x.action)).toEqual(["settings.change"]);
    expect(offHours.filter((x) => x.triggeredAt === morning)).toHaveLength(0);
  });
  test("after hours an admin inviting raises an alert; the invitees (a client, a new staff member) accepting raise none", async () => {
    // The invitation entries carry the installation's time: pin it to a weekday at 23:00 organisation time, in the
    // future so no other test's entries share its hour. (Creating the person still stamps the wall clock, so its
    // person.create entry falls outside this window.)
    const today = Temporal.Now.plainDateISO("Europe/Moscow");
    const tuesday = today.add({ days: (2 - today.dayOfWeek + 7) % 7 || 7 });
    const late = tuesday.toZonedDateTime({ timeZone: "Europe/Moscow", plainTime: "23:00" }).epochMilliseconds;
    inst.clock.set(late);
    {
      const from = late;
      const invitees = (["client", "staff"] as const).map((role) => {
        const invited = invitePerson(inst, { role, email: `late-${role}@example.org`, name: `Late ${role}` }, admin.personId);
        if (invited.kind !== "invited") throw new Error(`invite failed: ${invited.kind}`);
        return invited;
      });
      for (const { token } of invitees) expect((await completeOneTimeLink(inst, token, "a long late-evening passphrase", "test")).kind).toBe("invited");
      scanAll();

      const accepted = searchAudit(inst.db, { actionPrefix: "invitation.accept", from }, 10);
      expect(accepted.map((e) => e.actor).sort()).toEqual(invitees.map((i) => i.personId).sort());
      for (const { personId } of invitees) expect(alertsOf("off-hours-admin", personId)).toEqual([]);
      // One alert for the hour: the first invitation opens it, the second joins it.
      const adminLate = alertsOf("off-hours-admin", admin.personId).filter((a) => a.triggeredAt >= from && a.triggeredAt < from + 3_600_000);
      expect(adminLate.map((a) => a.action)).toEqual(["invitation.create"]);
      expect(adminLate[0]!.count).toBe(2);
      const invited = searchAudit(inst.db, { actor: admin.personId, actionPrefix: "invitation.create", from }, 10);
      expect(invited).toHaveLength(2);
      expect(adminLate[0]!.lastAt).toBe(invited[0]!.at.getTime());
    }
  });

  test("the console's admin actions at night raise an alert; the system's and self-registration's raise none", () => {
    const today = Temporal.Now.plainDateISO("Europe/Moscow");
    const thursday = today.add({ days: (4 - today.dayOfWeek + 7) % 7 });
    const night = thursday.toZonedDateTime({ timeZone: "Europe/Moscow", plainTime: "01:00" }).epochMilliseconds;
    inst.db.transaction((tx) => {
      recordAudit(tx, inst.vault, { actor: "cli", action: "keys.rotate", details: { rewrapped: 3 }, at: night });
      recordAudit(tx, inst.vault, { actor: "system", action: "keys.rotate", details: { rewrapped: 0 }, at: night });
      recordAudit(tx, inst.vault, { actor: "self-registration", action: "person.create", target: "someone", at: night });
      recordAudit(tx, inst.vault, { actor: spec.personId, action: "settings.change", details: {}, at: night }); // not an admin
    });
    scanAll();
    expect(alertsOf("off-hours-admin", "cli").filter((a) => a.triggeredAt === night).map((a) => a.action)).toEqual(["keys.rotate"]);
    for (const subject of ["system", "self-registration", spec.personId]) expect(alertsOf("off-hours-admin", subject)).toEqual([]);
  });
});

describe("off-hours-admin and API tokens", () => {
  test("an admin making an API token at night raises an alert; the integration reading through it at night does not", async () => {
    const today = Temporal.Now.plainDateISO("Europe/Moscow");
    const friday = today.add({ days: (5 - today.dayOfWeek + 7) % 7 || 7 });
    const night = friday.toZonedDateTime({ timeZone: "Europe/Moscow", plainTime: "02:00" }).epochMilliseconds;
    inst.clock.set(night);
    const made = createToken(inst, { personId: admin.personId, name: "Night CRM sync", scopes: ["people:read"], expiresAt: night + 30 * 86_400_000 }, admin.personId);
    if (!made.ok) throw new Error(made.reason);
    const client = createPerson(inst, { role: "client", email: "synced@example.org", name: "Synced Client" }, admin.personId)!;
    inst.clock.set(night + 60_000);
    const read = await inst.app.request(`https://consult.example.org/api/v1/clients/${client.id}`, { headers: { authorization: `Bearer ${made.secret}` } });
    expect(read.status).toBe(200);
    scanAll();
    const tonight = alertsOf("off-hours-admin", admin.personId).filter((a) => a.triggeredAt >= night && a.triggeredAt < night + 3_600_000);
    expect(tonight.map((a) => a.action)).toEqual(["api-token.create"]);
    expect(tonight[0]!.count).toBe(1); // the read through the token did not join it
    expect(searchAudit(inst.db, { actor: admin.personId, actionPrefix: "person.view", from: night }, 10).map((e) => e.details.token)).toEqual(["Night CRM sync"]);
  });
});

describe("failed sign-ins", () => {
  const signInFrom = (address: string) => new TestClient(inst.app, "https://consult.example.org", { "x-forwarded-for": address });

  test("10 failed sign-ins against one account, from two addresses, raise an account alert", async () => {
    const target = await addPerson(inst, admin.personId, "client");
    for (const address of ["203.0.113.1", "203.0.113.2"]) {
      const c = signInFrom(address);
      for (let i = 0; i < 5; i++) expect((await c.post("/signin", { email: target.email, password: `wrong ${i}` })).status).toBe(422);
    }
    scanAll();
    expect(alertsOf("signin-failures-account", target.personId).map((a) => a.count)).toEqual([10]);
    // The audit names the address only by a keyed tag; five from each is below the address rule's limit.
    const failures = searchAudit(inst.db, { actionPrefix: "signin.failure" }, 1000);
    expect(JSON.stringify(failures)).not.toContain("203.0.113");
    const tags = new Set(failures.filter((f) => f.target === target.personId).map((f) => f.details.addressTag));
    expect(tags.size).toBe(2);
    for (const tag of tags) expect(alertsOf("signin-failures-address", String(tag))).toHaveLength(0);
  });

  test("10 failed sign-ins from one address across five accounts raise an address alert, no account alert", async () => {
    const c = signInFrom("198.51.100.7");
    const emails = ["a", "b", "c", "d", "e"].map((x) => `nobody-${x}@example.org`);
    for (const email of emails) for (let i = 0; i < 2; i++) expect((await c.post("/signin", { email, password: "guess" })).status).toBe(422);
    scanAll();
    const byAddress = alerts().filter((a) => a.rule === "signin-failures-address" && a.count === 10);
    expect(byAddress).toHaveLength(1);
    expect(byAddress[0]!.subject).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("exports and break-glass access", () => {
  // Neither exists in the app yet (exports arrive with issue 14): the rules are ready for the actions they will record.
  test("any *.export and any record.break-glass raise an alert, exports one per person and hour, break-glass one per entry", () => {
    const who = createPerson(inst, { role: "staff", email: "exporter@example.org", name: "Erik Export" }, admin.personId)!;
    const now = Date.now();
    inst.db.transaction((tx) => {
      recordAudit(tx, inst.vault, { actor: who.id, action: "records.export", target: "x", details: { rows: 10 }, at: now });
      recordAudit(tx, inst.vault, { actor: who.id, action: "audit.export", details: {}, at: now + 60_000 });
      recordAudit(tx, inst.vault, { actor: who.id, action: "record.break-glass", target: "y", at: now + 120_000 });
      recordAudit(tx, inst.vault, { actor: who.id, action: "record.break-glass", target: "z", at: now + 150_000 });
      recordAudit(tx, inst.vault, { actor: who.id, action: "records.exported", at: now + 180_000 }); // not an export
    });
    scanAll();
    expect(alertsOf("export", who.id).map((a) => [a.count, a.action])).toEqual([[2, "records.export"]]);
    expect(alertsOf("break-glass", who.id).map((a) => [a.count, a.action])).toEqual([
      [1, "record.break-glass"],
      [1, "record.break-glass"],
    ]);
  });
});

describe("the scan", () => {
  test("rescanning the whole log, as after a lost cursor, raises nothing twice", async () => {
    const busy = await addPerson(inst, admin.personId, "staff");
    const b = signedInClient(inst, busy);
    for (const id of clientsWithAppointments(21)) await b.get(`/appointments/${id}`);
    scanAll();
    const before = alerts();
    expect(alertsOf("bulk-record-reads", busy.personId)).toHaveLength(1);
    writeCursor(inst.db, 0);
    const again = scanAll();
    expect(again.scanned).toBeGreaterThan(21);
    expect(again.raised).toBe(0);
    expect(alerts()).toEqual(before);
    expect(scanAll()).toEqual({ scanned: 0, raised: 0, more: false });
  });

  test("the first scan (an upgraded installation) raises nothing about entries older than a day", async () => {
    const longAgo = Temporal.Now.zonedDateTimeISO("Europe/Moscow").subtract({ days: 3 }).with({ hour: 2, minute: 0 }).epochMilliseconds;
    inst.clock.set(longAgo);
    expect((await signedInClient(inst, admin).post("/admin/settings", settingsForm())).status).toBe(200);
    inst.clock.release();
    inst.db.delete(meta).where(eq(meta.key, "anomalies.cursor")).run(); // as before this version's first start
    const before = alerts();
    expect(scanAll().raised).toBe(0);
    expect(alerts()).toEqual(before);
    expect(alerts().some((a) => a.triggeredAt === longAgo)).toBe(false);
    // It started after the newest entry older than a day (here the night's settings change): the older were not read.
    expect(readCursor(inst.db)).toBe(searchAudit(inst.db, { actionPrefix: "settings.change", to: longAgo + 1 }, 1)[0]!.id);
  });

  /** `bursts` times 25 reads of distinct clients' records by one staff member, an hour apart, each read followed by 10 unwatched entries. */
  function readingBacklog(bursts: number): { reader: string; written: number; start: number } {
    const reader = createPerson(inst, { role: "staff", email: `backlog-${bursts}@example.org`, name: "Bea Backlog" }, admin.personId)!.id;
    scanAll();
    const start = Date.now() - 6 * 3600_000;
    let written = 0;
    inst.db.transaction((tx) => {
      for (let burst = 0; burst < bursts; burst++) {
        for (let i = 0; i < 25; i++) {
          const at = start + burst * 3600_000 + i * 10_000;
          recordAudit(tx, inst.vault, { actor: reader, action: "person.view", target: `client-${bursts}-${burst}-${i}`, at });
          for (let f = 1; f <= 10; f++) recordAudit(tx, inst.vault, { actor: reader, action: "schedule.view", at: at + f });
          written += 11;
        }
      }
    });
    return { reader, written, start };
  }

  test("a backlog larger than one slice is finished over several calls: every entry scanned once, each alert raised once", () => {
    const { reader, written, start } = readingBacklog(3);
    const slices = [scanAuditForAnomalies(inst, { sliceMs: 0 })]; // no time at all: one batch per call
    while (slices.at(-1)!.more) slices.push(scanAuditForAnomalies(inst, { sliceMs: 0 }));

    expect(slices.length).toBeGreaterThanOrEqual(3);
    expect(slices.reduce((n, x) => n + x.scanned, 0)).toBe(written);
    expect(slices.reduce((n, x) => n + x.raised, 0)).toBe(3);
    // Each burst's alert fires at its 20th read and grows to 25, though bursts straddle the batches.
    const expected = [0, 1, 2].map((burst) => [start + burst * 3600_000 + 19 * 10_000, 25]);
    expect(alertsOf("bulk-record-reads", reader).map((a) => [a.triggeredAt, a.count])).toEqual(expected);
    expect(scanAll()).toEqual({ scanned: 0, raised: 0, more: false });
  });

  test("the server's scan in slices lets timers and requests run between slices, and still reaches the end", async () => {
    const { reader, written } = readingBacklog(1);
    const from = readCursor(inst.db)!;
    let cursorWhenTimerRan: number | null = null;
    setTimeout(() => (cursorWhenTimerRan = readCursor(inst.db)), 0);
    expect(await scanAuditInSlices(inst, { sliceMs: 0 })).toEqual({ scanned: written, raised: 1 });
    expect(cursorWhenTimerRan).toBeGreaterThan(from);
    expect(cursorWhenTimerRan).toBeLessThan(from + written);
    expect(readCursor(inst.db)).toBe(from + written);
    expect(alertsOf("bulk-record-reads", reader).map((a) => a.count)).toEqual([25]);
  });

  test("countAnomaliesByRule names every rule, with the alerts raised so far", () => {
    const counts = countAnomaliesByRule(inst.db);
    expect(Object.keys(counts).sort()).toEqual(["break-glass", "bulk-record-reads", "export", "off-hours-admin", "signin-failures-account", "signin-failures-address"]);
    for (const [rule, n] of Object.entries(counts)) expect(n).toBe(alerts().filter((a) => a.rule === rule).length);
  });
});

describe("the alerts page", () => {
  /** An off-hours alert about a second admin, raised by a settings change at 02:30 organisation time. */
  async function nightAlert(): Promise<{ owl: TestPerson; id: number }> {
    const owl = await addPerson(inst, admin.personId, "admin", { name: "Olga Owl" });
    const night = Temporal.Now.zonedDateTimeISO("Europe/Moscow").with({ hour: 2, minute: 30 }).epochMilliseconds;
    inst.clock.set(night);
    expect((await signedInClient(inst, owl).post("/admin/settings", settingsForm())).status).toBe(200);
    inst.clock.release();
    scanAll();
    const raised = alertsOf("off-hours-admin", owl.personId).filter((a) => a.triggeredAt === night);
    expect(raised).toHaveLength(1);
    return { owl, id: raised[0]!.id };
  }

  test("admins see each alert in plain words with the person's name, and the count on their start page; others may not look", async () => {
    const { owl } = await nightAlert();
    const a = signedInClient(inst, admin);
    const page = await a.get("/admin/alerts");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Olga Owl made an admin change outside working hours (settings.change).");
    expect(html).toContain(`/admin/audit?actor=${owl.personId}&amp;from=`);
    expect(html).toContain('href="/admin" aria-current="page"'); // the admins' navigation: Administration
    expect(await (await a.get("/admin")).text()).toMatch(/href="\/admin\/alerts">Alerts \(\d+\)</); // one tap from there, with the count
    const home = await (await a.get("/")).text();
    expect(home).toMatch(/data-testid="open-alerts"><a href="\/admin\/alerts">\d+ open security alerts?/);
    const ru = await (await a.get("/admin/alerts", { "accept-language": "ru" })).text();
    expect(ru).toContain("Olga Owl: действие администратора вне рабочих часов (settings.change).");

    for (const role of ["staff", "specialist", "client"] as const) {
      const other = await addPerson(inst, admin.personId, role);
      expect((await signedInClient(inst, other).get("/admin/alerts")).status).toBe(403);
      expect(await (await signedInClient(inst, other).get("/")).text()).not.toContain("open-alerts");
    }
    const anonymous = await new TestClient(inst.app, "https://consult.example.org").get("/admin/alerts");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/signin");
  });

  test("acknowledging moves the alert to the acknowledged list and is audited; only admins may, only once", async () => {
    const { id } = await nightAlert();
    const staff = await addPerson(inst, admin.personId, "staff");
    expect((await signedInClient(inst, staff).post(`/admin/alerts/${id}/acknowledge`)).status).toBe(403);
    expect(alerts().find((x) => x.id === id)!.acknowledgedAt).toBeNull();

    const a = signedInClient(inst, admin);
    const done = await a.post(`/admin/alerts/${id}/acknowledge`);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Alert acknowledged.");
    const alert = alerts().find((x) => x.id === id)!;
    expect(alert.acknowledgedBy).toBe(admin.personId);
    expect(searchAudit(inst.db, { actor: admin.personId, actionPrefix: "anomaly.acknowledge" }).map((e) => [e.target, e.details.rule])).toContainEqual([String(id), "off-hours-admin"]);
    expect(await (await a.get("/admin/alerts")).text()).toContain("Acknowledged by Ada Admin");
    expect((await a.post(`/admin/alerts/${id}/acknowledge`)).status).toBe(404);
    expect((await a.post("/admin/alerts/nonsense/acknowledge")).status).toBe(404);
    // A post from another site changes nothing (CSRF).
    const { id: other } = await nightAlert();
    const forged = await a.post(`/admin/alerts/${other}/acknowledge`, {}, { origin: "https://evil.example" });
    expect(forged.status).toBe(403);
    expect(alerts().find((x) => x.id === other)!.acknowledgedAt).toBeNull();
  });
});

describe("the working hours setting", () => {
  test("the settings page shows the hours (Mon–Fri 07:00–20:00 by default) and the alert mail switch, off", async () => {
    const html = await (await signedInClient(inst, admin).get("/admin/settings")).text();
    for (let d = 1; d <= 7; d++) expect(html).toMatch(new RegExp(`name="hoursDay${d}" value="on"${d <= 5 ? " checked" : "(?! checked)"}`));
    expect(html).toMatch(/name="hoursFrom" type="time" value="07:00"/);
    expect(html).toMatch(/name="hoursTo" type="time" value="20:00"/);
    expect(html).toMatch(/name="securityAlertMail" value="on" role="switch"(?! checked)/);
  });

  test("bad hours are refused with the field's message, changing nothing; good ones are saved and audited", async () => {
    const a = signedInClient(inst, admin);
    const saved = getSettings(inst.db)!.workingHours;
    const cases: [Record<string, string>, string][] = [
      [{ hoursDay1: "", hoursDay2: "", hoursDay3: "", hoursDay4: "", hoursDay5: "" }, "Choose at least one working day."],
      [{ hoursFrom: "20:00", hoursTo: "07:00" }, "The end must be later than the start"],
      [{ hoursFrom: "25:00" }, "Enter a time like 07:00."],
      [{ hoursTo: "late" }, "Enter a time like 07:00."],
    ];
    for (const [change, message] of cases) {
      const r = await a.post("/admin/settings", { ...settingsForm(), ...change });
      expect(r.status).toBe(422);
      expect(await r.text()).toContain(message);
      expect(getSettings(inst.db)!.workingHours).toEqual(saved);
    }
    try {
      const weekend = { ...settingsForm(), hoursDay1: "", hoursDay2: "", hoursDay3: "", hoursDay4: "", hoursDay5: "", hoursDay6: "on", hoursFrom: "10:00", hoursTo: "14:30" };
      expect((await a.post("/admin/settings", weekend)).status).toBe(200);
      expect(getSettings(inst.db)!.workingHours).toEqual({ days: [6], from: "10:00", to: "14:30" });
      expect(searchAudit(inst.db, { actionPrefix: "settings.change" }, 1)[0]!.details.workingHours).toBe("6 10:00-14:30");
      const html = await (await a.get("/admin/settings")).text();
      expect(html).toMatch(/name="hoursDay6" value="on" checked/);
      expect(html).toMatch(/name="hoursTo" type="time" value="14:30"/);
    } finally {
      const back: Record<string, string> = { ...settingsForm(), hoursDay6: "", hoursFrom: "07:00", hoursTo: "20:00" };
      for (let d = 1; d <= 5; d++) back[`hoursDay${d}`] = "on";
      expect((await a.post("/admin/settings", back)).status).toBe(200);
    }
    expect(getSettings(inst.db)!.workingHours).toEqual({ days: [1, 2, 3, 4, 5], from: "07:00", to: "20:00" });
  });
});
