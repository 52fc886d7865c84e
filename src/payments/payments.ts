// Payments for appointments, provider-neutral (src/payments/provider.ts has the adapters).
//
// Protects the organisation's money and the client's slot. Invariants: no card data ever reaches the appliance (the
// client pays on the provider's hosted page); a payment's status changes only on a notification verified by the
// provider's own scheme, or by what the provider's API answers, each notification applied once; a time booked with
// payment "at booking" is held for KABINET_PAYMENT_HOLD_MINUTES and then released unless paid (a job, so a restart
// does not forget it); a payment that arrives after its time was released is refunded in full; every change audited.
import { recordAudit } from "../audit/audit.ts";
import { type Appointment, getAppointment, laterInSeries, listAppointments, releaseUnpaid } from "../booking/appointments.ts";
import { getService, type Service } from "../booking/services.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Queryable } from "../db/client.ts";
import { enqueue } from "../jobs/queue.ts";
import { queueMail } from "../mail/templates.ts";
import type { Logger } from "../log.ts";
import { ORG_SUBJECT, type Vault } from "../vault/vault.ts";
import { emitEvent } from "../webhooks/emit.ts";
import { clientDetailsFor } from "../webhooks/personal.ts";
import * as store from "./payments.store.ts";
import type { IncomingNotification, PaymentProvider, PaymentStatus, ProviderUpdate } from "./provider.ts";
import { randomBytes } from "node:crypto";

export interface PaymentDeps {
  db: Queryable;
  vault: Vault;
  clock: Clock;
  config: Pick<Config, "payments" | "publicUrl">;
  log: Logger;
}

export interface Payment {
  id: string;
  appointmentId: string;
  provider: "stripe" | "yookassa";
  status: PaymentStatus;
  kind: "at-booking" | "after";
  amountMinor: number;
  currency: string;
  refundedMinor: number;
  checkoutUrl: string | null;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  paidAt: number | null;
}

export const PAYMENT_EXPIRE_JOB = "payment.expire";
/** The mail that asks for a payment after the consultation, with its link (payment-jobs.ts writes it). */
export const PAYMENT_REQUEST_MAIL = "payments.request";

/** Whether booking this service asks for payment now (payments configured, the service priced and set so). */
export function paysAtBooking(config: Pick<Config, "payments">, service: Service): boolean {
  return config.payments !== null && service.paymentMode === "at-booking" && service.price !== null;
}

/**
 * Holds the booked time for its payment: a pending payment and the job that releases the time when the hold runs
 * out. Runs in the booking's transaction (book's `alsoInTransaction`), so a booking that needs payment never exists
 * without it. A series is paid at once: the price times the sessions.
 */
export function holdForPayment(tx: Queryable, deps: Pick<PaymentDeps, "vault" | "config">, service: Service, booked: readonly Appointment[], now: number): Payment {
  const payments = deps.config.payments!;
  const row = pendingRow({ appointmentId: booked[0]!.id, provider: payments.provider, kind: "at-booking", amountMinor: service.price!.minor * booked.length, currency: service.price!.currency, expiresAt: now + payments.holdMinutes * 60_000 }, now);
  store.insertPaymentRow(tx, row);
  announce(tx, deps.vault, row, booked[0]!.clientId, now);
  enqueue(tx, deps.vault, { kind: PAYMENT_EXPIRE_JOB, dedupeKey: `payment-expire:${row.id}`, subject: booked[0]!.clientId, payload: { paymentId: row.id }, runAt: row.expiresAt! }, now);
  recordAudit(tx, deps.vault, { actor: "system", action: "payment.create", target: row.id, details: { appointment: row.appointmentId, kind: row.kind, amountMinor: row.amountMinor, currency: row.currency }, at: now });
  return toPayment(row);
}

/** After a held consultation of a service paid "after": a payment to make, once. Null when none is due. */
export function requestPaymentAfter(deps: PaymentDeps, appointmentId: string): Payment | null {
  const payments = deps.config.payments;
  const a = getAppointment(deps.db, appointmentId);
  if (!payments || !a) return null;
  const service = getService(deps.db, a.serviceId);
  if (!service?.price || service.paymentMode !== "after") return null;
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      if (store.latestPaymentRowOf(tx, a.id)) return null;
      const row = pendingRow({ appointmentId: a.id, provider: payments.provider, kind: "after", amountMinor: service.price!.minor, currency: service.price!.currency, expiresAt: null }, now);
      store.insertPaymentRow(tx, row);
      announce(tx, deps.vault, row, a.clientId, now);
      queueMail(tx, deps.vault, PAYMENT_REQUEST_MAIL, { dedupeKey: `payment-request:${row.id}`, recipient: a.clientId, data: { paymentId: row.id }, runAt: now }, now);
      recordAudit(tx, deps.vault, { actor: "system", action: "payment.create", target: row.id, details: { appointment: a.id, kind: row.kind, amountMinor: row.amountMinor, currency: row.currency }, at: now });
      return toPayment(row);
    },
    { behavior: "immediate" },
  );
}

