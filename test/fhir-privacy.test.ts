// The FHIR view keeps the same privacy rules as the web and /api/v1: a client who withdrew consent to processing
// cannot be booked through it (422); every search that filters on personal data is audited as one entry naming the
// token, even with _count=0 (whose `total` alone would say whether an email is a client's); a specialist's token sees
// the clients in their care by the records' rule (a cancelled appointment puts no one in it; supervisors see their
// supervisees' clients); and an Appointment's version changes whenever what it shows changes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Appointment, Bundle } from "@medplum/fhirtypes";
import { reportClientReads } from "../src/accountability/reads.ts";
import { createToken } from "../src/api/tokens.ts";
import { scopesFor } from "../src/api/scopes.ts";
import { searchAudit } from "../src/audit/audit.ts";
import { appointmentRoom, book, cancelAppointment, getAppointment, markNoShow } from "../src/booking/appointments.ts";
import { saveConsentText } from "../src/consent/consent.ts";
import { giveConsent, withdrawConsent } from "../src/consent/ledger.ts";
import { addSupervision } from "../src/records/care.ts";
import { closeRoom } from "../src/rooms/rooms.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const ORIGIN = "https://consult.example.org";
const BASE = `${ORIGIN}/fhir/R4`;
const NOW = Date.parse("2031-05-05T06:00:00Z");
const DAY1 = Temporal.PlainDate.from("2031-05-06");

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let supervisor: TestPerson;
let staff: TestPerson;
let mine: TestPerson; // in spec's care: a booked appointment with them
let stranger: TestPerson; // booked with spec by mistake and cancelled: in nobody's care
let withdrawn: TestPerson; // withdrew consent to processing
let service: string;
const tokens: Record<"admin" | "spec" | "supervisor" | "staff", string> = {} as never;

beforeAll(async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN });
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Sofia Berg" });
  supervisor = await addPerson(inst, admin.personId, "specialist", { name: "Vera Supervisor" });
  staff = await addPerson(inst, admin.personId, "staff", { name: "Rita Reception" });
  mine = await addPerson(inst, admin.personId, "client", { name: "Maria Ivanova" });
  stranger = await addPerson(inst, admin.personId, "client", { name: "Oleg Stranger" });
  withdrawn = await addPerson(inst, admin.personId, "client", { name: "Nina Withdrawn" });
  inst.clock.set(NOW);
  setHours(inst, spec.personId, everyDay("UTC"));
  service = makeService(inst, admin.personId, [spec.personId]).id;
  expect(addSupervision(inst, admin.personId, supervisor.personId, spec.personId, NOW)).toBe("ok");

  const make = (who: TestPerson, name: string) => {
    const made = createToken(inst, { personId: who.personId, name, scopes: scopesFor(who.role), expiresAt: NOW + 30 * 86_400_000 }, who.personId);
    if (!made.ok) throw new Error(made.reason);
    return made.secret;
  };
  tokens.admin = make(admin, "Clinic EHR");
  tokens.spec = make(spec, "Berg's practice system");
  tokens.supervisor = make(supervisor, "Supervision app");
  tokens.staff = make(staff, "Front desk");

  const byAdmin = { personId: admin.personId, role: "admin" as const };
  const booked = (client: TestPerson, time: string) => {
    const r = book(inst, { serviceId: service, specialistId: spec.personId, start: at(DAY1, time), clientId: client.personId, actor: byAdmin });
    if (!r.ok) throw new Error(r.reason);
    return r.appointments[0]!.id;
  };
  booked(mine, "09:00");
  expect(cancelAppointment(inst, booked(stranger, "11:00"), byAdmin, "booked by mistake").ok).toBe(true);

  saveConsentText(inst.db, inst.vault, "processing", { textEn: "We process your data.", textRu: "Мы обрабатываем данные." }, admin.personId, NOW);
  const who = { personId: withdrawn.personId, recordedBy: withdrawn.personId, method: "account" as const, purpose: "processing" as const };
  inst.db.transaction((tx) => giveConsent(tx, inst.vault, who, NOW));
  inst.db.transaction((tx) => withdrawConsent(tx, inst.vault, who, NOW));
});
afterAll(() => inst.close());

