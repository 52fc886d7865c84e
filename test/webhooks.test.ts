// Webhooks delivered to real HTTP receivers on loopback by the real job worker: signed per Standard Webhooks (checked
// with the standardwebhooks library's own verify), retried on 500, disabled on 410, never sent for a change that
// rolled back, personal data only where an admin allowed it, replayed from the log with the same id and payload.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { book, cancelAppointment, markNoShow, rescheduleAppointment } from "../src/booking/appointments.ts";
import { createMetrics } from "../src/ops/metrics.ts";
import { createPerson } from "../src/people/people.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { closeRoom, createRoom } from "../src/rooms/rooms.ts";
import { attemptDelivery } from "../src/webhooks/deliver.ts";
import { listAttempts, listDeliveries, pruneDeliveries, replayDelivery } from "../src/webhooks/deliveries.ts";
import { createEndpoint, getEndpoint, rotateSecret, sendTestEvent, type WebhookEndpoint } from "../src/webhooks/endpoints.ts";
import type { WebhookEventType } from "../src/webhooks/events.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let receivers: WebhookReceiver[] = [];

beforeEach(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist");
  setHours(inst, spec.personId, everyDay("UTC"));
  inst.clock.set(inst.clock.now());
});
afterEach(async () => {
  for (const r of receivers) await r.stop();
  receivers = [];
  inst.close();
});

function receiver(host = "127.0.0.2", answers: WebhookReceiver["answers"] = [200]): WebhookReceiver {
  const r = startReceiver(host, answers);
  receivers.push(r);
  return r;
}

async function subscribe(r: WebhookReceiver, events: WebhookEventType[], o: { personalData?: boolean } = {}): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const made = await createEndpoint(inst, { url: r.url, events, personalData: o.personalData ?? false, internalHost: r.host }, admin.personId);
  if (!made.ok) throw new Error(`endpoint refused: ${JSON.stringify(made)}`);
  return made;
}

const runWorker = () => jobWorker(inst).runDue();

function bookOne(clientId: string, daysAhead = 3): string {
  const service = makeService(inst, admin.personId, [spec.personId], { cancelHours: 0 });
  const booked = book(inst, { serviceId: service.id, specialistId: spec.personId, start: at(dayAhead(daysAhead), "10:00"), clientId, actor: { personId: spec.personId, role: "specialist" } });
  if (!booked.ok) throw new Error(booked.reason);
  return booked.appointments[0]!.id;
}

function verify(secret: string, hook: { headers: Record<string, string>; body: string }): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(hook.body, hook.headers) as never;
}

