// Patient (a client) and Practitioner (a specialist), read-only, scope people:read. A specialist's token sees only
// the clients in their care (as /api/v1/clients and the records: a cancelled appointment puts no one in it; a
// supervisor sees their supervisees' clients); admins' and staff's tokens see every client. Erased clients are
// gone (410 on read, absent from searches). Every Patient and Practitioner returned is audited, and so is every
// Patient search with a filter, even one returning no entry (reads.ts).
import type { ContactPoint, Patient, Practitioner } from "@medplum/fhirtypes";
import type { Context, Hono } from "hono";
import { getAccount } from "../accounts/accounts.store.ts";
import type { ApiEnv } from "../api/auth.ts";
import { actorOf, requireScope } from "../api/auth.ts";
import { normalizeEmail } from "../crypto/blind-index.ts";
import type { Installation } from "../installation.ts";
import { getPerson, listPeople, type Person } from "../people/people.ts";
import { clientsInCareOf } from "../records/care.ts";
import { fhirBase, isFhirId, systems } from "./ids.ts";
import { fhirJson, outcome } from "./outcome.ts";
import { auditFhirReads, auditFhirSearch } from "./reads.ts";
import { personalFilters, type ResourceDecl, readSearch, searchset, valuesOf } from "./search.ts";

const PERSON_PARAMS: ResourceDecl["searchParams"] = [
  { name: "_id", type: "token", documentation: "The resource id (Kabinet's person id)." },
  { name: "identifier", type: "token", documentation: "Kabinet's person id, as `<system>|<id>` or the id alone (the system is <base>/sid/person)." },
  { name: "email", type: "token", documentation: "The exact email address (case-insensitive)." },
  { name: "name", type: "string", documentation: "A word of the name starting with the value (case-insensitive); `name:contains` anywhere, `name:exact` the whole name." },
];

export const PATIENT: ResourceDecl = {
  type: "Patient",
  scope: "people:read",
  documentation: "Kabinet's clients. A specialist's token sees only the clients in their care (an appointment with them that was not cancelled, a note, or a supervisee's client). Every read is audited.",
  searchParams: PERSON_PARAMS.map((p) => ({ ...p, personal: true as const })),
};

export const PRACTITIONER: ResourceDecl = {
  type: "Practitioner",
  scope: "people:read",
  documentation: "Kabinet's specialists: whom appointments are with. Every read is audited.",
  searchParams: [...PERSON_PARAMS],
};

function telecomOf(p: Person, use: ContactPoint["use"]): ContactPoint[] {
  return [{ system: "email", value: p.email, use }, ...(p.phone ? [{ system: "phone" as const, value: p.phone, use }] : [])];
}

export function toPatient(deps: Installation, p: Person): Patient {
  return {
    resourceType: "Patient",
    id: p.id,
    identifier: [{ system: systems(deps.config.publicUrl).person, value: p.id }],
    active: getAccount(deps.db, p.id)?.status !== "deactivated",
    ...(p.name ? { name: [{ text: p.name }] } : {}),
    telecom: telecomOf(p, "home"),
    ...(p.locale ? { communication: [{ language: { coding: [{ system: "urn:ietf:bcp:47", code: p.locale }] }, preferred: true }] } : {}),
  };
}

export function toPractitioner(deps: Installation, p: Person): Practitioner {
  return {
    resourceType: "Practitioner",
    id: p.id,
    identifier: [{ system: systems(deps.config.publicUrl).person, value: p.id }],
    active: getAccount(deps.db, p.id)?.status !== "deactivated",
    ...(p.name ? { name: [{ text: p.name }] } : {}),
    telecom: telecomOf(p, "work"),
  };
}

/**
 * The clients a token's owner may see, as /api/v1/clients: admins and staff all; a specialist those in their care by
 * the records' rule (src/records/care.ts: an appointment not cancelled, a note, or a supervisee's client).
 */
export function visibleClientIds(deps: Installation, c: Context<ApiEnv>): Set<string> | "all" {
  const actor = actorOf(c);
  if (actor.role === "admin" || actor.role === "staff") return "all";
  return clientsInCareOf(deps.db, actor);
}

/** Whether a person matches the search's parameters (every parameter, any of its comma-separated values). */
function matches(p: Person, params: Map<string, string[]>, idSystem: string): boolean {
  const lowerName = p.name.toLocaleLowerCase();
  const tests: [string, (v: string) => boolean][] = [
    ["_id", (v) => v === p.id],
    ["identifier", (v) => (v.includes("|") ? v === `${idSystem}|${p.id}` || v === `|${p.id}` : v === p.id)],
    ["email", (v) => normalizeEmail(v) === p.email],
    ["name", (v) => lowerName.split(/\s+/).some((w) => w.startsWith(v.toLocaleLowerCase()))],
    ["name:contains", (v) => lowerName.includes(v.toLocaleLowerCase())],
    ["name:exact", (v) => v === p.name],
  ];
  return tests.every(([name, test]) => valuesOf(params, name).every((anyOf) => anyOf.some(test)));
}

export function peopleRoutes(fhir: Hono<ApiEnv>, deps: Installation): void {
  const base = fhirBase(deps.config.publicUrl);
  const idSystem = systems(deps.config.publicUrl).person;
  const kinds = [
    { decl: PATIENT, role: "client", action: "fhir.patient.view", render: toPatient },
    { decl: PRACTITIONER, role: "specialist", action: "fhir.practitioner.view", render: toPractitioner },
  ] as const;
  for (const kind of kinds) {
    const visible = (c: Context<ApiEnv>, p: Person): boolean => {
      if (p.role !== kind.role) return false;
      if (kind.role !== "client") return true;
      const ids = visibleClientIds(deps, c);
      return ids === "all" || ids.has(p.id);
    };
    fhir.get(`/${kind.decl.type}`, requireScope(kind.decl.scope), (c) => {
      const q = readSearch(c, kind.decl);
      if (!q.ok) return outcome(c, 400, "invalid", q.problem, q.expression);
      const ids = kind.role === "client" ? visibleClientIds(deps, c) : "all";
      const found = listPeople(deps).filter((p) => p.role === kind.role && !p.erased && (ids === "all" || ids.has(p.id)) && matches(p, q.params, idSystem));
      if (kind.role === "client") auditFhirSearch(deps, c.get("holder"), "fhir.patient.search", { by: personalFilters(q, kind.decl), results: found.length, clientId: found.length === 1 ? found[0]!.id : null });
      const bundle = searchset(c, base, q, found, (p) => [p.id], (page) => {
        auditFhirReads(deps, c.get("holder"), kind.action, page.map((p) => p.id));
        return page.map((p) => kind.render(deps, p));
      });
      return fhirJson(c, 200, bundle);
    });
    fhir.get(`/${kind.decl.type}/:id`, requireScope(kind.decl.scope), (c) => {
      const id = c.req.param("id");
      const p = isFhirId(id) ? getPerson(deps, id) : null;
      if (!p || !visible(c, p)) return outcome(c, 404, "not-found", `No ${kind.decl.type} ${id} that this token may read.`);
      if (p.erased) return outcome(c, 410, "deleted", `${kind.decl.type} ${id} was erased at their request.`);
      auditFhirReads(deps, c.get("holder"), kind.action, [p.id]);
      return fhirJson(c, 200, kind.render(deps, p));
    });
  }
}
