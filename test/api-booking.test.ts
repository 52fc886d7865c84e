// The booking part of the REST API through the real app: free times, booking, moving, cancelling and no-shows by
// bearer token, what each role's token sees, pagination, ETags, idempotent retries, the problems each refusal
// gives, and the audit of every read. Time is the installation's clock, pinned per test.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { reportClientReads } from "../src/accountability/reads.ts";
import { createToken } from "../src/api/tokens.ts";
import { scopesFor } from "../src/api/scopes.ts";
import { book, listAppointments } from "../src/booking/appointments.ts";
import type { Service } from "../src/booking/services.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const MOSCOW = "Europe/Moscow";
/** Monday 1 March 2027, 09:00 in Moscow. */
const BASE = Date.parse("2027-03-01T06:00:00Z");
const FIRST_DAY = Temporal.PlainDate.from("2027-03-01");
const day = (n: number) => FIRST_DAY.add({ days: n });
const iso = (ms: number) => new Date(ms).toISOString();

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson; // works in Moscow
let spec2: TestPerson; // works in UTC
let staff: TestPerson;
let client: TestPerson;
let client2: TestPerson;
let service: Service;
const tokens: Record<"admin" | "staff" | "spec" | "spec2" | "readOnly", string> = { admin: "", staff: "", spec: "", spec2: "", readOnly: "" };

beforeAll(async () => {
  inst = makeInstallation();
  inst.clock.set(BASE);
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Sofia Specialist" });
  spec2 = await addPerson(inst, admin.personId, "specialist", { name: "Pavel Second" });
  staff = await addPerson(inst, admin.personId, "staff");
  client = await addPerson(inst, admin.personId, "client", { name: "Clara Client" });
  client2 = await addPerson(inst, admin.personId, "client", { name: "Kirill Other" });
  service = makeService(inst, admin.personId, [spec.personId, spec2.personId], { durationMinutes: 50, bufferAfterMinutes: 10 });
  setHours(inst, spec.personId, everyDay(MOSCOW, "09:00", "18:00"));
  setHours(inst, spec2.personId, everyDay("UTC", "09:00", "18:00"));
  const make = (who: TestPerson, name: string, scopes: readonly string[]) => {
    const made = createToken(inst, { personId: who.personId, name, scopes, expiresAt: BASE + 90 * 86_400_000 }, who.personId);
    if (!made.ok) throw new Error(made.reason);
    return made.secret;
  };
  tokens.admin = make(admin, "CRM", scopesFor("admin"));
  tokens.staff = make(staff, "Front desk", scopesFor("staff"));
  tokens.spec = make(spec, "My calendar", scopesFor("specialist"));
  tokens.spec2 = make(spec2, "Pavel's calendar", scopesFor("specialist"));
  tokens.readOnly = make(admin, "Reports", ["appointments:read"]);
});
beforeEach(() => inst.clock.set(BASE));
afterAll(() => inst.close());