function fhir(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(inst.app.request(`${BASE}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } }));
}

async function bundle(path: string, token: string): Promise<Bundle> {
  const r = await fhir(path, token);
  expect(r.status).toBe(200);
  return (await r.json()) as Bundle;
}

const auditOf = (action: string) => searchAudit(inst.db, { actionPrefix: action }, 1000).filter((e) => e.action === action).sort((a, b) => a.id - b.id);

describe("FHIR: booking honours a withdrawn consent to processing", () => {
  test("creating an Appointment for a client who withdrew consent is 422 with the reason, and books nothing", async () => {
    const body = {
      resourceType: "Appointment",
      status: "booked",
      serviceType: [{ coding: [{ system: `${BASE}/CodeSystem/service`, code: service }] }],
      start: `${DAY1}T14:00:00Z`,
      end: `${DAY1}T14:50:00Z`,
      participant: [
        { actor: { reference: `Patient/${withdrawn.personId}` }, status: "accepted" },
        { actor: { reference: `Practitioner/${spec.personId}` }, status: "accepted" },
      ],
    };
    const post = (b: unknown) => fhir("/Appointment", tokens.admin, { method: "POST", headers: { "content-type": "application/fhir+json" }, body: JSON.stringify(b) });
    const r = await post(body);
    expect(r.status).toBe(422);
    expect(r.headers.get("content-type")).toBe("application/fhir+json");
    const oo = (await r.json()) as { resourceType: string; issue: { code: string; diagnostics?: string; details?: { text?: string }; expression?: string[] }[] };
    expect(oo.resourceType).toBe("OperationOutcome");
    expect(oo.issue[0]).toMatchObject({ code: "business-rule", expression: ["Appointment.participant"] });
    expect(JSON.stringify(oo.issue[0])).toContain("withdrawn their consent");
    expect((await bundle(`/Appointment?patient=Patient/${withdrawn.personId}`, tokens.admin)).total).toBe(0);
    // Another client at the same time books: the refusal was the consent, not the time.
    const other = { ...body, participant: [{ actor: { reference: `Patient/${mine.personId}` }, status: "accepted" }, body.participant[1]] };
    expect((await post(other)).status).toBe(201);
  });
});

describe("FHIR: searches on personal data are audited, even when they return no entries", () => {
  test("a Patient search by email with _count=0 is one entry naming the token, the number found and the client found", async () => {
    const before = auditOf("fhir.patient.search").length;
    const hit = await bundle(`/Patient?email=${encodeURIComponent(stranger.email)}&_count=0`, tokens.staff);
    expect(hit.entry ?? []).toEqual([]);
    const miss = await bundle("/Patient?email=nobody%40example.org&_count=0", tokens.staff);
    expect(miss.entry ?? []).toEqual([]);
    const entries = auditOf("fhir.patient.search").slice(before);
    expect(entries.length).toBe(2);
    expect(entries[0]).toMatchObject({ actor: staff.personId, target: stranger.personId, details: { token: "Front desk", results: 1, by: "email" } });
    expect(entries[1]).toMatchObject({ actor: staff.personId, target: null, details: { token: "Front desk", results: 0, by: "email" } });
    expect(JSON.stringify(entries)).not.toContain("nobody@example.org"); // the searched value is not kept
  });

  test("probing a name letter by letter leaves an entry per probe, in the client's who-read report", async () => {
    const before = auditOf("fhir.patient.search").length;
    for (const probe of ["o", "ol", "ole"]) await bundle(`/Patient?name:contains=${probe}&email=${encodeURIComponent(stranger.email)}&_count=0`, tokens.staff);
    const entries = auditOf("fhir.patient.search").slice(before);
    expect(entries.map((e) => [e.target, e.details.results, e.details.by])).toEqual(Array(3).fill([stranger.personId, 1, "email,name:contains"]));
    const report = reportClientReads(inst, { clientId: stranger.personId, from: NOW - 86_400_000, to: NOW + 86_400_000, viewerId: admin.personId, format: "page", now: NOW });
    expect(report!.entries.filter((e) => e.action === ("fhir.patient.search" as never)).length).toBeGreaterThanOrEqual(3);
  });

  test("an Appointment search by patient is one entry about that client, with the number found; by practitioner one without", async () => {
    const before = auditOf("fhir.appointment.search").length;
    const ofClient = await bundle(`/Appointment?patient=Patient/${mine.personId}&_count=0`, tokens.staff);
    expect(ofClient.entry ?? []).toEqual([]);
    await bundle(`/Appointment?actor=Patient/${mine.personId}&_count=0`, tokens.staff);
    const ofSpecialist = await bundle(`/Appointment?practitioner=Practitioner/${spec.personId}&_count=0`, tokens.staff);
    const entries = auditOf("fhir.appointment.search").slice(before);
    expect(entries.map((e) => [e.actor, e.target, e.details])).toEqual([
      [staff.personId, mine.personId, { token: "Front desk", results: ofClient.total!, by: "patient" }],
      [staff.personId, mine.personId, { token: "Front desk", results: ofClient.total!, by: "actor" }],
      [staff.personId, null, { token: "Front desk", results: ofSpecialist.total!, by: "practitioner" }],
    ]);
  });

  test("searches filtering on nothing personal add no search entry", async () => {
    const before = auditOf("fhir.patient.search").length + auditOf("fhir.appointment.search").length;
    await bundle("/Patient?_count=0", tokens.staff);
    await bundle(`/Appointment?date=${DAY1}&_count=0`, tokens.staff);
    expect(auditOf("fhir.patient.search").length + auditOf("fhir.appointment.search").length).toBe(before);
  });
});

describe("FHIR: a specialist's token sees the clients in their care, as the records do", () => {
  test("a client whose only appointment with the specialist was cancelled is not theirs: 404, and absent from searches", async () => {
    expect((await fhir(`/Patient/${stranger.personId}`, tokens.spec)).status).toBe(404);
    const all = await bundle("/Patient", tokens.spec);
    expect((all.entry ?? []).map((e) => e.resource!.id)).toEqual([mine.personId]);
    expect((await bundle(`/Patient?email=${encodeURIComponent(stranger.email)}&_count=0`, tokens.spec)).total).toBe(0);
    expect((await fhir(`/Patient/${mine.personId}`, tokens.spec)).status).toBe(200);
  });

  test("a supervisor sees their supervisee's clients, as in the records", async () => {
    const all = await bundle("/Patient", tokens.supervisor);
    expect((all.entry ?? []).map((e) => e.resource!.id)).toEqual([mine.personId]);
    expect((await fhir(`/Patient/${mine.personId}`, tokens.supervisor)).status).toBe(200);
    expect((await fhir(`/Patient/${stranger.personId}`, tokens.supervisor)).status).toBe(404);
  });
});

describe("FHIR: an Appointment's version follows its content", () => {
  const read = async (id: string) => {
    const r = await fhir(`/Appointment/${id.replaceAll("_", ".")}`, tokens.admin);
    expect(r.status).toBe(200);
    const a = (await r.json()) as Appointment;
    expect(r.headers.get("etag")).toBe(`W/"${a.meta?.versionId}"`);
    expect(a.meta?.versionId).toMatch(/^[A-Za-z0-9\-.]{1,64}$/); // a FHIR id
    return { status: a.status, version: a.meta!.versionId! };
  };
  const bookAt = (time: string) => {
    const r = book(inst, { serviceId: service, specialistId: spec.personId, start: at(DAY1, time), clientId: mine.personId, actor: { personId: admin.personId, role: "admin" } });
    if (!r.ok) throw new Error(r.reason);
    return r.appointments[0]!;
  };

  test("marking a no-show changes the version and the ETag, though the revision stays", async () => {
    const a = bookAt("16:00");
    const booked = await read(a.id);
    expect(await read(a.id)).toEqual(booked); // stable while nothing changes
    expect(markNoShow(inst, a.id, { personId: spec.personId, role: "specialist" }, a.start + 20 * 60_000).ok).toBe(true);
    expect(getAppointment(inst.db, a.id)!.revision).toBe(a.revision);
    const noshow = await read(a.id);
    expect(noshow.status).toBe("noshow");
    expect(noshow.version).not.toBe(booked.version);
  });

  test("a held call changes the version too", async () => {
    const a = bookAt("17:00");
    const booked = await read(a.id);
    const room = appointmentRoom(inst, a.id, { personId: spec.personId, role: "specialist" }, a.start);
    if (!room.ok) throw new Error(room.reason);
    inst.clock.set(a.start + 30 * 60_000);
    closeRoom(inst, room.roomId, spec.personId);
    inst.clock.set(NOW);
    const held = await read(a.id);
    expect(held.status).toBe("fulfilled");
    expect(held.version).not.toBe(booked.version);
  });
});
