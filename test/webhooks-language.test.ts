// Why an endpoint is disabled and why a delivery failed are stored as codes with their numbers and dates, and worded
// when shown: a Russian admin reads Russian with their own date and time, an English one English, the API English
// with ISO 8601. Rows written before the codes (English sentences) are still shown as they are.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { setPersonPreferences } from "../src/people/people.ts";
import { createPerson } from "../src/people/people.ts";
import { attemptDelivery } from "../src/webhooks/deliver.ts";
import { listDeliveries } from "../src/webhooks/deliveries.ts";
import { createEndpoint, getEndpoint } from "../src/webhooks/endpoints.ts";
import { jobWorker } from "../src/worker.ts";
import { setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let inst: TestInstallation;
let admin: TestPerson;
let receivers: WebhookReceiver[] = [];
const AT = Date.UTC(2026, 2, 1, 9, 30); // 12:30 in Moscow

beforeEach(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  setPersonPreferences(inst.db, admin.personId, { timeZone: "Europe/Moscow" });
  inst.clock.set(AT);
});
afterEach(async () => {
  for (const r of receivers) await r.stop();
  receivers = [];
  inst.close();
});

async function endpointAnswering(host: string, answers: WebhookReceiver["answers"]): Promise<{ id: string; receiver: WebhookReceiver }> {
  const receiver = startReceiver(host, answers);
  receivers.push(receiver);
  const made = await createEndpoint(inst, { url: receiver.url, events: ["client.created"], personalData: false, internalHost: host }, admin.personId);
  if (!made.ok) throw new Error(`endpoint refused: ${JSON.stringify(made)}`);
  return { id: made.endpoint.id, receiver };
}

const page = async (path: string, language: "ru" | "en") => (await signedInClient(inst, admin).get(path, { "accept-language": language })).text();

test("a 410 Gone is shown in the reader's language with their date and time; stored as a code, worded in English for the API", async () => {
  const { id } = await endpointAnswering("127.0.0.2", [410]);
  createPerson(inst, { role: "client", email: "gone@example.org", name: "G" }, admin.personId);
  await jobWorker(inst).runDue();

  const stored = inst.db.$client.query("SELECT disabled_reason AS reason FROM webhook_endpoints WHERE id = ?").get(id) as { reason: string };
  expect(JSON.parse(stored.reason)).toEqual({ code: "gone", at: AT });
  expect(getEndpoint(inst, id)!.disabledReason).toBe("the receiver answered 410 Gone on 2026-03-01T09:30:00.000Z");

  for (const path of ["/admin/webhooks", `/admin/webhooks/${id}`]) {
    const ru = await page(path, "ru");
    expect(ru).toMatch(/Отключён: [^<]*12:30[^<]* получатель ответил 410 Gone/);
    expect(ru).not.toContain("the receiver answered");
    expect(await page(path, "en")).toMatch(/Disabled: the receiver answered 410 Gone on [^<]*12:30/);
  }
  const ru = await page(`/admin/webhooks/${id}`, "ru");
  expect(ru).toContain("получатель ответил 410 Gone: адрес отключён"); // the delivery log
});

test("a delivery's last error is worded in the reader's language: a refused connection on the last attempt", async () => {
  const { id, receiver } = await endpointAnswering("127.0.0.3", [200]);
  await receiver.stop(); // nothing listens there now: the connection is refused
  createPerson(inst, { role: "client", email: "refused@example.org", name: "R" }, admin.personId);
  const [delivery] = listDeliveries(inst.db, id);
  expect(await attemptDelivery(inst, delivery!.id, { last: true })).toMatchObject({ outcome: "failed", reason: "connection refused; no more retries" });
  const stored = inst.db.$client.query("SELECT last_error AS e FROM webhook_deliveries WHERE id = ?").get(delivery!.id) as { e: string };
  expect(JSON.parse(stored.e)).toEqual({ code: "network", network: { failure: "refused" }, final: true });
  expect(listDeliveries(inst.db, id)[0]!.lastError).toBe("connection refused; no more retries");
  const ru = await page(`/admin/webhooks/${id}`, "ru");
  expect(ru).toContain("в соединении отказано; повторов больше не будет");
  expect(ru).not.toContain("connection refused");
  expect(await page(`/admin/webhooks/${id}`, "en")).toContain("connection refused; no more retries");
});

test("a disabled endpoint and a failed delivery stored as English sentences (before the codes) are still shown as they are", async () => {
  const { id } = await endpointAnswering("127.0.0.2", [500]);
  createPerson(inst, { role: "client", email: "old@example.org", name: "O" }, admin.personId);
  const [delivery] = listDeliveries(inst.db, id);
  inst.db.$client.run("UPDATE webhook_deliveries SET status = 'failed', last_error = 'the receiver answered 503; no more retries' WHERE id = ?", [delivery!.id]);
  inst.db.$client.run("UPDATE webhook_endpoints SET enabled = 0, disabled_at = ?, disabled_reason = 'the receiver answered 410 Gone on 2025-03-01T09:30:00.000Z' WHERE id = ?", [AT, id]);
  expect(getEndpoint(inst, id)).toMatchObject({ enabled: false, disabledReason: "the receiver answered 410 Gone on 2025-03-01T09:30:00.000Z" });
  expect(listDeliveries(inst.db, id)[0]!.lastError).toBe("the receiver answered 503; no more retries");
  const ru = await page(`/admin/webhooks/${id}`, "ru");
  expect(ru).toContain("Отключён: the receiver answered 410 Gone on 2025-03-01T09:30:00.000Z");
  expect(ru).toContain("the receiver answered 503; no more retries");
});

test("an endpoint an admin disabled says so in the reader's language", async () => {
  const { id } = await endpointAnswering("127.0.0.2", [200]);
  const c = signedInClient(inst, admin);
  expect((await c.post(`/admin/webhooks/${id}/disable`)).status).toBe(200);
  expect(getEndpoint(inst, id)!.disabledReason).toBe("disabled by an admin");
  expect(await page("/admin/webhooks", "ru")).toContain("Отключён: администратором");
});
