// /api/v1/clients and /api/v1/specialists: the people a CRM keeps in step with (scopes people:read, people:write).
//
// Protects: the client directory. Whom a token sees is whom its owner sees in the web UI:
//   admins and staff   every client (staff book for anyone; admins list everyone on /clients);
//   specialists        the clients in their care (care.ts: their appointments not cancelled, their notes, and those of
//                      the specialists they supervise). Break-glass never applies here: an integration does not ride
//                      an emergency grant made for a person's one stated reason.
// A client the token may not see is "not found" (404), whether or not they exist.
// Every read is audited with the token's name (read-audit.ts): one client as `person.view` (the who-read report and
// the bulk-read alert count it), a page of the list as `clients.list` with how many it showed (as the admin's list).
// Lookup by email is a POST with the address in the body, never in a URL (proxies and browsers keep URLs); it goes
// through the keyed blind index, nothing is searched in clear.
// Erased clients are listed to admins and staff (so a CRM learns to drop its copy): erased: true, no name, email or
// phone (their key is destroyed; nothing can be read).
//
// Adding a client (people:write, which only admins and staff may hold) invites them as the booking page does: the
// invitation mail sets their password. An email already known answers 409, because the address is unique and
// pretending to create would be a lie (and send nothing). So a people:write token learns that an address exists,
// exactly as staff do on the booking page ("a client with this email exists"). It learns the existing id only when
// the token could read that client anyway (people:read, and the person is a client, as every admin and staff token
// sees every client); never an id of a colleague (a specialist, staff or admin address).
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getPersonWithAccount, invitePerson, listPeopleWithAccounts, type PersonWithAccount } from "../accounts/people-admin.ts";
import type { Actor } from "../booking/appointments.ts";
import { listServices } from "../booking/services.ts";
import { AppError } from "../http/app-error.ts";
import { problem } from "../http/problem.ts";
import { LOCALES } from "../i18n/messages.ts";
import type { Installation } from "../installation.ts";
import { findPersonByEmail, readingOf } from "../people/people.ts";
import { clientsInCareOf, isInCareOf } from "../records/care.ts";
import { isProcessingRestricted } from "../retention/holds.ts";
import { isTimeZone } from "../settings/settings.ts";
import type { Api } from "./api.ts";
import { actorOf, type ApiEnv } from "./auth.ts";
import { keepForRetry, retryOf } from "./idempotency.ts";
import { cursorKey, paginate } from "./pagination.ts";
import { auditApiRead } from "./read-audit.ts";
import { apiRoute, CONFLICT, IdempotencyHeader, NOT_FOUND, PageQuery, pageOf } from "./route.ts";
import { holderMay } from "./tokens.ts";
import { EXAMPLE } from "./examples.ts";

const Id = z.object({ id: z.string().max(100).openapi({ description: "The client's id (a UUID), as lists and appointments give it.", example: EXAMPLE.clientId }) });
const SpecialistId = z.object({ id: z.string().max(100).openapi({ description: "The specialist's id (a UUID): a service's `specialistIds`, an appointment's `specialistId`.", example: EXAMPLE.specialistId }) });
const Instant = z.string().openapi({ format: "date-time", example: "2025-03-14T09:30:00.000Z" });
const LocaleCode = z.enum(Object.keys(LOCALES) as [keyof typeof LOCALES, ...(keyof typeof LOCALES)[]]);
const AccountState = z.enum(["invited", "active", "deactivated", "no-account"]).openapi({ description: "invited: has not set a password yet; deactivated: may not sign in." });

export const ClientSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable().openapi({ description: "Null when the client is erased.", example: "Olga Petrova" }),
    email: z.string().nullable().openapi({ description: "Null when the client is erased.", example: "olga@example.org" }),
    phone: z.string().nullable().openapi({ example: "+7 900 123-45-67" }),
    locale: LocaleCode.nullable().openapi({ description: "The language they chose; null: the organisation's." }),
    timeZone: z.string().nullable().openapi({ description: "The zone they chose (IANA); null: the organisation's.", example: "Europe/Moscow" }),
    createdAt: Instant,
    account: AccountState,
    erased: z.boolean().openapi({ description: "Erased on request: their key is destroyed, nothing about them can be read. Drop your copy." }),
    restricted: z.boolean().openapi({ description: "Processing restricted (GDPR art. 18): keep, but do not use their data beyond storing it." }),
  })
  .openapi("Client");

