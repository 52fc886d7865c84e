// /api/v1/webhooks with a real admin token: create (secret once), the SSRF refusal as problem details, read, change,
// the delivery log with every attempt's status code after the real worker sent to a real receiver, replay, rotation,
// a test event, delete; a token without the scope gets 403.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { createToken } from "../src/api/tokens.ts";
import { createPerson } from "../src/people/people.ts";
import { jobWorker } from "../src/worker.ts";
import { setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let inst: TestInstallation;
let admin: TestPerson;
let token: string;
let r: WebhookReceiver;

beforeEach(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  const made = createToken(inst, { personId: admin.personId, name: "crm", scopes: ["webhooks:manage"], expiresAt: inst.clock.now() + 86_400_000 }, admin.personId);
  if (!made.ok) throw new Error(made.reason);
  token = made.secret;
  r = startReceiver("127.0.0.2");
});
afterEach(async () => {
  await r.stop();
  inst.close();
});

async function call(method: string, path: string, body?: unknown, bearer = token): Promise<Response> {
  return await inst.app.request(`http://localhost/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test("create, read, change, deliver, read the log, replay, rotate, test and delete through the API", async () => {
  const refused = await call("POST", "/webhooks", { url: "http://169.254.169.254/latest/meta-data/", events: ["client.created"] });
  expect(refused.status).toBe(422);
  expect(refused.headers.get("content-type")).toBe("application/problem+json");
  expect((await refused.json()).detail).toBe("169.254.169.254 is a metadata address: webhooks are not sent there.");
  const badEvent = await call("POST", "/webhooks", { url: r.url, events: ["appointment.exploded"] });
  expect(badEvent.status).toBe(400);

  const created = await call("POST", "/webhooks", { url: r.url, events: ["client.created"], internalHost: "127.0.0.2" });
  expect(created.status).toBe(201);
  const { endpoint, secret } = await created.json();
  expect(secret).toMatch(/^whsec_/);
  expect(endpoint).toMatchObject({ url: r.url, events: ["client.created"], personalData: false, internalHost: "127.0.0.2", enabled: true, disabledAt: null });

  const read = await call("GET", `/webhooks/${endpoint.id}`);
  expect(JSON.stringify(await read.json())).not.toContain("whsec_");
  const listed = await (await call("GET", "/webhooks")).json();
  expect(listed.items.map((e: { id: string }) => e.id)).toEqual([endpoint.id]);

  const patched = await call("PATCH", `/webhooks/${endpoint.id}`, { personalData: true });
  expect(patched.status).toBe(200);
  expect((await patched.json()).personalData).toBe(true);
  const badPatch = await call("PATCH", `/webhooks/${endpoint.id}`, { internalHost: null });
  expect(badPatch.status).toBe(422);
  expect((await badPatch.json()).detail).toContain("loopback address");

  createPerson(inst, { role: "client", email: "api@example.org", name: "Api Client" }, admin.personId);
  await jobWorker(inst).runDue();
  expect(r.received).toHaveLength(1);
  expect(new Webhook(secret).verify(r.received[0]!.body, r.received[0]!.headers)).toMatchObject({ data: { client: { name: "Api Client", email: "api@example.org" } } });

  const log = await (await call("GET", `/webhooks/${endpoint.id}/deliveries`)).json();
  expect(log.items).toHaveLength(1);
  expect(log.items[0]).toMatchObject({ eventType: "client.created", status: "delivered", lastStatus: 200, personal: true, attempts: [{ status: 200, error: null }] });
  expect(JSON.stringify(log)).not.toContain("Api Client");

  const replayed = await call("POST", `/webhooks/${endpoint.id}/deliveries/${log.items[0].id}/replay`);
  expect(replayed.status).toBe(202);
  expect((await call("POST", `/webhooks/${endpoint.id}/deliveries/${log.items[0].id}/replay`)).status).toBe(409);
  await jobWorker(inst).runDue();
  expect(r.received[1]!.headers["webhook-id"]).toBe(log.items[0].id);
  expect((await call("POST", `/webhooks/${endpoint.id}/deliveries/msg_none/replay`)).status).toBe(404);

  const rotated = await (await call("POST", `/webhooks/${endpoint.id}/rotate-secret`)).json();
  expect(rotated.secret).not.toBe(secret);
  const tested = await call("POST", `/webhooks/${endpoint.id}/test`);
  expect(tested.status).toBe(202);
  await jobWorker(inst).runDue();
  expect(new Webhook(rotated.secret).verify(r.received[2]!.body, r.received[2]!.headers)).toMatchObject({ type: "webhook.test" });

  expect((await call("PATCH", `/webhooks/${endpoint.id}`, { enabled: false })).status).toBe(200);
  expect((await call("POST", `/webhooks/${endpoint.id}/test`)).status).toBe(409);
  expect((await call("DELETE", `/webhooks/${endpoint.id}`)).status).toBe(204);
  expect((await call("GET", `/webhooks/${endpoint.id}`)).status).toBe(404);
  expect((await call("GET", `/webhooks/${endpoint.id}/deliveries`)).status).toBe(404);
  const audit = inst.db.$client.query("SELECT action FROM audit_log WHERE action LIKE 'webhook.%' AND actor = ? ORDER BY id").all(admin.personId);
  expect(audit.map((a) => (a as { action: string }).action)).toEqual(["webhook.create", "webhook.update", "webhook.replay", "webhook.rotate-secret", "webhook.test", "webhook.update", "webhook.delete"]);
});

test("a token without webhooks:manage is refused with 403", async () => {
  const other = createToken(inst, { personId: admin.personId, name: "reader", scopes: ["appointments:read"], expiresAt: inst.clock.now() + 86_400_000 }, admin.personId);
  if (!other.ok) throw new Error(other.reason);
  const res = await call("GET", "/webhooks", undefined, other.secret);
  expect(res.status).toBe(403);
  expect((await res.json()).detail).toContain("webhooks:manage");
});

test("the endpoints list is paginated by cursor", async () => {
  for (let i = 0; i < 3; i++) {
    inst.clock.advance(1);
    expect((await call("POST", "/webhooks", { url: `${r.url}/${i}`, events: ["client.created"], internalHost: "127.0.0.2" })).status).toBe(201);
  }
  const first = await (await call("GET", "/webhooks?limit=2")).json();
  expect(first.items).toHaveLength(2);
  const second = await (await call("GET", `/webhooks?limit=2&cursor=${first.next}`)).json();
  expect(second.items).toHaveLength(1);
  expect(second.next).toBeNull();
  expect((await call("GET", "/webhooks?cursor=garbage")).status).toBe(400);
});
