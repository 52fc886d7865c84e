// YooKassa through its REST API v3 (it has no official Node SDK): payments with a redirect confirmation (YooKassa's
// hosted page), refunds. Its notifications carry no signature; YooKassa's documented way to trust one is to check
// that it came from YooKassa's networks and to read the payment's status from the API again. Kabinet does both: the
// notification only says which payment to look at, the API says what happened.
import { BlockList, isIP } from "node:net";
import type { PaymentsConfig } from "../config.ts";
import { type Checkout, type CheckoutRequest, decimalAmount, type IncomingNotification, type NotificationCheck, type PaymentProvider, ProviderError } from "./provider.ts";

type YooKassaConfig = Extract<PaymentsConfig, { provider: "yookassa" }>;

const OFFICIAL_API = "https://api.yookassa.ru/v3/";

interface YooPayment {
  id: string;
  status: "pending" | "waiting_for_capture" | "succeeded" | "canceled";
  paid: boolean;
  amount: { value: string; currency: string };
  refunded_amount?: { value: string; currency: string };
  confirmation?: { type: string; confirmation_url?: string };
}

export function yookassaProvider(config: YooKassaConfig): PaymentProvider {
  const base = new URL(config.apiUrl ? `${config.apiUrl.toString().replace(/\/?$/, "/")}v3/` : OFFICIAL_API);
  const auth = `Basic ${Buffer.from(`${config.shopId}:${config.secretKey}`).toString("base64")}`;
  const senders = new BlockList();
  for (const n of config.notifyFrom) {
    const [address, bits] = n.split("/") as [string, string | undefined];
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) senders.addAddress(address, type);
    else senders.addSubnet(address, Number(bits), type);
  }

  async function call<T>(method: "GET" | "POST", path: string, body?: unknown, idempotenceKey?: string): Promise<T> {
    const r = await fetch(new URL(path, base), {
      method,
      headers: { authorization: auth, "content-type": "application/json", ...(idempotenceKey ? { "idempotence-key": idempotenceKey } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await r.text();
    if (!r.ok) throw new ProviderError(`YooKassa answered ${r.status} to ${method} ${path}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  return {
    name: "yookassa",
    async openCheckout(req: CheckoutRequest): Promise<Checkout> {
      const payment = await call<YooPayment>(
        "POST",
        "payments",
        {
          amount: { value: decimalAmount(req.amountMinor), currency: req.currency },
          capture: true,
          confirmation: { type: "redirect", return_url: req.returnUrl },
          description: req.description.slice(0, 128),
          metadata: { kabinet_payment: req.paymentId },
        },
        `kabinet-checkout-${req.paymentId}`,
      );
      const url = payment.confirmation?.confirmation_url;
      if (!url) throw new ProviderError("YooKassa returned a payment without a confirmation URL");
      return { ref: payment.id, url };
    },
    async readNotification(n: IncomingNotification): Promise<NotificationCheck> {
      const type = isIP(n.remoteIp) === 6 ? "ipv6" : "ipv4";
      if (isIP(n.remoteIp) === 0 || !senders.check(n.remoteIp, type)) return { ok: false, reason: `sender ${n.remoteIp} is not one of YooKassa's networks` };
      let note: { type?: string; event?: string; object?: { id?: string; payment_id?: string } };
      try {
        note = JSON.parse(n.body);
      } catch {
        return { ok: false, reason: "the body is not JSON" };
      }
      const paymentId = note.event?.startsWith("refund.") ? note.object?.payment_id : note.object?.id;
      if (note.type !== "notification" || typeof note.event !== "string" || typeof paymentId !== "string" || !/^[\w-]{1,64}$/.test(paymentId)) {
        return { ok: false, reason: "not a YooKassa notification" };
      }
      // The notification only names the payment; its status comes from the API.
      const payment = await call<YooPayment>("GET", `payments/${encodeURIComponent(paymentId)}`);
      const refunded = payment.refunded_amount ? Math.round(Number(payment.refunded_amount.value) * 100) : 0;
      const eventId = `${note.event}:${paymentId}:${payment.status}:${refunded}`;
      if (refunded > 0) return { ok: true, update: { eventId, ref: payment.id, status: "refunded", refundedMinor: refunded } };
      if (payment.status === "succeeded") return { ok: true, update: { eventId, ref: payment.id, status: "paid" } };
      if (payment.status === "canceled") return { ok: true, update: { eventId, ref: payment.id, status: "failed" } };
      return { ok: true, update: null };
    },
    async settleExpired(ref: string): Promise<"paid" | "unpaid"> {
      // A redirect payment cannot be called back; one that succeeds later is refunded when its notification comes.
      const payment = await call<YooPayment>("GET", `payments/${encodeURIComponent(ref)}`);
      return payment.status === "succeeded" ? "paid" : "unpaid";
    },
    async refund(ref: string, amountMinor: number, currency: string, idempotencyKey: string): Promise<void> {
      await call("POST", "refunds", { payment_id: ref, amount: { value: decimalAmount(amountMinor), currency } }, idempotencyKey);
    },
  };
}
