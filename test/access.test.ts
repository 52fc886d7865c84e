// The access matrix: every route the app registers, checked against every role, anonymous, and the half-signed-in
// stages. The list of routes comes from the app itself; a route without an allow(...) declaration fails the test.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { declaredAccess, type Access } from "../src/http/access.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { listPersonSessions } from "../src/sessions/sessions.ts";
import { createToken, revokeToken } from "../src/api/tokens.ts";
import { SCOPES, SCOPE_NAMES, scopesFor, type Scope } from "../src/api/scopes.ts";

const ORIGIN = "https://consult.example.org";
let inst: TestInstallation;
const people: Record<string, TestPerson> = {};
type TokenPersona = "token-admin" | "token-specialist" | "token-staff" | "token-revoked" | "token-expired";
const TOKEN_PERSONAS: TokenPersona[] = ["token-admin", "token-specialist", "token-staff", "token-revoked", "token-expired"];
/** One token per persona: admin, specialist and staff tokens hold every scope their role may hold. */
const tokens: Partial<Record<TokenPersona, string>> = {};

type Persona = "anonymous" | "client" | "staff" | "specialist" | "admin" | "second-factor" | "enrol";
const PERSONAS: Persona[] = ["anonymous", "client", "staff", "specialist", "admin", "second-factor", "enrol"];

beforeAll(async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN });
  people.admin = await setUpOrganisation(inst, { selfRegistration: true });
  for (const role of ["client", "staff", "specialist"] as const) people[role] = await addPerson(inst, people.admin.personId, role);
  people.victim = await addPerson(inst, people.admin.personId, "client"); // whose resources others must not touch
  cookieFor(inst, people.victim.personId);
  const day = 86_400_000;
  const make = (who: TestPerson, scopes: readonly string[], expiresAt = inst.clock.now() + 30 * day) => {
    const made = createToken(inst, { personId: who.personId, name: "matrix", scopes, expiresAt }, who.personId);
    if (!made.ok) throw new Error(made.reason);
    return made;
  };
  tokens["token-admin"] = make(people.admin, scopesFor("admin")).secret;
  tokens["token-specialist"] = make(people.specialist!, scopesFor("specialist")).secret;
  tokens["token-staff"] = make(people.staff!, scopesFor("staff")).secret;
  const revoked = make(people.admin, scopesFor("admin"));
  revokeToken(inst, revoked.token.id, people.admin.personId);
  tokens["token-revoked"] = revoked.secret;
  inst.clock.set(inst.clock.now() - 40 * day);
  tokens["token-expired"] = make(people.admin, scopesFor("admin"), inst.clock.now() + 30 * day).secret;
  inst.clock.release();
});
afterAll(() => inst.close());

interface RouteEntry {
  method: string;
  path: string;
  access: Access | undefined;
}

