// Payments with the providers' own verification: Stripe events signed by the Stripe SDK's test helper and checked by
// its constructEvent, YooKassa notifications from its documented networks re-read from its API. The providers' APIs
// are local HTTP servers on loopback that answer as the documented APIs do (no request leaves the machine).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { book, cancelAppointment, getAppointment, markHeldOnRoomClosed, specialistSlots } from "../src/booking/appointments.ts";
import { saveService, type Service } from "../src/booking/services.ts";
import { applyUpdate, getPayment, holdForPayment, type Payment, paymentOfAppointment } from "../src/payments/payments.ts";
import { jobWorker } from "../src/worker.ts";
import { listJobs } from "../src/jobs/queue.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { appointmentRoom } from "../src/booking/appointments.ts";
import { closeRoom } from "../src/rooms/rooms.ts";
import { Webhook } from "standardwebhooks";
import { createEndpoint } from "../src/webhooks/endpoints.ts";
import { createToken } from "../src/api/tokens.ts";
import { startReceiver } from "./support/webhook-receiver.ts";

const WEBHOOK_SECRET = "whsec_test_kabinet_0123456789abcdef";

interface Seen {
  method: string;
  path: string;
  body: string;
  headers: Headers;
}

/** A provider API on loopback: records requests, answers with `answer`. */
function fakeApi(answer: (req: Seen) => { status?: number; json: unknown }): { url: string; seen: Seen[]; stop: () => void } {
  const seen: Seen[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const s = { method: req.method, path: url.pathname, body: await req.text(), headers: req.headers };
      seen.push(s);
      const a = answer(s);
      return Response.json(a.json, { status: a.status ?? 200 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

async function organisation(inst: TestInstallation, paymentMode: Service["paymentMode"]): Promise<{ admin: TestPerson; spec: TestPerson; client: TestPerson; service: Service }> {
  const admin = await setUpOrganisation(inst);
  const spec = await addPerson(inst, admin.personId, "specialist");
  const client = await addPerson(inst, admin.personId, "client");
  setHours(inst, spec.personId, everyDay("UTC", "09:00", "17:00"));
  const service = saveService(
    inst,
    { nameEn: "Consultation", nameRu: "Консультация", descriptionEn: "", descriptionRu: "", durationMinutes: 50, bufferBeforeMinutes: 0, bufferAfterMinutes: 10, mode: "online", priceMinor: 4990, currency: "EUR", cancelHours: 24, active: true, specialistIds: [spec.personId], paymentMode },
    admin.personId,
  );
  return { admin, spec, client, service };
}

async function bookAsClient(inst: TestInstallation, client: TestPerson, service: Service, start: number): Promise<Response> {
  return await signedInClient(inst, client).post(`/book/${service.id}`, { start: String(start), specialist: service.specialistIds[0]!, tz: "UTC" });
}

function isFree(inst: TestInstallation, service: Service, start: number): boolean {
  const from = Temporal.Instant.fromEpochMilliseconds(start);
  return specialistSlots(inst.db, service, service.specialistIds[0]!, from, from.add({ minutes: 1 }), Temporal.Instant.fromEpochMilliseconds(inst.clock.now())).length === 1;
}

describe("Stripe", () => {
  const sessions = new Map<string, { id: string; url: string; status: string; payment_status: string; payment_intent: string | null; amount_total: number }>();
  let api: ReturnType<typeof fakeApi>;
  let inst: TestInstallation;
  let people: Awaited<ReturnType<typeof organisation>>;
  const stripe = new Stripe("sk_test_helper");
  /** Stripe's API answering 500 to everything (an outage), while true. */
  let stripeDown = false;

  beforeAll(async () => {
    api = fakeApi((r) => {
      if (stripeDown) return { status: 500, json: { error: { type: "api_error", message: "An unknown error occurred" } } };
      if (r.method === "POST" && r.path === "/v1/checkout/sessions") {
        const form = new URLSearchParams(r.body);
        const id = `cs_test_${sessions.size + 1}`;
        const s = { id, object: "checkout.session", url: `https://checkout.stripe.com/c/pay/${id}`, status: "open", payment_status: "unpaid", payment_intent: null, amount_total: Number(form.get("line_items[0][price_data][unit_amount]")) };
        sessions.set(id, s);
        return { json: s };
      }
      const one = /^\/v1\/checkout\/sessions\/([\w]+)(\/expire)?$/.exec(r.path);
      if (one && sessions.has(one[1]!)) {
        const s = sessions.get(one[1]!)!;
        if (one[2]) {
          if (s.status !== "open") return { status: 400, json: { error: { type: "invalid_request_error", message: "Only Checkout Sessions with a status of open can be expired." } } };
          s.status = "expired";
        }
        return { json: { object: "checkout.session", ...s } };
      }
      if (r.method === "POST" && r.path === "/v1/refunds") return { json: { id: "re_test_1", object: "refund", status: "succeeded", amount: Number(new URLSearchParams(r.body).get("amount")) } };
      return { status: 404, json: { error: { type: "invalid_request_error", message: `no route ${r.method} ${r.path}` } } };
    });
    inst = makeInstallation({ KABINET_PAYMENTS: "stripe", KABINET_STRIPE_SECRET_KEY: "sk_test_kabinet", KABINET_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, KABINET_PAYMENTS_API_URL: api.url, KABINET_PAYMENT_HOLD_MINUTES: "30" });
    people = await organisation(inst, "at-booking");
  });
  afterAll(() => {
    api.stop();
    inst.close();
  });

  /** Stripe's documented event envelope (https://docs.stripe.com/api/events/object), signed as Stripe signs it. */
  async function deliver(type: string, session: object, id = `evt_${crypto.randomUUID().replaceAll("-", "")}`, secret = WEBHOOK_SECRET): Promise<Response> {
    const payload = JSON.stringify({ id, object: "event", api_version: "2025-09-30.clover", created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object: session } });
    const signature = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret });
    return await inst.app.request(`${inst.config.publicUrl.origin}/payments/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": signature }, body: payload });
  }

  test("a client booking a service paid at booking is sent to Stripe's page for the price; the signed event marks it paid, once", async () => {
    const start = at(dayAhead(3), "10:00");
    const r = await bookAsClient(inst, people.client, people.service, start);
    expect(r.status).toBe(303);
    const paymentId = r.headers.get("location")!.split("/").pop()!;
    const payment = getPayment(inst.db, paymentId)!;
    expect(payment).toMatchObject({ status: "pending", amountMinor: 4990, currency: "EUR", kind: "at-booking" });
    const created = api.seen.find((s) => s.path === "/v1/checkout/sessions" && s.method === "POST")!;
    expect(created.headers.get("idempotency-key")).toBe(`kabinet-checkout-${paymentId}`);
    const form = new URLSearchParams(created.body);
    expect(form.get("line_items[0][price_data][unit_amount]")).toBe("4990");
    expect(form.get("line_items[0][price_data][currency]")).toBe("eur");
    expect(form.get("client_reference_id")).toBe(paymentId);
    expect(form.get("success_url")).toBe(`${inst.config.publicUrl.origin}/payments/${paymentId}`);
    // Nothing about the client goes to Stripe: no name, no email.
    expect(created.body).not.toContain(encodeURIComponent(people.client.email));
    const page = await (await signedInClient(inst, people.client).get(`/payments/${paymentId}`)).text();
    expect(page).toContain(`href="${payment.checkoutUrl}"`);
    expect(page).toContain("€49.90");
    expect(isFree(inst, people.service, start)).toBe(false); // held while unpaid

    const session = { ...sessions.get(new URL(payment.checkoutUrl!).pathname.split("/").pop()!)!, object: "checkout.session", client_reference_id: paymentId, payment_status: "paid", status: "complete" };
    const first = await deliver("checkout.session.completed", session, "evt_paid_1");
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, applied: true });
    expect(getPayment(inst.db, paymentId)!.status).toBe("paid");
    const again = await deliver("checkout.session.completed", session, "evt_paid_1");
    expect(await again.json()).toEqual({ received: true, applied: false });
    // Paid: the hold's end changes nothing.
    inst.clock.set(Date.now() + 31 * 60_000);
    await jobWorker(inst).runDue();
    inst.clock.release();
    expect(getAppointment(inst.db, payment.appointmentId)!.status).toBe("booked");
  });

  test("the confirmation tells a client that payment follows and for how long the time is reserved; staff booking for a client are not asked", async () => {
    const start = at(dayAhead(3), "15:00");
    const url = `/book/${people.service.id}/confirm?start=${start}&specialist=${people.spec.personId}&tz=UTC`;
    const forClient = await (await signedInClient(inst, people.client).get(url)).text();
    expect(forClient).toContain("After you confirm, you pay €49.90 on Stripe&#39;s secure page. The time is reserved for you for 30 minutes");
    const staff = await addPerson(inst, people.admin.personId, "staff");
    expect(await (await signedInClient(inst, staff).get(url)).text()).not.toContain("After you confirm, you pay");
  });

  test("the API shows an appointment's payment, so a CRM knows a booking waits for it", async () => {
    const paymentId = (await bookAsClient(inst, people.client, people.service, at(dayAhead(14), "10:00"))).headers.get("location")!.split("/").pop()!;
    const p = getPayment(inst.db, paymentId)!;
    const made = createToken(inst, { personId: people.admin.personId, name: "CRM", scopes: ["appointments:read"], expiresAt: inst.clock.now() + 86_400_000 }, people.admin.personId);
    if (!made.ok) throw new Error(made.reason);
    const r = await inst.app.request(`${inst.config.publicUrl.origin}/api/v1/appointments/${p.appointmentId}`, { headers: { authorization: `Bearer ${made.secret}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { payment: unknown }).payment).toEqual({ id: paymentId, status: "pending", kind: "at-booking", amountMinor: 4990, currency: "EUR", refundedMinor: 0, expiresAt: new Date(p.expiresAt!).toISOString() });
  });

  test("a forged or stale Stripe signature changes nothing and is answered 400", async () => {
    const start = at(dayAhead(3), "12:00");
    const paymentId = (await bookAsClient(inst, people.client, people.service, start)).headers.get("location")!.split("/").pop()!;
    const ref = new URL(getPayment(inst.db, paymentId)!.checkoutUrl!).pathname.split("/").pop()!;
    const session = { ...sessions.get(ref)!, object: "checkout.session", payment_status: "paid", status: "complete" };
    const forged = await deliver("checkout.session.completed", session, "evt_forged", "whsec_someone_else");
    expect(forged.status).toBe(400);
    const payload = JSON.stringify({ id: "evt_stale", object: "event", type: "checkout.session.completed", data: { object: session } });
    const stale = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const old = await inst.app.request(`${inst.config.publicUrl.origin}/payments/webhooks/stripe`, { method: "POST", headers: { "stripe-signature": stale }, body: payload });
    expect(old.status).toBe(400);
    const unsigned = await inst.app.request(`${inst.config.publicUrl.origin}/payments/webhooks/stripe`, { method: "POST", body: payload });
    expect(unsigned.status).toBe(400);
    expect(getPayment(inst.db, paymentId)!.status).toBe("pending");
  });

  test("unpaid when the hold ends: the checkout is expired at Stripe, the booking cancelled and the time free again", async () => {
    const start = at(dayAhead(4), "10:00");
    const paymentId = (await bookAsClient(inst, people.client, people.service, start)).headers.get("location")!.split("/").pop()!;
    const payment = getPayment(inst.db, paymentId)!;
    const ref = new URL(payment.checkoutUrl!).pathname.split("/").pop()!;
    expect(isFree(inst, people.service, start)).toBe(false);
    inst.clock.set(payment.expiresAt! - 1000);
    await jobWorker(inst).runDue();
    expect(getPayment(inst.db, paymentId)!.status).toBe("pending"); // not yet
    inst.clock.set(payment.expiresAt! + 1000);
    await jobWorker(inst).runDue();
    expect(getPayment(inst.db, paymentId)!.status).toBe("expired");
    expect(api.seen.some((s) => s.path === `/v1/checkout/sessions/${ref}/expire`)).toBe(true);
    const a = getAppointment(inst.db, payment.appointmentId)!;
    expect(a.status).toBe("cancelled");
    expect(a.cancelledBy).toBe("system");
    inst.clock.release();
    expect(isFree(inst, people.service, start)).toBe(true);
    // Both hear of it.
    const mails = listJobs(inst.db, inst.vault, ["pending"]).filter((j) => j.kind === "mail" && (j.payload as { template?: string }).template === "booking.cancelled" && JSON.stringify(j.payload).includes(payment.appointmentId));
    expect(mails.map((j) => j.subject).sort()).toEqual([people.client.personId, people.spec.personId].sort());

    // Paid at Stripe after all, too late: refunded in full at once.
    const session = { ...sessions.get(ref)!, object: "checkout.session", payment_status: "paid", status: "complete", payment_intent: "pi_test_late" };
    sessions.set(ref, { ...session });
    expect((await deliver("checkout.session.completed", session, "evt_late")).status).toBe(200);
    expect(getPayment(inst.db, paymentId)!.status).toBe("paid");
    await jobWorker(inst).runDue(); // the refund is a job: retried until the provider confirms it
    expect(getPayment(inst.db, paymentId)!.status).toBe("refunded");
    const refund = api.seen.find((s) => s.path === "/v1/refunds")!;
    expect(new URLSearchParams(refund.body).get("payment_intent")).toBe("pi_test_late");
    expect(new URLSearchParams(refund.body).get("amount")).toBe("4990");
  });

  test("the admin refunds a paid payment; clients cannot", async () => {
    const start = at(dayAhead(5), "10:00");
    const paymentId = (await bookAsClient(inst, people.client, people.service, start)).headers.get("location")!.split("/").pop()!;
    const ref = new URL(getPayment(inst.db, paymentId)!.checkoutUrl!).pathname.split("/").pop()!;
    sessions.set(ref, { ...sessions.get(ref)!, payment_status: "paid", status: "complete", payment_intent: "pi_test_refund" });
    await deliver("checkout.session.completed", { ...sessions.get(ref)!, object: "checkout.session" });
    expect(getPayment(inst.db, paymentId)!.status).toBe("paid");
    expect((await signedInClient(inst, people.client).post(`/payments/${paymentId}/refund`)).status).toBe(403);
    const r = await signedInClient(inst, people.admin).post(`/payments/${paymentId}/refund`);
    expect(r.status).toBe(200);
    expect(getPayment(inst.db, paymentId)!).toMatchObject({ status: "refunded", refundedMinor: 4990 });
  });

  test("a CRM subscribed to payment.changed hears of the pending payment and of its payment, signed and delivered", async () => {
    const receiver = startReceiver("127.0.0.3");
    try {
      const made = await createEndpoint(inst, { url: receiver.url, events: ["payment.changed"], personalData: false, internalHost: receiver.host }, people.admin.personId);
      if (!made.ok) throw new Error(JSON.stringify(made));
      const paymentId = (await bookAsClient(inst, people.client, people.service, at(dayAhead(7), "10:00"))).headers.get("location")!.split("/").pop()!;
      const ref = new URL(getPayment(inst.db, paymentId)!.checkoutUrl!).pathname.split("/").pop()!;
      await deliver("checkout.session.completed", { ...sessions.get(ref)!, object: "checkout.session", payment_status: "paid", status: "complete" });
      await jobWorker(inst).runDue();
      const events = receiver.received.map((h) => new Webhook(made.secret).verify(h.body, h.headers) as { type: string; data: Record<string, unknown> });
      expect(events.filter((e) => e.data.paymentId === paymentId).map((e) => [e.type, e.data.status, e.data.amountMinor, e.data.currency])).toEqual([
        ["payment.changed", "pending", 4990, "EUR"],
        ["payment.changed", "paid", 4990, "EUR"],
      ]);
      expect(receiver.received.map((h) => h.body).join()).not.toContain(people.client.email); // no personal data unless allowed
    } finally {
      await receiver.stop();
    }
  });

  describe("when payment does not go as planned", () => {
    const paymentAt = async (daysAhead: number, time = "10:00") => (await bookAsClient(inst, people.client, people.service, at(dayAhead(daysAhead), time))).headers.get("location")!.split("/").pop()!;
    const refOf = (paymentId: string) => new URL(getPayment(inst.db, paymentId)!.checkoutUrl!).pathname.split("/").pop()!;
    const appointmentOf = (paymentId: string) => getAppointment(inst.db, getPayment(inst.db, paymentId)!.appointmentId)!;

    test("a failed payment within the hold can be paid again; unpaid at the hold's end, the time is freed", async () => {
      const paymentId = await paymentAt(8);
      await deliver("checkout.session.async_payment_failed", { ...sessions.get(refOf(paymentId))!, object: "checkout.session", status: "complete" });
      expect(getPayment(inst.db, paymentId)!.status).toBe("failed");
      const fresh = paymentOfAppointment(inst.db, getPayment(inst.db, paymentId)!.appointmentId)!;
      expect(fresh).toMatchObject({ status: "pending", amountMinor: 4990, expiresAt: getPayment(inst.db, paymentId)!.expiresAt });
      const page = await (await signedInClient(inst, people.client).get(`/payments/${paymentId}`)).text();
      expect(page).toContain(`href="/payments/${fresh.id}"`); // "Try paying again"
      expect((await signedInClient(inst, people.client).post(`/payments/${fresh.id}/checkout`)).status).toBe(303);
      expect(getPayment(inst.db, fresh.id)!.checkoutUrl).not.toBeNull();
      inst.clock.set(fresh.expiresAt! + 1000);
      await jobWorker(inst).runDue();
      inst.clock.release();
      expect(getPayment(inst.db, fresh.id)!.status).toBe("expired");
      expect(appointmentOf(paymentId).status).toBe("cancelled");
    });

    test("a checkout the provider ran out leaves the rest of the hold to pay again; after the hold it frees the time at once", async () => {
      const paymentId = await paymentAt(9);
      await deliver("checkout.session.expired", { ...sessions.get(refOf(paymentId))!, object: "checkout.session", status: "expired" });
      expect(getPayment(inst.db, paymentId)!.status).toBe("expired");
      expect(appointmentOf(paymentId).status).toBe("booked");
      const fresh = paymentOfAppointment(inst.db, appointmentOf(paymentId).id)!;
      expect(fresh.status).toBe("pending");
      expect((await signedInClient(inst, people.client).post(`/payments/${fresh.id}/checkout`)).status).toBe(303);
      // Its checkout runs out too, after the hold: nothing is left to hold the time for.
      inst.clock.set(fresh.expiresAt! + 1000);
      await deliver("checkout.session.expired", { ...sessions.get(refOf(fresh.id))!, object: "checkout.session", status: "expired" });
      inst.clock.release();
      expect(appointmentOf(paymentId).status).toBe("cancelled");
      expect(isFree(inst, people.service, appointmentOf(paymentId).start)).toBe(true);
    });

    test("the provider down when the hold ends: the job is retried and the time stays held until it can be asked", async () => {
      const paymentId = await paymentAt(10);
      const p = getPayment(inst.db, paymentId)!;
      stripeDown = true;
      try {
        inst.clock.set(p.expiresAt! + 1000);
        await jobWorker(inst).runDue();
        const job = listJobs(inst.db, inst.vault, ["pending"]).find((j) => j.kind === "payment.expire" && (j.payload as { paymentId: string }).paymentId === paymentId)!;
        expect(job.attempts).toBe(1);
        expect(appointmentOf(paymentId).status).toBe("booked");
      } finally {
        stripeDown = false;
      }
      inst.clock.set(p.expiresAt! + 2 * 3600_000);
      await jobWorker(inst).runDue();
      inst.clock.release();
      expect(getPayment(inst.db, paymentId)!.status).toBe("expired");
      expect(appointmentOf(paymentId).status).toBe("cancelled");
    });

    test("a client who cancels while paying cannot pay any more; a payment that still comes is refunded, retried until Stripe confirms", async () => {
      const paymentId = await paymentAt(11);
      const ref = refOf(paymentId);
      const a = appointmentOf(paymentId);
      expect(cancelAppointment(inst, a.id, { personId: people.client.personId, role: "client" }, "", inst.clock.now()).ok).toBe(true);
      expect((await signedInClient(inst, people.client).post(`/payments/${paymentId}/checkout`)).status).toBe(409);
      // Paid in a tab left open: the refund is queued with the payment, and Stripe is down for its first try.
      sessions.set(ref, { ...sessions.get(ref)!, payment_status: "paid", status: "complete", payment_intent: "pi_test_cancelled" });
      await deliver("checkout.session.completed", { ...sessions.get(ref)!, object: "checkout.session" });
      expect(getPayment(inst.db, paymentId)!.status).toBe("paid");
      stripeDown = true;
      try {
        await jobWorker(inst).runDue();
      } finally {
        stripeDown = false;
      }
      expect(getPayment(inst.db, paymentId)!.status).toBe("paid");
      inst.clock.set(inst.clock.now() + 2 * 60_000);
      await jobWorker(inst).runDue();
      inst.clock.release();
      expect(getPayment(inst.db, paymentId)!).toMatchObject({ status: "refunded", refundedMinor: 4990 });
    });

    test("partial refunds add up; the page shows what was returned, and the admin refunds the rest", async () => {
      const paymentId = await paymentAt(12);
      const ref = refOf(paymentId);
      sessions.set(ref, { ...sessions.get(ref)!, payment_status: "paid", status: "complete", payment_intent: "pi_test_partial" });
      await deliver("checkout.session.completed", { ...sessions.get(ref)!, object: "checkout.session" });
      expect(applyUpdate(inst, "stripe", { eventId: "evt_part_1", ref, status: "refunded", refundedMinor: 1000 })).toBe("applied");
      expect(applyUpdate(inst, "stripe", { eventId: "evt_part_2", ref, status: "refunded", refundedMinor: 3000 })).toBe("applied");
      expect(applyUpdate(inst, "stripe", { eventId: "evt_part_3", ref, status: "refunded", refundedMinor: 2000 })).toBe("duplicate"); // never less
      expect(getPayment(inst.db, paymentId)!).toMatchObject({ status: "paid", refundedMinor: 3000 });
      expect(await (await signedInClient(inst, people.client).get(`/payments/${paymentId}`)).text()).toContain("€30.00 of it refunded.");
      expect((await signedInClient(inst, people.admin).post(`/payments/${paymentId}/refund`)).status).toBe(200);
      const refund = api.seen.filter((s) => s.path === "/v1/refunds").at(-1)!;
      expect(new URLSearchParams(refund.body).get("amount")).toBe("1990");
      expect(getPayment(inst.db, paymentId)!).toMatchObject({ status: "refunded", refundedMinor: 4990 });
    });

    test("a series paid at once: when its first session is cancelled and the hold ends unpaid, every later session is freed too", async () => {
      const start = at(dayAhead(13), "10:00");
      let held: Payment | null = null;
      const booked = book(inst, { serviceId: people.service.id, specialistId: people.spec.personId, start, clientId: people.client.personId, actor: { personId: people.client.personId, role: "client" }, repeat: { everyWeeks: 1, count: 3 }, alsoInTransaction: (tx, b) => void (held = holdForPayment(tx, inst, people.service, b, inst.clock.now())) });
      if (!booked.ok) throw new Error(booked.reason);
      const payment = held as Payment | null;
      expect(payment!.amountMinor).toBe(3 * 4990);
      expect(cancelAppointment(inst, booked.appointments[0]!.id, { personId: people.client.personId, role: "client" }, "", inst.clock.now()).ok).toBe(true);
      inst.clock.set(payment!.expiresAt! + 1000);
      await jobWorker(inst).runDue();
      inst.clock.release();
      expect(booked.appointments.map((x) => getAppointment(inst.db, x.id)!.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
      expect(getPayment(inst.db, payment!.id)!.status).toBe("expired");
    });
  });

  test("another client cannot see or pay someone's payment", async () => {
    const other = await addPerson(inst, people.admin.personId, "client");
    const start = at(dayAhead(6), "10:00");
    const paymentId = (await bookAsClient(inst, people.client, people.service, start)).headers.get("location")!.split("/").pop()!;
    expect((await signedInClient(inst, other).get(`/payments/${paymentId}`)).status).toBe(404);
    expect((await signedInClient(inst, other).post(`/payments/${paymentId}/checkout`)).status).toBe(404);
  });
});

describe("YooKassa", () => {
  const yoo = new Map<string, { id: string; status: string; paid: boolean; amount: { value: string; currency: string }; refunded_amount?: { value: string; currency: string } }>();
  let api: ReturnType<typeof fakeApi>;
  let inst: TestInstallation;
  let people: Awaited<ReturnType<typeof organisation>>;

  beforeAll(async () => {
    api = fakeApi((r) => {
      if (r.headers.get("authorization") !== `Basic ${Buffer.from("506751:test_secret").toString("base64")}`) return { status: 401, json: { type: "error", code: "invalid_credentials" } };
      if (r.method === "POST" && r.path === "/v3/payments") {
        const body = JSON.parse(r.body);
        const id = `2d${yoo.size}e7a8f-000f-5000-8000-1a2b3c4d5e6f`;
        const p = { id, status: "pending", paid: false, amount: body.amount, confirmation: { type: "redirect", confirmation_url: `https://yoomoney.ru/checkout/payments/v2/contract?orderId=${id}` }, created_at: new Date().toISOString(), metadata: body.metadata };
        yoo.set(id, p);
        return { json: p };
      }
      const one = /^\/v3\/payments\/([\w-]+)$/.exec(r.path);
      if (r.method === "GET" && one && yoo.has(one[1]!)) return { json: yoo.get(one[1]!) };
      return { status: 404, json: { type: "error", code: "not_found" } };
    });
    inst = makeInstallation({ KABINET_PAYMENTS: "yookassa", KABINET_YOOKASSA_SHOP_ID: "506751", KABINET_YOOKASSA_SECRET_KEY: "test_secret", KABINET_PAYMENTS_API_URL: api.url, KABINET_TRUST_PROXY: "true" });
    people = await organisation(inst, "after");
  });
  afterAll(() => {
    api.stop();
    inst.close();
  });

  /** YooKassa's documented notification body ("Входящие уведомления", payment.succeeded example). */
  function notification(event: string, id: string, from: string): Promise<Response> {
    const body = JSON.stringify({
      type: "notification",
      event,
      object: { id, status: "succeeded", paid: true, amount: { value: "49.90", currency: "EUR" }, created_at: "2026-12-04T10:00:00.000Z", description: "Consultation", metadata: {}, refundable: true, test: true },
    });
    return Promise.resolve(inst.app.request(`${inst.config.publicUrl.origin}/payments/webhooks/yookassa`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": from }, body }));
  }

  test("after a held consultation the client is mailed a link; paying on YooKassa's page is confirmed by its notification and its API", async () => {
    // A booking of a service paid after: nothing to pay yet, no hold.
    const booked = await bookAsClient(inst, people.client, people.service, at(dayAhead(2), "10:00"));
    const appointmentId = booked.headers.get("location")!.split("?")[0]!.split("/").pop()!;
    expect(paymentOfAppointment(inst.db, appointmentId)).toBeNull();
    // The consultation took place.
    const a = getAppointment(inst.db, appointmentId)!;
    inst.clock.set(a.start + 5 * 60_000);
    const room = appointmentRoom(inst, appointmentId, { personId: people.spec.personId, role: "specialist" }, inst.clock.now());
    expect(room.ok).toBe(true);
    closeRoom(inst, (room as { roomId: string }).roomId, people.spec.personId);
    await jobWorker(inst).runDue();
    inst.clock.release();
    const payment = paymentOfAppointment(inst.db, appointmentId)!;
    expect(payment).toMatchObject({ status: "pending", kind: "after", amountMinor: 4990, expiresAt: null });
    const mail = listJobs(inst.db, inst.vault, ["pending", "done"]).find((j) => (j.payload as { template?: string }).template === "payments.request");
    expect(mail?.subject).toBe(people.client.personId);

    // The client opens the link and pays: a YooKassa payment with a redirect back here, keyed for idempotence.
    const pay = await signedInClient(inst, people.client).post(`/payments/${payment.id}/checkout`);
    expect(pay.status).toBe(303);
    const created = api.seen.find((s) => s.method === "POST" && s.path === "/v3/payments")!;
    expect(created.headers.get("idempotence-key")).toBe(`kabinet-checkout-${payment.id}`);
    expect(JSON.parse(created.body)).toMatchObject({ amount: { value: "49.90", currency: "EUR" }, capture: true, confirmation: { type: "redirect", return_url: `${inst.config.publicUrl.origin}/payments/${payment.id}` } });
    const ref = [...yoo.keys()].at(-1)!;

    // A notification from outside YooKassa's networks is refused; from inside, while the API still says pending, it
    // changes nothing (a forged "succeeded" body is not believed); once the API says succeeded, it is paid.
    expect((await notification("payment.succeeded", ref, "203.0.113.7")).status).toBe(400);
    expect((await notification("payment.succeeded", ref, "185.71.76.5")).status).toBe(200);
    expect(getPayment(inst.db, payment.id)!.status).toBe("pending");
    yoo.set(ref, { ...yoo.get(ref)!, status: "succeeded", paid: true });
    expect((await notification("payment.succeeded", ref, "77.75.153.10")).status).toBe(200);
    expect(getPayment(inst.db, payment.id)!.status).toBe("paid");
    expect(markHeldOnRoomClosed).toBeDefined();
  });

  test("a notification for an unknown payment or a malformed body is refused without a change", async () => {
    const r = await notification("payment.succeeded", "../../v3/refunds", "185.71.76.5");
    expect(r.status).toBe(400);
    const junk = await inst.app.request(`${inst.config.publicUrl.origin}/payments/webhooks/yookassa`, { method: "POST", headers: { "x-forwarded-for": "185.71.76.5" }, body: "{not json" });
    expect(junk.status).toBe(400);
  });
});

describe("configuration", () => {
  test("a provider without its secret stops the start with the variable to set", () => {
    expect(() => makeInstallation({ KABINET_PAYMENTS: "stripe" })).toThrow("KABINET_STRIPE_SECRET_KEY_FILE (or KABINET_STRIPE_SECRET_KEY) is not set, or names an empty file");
    expect(() => makeInstallation({ KABINET_PAYMENTS: "yookassa", KABINET_YOOKASSA_SECRET_KEY: "x" })).toThrow(/KABINET_YOOKASSA_SHOP_ID is not set/);
    expect(() => makeInstallation({ KABINET_PAYMENTS: "paypal" })).toThrow(/KABINET_PAYMENTS is not stripe, yookassa or off/);
  });
});
