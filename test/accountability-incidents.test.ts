// The incident register through the real app: an incident recorded with its affected clients (found by email), the
// 152-FZ 24-hour and the 72-hour deadlines shown as the clock moves, notifications recorded (late and in time),
// bad input named at its field, corrections that keep an erased client counted, closing, and every change audited.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eraseClient } from "../src/privacy/erasure.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const H = 3_600_000;
// The organisation's clock is Moscow's (UTC+3): 12:00 there is 09:00 UTC.
const FOUND = Date.parse("2026-03-02T09:00:00Z");

let inst: TestInstallation;
let admin: TestPerson;
let olga: TestPerson;
let ivan: TestPerson;

const as = (p: TestPerson) => signedInClient(inst, p);
const auditOf = (action: string, target?: string) =>
  (inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[]).filter((e) => target === undefined || e.target === target);
const LAPTOP = {
  title: "Laptop stolen",
  description: "A specialist's laptop with exported notes was stolen from a car.",
  discovered: "2026-03-02T12:00",
  occurred: "2026-03-01T20:00",
  others: "about 40 newsletter readers",
  count: "42",
};

/** Records the stolen laptop an hour after its discovery, affecting these clients; returns the incident's page. */
async function recordLaptop(affected: TestPerson[]): Promise<string> {
  inst.clock.set(FOUND + H);
  const emails = affected.map((p, n) => (n === 0 ? p.email.toUpperCase() : p.email)).join("\n\n");
  const r = await as(admin).post("/admin/accountability/incidents", { ...LAPTOP, emails: `${emails}\n${affected[0]?.email ?? ""}` });
  expect(r.status).toBe(303);
  return r.headers.get("location")!.split("?")[0]!;
}
const idOf = (path: string) => path.split("/").pop()!;
const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
const deadline = (html: string, kind: string) => text(/<li data-kind="([^"]+)">([\s\S]*?)<\/li>/g[Symbol.matchAll](html).find((m) => m[1] === kind)?.[2] ?? "");
const stateOf = (html: string, kind: string) => /data-deadline="(\w+)"/.exec(/<li data-kind="([^"]+)">([\s\S]*?)<\/li>/g[Symbol.matchAll](html).find((m) => m[1] === kind)?.[2] ?? "")?.[1];

beforeAll(async () => {
  inst = makeInstallation();
  inst.clock.set(FOUND + H); // found an hour ago
  admin = await setUpOrganisation(inst);
  olga = await addPerson(inst, admin.personId, "client", { name: "Olga Breach" });
  ivan = await addPerson(inst, admin.personId, "client", { name: "Ivan Breach" });
}, 60_000);
afterAll(() => inst.close());

