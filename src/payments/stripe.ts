// Stripe through its own SDK: Checkout Sessions (Stripe's hosted page), webhook events verified with
// stripe.webhooks.constructEventAsync (HMAC-SHA256 over timestamp and body, 5-minute tolerance), refunds.
import Stripe from "stripe";
import type { PaymentsConfig } from "../config.ts";
import { type Checkout, type CheckoutRequest, type IncomingNotification, type NotificationCheck, type PaymentProvider, ProviderError } from "./provider.ts";

type StripeConfig = Extract<PaymentsConfig, { provider: "stripe" }>;

/** Stripe lets a Checkout Session live between 30 minutes and 24 hours. */
const MIN_SESSION_MS = 31 * 60_000;

export function stripeProvider(config: StripeConfig): PaymentProvider {
  const api = config.apiUrl;
  const stripe = new Stripe(config.secretKey, {
    telemetry: false,
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(api ? { host: api.hostname, port: Number(api.port || (api.protocol === "https:" ? 443 : 80)), protocol: api.protocol === "https:" ? "https" : "http" } : {}),
  });
  return {
    name: "stripe",
    async openCheckout(req: CheckoutRequest): Promise<Checkout> {
      const expiresAt = req.expiresAt === null ? undefined : Math.ceil(Math.max(req.expiresAt, Date.now() + MIN_SESSION_MS) / 1000);
      try {
        const session = await stripe.checkout.sessions.create(
          {
            mode: "payment",
            line_items: [{ quantity: 1, price_data: { currency: req.currency.toLowerCase(), unit_amount: req.amountMinor, product_data: { name: req.description } } }],
            success_url: req.returnUrl,
            cancel_url: req.returnUrl,
            client_reference_id: req.paymentId,
            metadata: { kabinet_payment: req.paymentId },
            ...(expiresAt ? { expires_at: expiresAt } : {}),
          },
          { idempotencyKey: `kabinet-checkout-${req.paymentId}` },
        );
        if (!session.url) throw new ProviderError("Stripe returned a Checkout Session without a URL");
        return { ref: session.id, url: session.url };
      } catch (err) {
        throw err instanceof ProviderError ? err : new ProviderError(`no checkout from Stripe (${(err as { type?: string }).type ?? "error"}): ${(err as Error).message}`, { cause: err });
      }
    },
    async readNotification(n: IncomingNotification): Promise<NotificationCheck> {
      const signature = n.headers.get("stripe-signature");
      if (!signature) return { ok: false, reason: "no Stripe-Signature header" };
      let event: Stripe.Event;
      try {
        // The async form: under Bun the SDK's crypto is WebCrypto, which has no synchronous HMAC.
        event = await stripe.webhooks.constructEventAsync(n.body, signature, config.webhookSecret);
      } catch (err) {
        return { ok: false, reason: `signature not valid: ${(err as Error).message}` };
      }
      switch (event.type) {
        case "checkout.session.completed":
        case "checkout.session.async_payment_succeeded": {
          const s = event.data.object;
          return { ok: true, update: s.payment_status === "paid" ? { eventId: event.id, ref: s.id, status: "paid" } : null };
        }
        case "checkout.session.async_payment_failed":
          return { ok: true, update: { eventId: event.id, ref: event.data.object.id, status: "failed" } };
        case "checkout.session.expired":
          return { ok: true, update: { eventId: event.id, ref: event.data.object.id, status: "expired" } };
        default:
          return { ok: true, update: null }; // other events are not about a checkout: acknowledged, ignored
      }
    },
    async settleExpired(ref: string): Promise<"paid" | "unpaid"> {
      const session = await stripe.checkout.sessions.retrieve(ref);
      if (session.payment_status === "paid") return "paid";
      if (session.status === "open") {
        try {
          await stripe.checkout.sessions.expire(ref);
        } catch {
          // Completed in the meantime: read it again.
          return (await stripe.checkout.sessions.retrieve(ref)).payment_status === "paid" ? "paid" : "unpaid";
        }
      }
      return "unpaid";
    },
    async refund(ref: string, amountMinor: number, _currency: string, idempotencyKey: string): Promise<void> {
      const session = await stripe.checkout.sessions.retrieve(ref);
      const intent = typeof session.payment_intent === "string" ? session.payment_intent : session.payment_intent?.id;
      if (!intent) throw new ProviderError("this Checkout Session has no payment to refund");
      await stripe.refunds.create({ payment_intent: intent, amount: amountMinor }, { idempotencyKey });
    },
  };
}
