// The appointments export for accounting through the real app: the CSV read back with csv-parse matches the
// appointments (days and times on the organisation's clock, service, specialist, client, status, price), a client
// named like a formula arrives neutralised, a specialist filter and a bad range behave, and the export is audited.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parse } from "csv-parse/sync";
import { type Appointment, book, cancelAppointment } from "../src/booking/appointments.ts";
import type { Queryable } from "../src/db/client.ts";
import { applyUpdate, holdForPayment, openCheckout, type Payment } from "../src/payments/payments.ts";
import type { PaymentProvider } from "../src/payments/provider.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let sergei: TestPerson;
let vera: TestPerson;
let mallory: TestPerson;
let olga: TestPerson;
const ids: Record<string, string> = {};
const FORMULA_NAME = '=HYPERLINK("http://evil.example","x")';
const day = dayAhead(3, "Europe/Moscow");

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst); // the organisation's zone: Europe/Moscow
  sergei = await addPerson(inst, admin.personId, "specialist", { name: "Sergei Specialist" });
  vera = await addPerson(inst, admin.personId, "specialist", { name: "Vera Second" });
  mallory = await addPerson(inst, admin.personId, "client", { name: FORMULA_NAME });
  olga = await addPerson(inst, admin.personId, "client", { name: "Olga Petrova" });
  const service = makeService(inst, admin.personId, [sergei.personId, vera.personId], { cancelHours: 0, nameEn: "Consultation" });
  for (const s of [sergei, vera]) setHours(inst, s.personId, everyDay("UTC"));
  // Vera's appointment was paid online when booked (a provider standing in for Stripe: only its checkout is used).
  const paymentsOn = { ...inst.config, payments: { provider: "stripe" as const, secretKey: "sk_test", webhookSecret: "whsec_test", holdMinutes: 30, apiUrl: null } };
  let held: Payment | null = null;
  const bookAt = (who: TestPerson, client: TestPerson, time: string, paid = false) => {
    const alsoInTransaction = paid ? (tx: Queryable, b: readonly Appointment[]) => void (held = holdForPayment(tx, { vault: inst.vault, config: paymentsOn }, service, b, inst.clock.now())) : undefined;
    const r = book(inst, { serviceId: service.id, specialistId: who.personId, start: at(day, time), clientId: client.personId, actor: { personId: admin.personId, role: "admin" }, alsoInTransaction }, inst.clock.now());
    if (!r.ok) throw new Error(`booking failed: ${r.reason}`);
    return r.appointments[0]!.id;
  };
  ids.mallory = bookAt(sergei, mallory, "09:00"); // 12:00 in Moscow
  ids.olga = bookAt(sergei, olga, "11:00");
  ids.vera = bookAt(vera, olga, "13:00", true);
  const stripe = { name: "stripe", openCheckout: async () => ({ ref: "cs_test_export", url: "https://checkout.stripe.com/c/pay/cs_test_export" }) } as unknown as PaymentProvider;
  await openCheckout({ ...inst, config: paymentsOn }, stripe, (held as Payment | null)!.id, "Consultation");
  applyUpdate(inst, "stripe", { eventId: "evt_export", ref: "cs_test_export", status: "paid" });
  expect(cancelAppointment(inst, ids.olga, { personId: sergei.personId, role: "specialist" }, "Ill", inst.clock.now()).ok).toBe(true);
}, 60_000);
afterAll(() => inst.close());

/** An id as the export writes it: one starting with `-` (1 in 64, random) gets the formula-protection apostrophe. */
const idCell = (id: string): string => (/^[=+\-@]/.test(id) ? `'${id}` : id);

const csvPath = (q: Record<string, string>) => `/admin/exports/appointments.csv?${new URLSearchParams(q)}`;

async function download(q: Record<string, string>, delimiter = ","): Promise<string[][]> {
  const r = await signedInClient(inst, admin).get(csvPath(q));
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  expect(r.headers.get("content-disposition")).toBe(`attachment; filename="appointments-${q.from}-${q.to}.csv"`);
  const bytes = new Uint8Array(await r.arrayBuffer());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // a byte-order mark, for Excel
  return parse(Buffer.from(bytes), { bom: true, delimiter }) as string[][];
}

