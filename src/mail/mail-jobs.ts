// The "mail" job: asks the template the payload names to write the mail at send time, then hands it to the
// organisation's SMTP server. Every mail goes out as the organisation's own, so that an invitation from a server
// the reader never heard of does not look like phishing: the sender's name is the organisation's, the subject names
// it, and the body ends with its signature and address, in the recipient's language. Delivery is at least once: a mail whose acceptance was not recorded (a crash, a lost
// reply) is sent again, with the same Message-ID (derived from the job's key), so the receiving side can tell.
import { createHash } from "node:crypto";
import { LOCALES } from "../i18n/messages.ts";
import type { Installation } from "../installation.ts";
import { type Handler, type Job, listLaterJobs } from "../jobs/queue.ts";
import { opsCounters } from "../ops/metrics-counters.ts";
import { getSettings } from "../settings/settings.ts";
import type { OutgoingMail } from "./mailer.ts";
import { type MailContext, mailTemplateOf, type MailTemplates, type QueuedMail, type RenderedMail } from "./templates.ts";

export function mailHandler(deps: Pick<Installation, "db" | "vault" | "config" | "mailer">, templates: MailTemplates, now: () => number): Handler {
  const origin = deps.config.publicUrl.origin;
  const host = deps.config.publicUrl.hostname;
  const fromAddress = addressOf(deps.config.mailFrom);
  return async (job) => {
    const key = mailTemplateOf(job.payload);
    const render = key !== null && Object.hasOwn(templates, key) ? templates[key] : undefined;
    if (!render) return { status: "failed", reason: `unknown mail template ${JSON.stringify(key ?? null).slice(0, 80)}` };
    const settings = getSettings(deps.db);
    const org = { name: settings?.name || LOCALES.en.app.name };
    const ctx: MailContext = { db: deps.db, vault: deps.vault, origin, fromAddress, org, now: now(), job: { id: job.id, recipient: job.subject }, laterMails: () => laterMails(deps, job) };
    const decision = render(ctx, dataOf(job));
    if ("skip" in decision) return { status: "skipped", reason: decision.skip };
    const counters = opsCounters(deps.db);
    let result: Awaited<ReturnType<typeof deps.mailer.send>>;
    try {
      result = await deps.mailer.send({ ...signedMail(decision.send, org.name, origin), from: { name: org.name, address: fromAddress }, messageId: messageIdOf(job.dedupeKey, host) });
    } catch (err) {
      counters.mailFailures++; // the server could not be reached (the queue retries the job)
      throw err;
    }
    if (result.sent) counters.mailSent++;
    else counters.mailFailures++;
    return result.sent ? { status: "done" } : { status: "failed", reason: `refused by the mail server: ${result.code} ${result.reason}` };
  };
}

/** The organisation named in the subject (unless it already is) and its signature under the text. */
export function signedMail(mail: RenderedMail, org: string, origin: string): Omit<OutgoingMail, "messageId"> {
  const { locale, ...rest } = mail;
  return {
    ...rest,
    subject: mail.subject.includes(org) ? mail.subject : `${mail.subject} — ${org}`,
    text: [mail.text, "", "-- ", org, origin, LOCALES[locale].mail.sentBy(org)].join("\n"),
  };
}

function laterMails(deps: Pick<Installation, "db" | "vault">, job: Job): QueuedMail[] {
  return listLaterJobs(deps.db, deps.vault, job)
    .filter((j) => j.payload !== null)
    .map((j) => ({ template: mailTemplateOf(j.payload), data: dataOf(j) }));
}

/** Stable per job: a retry or a re-send after a crash is the same message. */
export function messageIdOf(dedupeKey: string, host: string): string {
  return `<${createHash("sha256").update(dedupeKey).digest("hex").slice(0, 32)}@${host}>`;
}

function dataOf(job: Job): Record<string, unknown> {
  const { template: _name, ...data } = job.payload as Record<string, unknown>;
  return data;
}

/** "Clinic <consult@example.org>" → "consult@example.org". */
function addressOf(from: string): string {
  return from.match(/<([^<>]+)>\s*$/)?.[1]?.trim() ?? from.trim();
}