export function getPayment(db: Queryable, id: string): Payment | null {
  const row = store.paymentRow(db, id);
  return row ? toPayment(row) : null;
}

export function paymentOfAppointment(db: Queryable, appointmentId: string): Payment | null {
  const row = store.latestPaymentRowOf(db, appointmentId);
  return row ? toPayment(row) : null;
}

/** A later session of a series paid at once: the payment made for the series' first session. */
export function paymentOfSeries(db: Queryable, a: Appointment): Payment | null {
  const first = listAppointments(db, { clientId: a.clientId, from: 0, to: a.start }).find((x) => x.seriesId === a.seriesId);
  return first ? paymentOfAppointment(db, first.id) : null;
}


export type CheckoutResult = { ok: true; url: string } | { ok: false; reason: "state" | "expired" | "provider" };

/**
 * The provider's page for paying this payment: opened once and reused while it is valid. Outside any transaction
 * (it calls the provider); the provider's idempotency key makes a retry return the same checkout.
 */
export async function openCheckout(deps: PaymentDeps, provider: PaymentProvider, paymentId: string, description: string): Promise<CheckoutResult> {
  const p = getPayment(deps.db, paymentId);
  if (!p || p.status !== "pending") return { ok: false, reason: "state" };
  // Its time is no longer the client's (they cancelled): nothing to pay for.
  if (!stillWanted(deps.db, p)) return { ok: false, reason: "state" };
  const now = deps.clock.now();
  if (p.expiresAt !== null && p.expiresAt <= now) return { ok: false, reason: "expired" };
  if (p.checkoutUrl) return { ok: true, url: p.checkoutUrl };
  try {
    const checkout = await provider.openCheckout({
      paymentId: p.id,
      amountMinor: p.amountMinor,
      currency: p.currency,
      description,
      returnUrl: new URL(`/payments/${p.id}`, deps.config.publicUrl).toString(),
      expiresAt: p.expiresAt,
    });
    deps.db.transaction(
      (tx) => {
        store.updatePaymentRow(tx, p.id, { providerRef: checkout.ref, checkoutUrl: checkout.url, updatedAt: deps.clock.now() });
        recordAudit(tx, deps.vault, { actor: "system", action: "payment.checkout", target: p.id, details: { provider: provider.name }, at: deps.clock.now() });
      },
      { behavior: "immediate" },
    );
    return { ok: true, url: checkout.url };
  } catch (err) {
    deps.log.warn("the payment provider did not open a checkout", { provider: provider.name, payment: p.id, cause: (err as Error).message });
    return { ok: false, reason: "provider" };
  }
}

export type NotificationOutcome = { status: 200; applied: boolean } | { status: 400 | 401; reason: string };

/** A notification from the provider: verified by its scheme, then applied once. */
export async function receiveNotification(deps: PaymentDeps, provider: PaymentProvider, n: IncomingNotification): Promise<NotificationOutcome> {
  let check;
  try {
    check = await provider.readNotification(n);
  } catch (err) {
    // The provider's API could not be asked (YooKassa): answer 5xx-free but unapplied, so the provider retries.
    deps.log.warn("a payment notification could not be checked with the provider", { provider: provider.name, cause: (err as Error).message });
    return { status: 400, reason: "could not be checked with the provider now; it will be retried" };
  }
  if (!check.ok) {
    deps.log.warn("a payment notification was refused", { provider: provider.name, reason: check.reason });
    return { status: 401, reason: check.reason };
  }
  if (!check.update) return { status: 200, applied: false };
  const applied = applyUpdate(deps, provider.name, check.update);
  return { status: 200, applied: applied === "applied" };
}

/**
 * What a verified update changes, once per notification (by its event id), in one transaction with all it implies:
 *   paid       from pending (or failed/expired/cancelled: paid after all). If the time it pays for is no longer the
 *              client's (released unpaid, or they cancelled), a full refund is queued as a job in the same
 *              transaction, retried until the provider confirms it.
 *   failed     from pending. Paying again stays possible: a fresh pending payment replaces it (within the hold, for a
 *              payment at booking; when the hold is over, the time is released instead).
 *   expired    from pending (the provider's checkout ran out): as failed, a fresh payment within the hold (or,
 *              after the consultation, at any time), else the time is released.
 *   refunded   whenever the refunded amount grows (partial refunds add up); the status says "refunded" once it is
 *              all, and stays "paid" while part of it was refunded.
 */
