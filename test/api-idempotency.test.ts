// What a retry under an Idempotency-Key gets, through the real app and real tokens, and what is kept for it: never a
// client's data or a signing secret. Adding a client or booking is answered afresh (read now, audited now, and after
// the client's erasure not at all); a lookup by email is a new read each time; a webhook's secret is shown once, a
// retry says how to rotate it; a room's retry is the same room; a route that vouches for nothing gets its status and
// Location back with a note; a refusal keeps nothing; kept rows go after 24 hours without another keyed POST.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { scopesFor, type Scope } from "../src/api/scopes.ts";
import { createToken } from "../src/api/tokens.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { housekeeping } from "../src/server.ts";
import { ORG_SUBJECT } from "../src/vault/vault.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { idempotencyProbe } from "./support/api.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let serviceId: string;

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist");
  serviceId = makeService(inst, admin.personId, [spec.personId], { cancelHours: 0 }).id;
  setHours(inst, spec.personId, everyDay("UTC"));
}, 60_000);
afterAll(() => inst.close());

interface Token {
  id: string;
  secret: string;
}
function tokenOf(who: TestPerson, name: string, scopes: readonly Scope[] = scopesFor(who.role)): Token {
  const made = createToken(inst, { personId: who.personId, name, scopes, expiresAt: inst.clock.now() + 30 * 86_400_000 }, who.personId);
  if (!made.ok) throw new Error(made.reason);
  return { id: made.token.id, secret: made.secret };
}

