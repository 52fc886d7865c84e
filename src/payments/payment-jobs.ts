// The payment jobs the worker runs (src/worker.ts): releasing a reserved time whose payment never came, refunding a
// payment that came for a time no longer booked, asking for the payment of a service paid after the consultation, and
// the mail with its link.
import { getAppointment, PAYMENT_AFTER_JOB } from "../booking/appointments.ts";
import { getService } from "../booking/services.ts";
import { LOCALES } from "../i18n/messages.ts";
import type { Installation } from "../installation.ts";
import type { Handler } from "../jobs/queue.ts";
import { type MailContext, type MailDecision, type MailTemplates, mailTemplate } from "../mail/templates.ts";
import { mailRecipientOf } from "../people/people.ts";
import { expireHeldPayment, getPayment, PAYMENT_EXPIRE_JOB, PAYMENT_REFUND_JOB, PAYMENT_REQUEST_MAIL, refundPayment, requestPaymentAfter } from "./payments.ts";
import { paymentProvider } from "./provider.ts";
import { money } from "./views/payment-page.tsx";

type JobDeps = Pick<Installation, "db" | "vault" | "clock" | "config" | "log">;

export function paymentHandlers(deps: JobDeps): Record<string, Handler> {
  const provider = deps.config.payments ? paymentProvider(deps.config.payments) : null;
  return {
    [PAYMENT_EXPIRE_JOB]: async (job) => {
      const { paymentId } = job.payload as { paymentId: string };
      if (!provider) return { status: "skipped", reason: "payments are off" };
      // A provider that cannot be asked throws: the queue retries with backoff, and the time stays held meanwhile.
      const outcome = await expireHeldPayment(deps, provider, paymentId);
      return outcome === "nothing" ? { status: "skipped", reason: "the payment is no longer pending" } : { status: "done" };
    },
    [PAYMENT_REFUND_JOB]: async (job) => {
      const { paymentId } = job.payload as { paymentId: string };
      if (!provider) return { status: "skipped", reason: "payments are off" };
      const refunded = await refundPayment(deps, provider, paymentId, "system");
      if (!refunded.ok && refunded.reason === "provider") throw new Error("the payment provider did not confirm the refund");
      return refunded.ok ? { status: "done" } : { status: "skipped", reason: "nothing left to refund" };
    },
    [PAYMENT_AFTER_JOB]: async (job) => {
      const { appointmentId } = job.payload as { appointmentId: string };
      if (!provider) return { status: "skipped", reason: "payments are off" };
      // The payment and its mail in one transaction: a crash leaves both or neither.
      return requestPaymentAfter(deps, appointmentId) ? { status: "done" } : { status: "skipped", reason: "no payment is due" };
    },
  };
}

function paymentRequest(ctx: MailContext, d: { paymentId: string }): MailDecision {
  const payment = getPayment(ctx.db, d.paymentId);
  if (!payment || payment.status !== "pending") return { skip: "the payment is no longer waiting" };
  const a = getAppointment(ctx.db, payment.appointmentId);
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!a || !reader) return { skip: "the appointment or its client no longer exists" };
  const t = LOCALES[reader.locale];
  const what = getService(ctx.db, a.serviceId)?.name[reader.locale] ?? t.payments.consultation;
  const text = [t.mail.greeting(reader.name), "", t.payments.mailBody(money(payment.amountMinor, payment.currency, reader.locale), `${ctx.origin}/payments/${payment.id}`)].join("\n");
  return { send: { to: reader.email, locale: reader.locale, subject: t.payments.mailSubject(what), text, attachments: [] } };
}

/** Registered with the job worker in src/worker.ts. */
export const paymentMailTemplates: MailTemplates = { [PAYMENT_REQUEST_MAIL]: mailTemplate(paymentRequest) };