export const SpecialistSchema = z
  .object({
    id: z.string(),
    role: z.enum(["specialist", "admin"]).openapi({ description: "An admin who also offers services is listed too." }),
    name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    locale: LocaleCode.openapi({ description: "The language they read." }),
    timeZone: z.string().openapi({ description: "The zone they read and work in (IANA).", example: "Europe/Berlin" }),
    active: z.boolean().openapi({ description: "May sign in (and be booked)." }),
    serviceIds: z.array(z.string()).openapi({ description: "The services they offer." }),
  })
  .openapi("Specialist");

const NewClientSchema = z
  .object({
    name: z.string().trim().min(1).max(120).openapi({ example: "Olga Petrova" }),
    email: z.string().trim().max(254).pipe(z.email()).openapi({ example: "olga@example.org" }),
    phone: z.string().trim().max(40).optional().openapi({ example: "+7 900 123-45-67" }),
    locale: LocaleCode.optional().openapi({ description: "The language of the invitation and every later mail." }),
    timeZone: z.string().max(64).refine(isTimeZone, "not an IANA time zone").optional().openapi({ example: "Europe/Moscow" }),
  })
  .openapi("NewClient");

const InvitationMailed = z.boolean().openapi({
  description:
    "`true`: the invitation (a link to set a password, valid 72 hours, in the client's language) is queued for the organisation's mail server; the queue retries while the server is unreachable, and a mail it could not deliver shows as failed under Administration → Mail queue. It says the mail was handed to the queue, not that it arrived. " +
    "`false`: this installation has no mail server set up (`KABINET_SMTP_URL`), so nothing was sent now: the mail waits in the queue until mail is configured, and meanwhile an admin hands the client a link from People → the client → Create a new invitation link. " +
    "Every client added here is invited (unlike a CSV import, which invites only when asked to).",
  example: true,
});

const LookupSchema = z.object({ email: z.string().trim().min(1).max(254).openapi({ example: "olga@example.org" }) }).openapi("ClientLookup");

type Deps = Pick<Installation, "db" | "vault" | "clock" | "config" | "log">;

export function clientJson(deps: Deps, p: PersonWithAccount): z.infer<typeof ClientSchema> {
  return {
    id: p.id,
    name: p.erased ? null : p.name,
    email: p.erased ? null : p.email,
    phone: p.erased ? null : p.phone,
    locale: p.locale,
    timeZone: p.timeZone,
    createdAt: p.createdAt.toISOString(),
    account: p.status,
    erased: p.erased === true,
    restricted: isProcessingRestricted(deps.db, p.id),
  };
}

/** The clients the actor sees (module header), oldest first. */
function clientsOf(deps: Deps, actor: Actor): PersonWithAccount[] {
  const people =
    actor.role === "admin" || actor.role === "staff"
      ? listPeopleWithAccounts(deps)
      : [...clientsInCareOf(deps.db, actor)].map((id) => getPersonWithAccount(deps, id)).filter((p): p is PersonWithAccount => p !== null);
  return people.filter((p) => p.role === "client").sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
}

function maySeeClient(deps: Deps, actor: Actor, clientId: string): boolean {
  return actor.role === "admin" || actor.role === "staff" || isInCareOf(deps.db, actor, clientId);
}

/** The client by id, if the token's owner may see them; else null (answered as not found). */
function visibleClient(deps: Deps, c: Context<ApiEnv>, id: string): PersonWithAccount | null {
  const person = getPersonWithAccount(deps, id);
  return person?.role === "client" && maySeeClient(deps, actorOf(c), id) ? person : null;
}

