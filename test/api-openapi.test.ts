// The OpenAPI document as a CRM developer would use it: valid OpenAPI 3.1 (a maintained validator), every operation
// named, summarised and tagged, every documented path and method called from the document itself with an admin
// token holding every scope (no 5xx, no status the document does not list, JSON answers matching the documented
// schema), and a client generated from the document at run time booking, moving and cancelling over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { OpenAPIClientAxios } from "openapi-client-axios";
import { scopesFor } from "../src/api/scopes.ts";
import { createToken } from "../src/api/tokens.ts";
import { book } from "../src/booking/appointments.ts";
import type { Service } from "../src/booking/services.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, serveInstallation, type TestInstallation } from "./support/installation.ts";

const MOSCOW = "Europe/Moscow";
/** Monday 1 March 2027, 09:00 in Moscow. */
const BASE = Date.parse("2027-03-01T06:00:00Z");
const day = (n: number) => Temporal.PlainDate.from("2027-03-01").add({ days: n });
const iso = (ms: number) => new Date(ms).toISOString();
const METHODS = ["get", "put", "post", "delete", "patch"] as const;

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Json; description?: string }[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: Json }> }>;
}

interface World {
  inst: TestInstallation;
  admin: TestPerson;
  spec: TestPerson;
  client: TestPerson;
  service: Service;
  token: string;
}

/** An organisation with a specialist working every day in Moscow, a client, a service, and an admin's all-scopes token. */
async function makeWorld(inst: TestInstallation): Promise<World> {
  inst.clock.set(BASE);
  const admin = await setUpOrganisation(inst);
  const spec = await addPerson(inst, admin.personId, "specialist");
  const client = await addPerson(inst, admin.personId, "client");
  const service = makeService(inst, admin.personId, [spec.personId]);
  setHours(inst, spec.personId, everyDay(MOSCOW, "09:00", "18:00"));
  const made = createToken(inst, { personId: admin.personId, name: "openapi", scopes: scopesFor("admin"), expiresAt: BASE + 30 * 86_400_000 }, admin.personId);
  if (!made.ok) throw new Error(made.reason);
  return { inst, admin, spec, client, service, token: made.secret };
}

/** An appointment booked through the service (at `bookedAt`, so one in the past can be made too). */
function bookAt(w: World, start: number, bookedAt = BASE): string {
  const r = book(w.inst, { serviceId: w.service.id, specialistId: w.spec.personId, start, clientId: w.client.personId, actor: { personId: w.admin.personId, role: "admin" } }, bookedAt);
  if (!r.ok) throw new Error(r.reason);
  return r.appointments[0]!.id;
}

let w: World;
let doc: Json;
let resolved: Json;

beforeAll(async () => {
  w = await makeWorld(makeInstallation());
  const r = await w.inst.app.request(`${w.inst.config.publicUrl.origin}/api/v1/openapi.json`);
  expect(r.status).toBe(200);
  doc = (await r.json()) as Json;
  const validator = new Validator();
  await validator.validate(doc);
  resolved = validator.resolveRefs();
});
afterAll(() => w.inst.close());

function operations(spec: Json): { path: string; method: (typeof METHODS)[number]; op: Operation }[] {
  const paths = spec.paths as Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  return Object.entries(paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method]! })));
}

describe("the document", () => {
  test("is valid OpenAPI 3.1 by @seriousme/openapi-schema-validator", async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  test("names, summarises, tags and secures every operation, with unique operationIds and described parameters", () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThanOrEqual(9);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const lacking = ops.flatMap(({ path, method, op }) => [
      ...(op.summary ? [] : [`${method} ${path}: summary`]),
      ...(op.tags?.length ? [] : [`${method} ${path}: tags`]),
      ...(/Scope: `[a-z]+:[a-z]+`/.test(op.description ?? "") ? [] : [`${method} ${path}: scope in the description`]),
      ...(op.parameters ?? []).filter((p) => p.in !== "header" && !p.description && !p.schema?.description).map((p) => `${method} ${path}: parameter ${p.name} undescribed`),
      ...(op.responses["401"] && op.responses["403"] ? [] : [`${method} ${path}: 401/403 undocumented`]),
    ]);
    expect(lacking).toEqual([]);
    expect((doc.servers as { url: string }[])[0]!.url).toBe(`${w.inst.config.publicUrl.origin}/api/v1`);
  });
});

