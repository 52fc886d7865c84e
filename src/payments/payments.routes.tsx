// Payments over HTTP: a payment's page, opening the provider's checkout, refunds, and the providers' notifications.
// The page is for the appointment's client and the organisation's people; paying is the client's; refunds are
// admins'. Notifications are open to anyone and trusted only after the provider's own verification (payments.ts).
import type { Context } from "hono";
import { Hono } from "hono";
import { getAppointment, mayView } from "../booking/appointments.ts";
import { getService } from "../booking/services.ts";
import { adminOnly, allow, anyone, everyone } from "../http/access.ts";
import { AppError } from "../http/app-error.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { getPayment, openCheckout, type Payment, receiveNotification, refundPayment, successorOf } from "./payments.ts";
import { type PaymentProvider, paymentProvider } from "./provider.ts";
import { PaymentPage, PaymentStatus } from "./views/payment-page.tsx";

type PaymentRouteDeps = Pick<Installation, "db" | "vault" | "clock" | "config" | "log">;

export function paymentsRoutes(deps: PaymentRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const provider: PaymentProvider | null = deps.config.payments ? paymentProvider(deps.config.payments) : null;

  /** The payment and its appointment, if the viewer may see them; 404 otherwise (existence is not revealed). */
  const visible = (c: Context<AppEnv>): { payment: Payment; clientId: string; what: string } => {
    const viewer = c.get("viewer")!;
    const payment = getPayment(deps.db, c.req.param("id") ?? "");
    const a = payment ? getAppointment(deps.db, payment.appointmentId) : null;
    if (!payment || !a || !mayView(a, viewer)) throw new AppError(404, c.get("t").payments.notFound);
    const service = getService(deps.db, a.serviceId);
    return { payment, clientId: a.clientId, what: service?.name[c.get("locale")] ?? c.get("t").payments.consultation };
  };
  const page = (c: Context<AppEnv>, notice?: string, status: 200 | 409 | 502 = 200) => {
    const { payment, clientId, what } = visible(c);
    const viewer = c.get("viewer")!;
    return c.html(
      <PaymentPage page={pageContext(c)} payment={payment} what={what} timeZone={personZone(deps.db, viewer.personId)} mayPay={viewer.personId === clientId && provider !== null} mayRefund={viewer.role === "admin" && provider !== null} successor={successorOf(deps.db, payment)} notice={notice} />,
      status,
    );
  };

  app.get("/:id", allow(everyone), (c) => page(c));
  app.get("/:id/status", allow(everyone), (c) => c.html(<PaymentStatus page={pageContext(c)} payment={visible(c).payment} />));

  app.post("/:id/checkout", allow(everyone), async (c) => {
    const { payment, clientId, what } = visible(c);
    const m = c.get("t").payments;
    if (c.get("viewer")!.personId !== clientId || !provider) throw new AppError(403, m.onlyClientPays);
    const opened = await openCheckout(deps, provider, payment.id, what);
    if (opened.ok) return c.redirect(`/payments/${payment.id}`, 303);
    return page(c, opened.reason === "provider" ? m.providerDown : opened.reason === "expired" ? m.expiredNotice : m.notPending, opened.reason === "provider" ? 502 : 409);
  });

  app.post("/:id/refund", allow(adminOnly), async (c) => {
    const { payment } = visible(c);
    const m = c.get("t").payments;
    if (!provider) throw new AppError(409, m.paymentsOff);
    const done = await refundPayment(deps, provider, payment.id, c.get("viewer")!.personId);
    return done.ok ? page(c, m.refunded) : page(c, done.reason === "provider" ? m.providerDown : m.notRefundable, done.reason === "provider" ? 502 : 409);
  });

  // The providers' notifications: JSON for the provider, never a page; 400 for anything not verified.
  app.post("/webhooks/:provider", allow(anyone), async (c) => {
    if (!provider || c.req.param("provider") !== provider.name) return c.json({ error: "no such payment provider here" }, 404);
    const outcome = await receiveNotification(deps, provider, { body: await c.req.text(), headers: c.req.raw.headers, remoteIp: c.get("clientIp") });
    return outcome.status === 200 ? c.json({ received: true, applied: outcome.applied }) : c.json({ error: outcome.reason }, 400);
  });
  return app;
}
