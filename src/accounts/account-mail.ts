// Account mails: invitation and password-reset links, the one-time code by email (sign-in or registration), and the
// note that someone tried to register with an address that has an account. The link or code sits
// in the queued payload sealed under the person's key, and is gone from the queue's view once sent or expired.
import { createHash } from "node:crypto";
import type { Queryable } from "../db/client.ts";
import { LOCALES } from "../i18n/messages.ts";
import { type MailContext, type MailDecision, mailTemplate, type MailTemplates, queueMail } from "../mail/templates.ts";
import { mailRecipientOf } from "../people/people.ts";
import type { Vault } from "../vault/vault.ts";
import type { CodePurpose } from "./email-codes.ts";
import { type LinkPurpose, linkUrl } from "./links.ts";

const LINK_MAIL = "account.link";
const CODE_MAIL = "account.email-code";
const REGISTER_ATTEMPT_MAIL = "account.register-attempt";

interface LinkMailData {
  purpose: LinkPurpose;
  url: string;
  expiresAt: number;
}

interface CodeMailData {
  code: string;
  expiresAt: number;
  /** Absent in codes queued before registration had codes: those were sign-in codes. */
  purpose?: CodePurpose;
}

interface RegisterAttemptData {
  url: string;
  expiresAt: number;
}

/** Queues the mail carrying a one-time link, in the transaction that made the link. */
export function queueLinkMail(tx: Queryable, vault: Vault, publicUrl: URL, personId: string, purpose: LinkPurpose, token: string, expiresAt: number, now = Date.now()): void {
  const key = `link:${createHash("sha256").update(token).digest("hex").slice(0, 32)}`;
  queueMail<LinkMailData>(tx, vault, LINK_MAIL, { dedupeKey: key, recipient: personId, data: { purpose, url: linkUrl(publicUrl, token), expiresAt }, runAt: now }, now);
}

export function queueCodeMail(tx: Queryable, vault: Vault, personId: string, purpose: CodePurpose, code: string, expiresAt: number, now = Date.now()): void {
  const key = `code:${personId}:${now}:${createHash("sha256").update(code).digest("hex").slice(0, 8)}`;
  queueMail<CodeMailData>(tx, vault, CODE_MAIL, { dedupeKey: key, recipient: personId, data: { code, expiresAt, purpose }, runAt: now }, now);
}

/** Tells an account's owner that someone tried to register with their address; at most one such mail an hour. */
export function queueRegisterAttemptMail(tx: Queryable, vault: Vault, publicUrl: URL, personId: string, now = Date.now()): void {
  const key = `register-attempt:${personId}:${Math.floor(now / 3600_000)}`;
  const data = { url: new URL("/signin", publicUrl).toString(), expiresAt: now + 24 * 3600_000 };
  queueMail<RegisterAttemptData>(tx, vault, REGISTER_ATTEMPT_MAIL, { dedupeKey: key, recipient: personId, data, runAt: now }, now);
}

/** The renderers of account mails, by template key (registered with the job worker in src/worker.ts). */
export const accountMailTemplates: MailTemplates = {
  [LINK_MAIL]: mailTemplate(linkMail),
  [CODE_MAIL]: mailTemplate(codeMail),
  [REGISTER_ATTEMPT_MAIL]: mailTemplate(registerAttemptMail),
};

// Sending a link or code after it expired would only confuse.
function codeMail(ctx: MailContext, d: CodeMailData): MailDecision {
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!reader) return { skip: "the recipient no longer exists" };
  if (ctx.now >= d.expiresAt) return { skip: "the code expired before it could be sent" };
  const t = LOCALES[reader.locale];
  const [subject, lead, ignore] = d.purpose === "register" ? [t.register.mailSubject, t.register.mailLead, t.register.mailIgnore] : [t.mail.codeSubject, t.mail.codeLead, t.mail.codeIgnore];
  return { send: { to: reader.email, locale: reader.locale, subject: subject(d.code), text: [t.mail.greeting(reader.name), "", lead(d.code), "", ignore].join("\n") } };
}

function linkMail(ctx: MailContext, d: LinkMailData): MailDecision {
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!reader) return { skip: "the recipient no longer exists" };
  if (ctx.now >= d.expiresAt) return { skip: "the link expired before it could be sent" };
  const t = LOCALES[reader.locale];
  const hours = Math.max(1, Math.round((d.expiresAt - ctx.now) / 3600_000));
  return {
    send: {
      to: reader.email,
      locale: reader.locale,
      subject: d.purpose === "invite" ? t.mail.inviteSubject(ctx.org.name) : t.mail.resetSubject,
      text: [t.mail.greeting(reader.name), "", d.purpose === "invite" ? t.mail.inviteLead : t.mail.resetLead, d.url, "", t.mail.linkExpires(hours)].join("\n"),
    },
  };
}

function registerAttemptMail(ctx: MailContext, d: RegisterAttemptData): MailDecision {
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!reader) return { skip: "the recipient no longer exists" };
  if (ctx.now >= d.expiresAt) return { skip: "the note is a day old: no longer worth sending" };
  const t = LOCALES[reader.locale];
  return { send: { to: reader.email, locale: reader.locale, subject: t.mail.registerAttemptSubject, text: [t.mail.greeting(reader.name), "", t.mail.registerAttemptLead, d.url, "", t.mail.registerAttemptIgnore].join("\n") } };
}