describe("the appointments export", () => {
  test("has one row per appointment of the period, on the organisation's clock, read back as written", async () => {
    const [header, ...rows] = await download({ from: day.toString(), to: day.toString() });
    expect(header).toEqual(["Date", "Start", "End", "Time zone", "Service", "Specialist", "Client", "Client email", "Status", "Price", "Currency", "Online payment", "Paid online", "Appointment id"]);
    expect(rows).toEqual([
      [day.toString(), "12:00", "12:50", "Europe/Moscow", "Consultation", "Sergei Specialist", `'${FORMULA_NAME}`, mallory.email, "Booked", "3500.00", "RUB", "", "", idCell(ids.mallory!)],
      [day.toString(), "14:00", "14:50", "Europe/Moscow", "Consultation", "Sergei Specialist", "Olga Petrova", olga.email, "Cancelled", "3500.00", "RUB", "", "", idCell(ids.olga!)],
      [day.toString(), "16:00", "16:50", "Europe/Moscow", "Consultation", "Vera Second", "Olga Petrova", olga.email, "Booked", "3500.00", "RUB", "Paid", "3500.00", idCell(ids.vera!)],
    ]);
  });

  test("for Excel in a Russian locale: semicolon-separated with comma decimals, the same rows, formula protection kept", async () => {
    const q = { from: day.toString(), to: day.toString(), separator: "semicolon" };
    const r = await signedInClient(inst, admin).get(csvPath(q));
    const text = new TextDecoder().decode(await r.arrayBuffer()); // drops the BOM
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("Date;Start;End;Time zone;Service;Specialist;Client;Client email;Status;Price;Currency;Online payment;Paid online;Appointment id");
    // A decimal comma is quoted (it holds a comma) and Excel still reads it as a number; the formula name stays text.
    expect(lines[1]).toBe(`${day};12:00;12:50;Europe/Moscow;Consultation;Sergei Specialist;"'=HYPERLINK(""http://evil.example"",""x"")";${mallory.email};Booked;"3500,00";RUB;;;${idCell(ids.mallory!)}`);
    const [, ...rows] = await download(q, ";");
    expect(rows.map((row) => [row[9], row[12]])).toEqual([["3500,00", ""], ["3500,00", ""], ["3500,00", "3500,00"]]);
    // The form offers the choice, comma first and chosen; an unknown choice is a form error, not a file.
    const form = await (await signedInClient(inst, admin).get("/admin/exports")).text();
    expect(form).toMatch(/<input type="radio" name="separator" value="comma" checked/);
    expect(form).toContain("Excel with comma decimals (3500,00), semicolon-separated");
    const bad = await signedInClient(inst, admin).get(csvPath({ ...q, separator: "tab" }));
    expect(bad.status).toBe(422);
  });

  test("one specialist's appointments only, when one is chosen; none outside the period", async () => {
    const [, ...rows] = await download({ from: day.toString(), to: day.toString(), specialist: vera.personId });
    expect(rows.map((r) => r[13])).toEqual([idCell(ids.vera!)]);
    const [, ...before] = await download({ from: day.subtract({ days: 30 }).toString(), to: day.subtract({ days: 1 }).toString() });
    expect(before).toEqual([]);
  });

  test("is audited as an export with its range and number of rows, no names", async () => {
    await download({ from: day.toString(), to: day.add({ days: 1 }).toString() });
    const e = inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = 'appointments.export' ORDER BY id DESC LIMIT 1").get() as { actor: string; target: string | null; details: string };
    expect(e.actor).toBe(admin.personId);
    expect(e.target).toBeNull();
    expect(JSON.parse(e.details)).toEqual({ from: day.toString(), to: day.add({ days: 1 }).toString(), rows: 3 });
  });

  test("a bad or too long period, or someone who is not a specialist, is a form error; only admins export", async () => {
    const c = signedInClient(inst, admin);
    const periods: Record<string, string>[] = [{ from: "2025-02-30", to: "2025-03-01" }, { from: "2025-03-02", to: "2025-03-01" }, { from: "2024-01-01", to: "2025-03-01" }, { from: "2025-03-01", to: "2025-03-01", specialist: olga.personId }];
    for (const q of periods) {
      const r = await c.get(csvPath(q));
      expect(r.status).toBe(422);
      expect(r.headers.get("content-type")).toStartWith("text/html");
    }
    const page = await (await c.get("/admin/exports")).text();
    expect(page).toContain("Sergei Specialist");
    expect(page).not.toContain("Olga Petrova");
    for (const who of ["staff", "specialist", "client"] as const) {
      const p = who === "specialist" ? sergei : await addPerson(inst, admin.personId, who);
      expect((await signedInClient(inst, p).get(csvPath({ from: day.toString(), to: day.toString() }))).status).toBe(403);
    }
  });
});