// ── every documented operation, called from the document ──

/** A value for a parameter the document describes: real data where this test knows the route, else its example. */
function valueFor(p: { name: string; schema?: Json }, path: string): string {
  const known: Record<string, string> = {
    serviceId: w.service.id,
    specialistId: w.spec.personId,
    clientId: w.client.personId,
    from: iso(at(day(1), "00:00", MOSCOW)),
    to: iso(at(day(8), "00:00", MOSCOW)),
  };
  if (p.name === "id") {
    if (path.startsWith("/services/")) return w.service.id;
    if (path.startsWith("/specialists/")) return w.spec.personId;
    if (path.startsWith("/clients/") || path.startsWith("/people/")) return w.client.personId;
  }
  if (known[p.name]) return known[p.name]!;
  const s = p.schema ?? {};
  if (s.example !== undefined) return String(s.example);
  if (Array.isArray(s.enum)) return String(s.enum[0]);
  if (s.format === "date-time") return iso(BASE + 86_400_000);
  return s.type === "integer" || s.type === "number" ? "1" : "unknown";
}

/** A body from the schema's own example, else from its properties' examples. */
function exampleBody(schema: Json | undefined): unknown {
  if (!schema) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  const props = schema.properties as Record<string, Json> | undefined;
  if (!props) return {};
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, exampleBody(v) ?? "x"]));
}

/** Real requests for the routes this test knows, so each one succeeds rather than only failing well. */
function knownCall(operationId: string): { params?: Record<string, string>; body?: unknown; expect: number } | null {
  switch (operationId) {
    case "getAppointment":
      return { params: { id: bookAt(w, at(day(2), "09:00", MOSCOW)) }, expect: 200 };
    case "bookAppointment":
      return { body: { serviceId: w.service.id, specialistId: w.spec.personId, start: iso(at(day(2), "11:00", MOSCOW)), clientId: w.client.personId }, expect: 201 };
    case "moveAppointment":
      return { params: { id: bookAt(w, at(day(2), "13:00", MOSCOW)) }, body: { start: iso(at(day(2), "15:00", MOSCOW)) }, expect: 200 };
    case "cancelAppointment":
      return { params: { id: bookAt(w, at(day(2), "17:00", MOSCOW)) }, body: { reason: "Exercised from the document" }, expect: 200 };
    case "markAppointmentNoShow":
      // Booked two days before for yesterday: it has started, so a no-show can be recorded.
      return { params: { id: bookAt(w, at(day(-1), "10:00", MOSCOW), BASE - 2 * 86_400_000) }, expect: 200 };
    case "listSlots":
    case "listAppointments":
    case "listServices":
    case "getService":
    case "getSpecialistAvailability":
      return { expect: 200 };
    default:
      return null;
  }
}

function ajv(): Ajv2020 {
  const a = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(a);
  return a;
}

