// Why an endpoint is disabled and why a delivery failed, stored as codes with their numbers and dates (JSON in the
// text columns `disabled_reason` and `last_error`), and worded when shown: in the reader's language on the pages, in
// English in the API. A row written before the codes holds an English sentence; it is shown as it is.
import { en, type Messages } from "../i18n/messages.ts";
import { describeUrlProblem, type UrlProblem } from "./guard.ts";
import { INTERNAL_KINDS } from "./addresses.ts";
import type { NetworkFailure } from "./send.ts";

export type DisabledReason = { code: "admin" } | { code: "gone"; at: number };

/** `final`: a retryable failure on the last attempt, so no retry follows. */
export type DeliveryProblem =
  | { code: "endpoint-disabled" }
  | { code: "erased" }
  | { code: "url"; problem: UrlProblem; final?: true }
  | { code: "network"; network: NetworkFailure; final?: true }
  | { code: "status"; status: number; final?: true };

/** As read back: a code, or the English sentence of a row written before codes. */
export type Stored<T> = T | { code: "text"; text: string };

type WebhookMessages = Messages["webhooks"];

export function storeReason(reason: DisabledReason | DeliveryProblem): string {
  return JSON.stringify(reason);
}

export function readDisabledReason(text: string | null): Stored<DisabledReason> | null {
  return readStored(text, (v) => (v.code === "admin" ? { code: "admin" } : v.code === "gone" && typeof v.at === "number" ? { code: "gone", at: v.at } : null));
}

export function readDeliveryProblem(text: string | null): Stored<DeliveryProblem> | null {
  const codes = ["endpoint-disabled", "erased", "url", "network", "status"];
  return readStored(text, (v) => (codes.includes(v.code as string) ? (v as unknown as DeliveryProblem) : null));
}

function readStored<T>(text: string | null, check: (v: Record<string, unknown>) => T | null): Stored<T> | null {
  if (text === null) return null;
  if (text.startsWith("{")) {
    try {
      const value = JSON.parse(text) as unknown;
      const known = value !== null && typeof value === "object" ? check(value as Record<string, unknown>) : null;
      if (known) return known;
    } catch {
      // not JSON: a sentence of its own
    }
  }
  return { code: "text", text };
}

/** `when` words an instant (the reader's date and time on a page, ISO 8601 in the API). */
export function wordDisabledReason(w: WebhookMessages, r: Stored<DisabledReason>, when: (at: number) => string): string {
  switch (r.code) {
    case "admin":
      return w.reasons.admin;
    case "gone":
      return w.reasons.gone(when(r.at));
    case "text":
      return r.text;
  }
}

export function wordDeliveryProblem(w: WebhookMessages, p: Stored<DeliveryProblem>): string {
  const m = w.reasons;
  const final = (text: string) => ("final" in p && p.final ? m.noMoreRetries(text) : text);
  switch (p.code) {
    case "endpoint-disabled":
      return m.endpointDisabled;
    case "erased":
      return m.erased;
    case "url":
      return final(wordUrlProblem(w, p.problem));
    case "network":
      return final(wordNetworkFailure(w, p.network));
    case "status":
      return final(p.status === 410 ? m.gone410 : p.status >= 300 && p.status < 400 ? m.redirect(p.status) : m.status(p.status));
    case "text":
      return p.text;
  }
}

/** The delivery problem in English, as the API and the job queue give it (URL problems in the API's own words). */
export function describeDeliveryProblem(p: Stored<DeliveryProblem>): string {
  if (p.code === "url") return p.final ? en.webhooks.reasons.noMoreRetries(describeUrlProblem(p.problem)) : describeUrlProblem(p.problem);
  return wordDeliveryProblem(en.webhooks, p);
}

export function describeDisabledReason(r: Stored<DisabledReason>): string {
  return wordDisabledReason(en.webhooks, r, (at) => new Date(at).toISOString());
}

export function describeNetworkFailure(f: NetworkFailure): string {
  return wordNetworkFailure(en.webhooks, f);
}

export function wordNetworkFailure(w: WebhookMessages, f: NetworkFailure): string {
  const m = w.reasons.network;
  switch (f.failure) {
    case "no-answer-within":
      return m.noAnswerWithin(f.seconds);
    case "other":
      return f.detail; // the system's own words (a TLS or DNS library's), not translated
    default:
      return m[f.failure];
  }
}

/** A refused URL in the reader's language: the endpoint form's field error and the delivery log say it alike. */
export function wordUrlProblem(w: WebhookMessages, u: UrlProblem): string {
  const m = w.urlProblems;
  return u.problem === "address"
    ? m.address(u.host, u.address, INTERNAL_KINDS.has(u.kind))
    : u.problem === "unresolved" || u.problem === "internal-host-mismatch"
      ? m[u.problem](u.host)
      : m[u.problem];
}
