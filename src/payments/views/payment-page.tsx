// A payment as its client (and the organisation's people) see it: what, how much, until when the time is held, and
// the way to the provider's page. Paying happens there; this page only reports what the provider confirmed.
import type { JSX } from "hono/jsx/jsx-runtime";
import { dateTimeFormat } from "../../i18n/format.ts";
import { ActionButton, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { Payment } from "../payments.ts";

export function money(minor: number, currency: string, locale: string): string {
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(minor / 100);
}

export function PaymentPage(p: { page: PageContext; payment: Payment; what: string; timeZone: string; mayPay: boolean; mayRefund: boolean; successor: Payment | null; notice?: string }): JSX.Element {
  const { t } = p.page;
  const m = t.payments;
  const pay = p.payment;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <Layout page={p.page} title={m.title}>
      <h1>{m.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>
        {p.what}: <strong>{money(pay.amountMinor, pay.currency, p.page.locale)}</strong>
      </p>
      <PaymentStatus page={p.page} payment={pay} />
      {pay.status === "pending" && pay.expiresAt !== null ? <p>{m.heldUntil(when.format(new Date(pay.expiresAt)))}</p> : null}
      {pay.status === "pending" && p.mayPay ? (
        pay.checkoutUrl ? (
          <p>
            <a role="button" href={pay.checkoutUrl} rel="noreferrer">
              {m.continueTo[pay.provider]}
            </a>
          </p>
        ) : (
          <ActionButton action={`/payments/${pay.id}/checkout`} label={m.pay} />
        )
      ) : null}
      {pay.status === "pending" && p.mayPay ? <p class="kb-muted">{m.cardsStayWith[pay.provider]}</p> : null}
      {p.successor && p.successor.status === "pending" && p.mayPay ? (
        <p>
          <a role="button" href={`/payments/${p.successor.id}`}>
            {m.tryAgain}
          </a>
        </p>
      ) : null}
      {p.mayRefund && pay.status === "paid" && pay.refundedMinor < pay.amountMinor ? <ActionButton action={`/payments/${pay.id}/refund`} label={m.refund} variant="secondary" /> : null}
      <p>
        <a href={`/appointments/${pay.appointmentId}`}>{m.toAppointment}</a>
      </p>
    </Layout>
  );
}

/** The status line; while a payment is pending after the provider's page, it asks again every few seconds. */
export function PaymentStatus(p: { page: PageContext; payment: Payment }): JSX.Element {
  const m = p.page.t.payments;
  const pending = p.payment.status === "pending" && p.payment.checkoutUrl !== null;
  return (
    <p id="payment-status" role="status" {...(pending ? { "hx-get": `/payments/${p.payment.id}/status`, "hx-trigger": "every 3s", "hx-swap": "outerHTML" } : {})}>
      {m.status[p.payment.status]}
      {p.payment.status === "paid" && p.payment.refundedMinor > 0 ? ` ${m.partlyRefunded(money(p.payment.refundedMinor, p.payment.currency, p.page.locale))}` : null}
    </p>
  );
}