function post(t: Token, path: string, key: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${t.secret}`, "idempotency-key": key };
  if (body !== undefined) headers["content-type"] = "application/json";
  return Promise.resolve(inst.app.request(new URL(`/api/v1${path}`, inst.config.publicUrl).toString(), { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) }));
}

/** What the row of a key holds, opened: all that a retry can be answered from. */
function keptOf(t: Token, key: string): string | null {
  const row = inst.db.$client.query("SELECT response FROM api_idempotency WHERE token_id = ? AND key = ?").get(t.id, key) as { response: Uint8Array | null } | null;
  if (!row) return null;
  return inst.vault.openField(ORG_SUBJECT, "api_idempotency", "response", `${t.id}/${key}`, Buffer.from(row.response!));
}
const rowCount = () => (inst.db.$client.query("SELECT count(*) AS n FROM api_idempotency").get() as { n: number }).n;
const auditOf = (action: string, target: string) =>
  (inst.db.$client.query("SELECT actor, details FROM audit_log WHERE action = ? AND target = ? ORDER BY id").all(action, target) as { actor: string; details: string }[]).map((e) => ({ actor: e.actor, details: JSON.parse(e.details) as Record<string, unknown> }));

describe("answers with personal data are read again, never kept", () => {
  test("adding a client: the retry reads the client now (audited), the row names no one, and after erasure nothing comes back", async () => {
    const crm = tokenOf(admin, "CRM");
    const email = `kept.${crypto.randomUUID().slice(0, 8)}@example.org`;
    const first = await post(crm, "/clients", "add-1", { name: "Nadia Kept", email, phone: "+79990001122" });
    expect(first.status).toBe(201);
    const created = (await first.json()) as { id: string; name: string };
    const kept = keptOf(crm, "add-1")!;
    for (const personal of [created.id, "Nadia", email, "79990001122"]) expect(kept).not.toContain(personal);

    const again = await post(crm, "/clients", "add-1", { name: "Nadia Kept", email, phone: "+79990001122" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(((await again.json()) as { id: string }).id).toBe(created.id);
    expect(auditOf("person.view", created.id)).toEqual([{ actor: admin.personId, details: { by: "email", retry: true, token: "CRM" } }]);

    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, created.id, admin.personId).ok).toBe(true);
    const afterErasure = await post(crm, "/clients", "add-1", { name: "Nadia Kept", email, phone: "+79990001122" });
    expect(afterErasure.status).toBe(404);
    const text = await afterErasure.text();
    expect(text).toContain("no longer found");
    expect(text).not.toContain("Nadia");
    expect(auditOf("person.view", created.id)).toHaveLength(1);
  });

  test("a lookup by email keeps nothing: each retry is a new read, audited, and finds no one once the client is erased", async () => {
    const crm = tokenOf(admin, "Lookup CRM", ["people:read"]);
    const client = await addPerson(inst, admin.personId, "client", { name: "Erase Me" });
    const lookup = () => post(crm, "/clients/lookup", "lookup-1", { email: client.email });
    expect((await lookup()).status).toBe(200);
    expect(keptOf(crm, "lookup-1")).toBeNull();
    const again = await lookup();
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(auditOf("person.view", client.personId)).toHaveLength(2);

    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, client.personId, admin.personId).ok).toBe(true);
    const afterErasure = await lookup();
    expect(afterErasure.status).toBe(404);
    expect(await afterErasure.text()).not.toContain("Erase Me");
  });

  test("a booking's retry reads the appointment as it is now, audited; the row holds its id only", async () => {
    const staff = await addPerson(inst, admin.personId, "staff");
    const desk = tokenOf(staff, "Front desk");
    const client = await addPerson(inst, admin.personId, "client", { name: "Booked Person" });
    const body = { serviceId, specialistId: spec.personId, start: new Date(at(dayAhead(3), "10:00")).toISOString(), clientId: client.personId };
    const first = await post(desk, "/appointments", "book-1", body);
    expect(first.status).toBe(201);
    const booked = (await first.json()) as { id: string; status: string };
    expect(JSON.parse(keptOf(desk, "book-1")!)).toEqual({ kind: "reread", facts: { appointmentId: booked.id } });
    const cancel = await post(desk, `/appointments/${booked.id}/cancel`, "cancel-1", { reason: "Ill" });
    expect(((await cancel.json()) as { status: string }).status).toBe("cancelled");
    const again = await post(desk, "/appointments", "book-1", body);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(`/api/v1/appointments/${booked.id}`);
    expect(await again.json()).toMatchObject({ id: booked.id, status: "cancelled" });
    const cancelAgain = await post(desk, `/appointments/${booked.id}/cancel`, "cancel-1", { reason: "Ill" });
    expect(cancelAgain.status).toBe(200);
    expect(cancelAgain.headers.get("idempotent-replayed")).toBe("true");
    expect(auditOf("appointment.view", booked.id).map((e) => e.details)).toEqual([
      { via: "api", retry: true, token: "Front desk" },
      { via: "api", retry: true, token: "Front desk" },
    ]);
  });
});

describe("secrets are shown once", () => {
  test("a webhook's create and rotation retried: the endpoint without its secret, and how to rotate", async () => {
    const hooks = tokenOf(admin, "Hooks", ["webhooks:manage"]);
    const body = { url: "http://127.0.0.6:9/hook", events: ["client.created"], internalHost: "127.0.0.6" };
    const first = await post(hooks, "/webhooks", "hook-1", body);
    expect(first.status).toBe(201);
    const made = (await first.json()) as { endpoint: { id: string }; secret: string };
    expect(made.secret).toStartWith("whsec_");
    expect(keptOf(hooks, "hook-1")).not.toContain(made.secret.slice(6));

    inst.clock.advance(23 * 3600_000);
    const again = await post(hooks, "/webhooks", "hook-1", body);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const retried = (await again.json()) as { endpoint: { id: string }; secret: null; note: string };
    expect(retried.endpoint.id).toBe(made.endpoint.id);
    expect(retried.secret).toBeNull();
    expect(retried.note).toContain(`POST /api/v1/webhooks/${made.endpoint.id}/rotate-secret`);
    expect(JSON.stringify(retried)).not.toContain(made.secret);

    const rotated = await post(hooks, `/webhooks/${made.endpoint.id}/rotate-secret`, "rotate-1");
    const fresh = ((await rotated.json()) as { secret: string }).secret;
    expect(fresh).toStartWith("whsec_");
    expect(keptOf(hooks, "rotate-1")).not.toContain(fresh.slice(6));
    const rotatedAgain = await post(hooks, `/webhooks/${made.endpoint.id}/rotate-secret`, "rotate-1");
    expect(rotatedAgain.status).toBe(200);
    expect(((await rotatedAgain.json()) as { secret: null; note: string }).secret).toBeNull();
    expect(inst.db.$client.query("SELECT count(*) AS n FROM audit_log WHERE action = 'webhook.rotate-secret' AND target = ?").get(made.endpoint.id)).toEqual({ n: 1 });
  });

  test("a room's retry is the same room with its link, read again; nothing of the link is kept", async () => {
    const app = tokenOf(spec, "Practice app");
    const first = await post(app, "/rooms", "room-1", { label: "Second opinion" });
    expect(first.status).toBe(201);
    const room = (await first.json()) as { id: string; invitation: { url: string } };
    const capability = room.invitation.url.split("/").at(-1)!;
    expect(keptOf(app, "room-1")).not.toContain(capability);
    expect(keptOf(app, "room-1")).not.toContain("Second opinion");
    const again = await post(app, "/rooms", "room-1", { label: "Second opinion" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toMatchObject({ id: room.id, label: "Second opinion", invitation: { url: room.invitation.url } });
    expect((inst.db.$client.query("SELECT count(*) AS n FROM rooms WHERE owner_id = ?").get(spec.personId) as { n: number }).n).toBe(1);
  });
});

describe("what else is kept, and for how long", () => {
  test("a route that vouches for nothing: its status and Location come back with a note, not its body", async () => {
    const t = tokenOf(spec, "Probe", ["appointments:write"]);
    const probe = idempotencyProbe(inst, { keep: false });
    const first = await probe.post(t.secret, "quiet", { canary: "CANARY-quiet" });
    expect(first.status).toBe(201);
    const again = await probe.post(t.secret, "quiet", { canary: "CANARY-quiet" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    const body = (await again.json()) as { replayed: boolean; detail: string };
    expect(body.replayed).toBe(true);
    expect(body.detail).toContain("its answer is not kept");
    expect(JSON.stringify(body)).not.toContain("CANARY");
    expect(probe.runs()).toBe(1);
  });

  test("a refusal keeps nothing: the same request under the same key runs again", async () => {
    const crm = tokenOf(admin, "Refused CRM");
    const known = await addPerson(inst, admin.personId, "client");
    const dup = () => post(crm, "/clients", "dup-1", { name: "Someone", email: known.email });
    expect((await dup()).status).toBe(409);
    expect(keptOf(crm, "dup-1")).toBeNull();
    const again = await dup();
    expect(again.status).toBe(409);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
  });

  test("kept rows go after 24 hours with the housekeeping, without another keyed POST", async () => {
    const t = tokenOf(spec, "Prune probe", ["appointments:write"]);
    expect((await idempotencyProbe(inst).post(t.secret, "old", { n: 1 })).status).toBe(201);
    expect(keptOf(t, "old")).not.toBeNull();
    inst.clock.advance(23 * 3600_000);
    housekeeping(inst);
    expect(keptOf(t, "old")).not.toBeNull();
    inst.clock.advance(2 * 3600_000);
    housekeeping(inst);
    expect(keptOf(t, "old")).toBeNull();
    expect(rowCount()).toBe(0);
  });
});