function specialistsOf(deps: Deps): { person: PersonWithAccount; serviceIds: string[] }[] {
  const services = listServices(deps.db);
  const offered = (id: string) => services.filter((s) => s.specialistIds.includes(id)).map((s) => s.id);
  return listPeopleWithAccounts(deps)
    .filter((p) => p.role === "specialist" || (p.role === "admin" && offered(p.id).length > 0))
    .map((person) => ({ person, serviceIds: offered(person.id) }))
    .sort((a, b) => (a.person.id < b.person.id ? -1 : 1));
}

function specialistJson(deps: Deps, s: { person: PersonWithAccount; serviceIds: string[] }): z.infer<typeof SpecialistSchema> {
  const p = s.person;
  const reading = readingOf(deps.db, p.id);
  return {
    id: p.id,
    role: p.role === "admin" ? "admin" : "specialist",
    name: p.erased ? null : p.name,
    email: p.erased ? null : p.email,
    phone: p.erased ? null : p.phone,
    locale: reading?.locale ?? "en",
    timeZone: reading?.timeZone ?? "UTC",
    active: p.status === "active",
    serviceIds: s.serviceIds,
  };
}

const clientContent = (description: string) => ({ description, content: { "application/json": { schema: ClientSchema } } });

const listClients = apiRoute("people:read", {
  method: "get",
  path: "/clients",
  operationId: "listClients",
  tags: ["People"],
  summary: "List clients",
  description: "The clients the token's owner sees, oldest first: every client for admins and staff, the clients in their care for a specialist. Each page is audited as one `clients.list` entry.",
  request: { query: PageQuery },
  responses: { 200: { description: "A page of clients.", content: { "application/json": { schema: pageOf(ClientSchema, "ClientPage") } } } },
});

const lookupClient = apiRoute("people:read", {
  method: "post",
  path: "/clients/lookup",
  operationId: "lookupClient",
  tags: ["People"],
  summary: "Find a client by email",
  description: "The client with exactly this email (case-insensitive), if the token's owner may see them. A POST so that the address never travels in a URL (URLs are kept in proxy logs and histories). Audited as `person.view`.",
  request: { body: { required: true, content: { "application/json": { schema: LookupSchema } } } },
  responses: { 200: clientContent("The client."), ...NOT_FOUND },
});

const getClient = apiRoute("people:read", {
  method: "get",
  path: "/clients/{id}",
  operationId: "getClient",
  tags: ["People"],
  summary: "Read a client",
  description: "Audited as `person.view`. An erased client answers with `erased: true` and no name, email or phone.",
  request: { params: Id },
  responses: { 200: clientContent("The client."), ...NOT_FOUND },
});

const createClient = apiRoute("people:write", {
  method: "post",
  path: "/clients",
  operationId: "createClient",
  tags: ["People"],
  summary: "Add a client",
  description:
    "Adds a client and mails them an invitation to set their password (in `locale`, if given): see `invitationMailed` in the answer. An email already known is 409: with `existingId` when it is a client the token may read (people:read), without it when the address is a colleague's.",
  request: { headers: IdempotencyHeader, body: { required: true, content: { "application/json": { schema: NewClientSchema } } } },
  responses: {
    201: {
      description: "The client, invited: `invitationMailed` says whether the invitation is on its way by mail.",
      headers: z.object({ location: z.string().openapi({ example: `/api/v1/clients/${EXAMPLE.clientId}` }) }),
      content: { "application/json": { schema: ClientSchema.extend({ invitationMailed: InvitationMailed }).openapi("CreatedClient") } },
    },
    ...CONFLICT,
  },
});

const listSpecialists = apiRoute("people:read", {
  method: "get",
  path: "/specialists",
  operationId: "listSpecialists",
  tags: ["People"],
  summary: "List specialists",
  description: "Everyone who offers consultations (specialists, and admins who offer a service), by id. Audited as `specialists.list`.",
  request: { query: PageQuery },
  responses: { 200: { description: "A page of specialists.", content: { "application/json": { schema: pageOf(SpecialistSchema, "SpecialistPage") } } } },
});

const getSpecialist = apiRoute("people:read", {
  method: "get",
  path: "/specialists/{id}",
  operationId: "getSpecialist",
  tags: ["People"],
  summary: "Read a specialist",
  description: "Audited as `specialist.view`.",
  request: { params: SpecialistId },
  responses: { 200: { description: "The specialist.", content: { "application/json": { schema: SpecialistSchema } } }, ...NOT_FOUND },
});