export function applyUpdate(deps: Pick<PaymentDeps, "db" | "vault" | "clock">, provider: "stripe" | "yookassa", u: ProviderUpdate): "applied" | "duplicate" | "unknown" {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = store.paymentRowByRef(tx, provider, u.ref);
      if (!store.claimNotification(tx, provider, u.eventId, row?.id ?? null, now)) return "duplicate" as const;
      if (!row) return "unknown" as const;
      const change = changeFor(row, u, now);
      if (!change) return "duplicate" as const;
      store.updatePaymentRow(tx, row.id, { ...change, updatedAt: now });
      const late = change.status === "paid" && row.status !== "paid" && !stillWanted(tx, row);
      recordAudit(tx, deps.vault, { actor: "system", action: `payment.${u.status}`, target: row.id, details: { provider, appointment: row.appointmentId, late, refundedMinor: change.refundedMinor ?? row.refundedMinor }, at: now });
      announce(tx, deps.vault, store.paymentRow(tx, row.id)!, null, now);
      if (late) queueRefund(tx, deps.vault, row, now);
      if (change.status === "failed" || change.status === "expired") afterUnpaid(tx, deps, row, now);
      return "applied" as const;
    },
    { behavior: "immediate" },
  );
}

function changeFor(row: store.PaymentRow, u: ProviderUpdate, now: number): Partial<store.PaymentRow> | null {
  switch (u.status) {
    case "paid":
      return row.status === "paid" || row.status === "refunded" ? null : { status: "paid", paidAt: row.paidAt ?? now };
    case "failed":
    case "expired":
      return row.status === "pending" ? { status: u.status } : null;
    case "refunded": {
      if (row.status !== "paid" && row.status !== "refunded") return null;
      const refunded = Math.min(row.amountMinor, u.refundedMinor ?? row.amountMinor);
      if (refunded <= row.refundedMinor) return null;
      return { status: refunded >= row.amountMinor ? "refunded" : "paid", refundedMinor: refunded };
    }
  }
}

/** Whether the time a payment pays for is still the client's: its appointment, or a session of its series, booked or held. */
function stillWanted(tx: Queryable, row: Pick<store.PaymentRow, "appointmentId">): boolean {
  const a = getAppointment(tx, row.appointmentId);
  if (!a) return false;
  return [a, ...laterInSeries(tx, a)].some((x) => x.status === "booked" || x.status === "completed");
}

/** A payment that failed or ran out: the client may pay again (a fresh payment), or, past the hold, the time goes. */
function afterUnpaid(tx: Queryable, deps: Pick<PaymentDeps, "db" | "vault" | "clock">, row: store.PaymentRow, now: number): void {
  if (!stillWanted(tx, row)) return;
  const holdLeft = row.kind === "at-booking" && row.expiresAt !== null && row.expiresAt > now;
  if (row.kind === "after" || holdLeft) {
    const fresh = pendingRow(row, now);
    store.insertPaymentRow(tx, fresh);
    if (fresh.expiresAt !== null) enqueue(tx, deps.vault, { kind: PAYMENT_EXPIRE_JOB, dedupeKey: `payment-expire:${fresh.id}`, subject: getAppointment(tx, row.appointmentId)!.clientId, payload: { paymentId: fresh.id }, runAt: fresh.expiresAt }, now);
    recordAudit(tx, deps.vault, { actor: "system", action: "payment.create", target: fresh.id, details: { appointment: row.appointmentId, kind: fresh.kind, amountMinor: fresh.amountMinor, currency: fresh.currency, replaces: row.id }, at: now });
    announce(tx, deps.vault, fresh, null, now);
    return;
  }
  releaseUnpaid({ db: tx, vault: deps.vault, clock: deps.clock }, row.appointmentId, now);
}

export const PAYMENT_REFUND_JOB = "payment.refund";

/** A full refund to make through the provider, as a job: retried with backoff until the provider confirms it. */
function queueRefund(tx: Queryable, vault: Vault, row: store.PaymentRow, now: number): void {
  const client = getAppointment(tx, row.appointmentId)?.clientId ?? ORG_SUBJECT;
  enqueue(tx, vault, { kind: PAYMENT_REFUND_JOB, dedupeKey: `payment-refund:${row.id}`, subject: client, payload: { paymentId: row.id }, runAt: now }, now);
}

/** The newer payment that replaced this one (after a failure), if any: where "try again" leads. */
export function successorOf(db: Queryable, p: Payment): Payment | null {
  const latest = paymentOfAppointment(db, p.appointmentId);
  return latest && latest.id !== p.id && latest.createdAt >= p.createdAt ? latest : null;
}

/**
 * The hold ran out (a job): paid after all, or the time is released and the checkout stopped, in one transaction.
 * A provider that cannot be asked throws, so the job is retried with backoff.
 */
