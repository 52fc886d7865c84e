import { expect, test } from "bun:test";
import { addPerson, setUpOrganisation, signedInClient } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation } from "./support/installation.ts";

// "No 500 for anything a user can type": booking, schedule, hours, services, settings and mail-queue routes fed
// impossible dates, unknown zones, absurd instants and numbers, and oversized text, as each role that may call them.
test("odd inputs never answer 500", async () => {
  const inst = makeInstallation();
  const admin = await setUpOrganisation(inst);
  const spec = await addPerson(inst, admin.personId, "specialist");
  const client = await addPerson(inst, admin.personId, "client");
  setHours(inst, spec.personId, everyDay("Europe/Moscow"));
  const svc = makeService(inst, admin.personId, [spec.personId]);
  const made = await signedInClient(inst, client).post(`/book/${svc.id}`, { start: String(at(dayAhead(3, "Europe/Moscow"), "10:00", "Europe/Moscow")), specialist: spec.personId, tz: "Europe/Moscow" });
  const appt = made.headers.get("location")!.split("/")[2]!.split("?")[0]!;
  const days = ["2026-02-30", "99999-01-01", "0000-00-00", "-000001-01-01", "2026-13-01", "275760-09-13", "abc", "%00", "2026-1-1"];
  const tzs = ["../../etc/passwd", "Mars/Olympus", "UTC", "Etc/GMT+14", "%ZZ", "a".repeat(5000)];
  const starts = ["99999999999999", "0", "-1", "1e20", "8640000000000001", "NaN", "10000000000000"];
  const bad: string[] = [];
  const seen = new Map<number, number>();
  const check = async (who: { personId: string }, method: "get" | "post", path: string, form?: Record<string, string>) => {
    const c = signedInClient(inst, who);
    const r = method === "get" ? await c.get(path) : await c.post(path, form);
    seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
    if (r.status >= 500) bad.push(`${method} ${path} ${JSON.stringify(form ?? {}).slice(0, 100)} → ${r.status}`);
  };
  for (const d of days) for (const tz of tzs.slice(0, 4)) {
    await check(client, "get", `/book/${svc.id}?specialist=any&day=${encodeURIComponent(d)}&tz=${encodeURIComponent(tz)}`);
    await check(spec, "get", `/schedule?date=${encodeURIComponent(d)}&view=week&tz=${encodeURIComponent(tz)}`);
    await check(admin, "get", `/schedule?date=${encodeURIComponent(d)}&view=day&specialist=all`);
    await check(client, "get", `/appointments/${appt}/reschedule?day=${encodeURIComponent(d)}&tz=${encodeURIComponent(tz)}`);
  }
  for (const tz of tzs) await check(client, "get", `/book/${svc.id}?tz=${encodeURIComponent(tz)}`);
  for (const s of starts) {
    await check(client, "get", `/book/${svc.id}/confirm?start=${s}&specialist=${spec.personId}&tz=UTC`);
    await check(client, "post", `/book/${svc.id}`, { start: s, specialist: spec.personId, tz: "UTC" });
    await check(client, "post", `/book/${svc.id}`, { start: s, specialist: "any", tz: "Mars/Olympus", repeat: "2", count: "26" });
    await check(client, "get", `/appointments/${appt}/reschedule/confirm?start=${s}&tz=UTC`);
    await check(client, "post", `/appointments/${appt}/reschedule`, { start: s, tz: "x" });
    await check(admin, "post", `/book/${svc.id}/client`, { start: s, specialist: spec.personId, newName: "N", newEmail: "n@example.org" });
  }
  for (const v of ["5.5", "1e5", "-3", "999999999999", "", "０", "0x10"]) {
    await check(admin, "post", "/admin/services", { nameEn: "a", nameRu: "б", durationMinutes: v, bufferBeforeMinutes: v, bufferAfterMinutes: v, mode: "online", price: v, currency: "RUB", cancelHours: v });
    await check(spec, "post", "/hours", { timeZone: "UTC", day1: `${v}-${v}`, exceptions: `2026-01-01 ${v}`, noticeHours: v, horizonDays: v });
    await check(admin, "post", "/admin/settings", { name: "x", language: "en", timeZone: "UTC", clientTwoFactor: "optional", reminderHours: v, mailDetails: "minimal", address: v });
  }
  await check(spec, "post", "/hours", { timeZone: "UTC", day1: "09:00-10:00,".repeat(2000), exceptions: "2026-01-01 off\n".repeat(5000), noticeHours: "1", horizonDays: "1" });
  await check(client, "get", "/calendar/" + "A".repeat(43) + ".ics");
  await check(client, "post", `/appointments/${appt}/cancel`, { reason: "x".repeat(100_000) });
  for (const q of ["x".repeat(100_000), "%00", "a@", "@".repeat(300), "ΑΒ"]) for (const who of [admin, spec]) await check(who, "post", "/book/clients/search", { clientEmail: q });
  await check(admin, "post", "/admin/mail/99999999999999999999/retry");
  await check(admin, "post", "/admin/mail/abc/retry");
  expect(bad).toEqual([]);
  // The requests really reached the handlers: pages rendered, and bad input was answered as such.
  expect(seen.get(200) ?? 0).toBeGreaterThan(50);
  expect([...seen.keys()].some((s) => s === 400 || s === 409 || s === 422)).toBe(true);
  inst.close();
}, 120_000);

test("an organisation name over 120 characters is refused as too long in the settings (a mistyped message key showed “not valid”)", async () => {
  const inst = makeInstallation();
  const admin = await setUpOrganisation(inst);
  const form = { name: "N".repeat(121), language: "en", timeZone: "UTC", clientTwoFactor: "optional", reminderHours: "24", mailDetails: "minimal" };
  const refused = await signedInClient(inst, admin).post("/admin/settings", form);
  expect(refused.status).toBe(422);
  const html = await refused.text();
  expect(html).toContain("This is too long.");
  expect(html).not.toContain("This value is not valid.");
  inst.close();
});
