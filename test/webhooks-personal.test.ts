// Personal data in a webhook goes out only as things stand at each attempt, not as they stood at the event: a retry
// or a replay after the admin turned the endpoint's personal data off, or after the client's processing was
// restricted (GDPR art. 18), carries no `data.client`; after erasure nothing is sent. The message id stays the same
// and the signature covers what is actually sent. Real receivers on loopback, the real job worker.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { createPerson } from "../src/people/people.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { liftRestriction, restrictProcessing } from "../src/retention/holds.ts";
import { listDeliveries, replayDelivery } from "../src/webhooks/deliveries.ts";
import { createEndpoint, updateEndpoint } from "../src/webhooks/endpoints.ts";
import { jobWorker } from "../src/worker.ts";
import { setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let inst: TestInstallation;
let admin: TestPerson;
let r: WebhookReceiver;

beforeEach(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  inst.clock.set(inst.clock.now());
});
afterEach(async () => {
  await r.stop();
  inst.close();
});

/** An endpoint allowed personal data, subscribed to client.created, and one client created: the delivery queued. */
async function personalEndpointAndClient(answers: WebhookReceiver["answers"]): Promise<{ endpointId: string; secret: string; clientId: string }> {
  r = startReceiver("127.0.0.2", answers);
  const made = await createEndpoint(inst, { url: r.url, events: ["client.created"], personalData: true, internalHost: r.host }, admin.personId);
  if (!made.ok) throw new Error(`endpoint refused: ${JSON.stringify(made)}`);
  const client = createPerson(inst, { role: "client", email: "secret.person@example.org", name: "Secret Person" }, admin.personId)!;
  return { endpointId: made.endpoint.id, secret: made.secret, clientId: client.id };
}

/** The n-th request the receiver got, its signature verified with the endpoint's secret: the payload. */
function sent(n: number, secret: string): { data: Record<string, unknown> } {
  const hook = r.received[n]!;
  return new Webhook(secret).verify(hook.body, hook.headers) as never;
}

const runWorker = () => jobWorker(inst).runDue();

async function replayFirst(endpointId: string): Promise<void> {
  const [d] = listDeliveries(inst.db, endpointId);
  expect(replayDelivery(inst, endpointId, d!.id, admin.personId).ok).toBe(true);
  await runWorker();
}

test("a retry after the admin turned personal data off carries no client, under the same id, signed as sent", async () => {
  const { endpointId, secret, clientId } = await personalEndpointAndClient([500, 200]);
  await runWorker();
  expect(sent(0, secret).data.client).toEqual({ name: "Secret Person", email: "secret.person@example.org" });
  expect((await updateEndpoint(inst, endpointId, { personalData: false }, admin.personId)).ok).toBe(true);
  inst.clock.advance(61_000);
  await runWorker();
  expect(r.received).toHaveLength(2);
  const retry = sent(1, secret);
  expect(retry.data).toEqual({ clientId, createdAt: expect.any(String) });
  expect(r.received[1]!.body).not.toContain("secret.person");
  expect(r.received[1]!.headers["webhook-id"]).toBe(r.received[0]!.headers["webhook-id"]!);
  expect(listDeliveries(inst.db, endpointId)[0]).toMatchObject({ status: "delivered", attempts: 2 });
});

test("a replay after the client's processing was restricted carries no client; lifted, the client is named again", async () => {
  const { endpointId, secret, clientId } = await personalEndpointAndClient([200]);
  await runWorker();
  expect(restrictProcessing(inst, clientId, "request", admin.personId)).toBe(true);
  await replayFirst(endpointId);
  expect(r.received).toHaveLength(2);
  expect(sent(1, secret).data).toEqual({ clientId, createdAt: expect.any(String) });
  expect(r.received[1]!.body).not.toContain("Secret Person");
  expect(r.received[1]!.headers["webhook-id"]).toBe(r.received[0]!.headers["webhook-id"]!);
  expect(liftRestriction(inst, clientId, admin.personId)).toBe(true);
  inst.clock.advance(1000); // a replay's job is keyed by its instant
  await replayFirst(endpointId);
  expect(sent(2, secret).data.client).toEqual({ name: "Secret Person", email: "secret.person@example.org" });
});

test("a replay after personal data was turned off and processing restricted (the reviewer's case) names no one", async () => {
  const { endpointId, secret, clientId } = await personalEndpointAndClient([200]);
  await runWorker();
  expect((await updateEndpoint(inst, endpointId, { personalData: false }, admin.personId)).ok).toBe(true);
  expect(restrictProcessing(inst, clientId, "objection", admin.personId)).toBe(true);
  await replayFirst(endpointId);
  expect(sent(1, secret).data).not.toHaveProperty("client");
});

test("a replay after the client was erased sends nothing: the payload is shredded, the log says why", async () => {
  const { endpointId, clientId } = await personalEndpointAndClient([200]);
  await runWorker();
  expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, clientId, admin.personId).ok).toBe(true);
  await replayFirst(endpointId);
  expect(r.received).toHaveLength(1);
  expect(listDeliveries(inst.db, endpointId)[0]).toMatchObject({ status: "failed", lastError: "the payload can no longer be opened: the client it names was erased" });
});
