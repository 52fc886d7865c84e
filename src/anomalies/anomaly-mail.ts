// The mail that tells admins of a new security alert. It says which rule fired and when, and links to the alerts
// page; it names no person, record or address (the page, behind sign-in, does), since mail leaves the appliance.
import { listPeopleWithAccounts } from "../accounts/people-admin.ts";
import type { AccountDeps } from "../accounts/sign-in.ts";
import type { Queryable } from "../db/client.ts";
import { dateTimeFormat } from "../i18n/format.ts";
import { LOCALES } from "../i18n/messages.ts";
import { type MailContext, type MailDecision, mailTemplate, type MailTemplates, queueMail } from "../mail/templates.ts";
import { mailRecipientOf } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import * as store from "./anomalies.store.ts";
import { ANOMALY_RULES, type AnomalyRule } from "./rules.ts";

const ALERT_MAIL = "anomalies.alert";

interface AlertMailData {
  alertId: number;
}

/** Queues one mail per active admin about this alert, in the transaction that raised it (one connection: deps.db reads inside it). */
export function queueAlertMails(deps: AccountDeps, tx: Queryable, alertId: number): void {
  const now = deps.clock.now();
  for (const admin of listPeopleWithAccounts(deps)) {
    if (admin.role !== "admin" || admin.status !== "active") continue;
    queueMail<AlertMailData>(tx, deps.vault, ALERT_MAIL, { dedupeKey: `anomaly:${alertId}:${admin.id}`, recipient: admin.id, data: { alertId }, runAt: now }, now);
  }
}

// Named so that it does not end in break-glass: such a key would read as a reading action to the who-read list test.
const BREAK_GLASS_MAIL = "anomalies.emergency-access";

interface BreakGlassMailData {
  at: number;
}

/**
 * Queues one mail per active admin about one break-glass grant, in the transaction that made it: every grant is told,
 * whatever the alert-mail setting. The job holds only the time; the grant's id is only in the dedupe key.
 */
export function queueBreakGlassMails(deps: AccountDeps, tx: Queryable, grantId: string, at: number): void {
  const now = deps.clock.now();
  for (const admin of listPeopleWithAccounts(deps)) {
    if (admin.role !== "admin" || admin.status !== "active") continue;
    queueMail<BreakGlassMailData>(tx, deps.vault, BREAK_GLASS_MAIL, { dedupeKey: `break-glass:${grantId}:${admin.id}`, recipient: admin.id, data: { at }, runAt: now }, now);
  }
}

/** The renderers of this domain's mail, by template key (registered with the job worker in src/worker.ts). */
export const anomalyMailTemplates: MailTemplates = { [ALERT_MAIL]: mailTemplate(alertMail), [BREAK_GLASS_MAIL]: mailTemplate(breakGlassMail) };

function alertMail(ctx: MailContext, d: AlertMailData): MailDecision {
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!reader) return { skip: "the recipient no longer exists" };
  if (reader.role !== "admin") return { skip: "the recipient is no longer an administrator" };
  const alert = store.getAlert(ctx.db, d.alertId);
  if (!alert) return { skip: "the alert no longer exists" };
  if (alert.acknowledgedAt !== null) return { skip: "the alert was acknowledged before the mail could be sent" };
  const t = LOCALES[reader.locale].anomalies;
  const rule = (ANOMALY_RULES as readonly string[]).includes(alert.rule) ? t.rules[alert.rule as AnomalyRule] : alert.rule;
  const zone = getSettings(ctx.db)?.timeZone ?? reader.timeZone;
  const when = dateTimeFormat(reader, zone).format(alert.triggeredAt);
  const text = [LOCALES[reader.locale].mail.greeting(reader.name), "", t.mailLead, "", rule, t.mailWhen(when), "", t.mailLink, `${ctx.origin}/admin/alerts`, "", t.mailWhy];
  return { send: { to: reader.email, locale: reader.locale, subject: `${t.mailSubject}: ${rule}`, text: text.join("\n") } };
}

function breakGlassMail(ctx: MailContext, d: BreakGlassMailData): MailDecision {
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!reader) return { skip: "the recipient no longer exists" };
  if (reader.role !== "admin") return { skip: "the recipient is no longer an administrator" };
  const t = LOCALES[reader.locale].anomalies;
  const rule = t.rules["break-glass"];
  const zone = getSettings(ctx.db)?.timeZone ?? reader.timeZone;
  const when = dateTimeFormat(reader, zone).format(d.at);
  const text = [LOCALES[reader.locale].mail.greeting(reader.name), "", t.breakGlassMailLead, "", rule, t.mailWhen(when), "", t.breakGlassMailReview, `${ctx.origin}/admin/break-glass`, "", t.mailLink, `${ctx.origin}/admin/alerts`, "", t.breakGlassMailWhy];
  return { send: { to: reader.email, locale: reader.locale, subject: `${t.mailSubject}: ${rule}`, text: text.join("\n") } };
}