describe("incident register", () => {
  test("an incident is recorded with the clients it affects, and its deadlines count from the discovery", async () => {
    const incidentPath = await recordLaptop([olga, ivan]);
    const html = await (await as(admin).get(incidentPath)).text();
    expect(html).toContain("Laptop stolen");
    expect(text(html)).toContain("42 people affected");
    expect(html).toContain("Olga Breach");
    expect(html).toContain("Ivan Breach");
    expect(html).toContain("about 40 newsletter readers");
    // An hour after the discovery: 23 hours left for Roskomnadzor's first notice, 2 days 23 hours for the others.
    expect(stateOf(html, "fz152-notice")).toBe("due");
    expect(deadline(html, "fz152-notice")).toContain("Due in 23 h");
    expect(deadline(html, "gdpr-authority")).toContain("Due in 2 d 23 h");
    expect(deadline(html, "fz152-results")).toContain("Due in 2 d 23 h");
    const created = auditOf("incident.create", idOf(incidentPath));
    expect(created).toHaveLength(1);
    expect(JSON.parse(created[0]!.details)).toEqual({ affected: 42, listed: 2 });
    expect(created[0]!.details).not.toContain("Laptop");
  });

  test("past 24 hours the first notice is overdue; a late notice and results in time read as such", async () => {
    const incidentPath = await recordLaptop([olga]);
    inst.clock.set(FOUND + 30 * H);
    let html = await (await as(admin).get(incidentPath)).text();
    expect(stateOf(html, "fz152-notice")).toBe("overdue");
    expect(deadline(html, "fz152-notice")).toContain("OVERDUE");
    expect(deadline(html, "fz152-notice")).toContain("6 h ago");
    expect(html).toContain("<mark>");
    const list = await (await as(admin).get("/admin/accountability/incidents")).text();
    expect(list).toContain('data-deadline="overdue"');

    // The GDPR authority told in time does not meet Roskomnadzor's deadline: another authority, its own notice.
    expect((await as(admin).post(`${incidentPath}/notifications`, { kind: "authority", at: "2026-03-03T14:00" })).status).toBe(303);
    html = await (await as(admin).get(incidentPath)).text();
    expect(stateOf(html, "gdpr-authority")).toBe("met");
    expect(stateOf(html, "fz152-notice")).toBe("overdue");
    // Roskomnadzor notified at 15:00 UTC on day 3 = 18:00 Moscow, 30 hours after the discovery.
    expect((await as(admin).post(`${incidentPath}/notifications`, { kind: "roskomnadzor", at: "2026-03-03T18:00" })).status).toBe(303);
    inst.clock.set(FOUND + 75 * H);
    expect((await as(admin).post(`${incidentPath}/notifications`, { kind: "follow-up", at: "2026-03-05T10:00" })).status).toBe(303); // 70 h after
    html = await (await as(admin).get(incidentPath)).text();
    expect(stateOf(html, "fz152-notice")).toBe("late");
    expect(deadline(html, "fz152-notice")).toContain("6 h after the deadline");
    expect(stateOf(html, "gdpr-authority")).toBe("met");
    expect(stateOf(html, "fz152-results")).toBe("met");
    expect(auditOf("incident.notify", idOf(incidentPath)).map((e) => JSON.parse(e.details).notified)).toEqual(["authority", "roskomnadzor", "follow-up"]);
  });

  test("bad input is named at its field and nothing is recorded", async () => {
    const incidentPath = await recordLaptop([olga]);
    const before = auditOf("incident.create").length;
    const future = await as(admin).post("/admin/accountability/incidents", { title: "X", discovered: "2030-01-01T10:00", emails: "" });
    expect(future.status).toBe(422);
    expect(await future.text()).toContain("This lies in the future.");
    const order = await as(admin).post("/admin/accountability/incidents", { title: "X", discovered: "2026-03-02T12:00", occurred: "2026-03-02T13:00" });
    expect(await order.text()).toContain("It cannot have happened after it was found.");
    const unknown = await as(admin).post("/admin/accountability/incidents", { title: "X", discovered: "2026-03-02T12:00", emails: `${olga.email}\nnobody@example.org` });
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain("Nobody has the address on line 2.");
    const count = await as(admin).post("/admin/accountability/incidents", { title: "X", discovered: "2026-03-02T12:00", emails: olga.email, count: "0" });
    expect(await count.text()).toContain("at least the number of people listed");
    const empty = await as(admin).post("/admin/accountability/incidents", {});
    expect(empty.status).toBe(422);
    expect(auditOf("incident.create")).toHaveLength(before);
    const early = await as(admin).post(`${incidentPath}/notifications`, { kind: "subjects", at: "2026-03-01T10:00" });
    expect(early.status).toBe(422);
    expect(await early.text()).toContain("This is before the incident was found.");
    expect((await as(admin).post(`${incidentPath}/notifications`, { kind: "nobody", at: "2026-03-03T10:00" })).status).toBe(422);
    expect((await as(admin).get("/admin/accountability/incidents/00000000-0000-0000-0000-000000000000")).status).toBe(404);
  });

  test("a correction keeps a client erased since counted, and closing shows in the register", async () => {
    const gone = await addPerson(inst, admin.personId, "client", { name: "Gone Breach" });
    const incidentPath = await recordLaptop([olga, gone]);
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, gone.personId, admin.personId).ok).toBe(true);
    const edit = await (await as(admin).get(`${incidentPath}/edit`)).text();
    expect(edit).toContain(olga.email);
    expect(edit).toContain("Laptop stolen");
    const form = { title: "Laptop stolen from a car", description: "Corrected.", discovered: "2026-03-02T12:00", occurred: "", emails: olga.email, others: "", count: "" };
    expect((await as(admin).post(incidentPath, form)).status).toBe(303);
    const html = await (await as(admin).get(incidentPath)).text();
    expect(html).toContain("Laptop stolen from a car");
    expect(html).not.toContain("Gone Breach");
    expect(html).toContain(`erased (${gone.personId})`);
    expect(text(html)).toContain("2 people affected");
    expect(auditOf("incident.update", idOf(incidentPath))).toHaveLength(1);

    expect((await as(admin).post(`${incidentPath}/close`)).status).toBe(303);
    const list = await (await as(admin).get("/admin/accountability/incidents")).text();
    expect(list).toContain("Closed");
    expect(auditOf("incident.close", idOf(incidentPath))).toHaveLength(1);
  });

  test("the title, description and affected people never reach the database in clear", async () => {
    const incidentPath = await recordLaptop([olga]);
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const raw = inst.db.$client.query("SELECT title, description, affected FROM incidents WHERE id = ?").all(idOf(incidentPath)) as Record<string, Uint8Array>[];
    expect(raw).toHaveLength(1);
    for (const column of Object.values(raw[0]!)) {
      const bytes = Buffer.from(column);
      for (const clear of ["Laptop", "newsletter", olga.personId]) expect(bytes.includes(Buffer.from(clear))).toBe(false);
    }
  });
});

describe("odd input", () => {
  test("impossible, extreme and oversized values never answer 500", async () => {
    const incidentPath = await recordLaptop([olga]);
    const times = ["2026-02-30T10:00", "9999-12-31T23:59", "0000-01-01T00:00", "-000001-01-01T00:00", "275760-09-13T00:00", "2026-03-02T25:00", "abc", "%00", "a".repeat(5000)];
    const counts = ["-1", "1e9", "999999999", "NaN", "0x10", " 3 ", "a".repeat(5000)];
    const statuses: number[] = [];
    const c = as(admin);
    for (const t of times) {
      statuses.push((await c.post("/admin/accountability/incidents", { title: "X", discovered: t, occurred: t })).status);
      statuses.push((await c.post(`${incidentPath}/notifications`, { kind: "authority", at: t })).status);
    }
    for (const n of counts) statuses.push((await c.post("/admin/accountability/incidents", { title: "X", discovered: "2026-03-02T12:00", count: n })).status);
    statuses.push((await c.post("/admin/accountability/incidents", { title: "t".repeat(5000), description: "d".repeat(50_000), emails: "x\n".repeat(5000) })).status);
    for (const day of ["2026-02-30", "99999-01-01", "0000-01-01", "-000001-01-01", "9999-12-31", "abc", "a".repeat(5000)]) {
      const q = new URLSearchParams({ client: olga.personId, from: day, to: "9999-12-31" });
      statuses.push((await c.get(`/admin/accountability/reads?${q}`)).status);
      statuses.push((await c.get(`/admin/accountability/reads/csv?${q}`)).status);
      statuses.push((await c.post("/admin/accountability/reads", { email: olga.email, from: day, to: day })).status);
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 422 || s === 400).length).toBeGreaterThan(20);
  });
});