async function call(token: string, method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  return await inst.app.request(`${inst.config.publicUrl.origin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(o.body === undefined ? {} : { "content-type": "application/json" }), ...o.headers },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
}
const q = (params: Record<string, string | number | undefined>) =>
  `?${new URLSearchParams(Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]) => [k, String(v)]))}`;

interface AppointmentJson {
  id: string;
  start: string;
  end: string;
  status: string;
  timeZone: string;
  specialistId: string;
  clientId: string;
  revision: number;
  joinPath: string | null;
  createdAt: string;
}

async function bookVia(token: string, o: { start: number; specialistId?: string; clientId?: string; headers?: Record<string, string> }): Promise<Response> {
  return await call(token, "POST", "/appointments", {
    body: { serviceId: service.id, specialistId: o.specialistId ?? spec.personId, start: iso(o.start), clientId: o.clientId ?? client.personId },
    headers: o.headers,
  });
}
async function booked(token: string, o: Parameters<typeof bookVia>[1]): Promise<AppointmentJson> {
  const r = await bookVia(token, o);
  expect(r.status).toBe(201);
  return (await r.json()) as AppointmentJson;
}
const auditOf = (action: string) =>
  inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[];

describe("free times and hours", () => {
  test("GET /slots lists a specialist's free times as UTC instants with their zone, and a booked time disappears from it", async () => {
    const from = at(day(3), "00:00", MOSCOW);
    const path = `/slots${q({ serviceId: service.id, specialistId: spec.personId, from: iso(from), to: iso(from + 86_400_000) })}`;
    const r = await call(tokens.admin, "GET", path);
    expect(r.status).toBe(200);
    const { items } = (await r.json()) as { items: { start: string; end: string; specialistId: string; timeZone: string }[] };
    // 09:00–18:00 in Moscow: 50 minutes and 10 after, starting every half hour, the first at 09:00 Moscow (06:00 UTC).
    expect(items.length).toBe(17);
    expect(items[0]).toEqual({ start: iso(at(day(3), "09:00", MOSCOW)), end: iso(at(day(3), "09:50", MOSCOW)), specialistId: spec.personId, timeZone: MOSCOW });
    expect(items.at(-1)!.start).toBe(iso(at(day(3), "17:00", MOSCOW)));
    await booked(tokens.admin, { start: at(day(3), "10:00", MOSCOW) });
    const after = (await (await call(tokens.admin, "GET", path)).json()) as { items: { start: string }[] };
    // 10:00 itself, and 09:30 and 10:30 whose sessions and buffers would overlap it, are gone.
    expect(items.map((s) => s.start).filter((s) => !after.items.some((a) => a.start === s))).toEqual(["09:30", "10:00", "10:30"].map((t) => iso(at(day(3), t, MOSCOW))));
  });

  test("GET /slots without a specialist lists every specialist's times, by start; a specialist who does not offer it is a 422", async () => {
    const from = at(day(4), "00:00", "UTC");
    const r = await call(tokens.staff, "GET", `/slots${q({ serviceId: service.id, from: iso(from), to: iso(from + 86_400_000) })}`);
    const { items } = (await r.json()) as { items: { start: string; specialistId: string }[] };
    expect(new Set(items.map((s) => s.specialistId))).toEqual(new Set([spec.personId, spec2.personId]));
    expect(items.map((s) => s.start)).toEqual([...items.map((s) => s.start)].sort());
    const wrong = await call(tokens.staff, "GET", `/slots${q({ serviceId: service.id, specialistId: staff.personId, from: iso(from), to: iso(from + 86_400_000) })}`);
    expect(wrong.status).toBe(422);
    expect(wrong.headers.get("content-type")).toBe("application/problem+json");
  });

  test("a bad window or a missing service is a 400 naming each field; an unknown service a 404", async () => {
    const from = at(day(1), "00:00", "UTC");
    const missing = await call(tokens.admin, "GET", `/slots${q({ from: iso(from), to: iso(from + 86_400_000) })}`);
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path)).toContain("serviceId");
    const backwards = (await (await call(tokens.admin, "GET", `/slots${q({ serviceId: service.id, from: iso(from), to: iso(from - 1) })}`)).json()) as { status: number; errors: { path: string }[] };
    expect(backwards.status).toBe(400);
    expect(backwards.errors.map((e) => e.path)).toEqual(["to"]);
    const tooLong = await call(tokens.admin, "GET", `/slots${q({ serviceId: service.id, from: iso(from), to: iso(from + 32 * 86_400_000) })}`);
    expect(tooLong.status).toBe(400);
    const notInstant = (await (await call(tokens.admin, "GET", `/slots${q({ serviceId: service.id, from: "tomorrow", to: iso(from) })}`)).json()) as { errors: { path: string }[] };
    expect(notInstant.errors.map((e) => e.path)).toContain("from");
    const unknown = await call(tokens.admin, "GET", `/slots${q({ serviceId: "nope", from: iso(from), to: iso(from + 86_400_000) })}`);
    expect(unknown.status).toBe(404);
  });

  test("GET /specialists/{id}/availability gives the hours in the specialist's zone; anyone else is a 404", async () => {
    const r = await call(tokens.spec2, "GET", `/specialists/${spec.personId}/availability`);
    expect(r.status).toBe(200);
    const av = (await r.json()) as { timeZone: string; hoursSet: boolean; weekly: Record<string, { start: string; end: string }[]> };
    expect(av.timeZone).toBe(MOSCOW);
    expect(av.hoursSet).toBe(true);
    expect(av.weekly["1"]).toEqual([{ start: "09:00", end: "18:00" }]);
    expect((await call(tokens.admin, "GET", `/specialists/${client.personId}/availability`)).status).toBe(404);
  });
});

describe("an empty list of free times says why", () => {
  test("a specialist who has not saved working hours: the note names them and points to their availability (hoursSet: false)", async () => {
    const newcomer = await addPerson(inst, admin.personId, "specialist", { name: "Nina Newcomer" });
    const theirs = makeService(inst, admin.personId, [newcomer.personId, spec.personId], { durationMinutes: 50 });
    const from = at(day(5), "00:00", "UTC");
    const window = { from: iso(from), to: iso(from + 86_400_000) };
    const r = await call(tokens.admin, "GET", `/slots${q({ serviceId: theirs.id, specialistId: newcomer.personId, ...window })}`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { items: unknown[]; next: null; note?: string };
    expect(body.items).toEqual([]);
    expect(body.next).toBeNull();
    expect(body.note).toContain(`specialist ${newcomer.personId} has not saved working hours`);
    expect(body.note).toContain("hoursSet: false");
    const av = (await (await call(tokens.admin, "GET", `/specialists/${newcomer.personId}/availability`)).json()) as { hoursSet: boolean };
    expect(av.hoursSet).toBe(false);
    // Both specialists asked for: the other's times are listed, and a list with times carries no note.
    const both = (await (await call(tokens.admin, "GET", `/slots${q({ serviceId: theirs.id, ...window })}`)).json()) as { items: { specialistId: string }[]; next: null; note?: string };
    expect(both.items.length).toBeGreaterThan(0);
    expect(new Set(both.items.map((s) => s.specialistId))).toEqual(new Set([spec.personId]));
    expect(both.next).toBeNull();
    expect(both.note).toBeUndefined();
  });

  test("hours saved but no free time in the window (beyond the booking horizon): the note says so", async () => {
    const from = at(day(800), "00:00", "UTC");
    const r = await call(tokens.admin, "GET", `/slots${q({ serviceId: service.id, specialistId: spec.personId, from: iso(from), to: iso(from + 7 * 86_400_000) })}`);
    const body = (await r.json()) as { items: unknown[]; next: null; note?: string };
    expect(body).toEqual({ items: [], next: null, note: expect.stringContaining("No free times of service") });
    expect(body.note).toContain("booking horizon");
  });
});

describe("booking and changing", () => {
  test("POST /appointments books a free time: 201, Location, ISO times with the zone, no names; GET Location gives it back", async () => {
    const start = at(day(5), "11:00", MOSCOW);
    const r = await bookVia(tokens.admin, { start });
    expect(r.status).toBe(201);
    const text = await r.text();
    const a = JSON.parse(text) as AppointmentJson;
    expect(r.headers.get("location")).toBe(`/api/v1/appointments/${a.id}`);
    expect(a).toMatchObject({ start: iso(start), end: iso(start + 50 * 60_000), timeZone: MOSCOW, status: "booked", specialistId: spec.personId, clientId: client.personId, revision: 0, joinPath: `/appointments/${a.id}`, createdAt: iso(BASE) });
    for (const secret of [client.name, client.email, spec.name, spec.email]) expect(text).not.toContain(secret);
    const again = await call(tokens.admin, "GET", r.headers.get("location")!.replace("/api/v1", ""));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(a);
    // The service audited the booking under the token's owner.
    expect(auditOf("appointment.create").some((e) => e.target === a.id && e.actor === admin.personId)).toBe(true);
  });

  test("a taken time is a 409 that points to /slots, and nothing is booked twice", async () => {
    const start = at(day(6), "12:00", MOSCOW);
    await booked(tokens.admin, { start });
    const second = await bookVia(tokens.staff, { start, clientId: client2.personId });
    expect(second.status).toBe(409);
    const p = (await second.json()) as { detail: string; status: number; title: string };
    expect(p).toMatchObject({ status: 409, title: "Conflict" });
    expect(p.detail).toContain("/slots");
    expect(listAppointments(inst.db, { specialistIds: [spec.personId], from: start, to: start + 1 }).length).toBe(1);
  });

  test("a malformed booking is a 400 listing every bad field; a client the token may not book for is a 422", async () => {
    const r = await call(tokens.admin, "POST", "/appointments", { body: { serviceId: service.id, specialistId: spec.personId, start: "next Monday" } });
    expect(r.status).toBe(400);
    const paths = ((await r.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["start", "clientId"]));
    const notJson = await call(tokens.admin, "POST", "/appointments", { body: "[1,2" as unknown });
    expect(notJson.status).toBe(400);
    const notAClient = await bookVia(tokens.admin, { start: at(day(7), "09:00", MOSCOW), clientId: staff.personId });
    expect(notAClient.status).toBe(422);
    expect(((await notAClient.json()) as { detail: string }).detail).toContain("clientId");
  });

  test("an Idempotency-Key retry gets the first answer again, and books once", async () => {
    const start = at(day(8), "13:00", MOSCOW);
    const headers = { "idempotency-key": "retry-8f2c1d" };
    const first = await bookVia(tokens.staff, { start, headers });
    const second = await bookVia(tokens.staff, { start, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await second.json()).toEqual(await first.json());
    expect(listAppointments(inst.db, { specialistIds: [spec.personId], from: start, to: start + 1 }).filter((a) => a.status === "booked").length).toBe(1);
    // The same key for another request is refused rather than answered with the first booking.
    const other = await bookVia(tokens.staff, { start: start + 3600_000, headers });
    expect(other.status).toBe(422);
  });

  test("POST /appointments/{id}/move moves it to a free time (revision grows, the old time is free again); to a taken time is a 409", async () => {
    const a = await booked(tokens.admin, { start: at(day(9), "09:00", MOSCOW) });
    const taken = await booked(tokens.admin, { start: at(day(9), "15:00", MOSCOW), clientId: client2.personId });
    const to = at(day(9), "14:00", MOSCOW);
    const r = await call(tokens.staff, "POST", `/appointments/${a.id}/move`, { body: { start: iso(to) } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ id: a.id, start: iso(to), end: iso(to + 50 * 60_000), revision: 1, status: "booked" });
    const from = at(day(9), "00:00", MOSCOW);
    const free = (await (await call(tokens.admin, "GET", `/slots${q({ serviceId: service.id, specialistId: spec.personId, from: iso(from), to: iso(from + 86_400_000) })}`)).json()) as { items: { start: string }[] };
    expect(free.items.map((s) => s.start)).toContain(iso(at(day(9), "09:00", MOSCOW)));
    const clash = await call(tokens.staff, "POST", `/appointments/${a.id}/move`, { body: { start: taken.start } });
    expect(clash.status).toBe(409);
    const bad = await call(tokens.staff, "POST", `/appointments/${a.id}/move`, { body: { start: "soon" } });
    expect(bad.status).toBe(400);
  });

  test("POST /appointments/{id}/cancel needs a reason, cancels once, and frees the time; a second cancel is a 409", async () => {
    const start = at(day(10), "10:00", MOSCOW);
    const a = await booked(tokens.admin, { start });
    const noReason = await call(tokens.admin, "POST", `/appointments/${a.id}/cancel`, { body: { reason: "  " } });
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe("reason");
    const r = await call(tokens.admin, "POST", `/appointments/${a.id}/cancel`, { body: { reason: "The specialist is ill." } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ id: a.id, status: "cancelled", revision: 1 });
    const again = await call(tokens.admin, "POST", `/appointments/${a.id}/cancel`, { body: { reason: "Again" } });
    expect(again.status).toBe(409);
    // The time is free again: another client takes it.
    expect((await bookVia(tokens.admin, { start, clientId: client2.personId })).status).toBe(201);
  });

  test("POST /appointments/{id}/no-show is refused before the start (409) and recorded after it", async () => {
    // A token of its own: the clock moves forward here, and the rate limiter's buckets follow the clock.
    const made = createToken(inst, { personId: spec.personId, name: "no-show", scopes: ["appointments:write"], expiresAt: BASE + 90 * 86_400_000 }, spec.personId);
    if (!made.ok) throw new Error(made.reason);
    const token = made.secret;
    const start = at(day(11), "09:00", MOSCOW);
    const a = await booked(token, { start, clientId: (await booked(tokens.admin, { start: at(day(11), "12:00", MOSCOW) })).clientId });
    const early = await call(token, "POST", `/appointments/${a.id}/no-show`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { detail: string }).detail).toContain("not started");
    inst.clock.set(start + 10 * 60_000);
    const r = await call(token, "POST", `/appointments/${a.id}/no-show`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ id: a.id, status: "no-show" });
    expect((await call(token, "POST", `/appointments/${a.id}/move`, { body: { start: iso(start + 86_400_000) } })).status).toBe(409);
  });

  test("a token with appointments:read only cannot book (403 naming the scope)", async () => {
    const r = await bookVia(tokens.readOnly, { start: at(day(12), "09:00", MOSCOW) });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { detail: string }).detail).toContain("appointments:write");
  });
});

describe("who sees what", () => {
  test("a specialist's token sees and changes only their own appointments; staff and admins see everyone's", async () => {
    const mine = await booked(tokens.admin, { start: at(day(13), "10:00", MOSCOW) });
    const theirs = await booked(tokens.admin, { start: at(day(13), "10:00", "UTC"), specialistId: spec2.personId });
    expect((await call(tokens.spec, "GET", `/appointments/${mine.id}`)).status).toBe(200);
    const hidden = await call(tokens.spec, "GET", `/appointments/${theirs.id}`);
    expect(hidden.status).toBe(404);
    expect(hidden.headers.get("content-type")).toBe("application/problem+json");
    expect((await call(tokens.spec, "POST", `/appointments/${theirs.id}/cancel`, { body: { reason: "not mine" } })).status).toBe(404);
    const window = q({ from: iso(at(day(13), "00:00", "UTC")), to: iso(at(day(14), "00:00", "UTC")) });
    const ids = async (token: string, extra = "") => ((await (await call(token, "GET", `/appointments${window}${extra}`)).json()) as { items: AppointmentJson[] }).items.map((a) => a.id);
    expect(await ids(tokens.spec)).toEqual([mine.id]);
    expect(await ids(tokens.spec, `&specialistId=${spec2.personId}`)).toEqual([]);
    expect(await ids(tokens.spec2)).toEqual([theirs.id]);
    expect(new Set(await ids(tokens.staff))).toEqual(new Set([mine.id, theirs.id]));
    expect(await ids(tokens.admin, `&specialistId=${spec2.personId}`)).toEqual([theirs.id]);
  });

  test("a specialist's token books for their own clients only (422 for someone new to them), as on the web", async () => {
    const stranger = await addPerson(inst, admin.personId, "client");
    const refused = await bookVia(tokens.spec2, { start: at(day(15), "09:00", "UTC"), specialistId: spec2.personId, clientId: stranger.personId });
    expect(refused.status).toBe(422);
    await booked(tokens.admin, { start: at(day(15), "11:00", "UTC"), specialistId: spec2.personId, clientId: stranger.personId });
    expect((await bookVia(tokens.spec2, { start: at(day(15), "09:00", "UTC"), specialistId: spec2.personId, clientId: stranger.personId })).status).toBe(201);
  });

  test("the list filters by client and status, and a window is required and bounded", async () => {
    const a = await booked(tokens.admin, { start: at(day(16), "09:00", MOSCOW), clientId: client2.personId });
    const b = await booked(tokens.admin, { start: at(day(16), "11:00", MOSCOW) });
    await call(tokens.admin, "POST", `/appointments/${b.id}/cancel`, { body: { reason: "Moved away" } });
    const window = { from: iso(at(day(16), "00:00", MOSCOW)), to: iso(at(day(17), "00:00", MOSCOW)) };
    const list = async (extra: Record<string, string>) => ((await (await call(tokens.staff, "GET", `/appointments${q({ ...window, ...extra })}`)).json()) as { items: AppointmentJson[] }).items.map((x) => x.id);
    expect(await list({ clientId: client2.personId })).toEqual([a.id]);
    expect(await list({ status: "cancelled" })).toEqual([b.id]);
    expect(await list({ status: "booked" })).toEqual([a.id]);
    const noWindow = await call(tokens.staff, "GET", "/appointments");
    expect(noWindow.status).toBe(400);
    expect(((await noWindow.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual(["from", "to"]);
    expect((await call(tokens.staff, "GET", `/appointments${q({ from: window.from, to: iso(Date.parse(window.from) + 93 * 86_400_000) })}`)).status).toBe(400);
    expect((await call(tokens.staff, "GET", `/appointments${q({ ...window, status: "lost" })}`)).status).toBe(400);
  });
});

describe("pages, ETags and the audit", () => {
  test("pages by cursor cover the window once, in (start, id) order, with no repeats or skips; a forged cursor is a 400", async () => {
    const first = at(day(20), "09:00", "UTC");
    const made = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const r = book(inst, { serviceId: service.id, specialistId: spec2.personId, start: first + i * 3600_000, clientId: i % 2 ? client.personId : client2.personId, actor: { personId: admin.personId, role: "admin" } });
      if (!r.ok) throw new Error(r.reason);
      made.add(r.appointments[0]!.id);
    }
    const window = { from: iso(at(day(20), "00:00", "UTC")), to: iso(at(day(21), "00:00", "UTC")), specialistId: spec2.personId, limit: 3 };
    const seen: AppointmentJson[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const r = await call(tokens.admin, "GET", `/appointments${q({ ...window, cursor })}`);
      expect(r.status).toBe(200);
      const page = (await r.json()) as { items: AppointmentJson[]; next: string | null };
      sizes.push(page.items.length);
      seen.push(...page.items);
      cursor = page.next ?? undefined;
      // Booked meanwhile, before the cursor: never shows up in a later page, nor pushes one out.
      if (sizes.length === 1) book(inst, { serviceId: service.id, specialistId: spec2.personId, start: first - 3600_000, clientId: client.personId, actor: { personId: admin.personId, role: "admin" } });
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen.map((a) => a.id)).toEqual([...made]);
    expect(new Set(seen.map((a) => a.id)).size).toBe(7);
    expect(seen.map((a) => a.start)).toEqual([...seen.map((a) => a.start)].sort());
    expect((await call(tokens.admin, "GET", `/appointments${q({ ...window, cursor: "bm90IGEgY3Vyc29y" })}`)).status).toBe(400);
  });

  test("reads carry an ETag: If-None-Match gives 304 until the appointment changes", async () => {
    const a = await booked(tokens.admin, { start: at(day(22), "10:00", MOSCOW) });
    const r = await call(tokens.staff, "GET", `/appointments/${a.id}`);
    const etag = r.headers.get("etag");
    expect(etag).toBeTruthy();
    const same = await call(tokens.staff, "GET", `/appointments/${a.id}`, { headers: { "if-none-match": etag! } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe("");
    // A poller living on 304s still learns where it stands with its rate limit.
    expect(same.headers.get("ratelimit-limit")).toBe("600");
    expect(Number(same.headers.get("ratelimit-remaining"))).toBeLessThan(600);
    await call(tokens.staff, "POST", `/appointments/${a.id}/move`, { body: { start: iso(at(day(22), "12:00", MOSCOW)) } });
    const changed = await call(tokens.staff, "GET", `/appointments/${a.id}`, { headers: { "if-none-match": etag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    const window = q({ from: iso(at(day(22), "00:00", MOSCOW)), to: iso(at(day(23), "00:00", MOSCOW)) });
    const list = await call(tokens.staff, "GET", `/appointments${window}`);
    expect((await call(tokens.staff, "GET", `/appointments${window}`, { headers: { "if-none-match": list.headers.get("etag")! } })).status).toBe(304);
  });

  test("every read is audited under the token's owner with the token's name: one appointment, one client's list, a calendar", async () => {
    const a = await booked(tokens.admin, { start: at(day(24), "10:00", MOSCOW) });
    await call(tokens.spec, "GET", `/appointments/${a.id}`);
    expect(auditOf("appointment.view").filter((e) => e.target === a.id).map((e) => ({ actor: e.actor, details: JSON.parse(e.details) }))).toEqual([
      { actor: spec.personId, details: { token: "My calendar", via: "api" } },
    ]);
    const window = { from: iso(at(day(24), "00:00", MOSCOW)), to: iso(at(day(25), "00:00", MOSCOW)) };
    const before = auditOf("client-appointments.view").length;
    await call(tokens.staff, "GET", `/appointments${q({ ...window, clientId: client.personId })}`);
    const listed = auditOf("client-appointments.view").slice(before);
    expect(listed.map((e) => ({ actor: e.actor, target: e.target, details: JSON.parse(e.details) }))).toEqual([{ actor: staff.personId, target: client.personId, details: { token: "Front desk", count: 1 } }]);
    const calendars = auditOf("appointments.list").length;
    await call(tokens.admin, "GET", `/appointments${q(window)}`);
    expect(JSON.parse(auditOf("appointments.list").slice(calendars)[0]!.details)).toEqual({ token: "CRM", count: 1, specialist: null });
    // The who-read report names the client's list read.
    const report = reportClientReads(inst, { clientId: client.personId, from: BASE - 86_400_000, to: BASE + 400 * 86_400_000, viewerId: admin.personId, format: "page", now: BASE });
    expect(report!.entries.filter((e) => e.actorId === staff.personId).map((e) => e.action)).toContain("client-appointments.view");
    expect(report!.entries.filter((e) => e.actorId === spec.personId).map((e) => e.action)).toContain("appointment.view");
  });

  test("a client's list that shows nothing reads nothing of the client: an empty list that does not name them", async () => {
    await booked(tokens.admin, { start: at(day(26), "10:00", MOSCOW), clientId: client2.personId });
    const window = { from: iso(at(day(26), "00:00", MOSCOW)), to: iso(at(day(27), "00:00", MOSCOW)) };
    const views = auditOf("client-appointments.view").length;
    const lists = auditOf("appointments.list").length;
    // spec2 sees none of spec's appointments: asking by client2's id shows nothing.
    const none = await call(tokens.spec2, "GET", `/appointments${q({ ...window, clientId: client2.personId })}`);
    expect(((await none.json()) as { items: unknown[] }).items).toEqual([]);
    expect(auditOf("client-appointments.view").length).toBe(views);
    const empty = auditOf("appointments.list").slice(lists);
    expect(empty.map((e) => ({ actor: e.actor, target: e.target, details: JSON.parse(e.details) }))).toEqual([
      { actor: spec2.personId, target: null, details: { token: "Pavel's calendar", count: 0, specialist: null, byClient: true } },
    ]);
    expect(empty[0]!.details).not.toContain(client2.personId);
    // Whoever is shown the client's appointments read them.
    await call(tokens.staff, "GET", `/appointments${q({ ...window, clientId: client2.personId })}`);
    expect(auditOf("client-appointments.view").slice(views).map((e) => e.target)).toEqual([client2.personId]);
  });
});
