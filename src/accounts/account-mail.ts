// Account mails: invitation and password-reset links, and the one-time sign-in code by email. The link or code sits
// in the queued payload sealed under the person's key, and is gone from the queue's view once sent or expired.
import { createHash } from "node:crypto";
import type { Queryable } from "../db/client.ts";
import { LOCALES } from "../i18n/messages.ts";
import { enqueue } from "../jobs/queue.ts";
import { MAIL_JOB, type OutgoingMail } from "../mail/mailer.ts";
import type { PeopleDeps } from "../people/people.ts";
import { readerOf } from "../booking/booking-mail.ts";
import type { Vault } from "../vault/vault.ts";
import { type LinkPurpose, linkUrl } from "./links.ts";

export type AccountMailPayload =
  | { template: "link"; purpose: LinkPurpose; url: string; expiresAt: number }
  | { template: "email-code"; code: string; expiresAt: number }
  | { template: "register-attempt"; url: string; expiresAt: number };

/** Queues the mail carrying a one-time link, in the transaction that made the link. */
export function queueLinkMail(tx: Queryable, vault: Vault, publicUrl: URL, personId: string, purpose: LinkPurpose, token: string, expiresAt: number, now = Date.now()): void {
  const key = `link:${createHash("sha256").update(token).digest("hex").slice(0, 32)}`;
  enqueue<AccountMailPayload>(tx, vault, { kind: MAIL_JOB, dedupeKey: key, subject: personId, payload: { template: "link", purpose, url: linkUrl(publicUrl, token), expiresAt }, runAt: now }, now);
}

export function queueCodeMail(tx: Queryable, vault: Vault, personId: string, code: string, expiresAt: number, now = Date.now()): void {
  const key = `code:${personId}:${now}:${createHash("sha256").update(code).digest("hex").slice(0, 8)}`;
  enqueue<AccountMailPayload>(tx, vault, { kind: MAIL_JOB, dedupeKey: key, subject: personId, payload: { template: "email-code", code, expiresAt }, runAt: now }, now);
}

/** Tells an account's owner that someone tried to register with their address; at most one such mail an hour. */
export function queueRegisterAttemptMail(tx: Queryable, vault: Vault, publicUrl: URL, personId: string, now = Date.now()): void {
  const key = `register-attempt:${personId}:${Math.floor(now / 3600_000)}`;
  const payload: AccountMailPayload = { template: "register-attempt", url: new URL("/signin", publicUrl).toString(), expiresAt: now + 24 * 3600_000 };
  enqueue<AccountMailPayload>(tx, vault, { kind: MAIL_JOB, dedupeKey: key, subject: personId, payload, runAt: now }, now);
}

/** The mail, or null once the link or code has expired (sending it late would only confuse). */
export function accountMail(deps: PeopleDeps, personId: string, p: AccountMailPayload, origin: string, now = Date.now()): Omit<OutgoingMail, "messageId"> | null {
  const reader = readerOf(deps, personId);
  if (!reader || now >= p.expiresAt) return null;
  const t = LOCALES[reader.locale];
  if (p.template === "email-code") {
    return { to: reader.email, subject: t.mail.codeSubject(p.code), text: [t.mail.greeting(reader.name), "", t.mail.codeLead(p.code), "", t.mail.codeIgnore, "", t.mail.footer].join("\n") };
  }
  if (p.template === "register-attempt") {
    return { to: reader.email, subject: t.mail.registerAttemptSubject, text: [t.mail.greeting(reader.name), "", t.mail.registerAttemptLead, p.url, "", t.mail.registerAttemptIgnore, "", t.mail.footer].join("\n") };
  }
  const hours = Math.max(1, Math.round((p.expiresAt - now) / 3600_000));
  return {
    to: reader.email,
    subject: p.purpose === "invite" ? t.mail.inviteSubject(t.app.name) : t.mail.resetSubject,
    text: [t.mail.greeting(reader.name), "", p.purpose === "invite" ? t.mail.inviteLead : t.mail.resetLead, p.url, "", t.mail.linkExpires(hours), "", `${origin}`, t.mail.footer].join("\n"),
  };
}
