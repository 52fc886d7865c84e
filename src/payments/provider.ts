// One interface for every payment provider: open a hosted checkout, read a notification by the provider's own
// verification scheme, settle a held payment when its time runs out, refund. Kabinet never sees card details: the
// client pays on the provider's page, and Kabinet learns the outcome from a verified notification.
import type { PaymentsConfig } from "../config.ts";
import { stripeProvider } from "./stripe.ts";
import { yookassaProvider } from "./yookassa.ts";

export type PaymentStatus = "pending" | "paid" | "failed" | "expired" | "refunded" | "cancelled";

export interface CheckoutRequest {
  paymentId: string;
  amountMinor: number;
  currency: string;
  /** What is paid for, as the client sees it on the provider's page (no health details: the service's name). */
  description: string;
  /** Where the provider sends the client back, paid or not. */
  returnUrl: string;
  /** When the provider should stop accepting payment; null: its default. */
  expiresAt: number | null;
}

export interface Checkout {
  /** The provider's id for this checkout: how its notifications name it. */
  ref: string;
  url: string;
}

/** What a verified notification says about one payment. */
export interface ProviderUpdate {
  /** The provider's id of the notification (or a stable substitute): applied once. */
  eventId: string;
  ref: string;
  status: Exclude<PaymentStatus, "pending" | "cancelled">;
  refundedMinor?: number;
}

export interface IncomingNotification {
  body: string;
  headers: Headers;
  /** The sender's address (through the proxy when KABINET_TRUST_PROXY is set). */
  remoteIp: string;
}

export type NotificationCheck = { ok: true; update: ProviderUpdate | null } | { ok: false; reason: string };

export interface PaymentProvider {
  readonly name: "stripe" | "yookassa";
  openCheckout(req: CheckoutRequest): Promise<Checkout>;
  readNotification(n: IncomingNotification): Promise<NotificationCheck>;
  /** The hold ran out: stop the checkout if the provider can; the payment's status as the provider knows it now. */
  settleExpired(ref: string): Promise<"paid" | "unpaid">;
  refund(ref: string, amountMinor: number, currency: string, idempotencyKey: string): Promise<void>;
}

export function paymentProvider(config: PaymentsConfig): PaymentProvider {
  return config.provider === "stripe" ? stripeProvider(config) : yookassaProvider(config);
}

/** Minor units as the decimal string providers want ("3500.00"); every currency Kabinet offers has two decimals. */
export function decimalAmount(minor: number): string {
  return (minor / 100).toFixed(2);
}

export class ProviderError extends Error {
  override readonly name = "ProviderError";
}