describe("every documented operation", () => {
  test("answers an admin token holding every scope with a documented status (no 5xx), its JSON matching the documented schema", async () => {
    const validate = ajv();
    const problems: string[] = [];
    const called: string[] = [];
    let checkedAgainstSchema = 0;
    for (const { path, method, op } of operations(resolved)) {
      const id = op.operationId!;
      const known = knownCall(id);
      const params = Object.fromEntries((op.parameters ?? []).filter((p) => p.required && p.in !== "header").map((p) => [p.name, known?.params?.[p.name] ?? valueFor(p, path)]));
      const url = new URL(`${w.inst.config.publicUrl.origin}/api/v1${path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]!))}`);
      for (const p of op.parameters ?? []) if (p.in === "query" && params[p.name] !== undefined) url.searchParams.set(p.name, params[p.name]!);
      const jsonBody = op.requestBody?.content["application/json"];
      const body = known?.body ?? (jsonBody ? exampleBody(jsonBody.schema) : undefined);
      const r = await w.inst.app.request(url.toString(), {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${w.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      called.push(id);
      const text = await r.text();
      const documented = op.responses[String(r.status)];
      if (r.status >= 500) problems.push(`${id}: ${r.status} ${text.slice(0, 200)}`);
      if (!documented) problems.push(`${id}: ${r.status} is not documented (${Object.keys(op.responses).join(", ")}): ${text.slice(0, 200)}`);
      if (known && r.status !== known.expect) problems.push(`${id}: expected ${known.expect}, got ${r.status}: ${text.slice(0, 300)}`);
      const type = r.headers.get("content-type")?.split(";")[0] ?? "";
      const schema = documented?.content?.[type]?.schema;
      if (documented?.content && !schema) problems.push(`${id}: ${r.status} answered ${type}, documented ${Object.keys(documented.content).join(", ")}`);
      if (schema) checkedAgainstSchema++;
      if (schema && !validate.validate(schema, JSON.parse(text))) problems.push(`${id}: ${r.status} does not match its schema: ${validate.errorsText(validate.errors)}`);
    }
    expect(problems).toEqual([]);
    expect(called.length).toBe(operations(doc).length);
    expect(checkedAgainstSchema).toBe(called.length); // every answer had a body the document describes
    // The booking operations were among them, each with real data.
    expect(called).toEqual(expect.arrayContaining(["listSlots", "getSpecialistAvailability", "listAppointments", "getAppointment", "bookAppointment", "moveAppointment", "cancelAppointment", "markAppointmentNoShow"]));
  });
});

describe("a client generated from the document", () => {
  test("books, moves and cancels an appointment by operationId against a served installation", async () => {
    const served = await serveInstallation();
    try {
      const sw = await makeWorld(served.inst);
      const api = new OpenAPIClientAxios({ definition: `${served.origin}/api/v1/openapi.json`, axiosConfigDefaults: { headers: { authorization: `Bearer ${sw.token}` }, validateStatus: () => true } });
      const client = await api.init();
      /** The generated method of an operation: the document must name it. */
      const operation = (id: string) => {
        const method = client[id];
        if (typeof method !== "function") throw new Error(`the generated client has no operation ${id}`);
        return method;
      };
      const from = at(day(3), "00:00", MOSCOW);
      const slots = await operation("listSlots")({ serviceId: sw.service.id, specialistId: sw.spec.personId, from: iso(from), to: iso(from + 86_400_000) });
      expect(slots.status).toBe(200);
      const [first, , third] = (slots.data as { items: { start: string; specialistId: string }[] }).items;
      const booked = await operation("bookAppointment")({ "idempotency-key": crypto.randomUUID() }, { serviceId: sw.service.id, specialistId: first!.specialistId, start: first!.start, clientId: sw.client.personId });
      expect(booked.status).toBe(201);
      const id = (booked.data as { id: string }).id;
      expect(booked.headers.location).toBe(`/api/v1/appointments/${id}`);
      const moved = await operation("moveAppointment")({ id }, { start: third!.start });
      expect(moved.status).toBe(200);
      expect(moved.data).toMatchObject({ id, start: third!.start, revision: 1 });
      const cancelled = await operation("cancelAppointment")({ id }, { reason: "The client asked by phone." });
      expect(cancelled.status).toBe(200);
      expect(cancelled.data).toMatchObject({ id, status: "cancelled" });
      const read = await operation("getAppointment")({ id });
      expect(read.data).toMatchObject({ id, status: "cancelled", start: third!.start, revision: 2 });
    } finally {
      await served.stop();
    }
  });
});