export async function expireHeldPayment(deps: PaymentDeps, provider: PaymentProvider, paymentId: string): Promise<"paid" | "released" | "cancelled" | "nothing"> {
  const p = store.paymentRow(deps.db, paymentId);
  if (!p || p.status !== "pending" || p.kind !== "at-booking") return "nothing";
  // A checkout was opened: the provider decides whether it was paid meanwhile, and stops it if not.
  if (p.providerRef && (await provider.settleExpired(p.providerRef)) === "paid") {
    applyUpdate(deps, provider.name, { eventId: `expiry-check:${p.id}`, ref: p.providerRef, status: "paid" });
    return "paid";
  }
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      if (store.paymentRow(tx, p.id)?.status !== "pending") return "nothing" as const;

      // The client cancelled while it was pending: nothing to release, nothing to pay.
      const wanted = stillWanted(tx, p);
      const status = wanted ? ("expired" as const) : ("cancelled" as const);
      store.updatePaymentRow(tx, p.id, { status, updatedAt: now });
      recordAudit(tx, deps.vault, { actor: "system", action: `payment.${status}`, target: p.id, details: { appointment: p.appointmentId }, at: now });
      announce(tx, deps.vault, store.paymentRow(tx, p.id)!, null, now);
      if (wanted) releaseUnpaid({ db: tx, vault: deps.vault, clock: deps.clock }, p.appointmentId, now);
      return wanted ? ("released" as const) : ("cancelled" as const);
    },
    { behavior: "immediate" },
  );
}

export type RefundResult = { ok: true } | { ok: false; reason: "state" | "provider" };

/** Refunds what is left of a paid payment through the provider (an admin's button, or the late-payment job). */
export async function refundPayment(deps: PaymentDeps, provider: PaymentProvider, paymentId: string, actor: string): Promise<RefundResult> {
  const row = store.paymentRow(deps.db, paymentId);
  if (!row || row.status !== "paid" || !row.providerRef || row.refundedMinor >= row.amountMinor) return { ok: false, reason: "state" };
  const amount = row.amountMinor - row.refundedMinor;
  try {
    // Keyed by what was refunded before: a retry of this refund is the same request, a later one is not.
    await provider.refund(row.providerRef, amount, row.currency, `kabinet-refund-${row.id}-${row.refundedMinor}`);
  } catch (err) {
    deps.log.warn("the payment provider did not refund", { provider: provider.name, payment: row.id, cause: (err as Error).message });
    return { ok: false, reason: "provider" };
  }
  const now = deps.clock.now();
  deps.db.transaction(
    (tx) => {
      if (store.paymentRow(tx, row.id)?.status !== "paid") return; // a notification recorded it meanwhile
      store.updatePaymentRow(tx, row.id, { status: "refunded", refundedMinor: row.amountMinor, updatedAt: now });
      recordAudit(tx, deps.vault, { actor, action: "payment.refunded", target: row.id, details: { provider: provider.name, appointment: row.appointmentId, amountMinor: amount }, at: now });
      announce(tx, deps.vault, store.paymentRow(tx, row.id)!, null, now);
    },
    { behavior: "immediate" },
  );
  return { ok: true };
}

/** The `payment.changed` webhook event, in the transaction of the change (src/webhooks/emit.ts). */
function announce(tx: Queryable, vault: Vault, row: store.PaymentRow, clientId: string | null, at: number): void {
  const client = clientId ?? getAppointment(tx, row.appointmentId)?.clientId;
  if (!client) return;
  emitEvent(tx, vault, {
    type: "payment.changed",
    subject: client,
    data: { paymentId: row.id, appointmentId: row.appointmentId, clientId: client, status: row.status, kind: row.kind, amountMinor: row.amountMinor, currency: row.currency, refundedMinor: row.refundedMinor, provider: row.provider },
    at,
    personal: clientDetailsFor(tx, vault, client),
  });
}

/** A new payment waiting to be paid (its checkout not opened yet). */
function pendingRow(p: Pick<store.PaymentRow, "appointmentId" | "provider" | "kind" | "amountMinor" | "currency" | "expiresAt">, now: number): store.PaymentRow {
  return {
    id: randomBytes(12).toString("base64url"),
    appointmentId: p.appointmentId,
    provider: p.provider,
    providerRef: null,
    status: "pending",
    kind: p.kind,
    amountMinor: p.amountMinor,
    currency: p.currency,
    refundedMinor: 0,
    checkoutUrl: null,
    expiresAt: p.expiresAt,
    createdAt: now,
    updatedAt: now,
    paidAt: null,
  };
}

function toPayment(row: store.PaymentRow): Payment {
  return {
    id: row.id,
    appointmentId: row.appointmentId,
    provider: row.provider,
    status: row.status,
    kind: row.kind,
    amountMinor: row.amountMinor,
    currency: row.currency,
    refundedMinor: row.refundedMinor,
    checkoutUrl: row.checkoutUrl,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    paidAt: row.paidAt,
  };
}
