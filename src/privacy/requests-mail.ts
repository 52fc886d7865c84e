// The mail telling a person that the answer to their request is delayed, with the new date and why: GDPR art. 12(3)
// and 152-FZ (a reasoned notice) require both. Queued in the extension's transaction (requests.ts); the reason is
// staff's words about the person, so it travels sealed under their key in the job queue and nowhere else.
import type { Queryable } from "../db/client.ts";
import { LOCALES } from "../i18n/messages.ts";
import { type MailContext, type MailDecision, type MailTemplates, mailTemplate, queueMail } from "../mail/templates.ts";
import { mailRecipientOf } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import type { Vault } from "../vault/vault.ts";
import { formatDueDay } from "./views/requests-dates.ts";

export const EXTENSION_MAIL = "privacy.extended";

export interface ExtensionMailData {
  requestId: string;
  personId: string;
  kind: "access" | "rectification" | "erasure" | "restriction" | "objection" | "portability";
  dueAt: number;
  reason: string;
}

export function queueExtensionMail(tx: Queryable, vault: Vault, d: ExtensionMailData, now: number): boolean {
  return queueMail(tx, vault, EXTENSION_MAIL, { dedupeKey: `privacy-extended:${d.requestId}`, recipient: d.personId, data: d, runAt: now }, now);
}

function extensionMail(ctx: MailContext, d: ExtensionMailData): MailDecision {
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!reader) return { skip: "the recipient no longer exists" };
  const t = LOCALES[reader.locale];
  // The deadline is a day on the organisation's clock, like every request date.
  const m = t.dataRights.extensionMail;
  const text = [t.mail.greeting(reader.name), "", m.lead(t.dataRights.kinds[d.kind], formatDueDay(reader.locale, getSettings(ctx.db)?.timeZone ?? reader.timeZone, d.dueAt)), "", m.reason, d.reason, "", `${ctx.origin}/account/privacy`].join("\n");
  return { send: { to: reader.email, locale: reader.locale, subject: m.subject, text, attachments: [] } };
}

/** Registered with the job worker in src/worker.ts. */
export const privacyMailTemplates: MailTemplates = { [EXTENSION_MAIL]: mailTemplate(extensionMail) };