export function peopleApi(api: Api, deps: Installation): void {
  api.openapi(listClients, (c) => {
    const q = c.req.valid("query");
    const page = paginate(clientsOf(deps, actorOf(c)), (p) => [p.createdAt.getTime(), p.id], q.limit, cursorKey(q.cursor, ["number", "string"]));
    auditApiRead(deps, c, { action: "clients.list", details: { count: page.items.length } });
    return c.json({ items: page.items.map((p) => clientJson(deps, p)), next: page.next }, 200);
  });

  api.openapi(lookupClient, (c) => {
    keepForRetry(c, { kind: "rerun" }); // a read: a retry under the same key is a new read, authorised and audited now
    const found = findPersonByEmail(deps, c.req.valid("json").email);
    const client = found ? visibleClient(deps, c, found.id) : null;
    if (!client) {
      auditApiRead(deps, c, { action: "client.search", details: { results: 0 } });
      throw new AppError(404, "No client with this email that the token's owner may see.");
    }
    auditApiRead(deps, c, { action: "person.view", target: client.id, details: { by: "email" } });
    return c.json(clientJson(deps, client), 200);
  });

  api.openapi(getClient, (c) => {
    const client = visibleClient(deps, c, c.req.valid("param").id);
    if (!client) throw new AppError(404, "No client with this id that the token's owner may see.");
    auditApiRead(deps, c, { action: "person.view", target: client.id });
    return c.json(clientJson(deps, client), 200);
  });

  api.openapi(createClient, (c) => {
    const input = c.req.valid("json");
    const actor = actorOf(c);
    if (retryOf(c)) {
      // Nothing naming the client was kept: the retry carries the same email, by which the client is read again.
      const found = findPersonByEmail(deps, input.email);
      const again = found ? visibleClient(deps, c, found.id) : null;
      if (!again) throw new AppError(404, "The first request with this Idempotency-Key added the client, who is no longer found by this email (erased, or the email changed). Nothing was added again.");
      auditApiRead(deps, c, { action: "person.view", target: again.id, details: { by: "email", retry: true } });
      c.header("location", `/api/v1/clients/${again.id}`);
      return c.json({ ...clientJson(deps, again), invitationMailed: deps.config.smtp !== null }, 201);
    }
    const result = invitePerson(deps, { ...input, role: "client", phone: input.phone || null }, actor.personId);
    if (result.kind === "email-taken") {
      const existing = findPersonByEmail(deps, input.email);
      const readable = existing?.role === "client" && holderMay(c.get("holder"), "people:read") && maySeeClient(deps, actor, existing.id);
      // A problem with an extension member; the typed responses know only c.json's, hence the cast.
      return problem(c, 409, { detail: "Someone with this email is already known here. Emails are unique: look the client up instead.", ...(readable ? { existingId: existing.id } : {}) }) as never;
    }
    const client = getPersonWithAccount(deps, result.personId)!;
    keepForRetry(c, { kind: "reread", facts: {} });
    c.header("location", `/api/v1/clients/${client.id}`);
    return c.json({ ...clientJson(deps, client), invitationMailed: deps.config.smtp !== null }, 201);
  });

  api.openapi(listSpecialists, (c) => {
    const q = c.req.valid("query");
    const page = paginate(specialistsOf(deps), (s) => [s.person.id], q.limit, cursorKey(q.cursor, ["string"]));
    auditApiRead(deps, c, { action: "specialists.list", details: { count: page.items.length } });
    return c.json({ items: page.items.map((s) => specialistJson(deps, s)), next: page.next }, 200);
  });

  api.openapi(getSpecialist, (c) => {
    const id = c.req.valid("param").id;
    const found = specialistsOf(deps).find((s) => s.person.id === id);
    if (!found) throw new AppError(404, "No specialist with this id.");
    auditApiRead(deps, c, { action: "specialist.view", target: id });
    return c.json(specialistJson(deps, found), 200);
  });
}
