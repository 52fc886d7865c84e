// What the API says when a request is wrong before any handler reads it, through the real app: a body that is not
// JSON (with the parser's reason), a body sent without the JSON Content-Type, a method an address does not take
// (405 with Allow), a cursor of another list (400, not an empty page); and the open document and reference, built
// once and answered 304 to their ETag.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { scopesFor } from "../src/api/scopes.ts";
import { createToken } from "../src/api/tokens.ts";
import { book } from "../src/booking/appointments.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const BASE = Date.parse("2027-03-01T06:00:00Z");
let inst: TestInstallation;
let admin: TestPerson;
let token = "";

beforeAll(async () => {
  inst = makeInstallation();
  inst.clock.set(BASE);
  admin = await setUpOrganisation(inst);
  const spec = await addPerson(inst, admin.personId, "specialist");
  const client = await addPerson(inst, admin.personId, "client");
  const service = makeService(inst, admin.personId, [spec.personId]);
  setHours(inst, spec.personId, everyDay("UTC", "09:00", "18:00"));
  for (const hour of ["10:00", "11:00"]) {
    const made = book(inst, { serviceId: service.id, specialistId: spec.personId, start: at(Temporal.PlainDate.from("2027-03-02"), hour, "UTC"), clientId: client.personId, actor: { personId: admin.personId, role: "admin" } }, BASE);
    if (!made.ok) throw new Error(made.reason);
  }
  const made = createToken(inst, { personId: admin.personId, name: "CRM", scopes: scopesFor("admin"), expiresAt: BASE + 30 * 86_400_000 }, admin.personId);
  if (!made.ok) throw new Error(made.reason);
  token = made.secret;
});
afterAll(() => inst.close());

const call = (method: string, path: string, o: { body?: string; headers?: Record<string, string> } = {}) =>
  Promise.resolve(inst.app.request(`${inst.config.publicUrl.origin}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...o.headers }, body: o.body }));
const detailOf = async (r: Response) => ((await r.json()) as { detail: string }).detail;
const WINDOW = "from=2027-03-01T00:00:00Z&to=2027-03-05T00:00:00Z";

describe("a request refused before its handler", () => {
  test("a body that is not JSON is a 400 quoting the parser's reason", async () => {
    const r = await call("POST", "/appointments", { body: '{"serviceId": ', headers: { "content-type": "application/json" } });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    const detail = await detailOf(r);
    expect(detail).toStartWith("The body is not valid JSON: ");
    expect(detail.length).toBeGreaterThan("The body is not valid JSON: .".length);
  });

  test("a body without the JSON Content-Type is a 415 that says which header to send, and what came", async () => {
    const none = await call("POST", "/appointments", { body: "{}" });
    expect(none.status).toBe(415);
    expect(await detailOf(none)).toContain("Content-Type: application/json (this request's Content-Type: none)");
    const form = await call("POST", "/clients", { body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    expect(await detailOf(form)).toContain('"application/x-www-form-urlencoded"');
  });

  test("a method an address does not take is a 405 with Allow; an address the API does not have stays a 404", async () => {
    const del = await call("DELETE", "/appointments");
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, POST, HEAD");
    expect(await detailOf(del)).toContain("DELETE is not allowed here");
    const put = await call("PUT", "/appointments/some-id");
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, HEAD");
    const patchService = await call("POST", "/services/x");
    expect(patchService.status).toBe(405);
    expect((await call("GET", "/nothing-here")).status).toBe(404);
    expect((await call("GET", "/appointments/x/nothing")).status).toBe(404);
    // Without a token the answer is still the token's 401: what the API has is no secret, but the order stays.
    expect((await inst.app.request(`${inst.config.publicUrl.origin}/api/v1/appointments`, { method: "DELETE" })).status).toBe(401);
  });

  test("a cursor of another list is a 400, not an empty page", async () => {
    const cursor = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString("base64url");
    const first = await call("GET", `/appointments?${WINDOW}&limit=1`);
    const next = ((await first.json()) as { next: string }).next;
    expect(next).toBeTruthy();
    expect((await call("GET", `/appointments?${WINDOW}&limit=1&cursor=${next}`)).status).toBe(200);
    for (const key of [["x"], [1], ["x", 1], [1, "a", 2]]) {
      const r = await call("GET", `/appointments?${WINDOW}&cursor=${cursor(key)}`);
      expect(r.status).toBe(400);
      expect(await detailOf(r)).toContain("The cursor is not one this list gave out");
    }
    // The appointments' cursor given to the services list (keyed by id alone).
    expect((await call("GET", `/services?cursor=${next}`)).status).toBe(400);
    expect((await call("GET", `/services?cursor=${cursor(["a"])}`)).status).toBe(200);
  });
});

describe("the open document and reference", () => {
  for (const path of ["/openapi.json", "/reference", "/guide", "/guide/fhir"]) {
    test(`${path} carries an ETag, answers 304 to it, and is the same document each time`, async () => {
      const url = `${inst.config.publicUrl.origin}/api/v1${path}`;
      const first = await inst.app.request(url);
      expect(first.status).toBe(200);
      const tag = first.headers.get("etag");
      expect(tag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      const body = await first.text();
      expect(first.headers.get("content-type")).toStartWith(path.endsWith(".json") ? "application/json" : "text/html");
      if (path.endsWith(".json")) expect((JSON.parse(body) as { openapi: string }).openapi).toBe("3.1.0");
      else expect(body).toStartWith("<!DOCTYPE html>");
      const again = await inst.app.request(url);
      expect(again.headers.get("etag")).toBe(tag);
      expect(await again.text()).toBe(body);
      const cached = await inst.app.request(url, { headers: { "if-none-match": `"other", ${tag}` } });
      expect(cached.status).toBe(304);
      expect(await cached.text()).toBe("");
      expect((await inst.app.request(url, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    });
  }
});