describe("webhook delivery", () => {
  test("a booking reaches the receiver signed per Standard Webhooks, with ids and times only", async () => {
    const r = receiver();
    const { endpoint, secret } = await subscribe(r, ["appointment.booked"]);
    const client = await addPerson(inst, admin.personId, "client", { name: "Anna Petrova" });
    const id = bookOne(client.personId);
    expect(r.received).toHaveLength(0); // queued, not sent inside the booking
    await runWorker();
    expect(r.received).toHaveLength(1);
    const hook = r.received[0]!;
    const payload = verify(secret, hook);
    expect(payload.type).toBe("appointment.booked");
    expect(payload.data).toMatchObject({ appointmentId: id, clientId: client.personId, specialistId: spec.personId, status: "booked" });
    expect(hook.body).not.toContain("Anna");
    expect(hook.body).not.toContain(client.email);
    expect(hook.headers["webhook-id"]).toMatch(/^msg_/);
    expect(Number(hook.headers["webhook-timestamp"])).toBe(Math.floor(inst.clock.now() / 1000));
    // A signature made with another secret does not verify.
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).verify(hook.body, hook.headers)).toThrow();
    const [delivery] = listDeliveries(inst.db, endpoint.id);
    expect(delivery).toMatchObject({ id: hook.headers["webhook-id"], status: "delivered", attempts: 1, lastStatus: 200, personal: false });
    expect(listAttempts(inst.db, delivery!.id)).toEqual([{ at: inst.clock.now(), status: 200, error: null, ms: expect.any(Number) }]);
  });

  test("each owning service emits its event: booked, moved, cancelled, no-show, held, consultation ended, client created", async () => {
    const r = receiver();
    const all: WebhookEventType[] = ["appointment.booked", "appointment.moved", "appointment.cancelled", "appointment.held", "appointment.no-show", "client.created", "consultation.ended"];
    const { endpoint } = await subscribe(r, all);
    const client = createPerson(inst, { role: "client", email: "c1@example.org", name: "C One" }, admin.personId)!;
    const actor = { personId: spec.personId, role: "specialist" as const };
    const first = bookOne(client.id, 3);
    expect(rescheduleAppointment(inst, first, actor, at(dayAhead(3), "12:00")).ok).toBe(true);
    expect(cancelAppointment(inst, first, actor, "Ill").ok).toBe(true);
    const second = bookOne(client.id, 4);
    inst.clock.set(at(dayAhead(4), "10:05"));
    expect(markNoShow(inst, second, actor).ok).toBe(true);
    const { room } = createRoom(inst, spec.personId, inst.clock.now());
    expect(closeRoom(inst, room.id, spec.personId)).toBe(true);
    const types = listDeliveries(inst.db, endpoint.id).map((d) => d.eventType);
    expect(types.sort()).toEqual(["appointment.booked", "appointment.booked", "appointment.cancelled", "appointment.moved", "appointment.no-show", "client.created", "consultation.ended"]);
    await runWorker();
    const moved = r.received.map((h) => JSON.parse(h.body)).find((p) => p.type === "appointment.moved");
    expect(moved.data).toMatchObject({ appointmentId: first, start: new Date(at(dayAhead(3), "12:00")).toISOString(), previousStart: new Date(at(dayAhead(3), "10:00")).toISOString() });
  });

  test("the host closing an appointment's room emits appointment.held", async () => {
    const r = receiver();
    const { endpoint } = await subscribe(r, ["appointment.held"]);
    const client = await addPerson(inst, admin.personId, "client");
    const id = bookOne(client.personId, 2);
    inst.clock.set(at(dayAhead(2), "10:00"));
    const { appointmentRoom } = await import("../src/booking/appointments.ts");
    const opened = appointmentRoom(inst, id, { personId: spec.personId, role: "specialist" });
    if (!opened.ok) throw new Error(opened.reason);
    closeRoom(inst, opened.roomId, spec.personId);
    await runWorker();
    const payload = JSON.parse(r.received[0]!.body);
    expect(payload).toMatchObject({ type: "appointment.held", data: { appointmentId: id, status: "completed", roomId: opened.roomId } });
    expect(listDeliveries(inst.db, endpoint.id)).toHaveLength(1);
  });

  test("the client's name and email only go to an endpoint an admin allowed personal data, sealed under the client's key", async () => {
    const plain = receiver("127.0.0.2");
    const personal = receiver("127.0.0.3");
    const a = await subscribe(plain, ["client.created"]);
    const b = await subscribe(personal, ["client.created"], { personalData: true });
    const client = createPerson(inst, { role: "client", email: "maria@example.org", name: "Maria Ivanova" }, admin.personId)!;
    createPerson(inst, { role: "specialist", email: "s2@example.org", name: "Not A Client" }, admin.personId); // no event for staff
    await runWorker();
    expect(plain.received).toHaveLength(1);
    expect(personal.received).toHaveLength(1);
    expect(verify(a.secret, plain.received[0]!).data).toEqual({ clientId: client.id, createdAt: expect.any(String) });
    expect(verify(b.secret, personal.received[0]!).data).toEqual({ clientId: client.id, createdAt: expect.any(String), client: { name: "Maria Ivanova", email: "maria@example.org" } });
    expect(listDeliveries(inst.db, a.endpoint.id)[0]!.personal).toBe(false);
    expect(listDeliveries(inst.db, b.endpoint.id)[0]!.personal).toBe(true);
    const subjects = inst.db.$client.query("SELECT subject FROM webhook_deliveries ORDER BY subject").all();
    expect(subjects).toEqual([{ subject: client.id }, { subject: "org" }]);
  });

  test("erasing the client shreds a payload that names them: it is never sent, the log keeps the reason", async () => {
    const r = receiver();
    const { endpoint } = await subscribe(r, ["client.created"], { personalData: true });
    const client = createPerson(inst, { role: "client", email: "erase@example.org", name: "Erased Person" }, admin.personId)!;
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, client.id, admin.personId).ok).toBe(true);
    await runWorker();
    expect(r.received).toHaveLength(0);
    expect(listDeliveries(inst.db, endpoint.id)[0]).toMatchObject({ status: "failed", personal: true, lastError: "the payload can no longer be opened: the client it names was erased" });
  });

  test("an event of a change that rolled back is never sent", async () => {
    const r = receiver();
    const { endpoint } = await subscribe(r, ["client.created"]);
    expect(() =>
      inst.db.transaction((tx) => {
        createPerson({ db: tx, vault: inst.vault }, { role: "client", email: "ghost@example.org", name: "Ghost" }, admin.personId);
        throw new Error("the larger change failed");
      }),
    ).toThrow("the larger change failed");
    await runWorker();
    expect(listDeliveries(inst.db, endpoint.id)).toEqual([]);
    expect(inst.db.$client.query("SELECT count(*) AS n FROM jobs WHERE kind = 'webhook'").get()).toEqual({ n: 0 });
    expect(r.received).toHaveLength(0);
  });

  test("a 500 is retried after the backoff with the same message id; then delivered", async () => {
    const r = receiver("127.0.0.2", [500, 200]);
    const { endpoint, secret } = await subscribe(r, ["client.created"]);
    createPerson(inst, { role: "client", email: "retry@example.org", name: "R" }, admin.personId);
    const t0 = inst.clock.now();
    await runWorker();
    expect(r.received).toHaveLength(1);
    expect(listDeliveries(inst.db, endpoint.id)[0]).toMatchObject({ status: "pending", attempts: 1, lastStatus: 500 });
    inst.clock.set(t0 + 30_000);
    await runWorker();
    expect(r.received).toHaveLength(1); // not due yet: the first backoff step is a minute
    inst.clock.set(t0 + 61_000);
    await runWorker();
    expect(r.received).toHaveLength(2);
    const [first, second] = r.received as [(typeof r.received)[0], (typeof r.received)[0]];
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(second.body).toBe(first.body);
    expect(verify(secret, second).type).toBe("client.created");
    const [delivery] = listDeliveries(inst.db, endpoint.id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 2, lastStatus: 200 });
    expect(listAttempts(inst.db, delivery!.id).map((a) => a.status)).toEqual([500, 200]);
    const scrape = await createMetrics(inst).scrape();
    expect(scrape).toContain("kabinet_webhook_delivered_total 1\n");
    expect(scrape).toContain("kabinet_webhook_failures_total 1\n");
    expect(scrape).toContain("kabinet_webhook_queue_depth 0\n");
  });

  test("a receiver that is down is retried; after the last step the delivery is failed", async () => {
    const r = receiver("127.0.0.2", [503]);
    const { endpoint } = await subscribe(r, ["client.created"]);
    createPerson(inst, { role: "client", email: "down@example.org", name: "D" }, admin.personId);
    for (let i = 0; i < 10; i++) {
      await runWorker();
      inst.clock.advance(13 * 3600_000);
    }
    expect(r.received).toHaveLength(7);
    const [delivery] = listDeliveries(inst.db, endpoint.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 7, lastStatus: 503 });
    expect(delivery!.lastError).toContain("no more retries");
    expect(getEndpoint(inst, endpoint.id)!.enabled).toBe(true);
  });

  test("an endpoint that answers 410 Gone is disabled with the reason, and gets nothing more", async () => {
    const r = receiver("127.0.0.2", [410]);
    const { endpoint } = await subscribe(r, ["client.created"]);
    createPerson(inst, { role: "client", email: "gone1@example.org", name: "G" }, admin.personId);
    await runWorker();
    const after = getEndpoint(inst, endpoint.id)!;
    expect(after.enabled).toBe(false);
    expect(after.disabledReason).toContain("410 Gone");
    expect(listDeliveries(inst.db, endpoint.id)[0]).toMatchObject({ status: "failed", lastStatus: 410 });
    const audit = inst.db.$client.query("SELECT actor FROM audit_log WHERE action = 'webhook.disable' AND target = ?").all(endpoint.id);
    expect(audit).toEqual([{ actor: "system" }]);
    createPerson(inst, { role: "client", email: "gone2@example.org", name: "G2" }, admin.personId);
    inst.clock.advance(3600_000);
    await runWorker();
    expect(r.received).toHaveLength(1);
    expect(listDeliveries(inst.db, endpoint.id)).toHaveLength(1);
  });

  test("another 4xx fails at once, without retries", async () => {
    const r = receiver("127.0.0.2", [400]);
    const { endpoint } = await subscribe(r, ["client.created"]);
    createPerson(inst, { role: "client", email: "bad@example.org", name: "B" }, admin.personId);
    await runWorker();
    inst.clock.advance(86_400_000);
    await runWorker();
    expect(r.received).toHaveLength(1);
    expect(listDeliveries(inst.db, endpoint.id)[0]).toMatchObject({ status: "failed", attempts: 1, lastStatus: 400, lastError: "the receiver answered 400" });
    expect(getEndpoint(inst, endpoint.id)!.enabled).toBe(true);
  });

  test("replay sends a logged delivery again: same id, same payload, a new attempt", async () => {
    const r = receiver();
    const { endpoint, secret } = await subscribe(r, ["client.created"]);
    createPerson(inst, { role: "client", email: "again@example.org", name: "A" }, admin.personId);
    await runWorker();
    const [delivery] = listDeliveries(inst.db, endpoint.id);
    inst.clock.advance(60_000);
    expect(replayDelivery(inst, endpoint.id, delivery!.id, admin.personId).ok).toBe(true);
    expect(replayDelivery(inst, endpoint.id, delivery!.id, admin.personId)).toEqual({ ok: false, reason: "pending" });
    await runWorker();
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.headers["webhook-id"]).toBe(delivery!.id);
    expect(r.received[1]!.body).toBe(r.received[0]!.body);
    expect(verify(secret, r.received[1]!).type).toBe("client.created");
    expect(listAttempts(inst.db, delivery!.id)).toHaveLength(2);
    expect(listDeliveries(inst.db, endpoint.id)[0]).toMatchObject({ status: "delivered", attempts: 2 });
    expect(replayDelivery(inst, endpoint.id, "msg_nope", admin.personId)).toEqual({ ok: false, reason: "not-found" });
  });

  test("a test event goes to the one endpoint; after rotation only the new secret verifies", async () => {
    const r = receiver();
    const { endpoint, secret } = await subscribe(r, ["payment.changed"]);
    expect(sendTestEvent(inst, endpoint.id, admin.personId).ok).toBe(true);
    await runWorker();
    expect(verify(secret, r.received[0]!)).toMatchObject({ type: "webhook.test", data: { endpointId: endpoint.id } });
    const rotated = rotateSecret(inst, endpoint.id, admin.personId)!;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    sendTestEvent(inst, endpoint.id, admin.personId);
    await runWorker();
    expect(() => verify(secret, r.received[1]!)).toThrow();
    expect(verify(rotated, r.received[1]!).type).toBe("webhook.test");
  });

  test("deliveries older than 30 days are pruned with their attempts", async () => {
    const r = receiver();
    const { endpoint } = await subscribe(r, ["client.created"]);
    createPerson(inst, { role: "client", email: "old@example.org", name: "O" }, admin.personId);
    await runWorker();
    const [delivery] = listDeliveries(inst.db, endpoint.id);
    expect(pruneDeliveries(inst.db, delivery!.createdAt + 29 * 86_400_000)).toBe(0);
    expect(pruneDeliveries(inst.db, delivery!.createdAt + 31 * 86_400_000)).toBe(1);
    expect(listDeliveries(inst.db, endpoint.id)).toEqual([]);
    expect(listAttempts(inst.db, delivery!.id)).toEqual([]);
  });

  test("attemptDelivery of a deleted delivery does nothing", async () => {
    expect(await attemptDelivery(inst, "msg_gone")).toEqual({ outcome: "skipped", reason: "the endpoint or delivery was deleted" });
  });
});