function registeredRoutes(): RouteEntry[] {
  const byKey = new Map<string, RouteEntry>();
  for (const r of inst.app.routes) {
    if (r.method === "ALL") continue; // app-wide middleware
    const key = `${r.method} ${r.path}`;
    const entry = byKey.get(key) ?? { method: r.method, path: r.path, access: undefined };
    entry.access ??= declaredAccess(r.handler);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

function cookieOf(p: Persona): string | undefined {
  switch (p) {
    case "anonymous":
      return undefined;
    case "second-factor":
      return cookieFor(inst, people.specialist!.personId, "second-factor");
    case "enrol":
      return cookieFor(inst, people.staff!.personId, "enrol");
    default:
      return cookieFor(inst, people[p]!.personId);
  }
}

/** A live session of the victim: admin actions in the matrix (deactivate, role change) end their sessions. */
function victimHandle(): string {
  if (listPersonSessions(inst.db, people.victim!.personId).length === 0) cookieFor(inst, people.victim!.personId);
  return listPersonSessions(inst.db, people.victim!.personId)[0]!.handle;
}

function concretePath(path: string): string {
  return path
    .replace(/\{(\w+)\}/g, ":$1")
    .replace(":id", people.victim!.personId)
    .replace(":personId", people.victim!.personId)
    .replace(":handle", victimHandle())
    .replace(":token", "A".repeat(43))
    .replace(":name", "app.css");
}

type Outcome = "allowed" | "to-signin" | "to-step" | "to-home" | "unauthorised" | "forbidden";

function expected(access: Access, p: Persona, method: string): Outcome {
  const full = !["anonymous", "second-factor", "enrol"].includes(p);
  const refusal = (): Outcome => (method === "GET" ? (p === "anonymous" ? "to-signin" : "to-step") : "unauthorised");
  switch (access.who) {
    case "anyone":
      return "allowed";
    case "signed-out":
      return full ? "to-home" : "allowed";
    case "stage":
      if (p === access.stage || (access.stage === "enrol" && full)) return "allowed";
      return full && method === "GET" ? "to-home" : refusal();
    case "roles":
      if (!full) return refusal();
      return access.roles.includes(p as never) ? "allowed" : "forbidden";
    case "token":
      return "unauthorised"; // cookies never open the API
  }
}

/** An API route called with a bearer token: the scope decides, and only live tokens get that far. */
function expectedWithToken(scope: Scope, p: TokenPersona): Outcome {
  if (p === "token-revoked" || p === "token-expired") return "unauthorised";
  const role = p.slice("token-".length) as "admin" | "specialist" | "staff";
  return (SCOPES[scope].roles as readonly string[]).includes(role) ? "allowed" : "forbidden";
}

function observed(r: Response, p: Persona): Outcome {
  const location = r.headers.get("location");
  if (r.status === 401) return "unauthorised";
  if (r.status === 403) return "forbidden";
  if (r.status === 303 && location === "/signin" && p === "anonymous") return "to-signin";
  if (r.status === 303 && (location === "/signin/two-factor" || location === "/account/two-factor") && (p === "second-factor" || p === "enrol")) return "to-step";
  if (r.status === 303 && location === "/") return "to-home";
  return "allowed";
}

describe("access matrix", () => {
  test("every registered route declares who may call it", () => {
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThan(25);
    expect(routes.filter((r) => !r.access).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  test("every route answers every persona as its declaration says", async () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const route of registeredRoutes()) {
      if (route.path.endsWith("/ws") || route.path === "/ws/check") continue; // WebSocket upgrades: the install and call tests
      for (const p of PERSONAS) {
        const cookie = cookieOf(p);
        const r = await inst.app.request(`${ORIGIN}${concretePath(route.path)}`, {
          method: route.method,
          headers: {
            ...(cookie ? { cookie } : {}),
            // Every unsafe method comes from our own origin (as a browser's would), so the route's rule answers, not CSRF.
            ...(route.method !== "GET" ? { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" } : {}),
          },
          body: route.method !== "GET" ? "" : undefined,
        });
        checked++;
        const want = expected(route.access!, p, route.method);
        const got = observed(r, p);
        // "/" is open to anyone and itself sends people where they belong; a redirect there is the page's answer.
        // Routes open to anyone may answer with any redirect of their own ("/" sends people where they belong).
        const openRoute = route.access!.who === "anyone" && got !== "unauthorised" && got !== "forbidden";
        if (got !== want && !openRoute) mismatches.push(`${route.method} ${route.path} as ${p}: expected ${want}, got ${got} (${r.status})`);
        if (r.status >= 500) mismatches.push(`${route.method} ${route.path} as ${p}: ${r.status}`);
        if (r.headers.get("content-type")?.startsWith("text/html")) {
          // Every page: unique ids (labels and aria-describedby point at them).
          const ids = [...(await r.text()).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
          const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
          if (dup.length) mismatches.push(`${route.method} ${route.path} as ${p}: duplicate ids ${dup.join(", ")}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(150);
  });

  test("every API route answers every token as its scope says, and no cookie opens it", async () => {
    const api = registeredRoutes().filter((r) => r.access?.who === "token");
    expect(api.length).toBeGreaterThan(0);
    const mismatches: string[] = [];
    for (const route of api) {
      const scope = (route.access as { scope: Scope }).scope;
      expect(SCOPE_NAMES).toContain(scope);
      for (const p of TOKEN_PERSONAS) {
        const r = await inst.app.request(`${ORIGIN}${concretePath(route.path)}`, {
          method: route.method,
          headers: { authorization: `Bearer ${tokens[p]}`, ...(route.method === "GET" ? {} : { "content-type": "application/json" }) },
          body: route.method === "GET" ? undefined : "{}",
        });
        const want = expectedWithToken(scope, p);
        const got = observed(r, "admin");
        if (got !== want) mismatches.push(`${route.method} ${route.path} as ${p}: expected ${want}, got ${got} (${r.status})`);
        if (r.status >= 500) mismatches.push(`${route.method} ${route.path} as ${p}: ${r.status}`);
        // The FHIR view answers errors as OperationOutcomes (src/fhir/outcome.ts), the rest of the API as problem details.
        const errorType = route.path.startsWith("/fhir/") ? "application/fhir+json" : "application/problem+json";
        if (r.status >= 400 && r.headers.get("content-type") !== errorType) mismatches.push(`${route.method} ${route.path} as ${p}: ${r.status} without ${errorType}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  test("of the booking routes, only the services, the free times and the confirmation are open to visitors", () => {
    const open = registeredRoutes().filter((r) => r.path.startsWith("/book") && r.access?.who === "anyone");
    expect(open.map((r) => `${r.method} ${r.path}`).sort()).toEqual(["GET /book", "GET /book/:serviceId", "GET /book/:serviceId/confirm"]);
  });

  test("the security alerts and their acknowledgement are for admins only", () => {
    const alerts = registeredRoutes().filter((r) => r.path.startsWith("/admin/alerts"));
    expect(alerts.map((r) => `${r.method} ${r.path}`).sort()).toEqual(["GET /admin/alerts", "POST /admin/alerts/:id/acknowledge"]);
    for (const r of alerts) expect(r.access).toEqual({ who: "roles", roles: ["admin"] });
  });

  test("legal holds, restricting processing and lifting the restriction are for admins only", () => {
    const holds = registeredRoutes().filter((r) => /^\/admin\/people\/:id\/(holds|restrict)/.test(r.path));
    expect(holds.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      "GET /admin/people/:id/holds",
      "POST /admin/people/:id/holds",
      "POST /admin/people/:id/holds/:holdId/release",
      "POST /admin/people/:id/restrict",
      "POST /admin/people/:id/restrict/lift",
    ]);
    for (const r of holds) expect(r.access).toEqual({ who: "roles", roles: ["admin"] });
  });

  test("the accountability reports (who read, art. 30 record, incidents) are for admins only", () => {
    const reports = registeredRoutes().filter((r) => r.path.startsWith("/admin/accountability"));
    expect(reports.length).toBeGreaterThanOrEqual(4);
    for (const r of reports) expect(r.access).toEqual({ who: "roles", roles: ["admin"] });
  });

  test("session notes are for hosts only: staff and clients never reach a note", () => {
    const notes = registeredRoutes().filter((r) => r.path.startsWith("/clients/") && r.path.includes("/notes"));
    expect(notes.length).toBe(7);
    for (const r of notes) expect(r.access).toEqual({ who: "roles", roles: ["admin", "specialist"] });
  });

  test("intake forms: the builder is for admins only; an appointment's form is open to signed-in people, its service decides (404 for others)", () => {
    const intake = registeredRoutes().filter((r) => r.path.endsWith("/intake"));
    expect(intake.map((r) => `${r.method} ${r.path}`).sort()).toEqual(["GET /admin/services/:id/intake", "GET /appointments/:id/intake", "POST /admin/services/:id/intake", "POST /appointments/:id/intake"]);
    for (const r of intake) expect(r.access).toEqual(r.path.startsWith("/admin/") ? { who: "roles", roles: ["admin"] } : { who: "roles", roles: ["admin", "specialist", "staff", "client"] });
  });

  test("client records and break-glass are for hosts only; the review of break-glass and supervision for admins only", () => {
    const records = registeredRoutes().filter((r) => (r.path === "/clients" || r.path.startsWith("/clients/")) && !r.path.includes("/notes"));
    expect(records.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      "GET /clients",
      "GET /clients/:clientId",
      "GET /clients/:clientId/break-glass",
      "GET /clients/:clientId/rooms/:roomId/files/:fileId",
      "POST /clients/:clientId/break-glass",
      "POST /clients/search",
    ]);
    for (const r of records) expect(r.access).toEqual({ who: "roles", roles: ["admin", "specialist"] });
    const admin = registeredRoutes().filter((r) => r.path.startsWith("/admin/break-glass") || r.path.startsWith("/admin/supervisions"));
    expect(admin.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      "GET /admin/break-glass",
      "GET /admin/supervisions",
      "POST /admin/break-glass/:grantId/review",
      "POST /admin/break-glass/minutes",
      "POST /admin/supervisions",
      "POST /admin/supervisions/remove",
    ]);
    for (const r of admin) expect(r.access).toEqual({ who: "roles", roles: ["admin"] });
  });

  test("data-subject requests: a client's own page for clients, the queue for admins and staff, a client's export for admins", () => {
    const routes = registeredRoutes().filter((r) => r.path.startsWith("/account/privacy") || r.path.startsWith("/admin/privacy"));
    const rule = (r: RouteEntry) => `${r.method} ${r.path} ${r.access?.who === "roles" ? r.access.roles.join("+") : r.access?.who}`;
    expect(routes.map(rule).sort()).toEqual([
      "GET /account/privacy client",
      "GET /admin/privacy/requests admin+staff",
      "POST /account/privacy/export client",
      "POST /account/privacy/requests client",
      "POST /admin/privacy/requests admin+staff",
      "POST /admin/privacy/requests/:id/close admin+staff",
      "POST /admin/privacy/requests/:id/export admin",
      "POST /admin/privacy/requests/:id/extend admin+staff",
      "POST /admin/privacy/requests/law admin",
    ]);
  });

  test("another person's resources are not reachable: sessions by handle, people pages for non-admins", async () => {
    const handle = victimHandle();
    const sessionsBefore = listPersonSessions(inst.db, people.victim!.personId).length;
    for (const p of ["client", "staff", "specialist", "admin"] as const) {
      const r = await inst.app.request(`${ORIGIN}/account/sessions/${handle}/revoke`, { method: "POST", headers: { cookie: cookieFor(inst, people[p]!.personId), origin: ORIGIN } });
      expect(r.status).toBe(404);
    }
    expect(listPersonSessions(inst.db, people.victim!.personId).map((x) => x.handle)).toContain(handle);
    expect(listPersonSessions(inst.db, people.victim!.personId)).toHaveLength(sessionsBefore);
    for (const p of ["client", "staff", "specialist"] as const) {
      const r = await inst.app.request(`${ORIGIN}/admin/people/${people.victim!.personId}`, { headers: { cookie: cookieFor(inst, people[p]!.personId) } });
      expect(r.status).toBe(403);
      expect(await r.text()).not.toContain(people.victim!.email);
    }
  });
  test("consent: texts for admins, a client's own consents for clients only, one client's ledger for hosts in their care", async () => {
    const routes = registeredRoutes().filter((r) => r.path.startsWith("/admin/consent") || r.path.startsWith("/account/consents") || r.path.startsWith("/consent/"));
    expect(Object.fromEntries(routes.map((r) => [`${r.method} ${r.path}`, r.access]))).toEqual({
      "GET /admin/consent": { who: "roles", roles: ["admin"] },
      "POST /admin/consent/:purpose": { who: "roles", roles: ["admin"] },
      "GET /account/consents": { who: "roles", roles: ["client"] },
      "POST /account/consents/:purpose/give": { who: "roles", roles: ["client"] },
      "POST /account/consents/:purpose/withdraw": { who: "roles", roles: ["client"] },
      "GET /account/consents/ledger.csv": { who: "roles", roles: ["client"] },
      "GET /consent/clients/:personId": { who: "roles", roles: ["admin", "specialist"] },
      "GET /consent/clients/:personId/ledger.csv": { who: "roles", roles: ["admin", "specialist"] },
      "POST /consent/clients/:personId/paper": { who: "roles", roles: ["admin", "specialist"] },
    });
    // The handler's own check: a specialist with no appointment with the client finds nothing; the admin finds the page.
    const url = `${ORIGIN}/consent/clients/${people.victim!.personId}`;
    for (const path of ["", "/ledger.csv"]) {
      expect((await inst.app.request(`${url}${path}`, { headers: { cookie: cookieFor(inst, people.specialist!.personId) } })).status).toBe(404);
      expect((await inst.app.request(`${url}${path}`, { headers: { cookie: cookieFor(inst, people.admin!.personId) } })).status).toBe(200);
    }
    const paper = await inst.app.request(`${url}/paper`, { method: "POST", headers: { cookie: cookieFor(inst, people.specialist!.personId), origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" }, body: "purpose=processing&action=given" });
    expect(paper.status).toBe(404);
  });

  test("the FHIR view: its CapabilityStatement open to anyone, every other route behind a token with its scope", () => {
    const fhir = registeredRoutes().filter((r) => r.path.startsWith("/fhir/R4"));
    expect(Object.fromEntries(fhir.map((r) => [`${r.method} ${r.path}`, r.access]))).toEqual({
      "GET /fhir/R4/metadata": { who: "anyone" },
      "GET /fhir/R4/Patient": { who: "token", scope: "people:read" },
      "GET /fhir/R4/Patient/:id": { who: "token", scope: "people:read" },
      "GET /fhir/R4/Practitioner": { who: "token", scope: "people:read" },
      "GET /fhir/R4/Practitioner/:id": { who: "token", scope: "people:read" },
      "GET /fhir/R4/Schedule": { who: "token", scope: "appointments:read" },
      "GET /fhir/R4/Schedule/:id": { who: "token", scope: "appointments:read" },
      "GET /fhir/R4/Slot": { who: "token", scope: "appointments:read" },
      "GET /fhir/R4/Slot/:id": { who: "token", scope: "appointments:read" },
      "GET /fhir/R4/Appointment": { who: "token", scope: "appointments:read" },
      "GET /fhir/R4/Appointment/:id": { who: "token", scope: "appointments:read" },
      "POST /fhir/R4/Appointment": { who: "token", scope: "appointments:write" },
    });
  });

  test("CSV import: clients for admins and staff, specialists and the appointments export for admins only", () => {
    const routes = registeredRoutes().filter((r) => r.path.startsWith("/admin/imports") || r.path.startsWith("/admin/exports"));
    const rule = (r: RouteEntry) => `${r.method} ${r.path} ${r.access?.who === "roles" ? r.access.roles.join("+") : r.access?.who}`;
    expect(routes.map(rule).sort()).toEqual([
      "GET /admin/exports admin",
      "GET /admin/exports/appointments.csv admin",
      "GET /admin/imports admin+staff",
      "GET /admin/imports/:id admin+staff",
      "POST /admin/imports/:id admin+staff",
      "POST /admin/imports/:id/discard admin+staff",
      "POST /admin/imports/clients admin+staff",
      "POST /admin/imports/specialists admin",
    ]);
  });
});
