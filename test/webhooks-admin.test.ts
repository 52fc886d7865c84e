// The admin's webhooks pages, driven like a browser: add an endpoint (the secret shown once), a refused address with
// the reason beside the field, a test event that reaches a real receiver and shows its status code in the log,
// replay, rotation, disable and enable, delete; each audited with the admin as actor. Other roles are refused.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { listDeliveries } from "../src/webhooks/deliveries.ts";
import { listEndpoints } from "../src/webhooks/endpoints.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import type { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let inst: TestInstallation;
let admin: TestPerson;
let browser: TestClient;
let r: WebhookReceiver;

beforeEach(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  browser = signedInClient(inst, admin);
  r = startReceiver("127.0.0.2");
});
afterEach(async () => {
  await r.stop();
  inst.close();
});

const secretIn = (html: string) => /whsec_[A-Za-z0-9+/=]+/.exec(html)?.[0] ?? null;
const auditActions = () => (inst.db.$client.query("SELECT action, actor FROM audit_log WHERE action LIKE 'webhook.%' ORDER BY id").all() as { action: string; actor: string }[]).map((a) => `${a.action} by ${a.actor === admin.personId ? "admin" : a.actor}`);

async function addEndpoint(form: Record<string, string>): Promise<Response> {
  return browser.post("/admin/webhooks", { url: r.url, internalHost: "127.0.0.2", "event.client.created": "on", ...form });
}

test("the Administration page links to webhooks; an empty list says what to do", async () => {
  expect(await (await browser.get("/admin")).text()).toContain('href="/admin/webhooks"');
  const page = await browser.get("/admin/webhooks");
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("No endpoints yet");
});

test("a private address is refused beside the field, nothing is saved", async () => {
  const res = await browser.post("/admin/webhooks", { url: "http://10.0.0.7/hook", "event.client.created": "on" });
  expect(res.status).toBe(422);
  const html = await res.text();
  expect(html).toContain("10.0.0.7 is on this appliance or a private network, where webhooks are not sent unless you allow this host as an internal host.");
  expect(html).toContain('aria-invalid="true"');
  const noEvents = await browser.post("/admin/webhooks", { url: r.url, internalHost: "127.0.0.2" });
  expect(noEvents.status).toBe(422);
  expect(await noEvents.text()).toContain("Choose at least one event.");
  expect(listEndpoints(inst)).toEqual([]);
});

test("adding an endpoint shows the secret once; a test event reaches the receiver and its code shows in the log", async () => {
  const res = await addEndpoint({ personalData: "on" });
  expect(res.status).toBe(201);
  const html = await res.text();
  const secret = secretIn(html)!;
  expect(secret).not.toBeNull();
  expect(html).toContain("Shown only this once");
  const [endpoint] = listEndpoints(inst);
  expect(endpoint).toMatchObject({ url: r.url, events: ["client.created"], personalData: true, internalHost: "127.0.0.2", enabled: true });
  const page = await (await browser.get(`/admin/webhooks/${endpoint!.id}`)).text();
  expect(secretIn(page)).toBeNull(); // never again

  expect((await browser.post(`/admin/webhooks/${endpoint!.id}/test`)).status).toBe(200);
  await jobWorker(inst).runDue();
  expect(r.received).toHaveLength(1);
  expect(new Webhook(secret).verify(r.received[0]!.body, r.received[0]!.headers)).toMatchObject({ type: "webhook.test" });
  const log = await (await browser.get(`/admin/webhooks/${endpoint!.id}`)).text();
  expect(log).toContain("Delivered");
  expect(log).toContain(">200<");

  const [delivery] = listDeliveries(inst.db, endpoint!.id);
  expect((await browser.post(`/admin/webhooks/${endpoint!.id}/deliveries/${delivery!.id}/replay`)).status).toBe(200);
  await jobWorker(inst).runDue();
  expect(r.received).toHaveLength(2);
  expect(r.received[1]!.headers["webhook-id"]).toBe(delivery!.id);

  const rotated = await browser.post(`/admin/webhooks/${endpoint!.id}/rotate`);
  const newSecret = secretIn(await rotated.text());
  expect(newSecret).not.toBeNull();
  expect(newSecret).not.toBe(secret);

  expect(await (await browser.post(`/admin/webhooks/${endpoint!.id}/disable`)).text()).toContain("nothing is sent to it until it is enabled");
  expect(listEndpoints(inst)[0]!.enabled).toBe(false);
  expect((await browser.post(`/admin/webhooks/${endpoint!.id}/test`)).status).toBe(409);
  expect((await browser.post(`/admin/webhooks/${endpoint!.id}/enable`)).status).toBe(200);
  expect(listEndpoints(inst)[0]!.enabled).toBe(true);

  const changed = await browser.post(`/admin/webhooks/${endpoint!.id}`, { url: r.url, internalHost: "127.0.0.2", "event.appointment.booked": "on", "event.appointment.cancelled": "on" });
  expect(changed.status).toBe(200);
  expect(listEndpoints(inst)[0]).toMatchObject({ events: ["appointment.booked", "appointment.cancelled"], personalData: false });

  expect((await browser.post(`/admin/webhooks/${endpoint!.id}/delete`)).status).toBe(200);
  expect(listEndpoints(inst)).toEqual([]);
  expect(inst.db.$client.query("SELECT count(*) AS n FROM webhook_deliveries").get()).toEqual({ n: 0 });
  expect(auditActions()).toEqual([
    "webhook.create by admin",
    "webhook.test by admin",
    "webhook.replay by admin",
    "webhook.rotate-secret by admin",
    "webhook.disable by admin",
    "webhook.enable by admin",
    "webhook.update by admin",
    "webhook.delete by admin",
  ]);
});

test("an unknown endpoint or delivery is a 404, never a 500", async () => {
  expect((await browser.get("/admin/webhooks/whe_nope")).status).toBe(404);
  expect((await browser.post("/admin/webhooks/whe_nope/test")).status).toBe(404);
  expect((await browser.post("/admin/webhooks/whe_nope/deliveries/msg_x/replay")).status).toBe(404);
  await addEndpoint({});
  const [endpoint] = listEndpoints(inst);
  expect((await browser.post(`/admin/webhooks/${endpoint!.id}/deliveries/msg_x/replay`)).status).toBe(404);
});

test("only admins reach the webhooks pages", async () => {
  const specialist = await addPerson(inst, admin.personId, "specialist");
  const staff = await addPerson(inst, admin.personId, "staff");
  for (const p of [specialist, staff]) {
    const b = signedInClient(inst, p);
    expect((await b.get("/admin/webhooks")).status).toBe(403);
    expect((await b.post("/admin/webhooks", { url: r.url, "event.client.created": "on" })).status).toBe(403);
  }
  expect(listEndpoints(inst)).toEqual([]);
});
